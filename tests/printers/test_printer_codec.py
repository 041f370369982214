"""Documents survive the JSON a print job keeps them in: every type, any content."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from printer_samples import sample_documents

from printers import codec
from printers.documents import KitchenTicket, Mark, XReport
from printers.profiles import PROFILES
from printers.render import render


def through_json(document):
    """What a job stores and reads back: the dict as JSON text, as SQLite holds it."""
    return codec.from_json(json.loads(json.dumps(codec.to_json(document), ensure_ascii=False)))


# Every document type with arbitrary content, built from the dataclasses' own type hints.
documents = st.one_of(*(st.from_type(cls) for cls in codec.DOCUMENT_TYPES.values()))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_any_document_round_trips_to_an_equal_document_of_the_same_type(document):
    back = through_json(document)
    assert back == document and type(back) is type(document)


@pytest.mark.parametrize("name", sample_documents().keys())
def test_samples_round_trip_and_render_the_same_bytes_on_every_profile(name):
    document = sample_documents()[name]
    back = through_json(document)
    assert back == document and type(back) is type(document)
    for profile in PROFILES.values():
        assert render(back, profile) == render(document, profile)


def test_the_json_is_plain_and_names_the_type():
    data = codec.to_json(sample_documents()["kitchen_ticket"])
    assert data["type"] == "KitchenTicket"
    assert data["at"] == "2024-05-17T19:42:00"
    assert data["lines"][3] == {
        "qty": 1,
        "name": "Crème brûlée",
        "modifiers": [],
        "note": "",
        "seat": "",
        "mark": "ADD",
        "course": "DESSERTS",
    }
    assert codec.to_json(XReport(title="X REPORT"))["type"] == "XReport"


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"table": "T1", "url": "http://x"},  # no type
        {"type": "Letter"},
        {"type": "TableQrTent", "table": "T1"},  # url missing
        {"type": "TableQrTent", "table": "T1", "url": "http://x", "colour": "red"},
        {"type": "TableQrTent", "table": 1, "url": "http://x"},
        {"type": "KitchenTicket", "station": "K", "table": "T", "ticket_no": "1", "lines": {}},
        {"type": "KitchenTicket", "station": "K", "table": "T", "ticket_no": "1", "lines": [],
         "guests": True},
        {"type": "KitchenTicket", "station": "K", "table": "T", "ticket_no": "1", "lines": [],
         "mark": "LATER"},
        {"type": "TestPage", "at": "yesterday"},
        # A ticket from before the course moved onto its lines: its job keeps the bytes it has.
        {"type": "KitchenTicket", "station": "K", "table": "T", "ticket_no": "1", "lines": [],
         "course": "Mains"},
    ],
)  # fmt: skip
def test_what_this_version_cannot_read_is_refused_not_guessed(data):
    with pytest.raises(codec.DocumentError):
        codec.from_json(data)


def test_only_documents_are_encoded():
    with pytest.raises(codec.DocumentError):
        codec.to_json(Mark.ADD)  # type: ignore[arg-type]
    assert codec.from_json(codec.to_json(KitchenTicket("K", "T", "1", ()))).lines == ()


def test_documents_decode_with_the_clock_frozen_and_running():
    """freezegun swaps `datetime` for its own class; a document read under one must still be
    read under the other (the edge decodes while tests move time)."""
    document = sample_documents()["kitchen_ticket"]
    assert through_json(document) == document
    with freeze_time("2026-11-21 12:00:00"):
        assert through_json(document) == document
    assert through_json(document) == document
