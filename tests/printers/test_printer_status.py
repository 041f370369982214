"""DLE EOT: query bytes and the meaning of each answer bit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printers import status
from printers.errors import CoverOpen, PaperOut, PrinterNotReady
from printers.status import PrinterStatus, answer, parse, query


def test_query_bytes():
    assert [query(n) for n in (1, 2, 3, 4)] == [
        b"\x10\x04\x01",
        b"\x10\x04\x02",
        b"\x10\x04\x03",
        b"\x10\x04\x04",
    ]
    assert status.ALL_QUERIES == b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"
    with pytest.raises(ValueError):
        query(5)


def test_ready_printer():
    assert parse(0x12, 0x12, 0x12, 0x12) == PrinterStatus()


def test_paper_end_as_epson_reports_it():
    # offline (bit 3), stopped by paper end (bit 5), near end + end sensors.
    got = parse(0x1A, 0x32, 0x12, 0x7E)
    assert got == PrinterStatus(
        online=False, paper_near_end=True, paper_out=True, cover_open=False, error=False
    )
    assert not got.can_print


def test_near_end_only_still_prints():
    got = parse(0x12, paper=0x1E)
    assert got.paper_near_end and not got.paper_out and got.can_print


def test_cover_open_and_errors():
    assert parse(0x1A, 0x16).cover_open
    assert parse(0x1A, 0x52).error
    assert parse(0x12, error_cause=0x1A).error  # autocutter
    assert parse(0x12, error_cause=0x32).error  # unrecoverable


def test_rejects_bytes_that_are_not_status_answers():
    with pytest.raises(ValueError):
        parse(0x10)
    assert not status.is_status_byte(0x04)
    assert status.is_status_byte(0x7E)


def test_raise_for_status():
    PrinterStatus().raise_for_status()
    with pytest.raises(PaperOut):
        PrinterStatus(online=False, paper_out=True).raise_for_status()
    with pytest.raises(CoverOpen):
        PrinterStatus(online=False, cover_open=True).raise_for_status()
    with pytest.raises(PrinterNotReady):
        PrinterStatus(error=True).raise_for_status()


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_answer_then_parse_round_trips(near_end, paper_out, cover_open, error):
    state = PrinterStatus(
        online=not (paper_out or cover_open or error),
        paper_near_end=near_end or paper_out,
        paper_out=paper_out,
        cover_open=cover_open,
        error=error,
    )
    answers = [answer(n, state) for n in (1, 2, 3, 4)]
    assert all(status.is_status_byte(a) for a in answers)
    assert parse(*answers) == state
