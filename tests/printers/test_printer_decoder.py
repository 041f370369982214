"""The ESC/POS decoder behind the emulator: chunking, images, unknown commands."""

from __future__ import annotations

from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from printer_samples import sample_documents, sample_receipt

from printers.decoder import Decoder, Job, decode
from printers.profiles import GENERIC_58MM, TM_T20II
from printers.render import drawer_pulse, render
from printers.status import PrinterStatus


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=40))
def test_any_chunking_decodes_the_same(cuts):
    data = render(sample_receipt(), GENERIC_58MM) + drawer_pulse(TM_T20II)
    whole = decode(data, escpos_profile="POS-5890")
    decoder = Decoder(Job(), escpos_profile="POS-5890")
    i = 0
    for size in cuts * (len(data) // sum(cuts) + 1):
        decoder.feed(data[i : i + size])
        i += size
        if i >= len(data):
            break
    job = decoder.finish()
    assert job.events == whole.events
    assert job.unknown == []


def test_every_sample_decodes_without_unknown_commands():
    for document in sample_documents().values():
        for profile in (TM_T20II, GENERIC_58MM):
            job = decode(render(document, profile), escpos_profile=profile.escpos_profile)
            assert job.unknown == []
            assert job.has_output


def test_raster_image_is_skipped_by_its_length():
    job = decode(render(sample_receipt(), GENERIC_58MM), escpos_profile="POS-5890")
    assert job.images == [(384, job.images[0][1])]
    assert "Danke! Gracias! Terima kasih!" in job.lines  # text after the image is intact


def test_status_queries_are_answered_in_order():
    states = iter([PrinterStatus(), PrinterStatus(online=False, paper_out=True)])
    decoder = Decoder(Job(), status=lambda: next(states))
    assert decoder.feed(b"\x10\x04\x01") == b"\x12"
    assert decoder.feed(b"\x10\x04") == b""  # incomplete: waits for n
    assert decoder.feed(b"\x04") == b"\x7e"
    assert decoder.finish().status_queries == [1, 4]


def test_unknown_command_is_recorded_and_text_continues():
    job = decode(b"\x1b@\x1bZabc\n")
    assert job.unknown == [b"\x1bZ"]
    assert job.lines == ["abc"]


def test_drawer_pulses_both_commands():
    job = decode(b"\x1bp\x00\x32\x32\x1bp\x01\x19\xfa\x10\x14\x01\x00\x05")
    assert job.drawer_pulses == [2, 5, 2]


def test_barcode_and_tabs():
    job = decode(b"a\tb\n\x1dk\x04CODE39\x00\x1dkI\x03abc")
    assert job.lines == ["a       b"]
    assert ("barcode", "CODE39") in job.events and ("barcode", "abc") in job.events


@freeze_time("2024-05-17 19:42:00")
def test_job_records_when_it_arrived():
    assert decode(b"x\n").received_at.isoformat() == "2024-05-17T19:42:00+00:00"


def test_text_preview_marks_cuts_qr_and_drawer():
    text = decode(render(sample_receipt(), TM_T20II) + drawer_pulse(TM_T20II)).text()
    assert "[QR https://store.example/r/" in text
    assert text.endswith("[partial cut]\n[drawer pulse pin 2]")
