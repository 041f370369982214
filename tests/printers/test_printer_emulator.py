"""Round trips through a real TCP socket: render -> transport -> emulator -> decoded job."""

from __future__ import annotations

import asyncio
import io
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest
from printer_samples import ACCENTED, sample_documents, sample_receipt, sample_ticket

from printers.decoder import decode
from printers.documents import TestPage
from printers.emulator import Emulator, build_parser, run_in_thread
from printers.errors import PaperOut, PrinterOffline
from printers.preview import preview_png
from printers.profiles import GENERIC_58MM, TM_T20II, TM_T88V
from printers.render import drawer_pulse, render
from printers.transports import STATUS_QUESTIONS, NetworkTransport, SerialTransport

ROOT = Path(__file__).resolve().parents[2]


def deliver(port: int, *jobs: bytes, **options) -> object:
    """What the print worker does: connect, send, read status, close."""
    transport = NetworkTransport("127.0.0.1", port, **options)
    try:
        for data in jobs:
            transport.send(data)
        return transport.read_status()
    finally:
        transport.close()


async def test_accented_text_cut_and_qr_survive_the_wire(emulator):
    data = render(TestPage(lines=(*ACCENTED, "Pizza 🍕 拉面")), TM_T20II)
    status = await asyncio.to_thread(deliver, emulator.port, data)
    [job] = await emulator.wait_for_jobs(1)
    for text in ACCENTED:
        assert text in job.lines
    assert not [line for line in job.lines if "?" in line]  # "Pizza 🍕 拉面" is drawn
    assert len(job.images) == 1
    assert job.cuts == ["partial"]
    assert job.qr == ["GALLEY TEST PAGE"]
    assert bytes(job.raw).startswith(data)
    assert status is not None and status.can_print


async def test_receipt_round_trip_equals_local_decoding(emulator):
    receipt = sample_receipt()
    data = render(receipt, TM_T88V)
    await asyncio.to_thread(deliver, emulator.port, data, drawer_pulse(TM_T88V, 2))
    [job] = await emulator.wait_for_jobs(1)
    assert job.lines == decode(data).lines
    assert job.qr == [receipt.qr_payload]
    assert job.drawer_pulses == [2]
    assert "TOTAL                               €27.90" in job.lines


async def test_every_document_round_trips(emulator):
    documents = sample_documents()
    for document in documents.values():
        await asyncio.to_thread(deliver, emulator.port, render(document, TM_T20II))
    jobs = await emulator.wait_for_jobs(len(documents))
    assert [job.lines for job in jobs] == [
        decode(render(document, TM_T20II)).lines for document in documents.values()
    ]
    assert all(job.cuts == ["partial"] and not job.unknown for job in jobs)


async def test_status_only_connections_are_not_jobs(emulator):
    status = await asyncio.to_thread(deliver, emulator.port)
    assert status is not None and status.can_print
    await asyncio.to_thread(deliver, emulator.port, render(sample_ticket(), TM_T20II))
    await emulator.wait_for_jobs(1)
    assert len(emulator.jobs) == 1


async def test_paper_out_is_reported_and_nothing_prints(emulator):
    emulator.paper_out = True
    status = await asyncio.to_thread(deliver, emulator.port, render(sample_receipt(), TM_T20II))
    assert status.paper_out and not status.online and not status.can_print
    with pytest.raises(PaperOut):
        status.raise_for_status()
    await emulator.wait_for_jobs(1)
    assert emulator.jobs == [] and len(emulator.discarded) == 1
    assert not emulator.discarded[0].printed

    emulator.paper_out = False  # paper refilled: the queue retries
    await asyncio.to_thread(deliver, emulator.port, render(sample_receipt(), TM_T20II))
    assert len(await emulator.wait_for_jobs(2)) == 1


async def test_offline_printer_refuses_within_the_timeout(emulator):
    port = emulator.port
    await emulator.set_offline(True)
    started = time.monotonic()
    with pytest.raises(PrinterOffline):
        await asyncio.to_thread(deliver, port, b"\x1b@x\n", connect_timeout=1.0)
    assert time.monotonic() - started < 1.0

    await emulator.set_offline(False)  # switched back on, same address
    assert emulator.port == port
    await asyncio.to_thread(deliver, port, b"\x1b@back\n")
    [job] = await emulator.wait_for_jobs(1)
    assert job.lines == ["back"]


async def test_going_offline_drops_open_connections(emulator):
    transport = NetworkTransport("127.0.0.1", emulator.port, status_timeout=2.0)
    try:
        await asyncio.to_thread(transport.send, b"\x1b@half a job")
        await emulator.set_offline(True)
        with pytest.raises(PrinterOffline):
            await asyncio.to_thread(transport.read_status)
    finally:
        transport.close()


async def test_slow_printer_still_prints_but_status_can_time_out():
    emulator = Emulator("127.0.0.1", 0, slow_ms=200, chunk_size=64)
    await emulator.start()
    try:
        status = await asyncio.to_thread(
            deliver, emulator.port, render(sample_ticket(), TM_T20II), status_timeout=0.05
        )
        assert status is None  # the answer is still queued behind the job
        [job] = await emulator.wait_for_jobs(1, timeout=30)
        assert "2x Burger" in job.lines
    finally:
        await emulator.stop()


async def test_a_connection_cut_after_n_bytes_prints_what_the_printer_got_once(emulator):
    """`cut_after`: the printer (or the network to it) drops the connection once it has 150
    bytes, as a cable pulled mid-job; it prints what it got, as a real printer prints what
    reached it. The next connection goes through whole."""
    data = render(sample_ticket(), TM_T20II)
    emulator.cut_after = 150
    with pytest.raises(PrinterOffline):
        await asyncio.to_thread(deliver, emulator.port, data)
    [cut] = await emulator.wait_for_jobs(1)
    assert bytes(cut.raw) == data[:150] and cut.printed and cut.lines
    assert "2x Burger" not in cut.lines and emulator.cut_after is None
    await asyncio.to_thread(deliver, emulator.port, data)
    [_, whole] = await emulator.wait_for_jobs(2)
    assert bytes(whole.raw) == data + STATUS_QUESTIONS and "2x Burger" in whole.lines


def test_sync_tests_use_a_threaded_emulator():
    with run_in_thread() as emulator:
        deliver(emulator.port, render(sample_ticket(), TM_T20II))
        [job] = emulator.wait_for_jobs(1)
        assert "Terrace 12" in job.lines

        emulator.paper_out = True
        status = deliver(emulator.port)
        assert status.paper_out

        emulator.set_offline(True)
        with pytest.raises(PrinterOffline):
            deliver(emulator.port, b"x")


def test_serial_transport_over_socket_url_reaches_the_emulator():
    with run_in_thread(cover_open=True) as emulator:
        transport = SerialTransport(f"socket://127.0.0.1:{emulator.port}", status_timeout=2.0)
        transport.send(render(TestPage(lines=("Müller",)), TM_T20II))
        status = transport.read_status()
        transport.close()
        assert status.cover_open and not status.online
        emulator.wait_for_jobs(1)
        assert "Müller" in emulator.discarded[0].lines


def test_preview_png(tmp_path):
    job = decode(render(sample_receipt(), TM_T20II))
    png = preview_png(job, TM_T20II.columns)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    (tmp_path / "r.png").write_bytes(png)
    with Image.open(tmp_path / "r.png") as image:
        assert image.width == 48 * 7 + 24 and image.height > 400


def test_preview_keeps_the_printers_grid_wraps_at_its_edge_and_scales():
    from PIL import Image

    def size(png: bytes) -> tuple[int, int]:
        with Image.open(io.BytesIO(png)) as image:
            return image.size

    ticket = decode(render(sample_ticket(), TM_T20II))
    on_paper = size(preview_png(ticket, 48))
    # The same 48-column bytes on a 32-column printer: narrower paper, wrapped lines, longer.
    narrow = size(preview_png(ticket, 32))
    assert narrow[0] == 32 * 7 + 24 and narrow[1] > on_paper[1]
    assert size(preview_png(ticket, 48, scale=2)) == (2 * on_paper[0], 2 * on_paper[1])


QR_SAMPLES = {"receipt": "qr_payload", "table_qr_tent": "url", "test_page": None}


@pytest.mark.parametrize("profile", [TM_T20II, TM_T88V, GENERIC_58MM], ids=lambda p: p.name)
@pytest.mark.parametrize("name", QR_SAMPLES)
@pytest.mark.parametrize("scale", [1, 2])
def test_a_qr_reader_scans_the_preview_of_every_printed_code(profile, name, scale):
    """A QR reader (zxing-cpp) in front of the preview finds each code, with what it holds. A
    58 mm printer without native QR prints its codes as images, which the preview showed as the
    word "[image]": the admin's preview of its receipts and table cards had no code on it."""
    import zxingcpp
    from PIL import Image

    document = sample_documents()[name]
    field = QR_SAMPLES[name]
    payload = getattr(document, field) if field else "GALLEY TEST PAGE"
    job = decode(render(document, profile), escpos_profile=profile.escpos_profile)
    png = preview_png(job, profile.columns, scale=scale)
    with Image.open(io.BytesIO(png)) as picture:
        codes = zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in codes] == [payload]


# Blank paper each side of a printed code, in modules: the symbol's own specification asks for
# 4, and a printer drawing the code itself adds none ("the user must secure the quiet zone").
QUIET_ZONE = 4


def _blank_around(picture, box, module: float) -> dict[str, float]:
    """Modules of blank paper from the code's edges (`box`: left, top, right, bottom) to the
    nearest ink or the paper's end, on each side."""
    left, top, right, bottom = box
    ink = picture.convert("L").point(lambda v: 255 if v < 128 else 0)
    width, height = picture.size
    sides = {
        "above": (left, 0, right + 1, top),
        "below": (left, bottom + 1, right + 1, height),
        "left": (0, top, left, bottom + 1),
        "right": (right + 1, top, width, bottom + 1),
    }
    blank = {}
    for side, area in sides.items():
        found = ink.crop(area).getbbox()  # the ink in that strip, if any
        if found is None:
            gap = area[3] - area[1] if side in ("above", "below") else area[2] - area[0]
        else:
            gap = {
                "above": area[3] - area[1] - found[3],
                "below": found[1],
                "left": area[2] - area[0] - found[2],
                "right": found[0],
            }[side]
        blank[side] = gap / module
    return blank


@pytest.mark.parametrize("profile", [TM_T20II, TM_T88V, GENERIC_58MM], ids=lambda p: p.name)
@pytest.mark.parametrize("name", ["receipt", "table_qr_tent"])
def test_every_printed_code_has_its_quiet_zone(profile, name):
    """A printed code needs 4 modules of blank paper around it. A printer that draws the code
    itself (GS ( k) adds none, and the line printed before it came within a module of its top;
    a phone's reader cannot tell where such a code begins. The preview draws a printer's code
    as the printer does, without a margin of its own, and shows the paper around it."""
    import segno
    import zxingcpp
    from PIL import Image

    document = sample_documents()[name]
    payload = getattr(document, QR_SAMPLES[name])
    job = decode(render(document, profile), escpos_profile=profile.escpos_profile)
    with Image.open(io.BytesIO(preview_png(job, profile.columns, scale=2))) as picture:
        found = zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
        (code,) = found
        at = code.position
        corners = (at.top_left, at.top_right, at.bottom_left, at.bottom_right)
        xs, ys = [p.x for p in corners], [p.y for p in corners]
        modules = segno.make(payload, error="m").symbol_size(border=0)[0]
        module = (max(xs) - min(xs) + 1) / modules
        blank = _blank_around(picture, (min(xs), min(ys), max(xs), max(ys)), module)
    assert code.text == payload
    assert all(gap >= QUIET_ZONE for gap in blank.values()), blank


def test_cli_options():
    args = build_parser().parse_args(
        ["--port", "9101", "--host", "0.0.0.0", "--paper-out", "--slow-ms", "5"]
        + ["--cut-after", "200"]
    )
    assert (args.port, args.host, args.paper_out, args.offline, args.slow_ms) == (
        9101,
        "0.0.0.0",
        True,
        False,
        5,
    )
    assert args.cut_after == 200 and build_parser().parse_args([]).cut_after is None


def _read_line(process: subprocess.Popen, deadline: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if selector.select(timeout=deadline - time.monotonic()):
                return process.stdout.readline()
        raise AssertionError("emulator CLI printed nothing in time")
    finally:
        selector.close()


def run_cli(png_dir: Path, data: bytes, *options: str) -> list[str]:
    """Start `python -m printers.emulator` with `options`, send it `data` as one job and return
    what it prints for that job, up to its `[preview ...]` line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    process = subprocess.Popen(
        [sys.executable, "-m", "printers.emulator", "--port", "0", "--png-dir", str(png_dir)]
        + list(options),
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 20
        first = _read_line(process, deadline)
        port = int(first.split("listening on 127.0.0.1:")[1].split()[0])
        deliver(port, data)
        lines: list[str] = []
        while not any(line.startswith("[preview") for line in lines):
            lines.append(_read_line(process, deadline).rstrip("\n"))
        return lines
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


def png_width(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return image.width


def test_cli_prints_each_decoded_job(tmp_path):
    lines = run_cli(tmp_path, render(TestPage(lines=("Señor Ñandú",)), TM_T20II))
    assert lines[0].startswith("--- job 1 from 127.0.0.1:")
    assert "Señor Ñandú" in lines and "[QR GALLEY TEST PAGE]" in lines
    assert png_width(tmp_path / "job-0001.png") == 48 * 7 + 24  # TM-T20II, the default


@pytest.mark.parametrize("name", [GENERIC_58MM.name, GENERIC_58MM.escpos_profile])
def test_cli_draws_the_png_at_the_columns_of_its_profile(tmp_path, name):
    """`--profile generic-58mm` (or python-escpos's `POS-5890`): 32-column paper in the PNG,
    the same picture the edge's preview draws of that job."""
    data = render(sample_ticket(), GENERIC_58MM)
    lines = run_cli(tmp_path, data, "--profile", name)
    assert "Terrace 12" in lines
    png = (tmp_path / "job-0001.png").read_bytes()
    assert png_width(tmp_path / "job-0001.png") == 32 * 7 + 24
    job = decode(data, escpos_profile=GENERIC_58MM.escpos_profile)
    assert png == preview_png(job, GENERIC_58MM.columns)


def test_cli_profile_sets_the_columns_and_unknown_names_are_refused(capsys):
    assert build_parser().parse_args(["--profile", "TM-T88V"]).profile.columns == 42
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--profile", "TM-NOPE"])
    assert "unknown printer profile 'TM-NOPE'" in capsys.readouterr().err
