"""A network receipt printer in software: TCP 9100, decodes what it receives.

Used by the tests (a real socket, real bytes, no mocks of our own code), by
``galley demo`` and by anyone without a printer on the desk. It can be told to
misbehave the ways real printers do:

- ``offline``: stops listening, so connects are refused (a printer switched off);
- ``paper_out``: answers status "paper end" and prints nothing;
- ``cover_open``: answers status "cover open" and prints nothing;
- ``slow_ms``: waits that long after each chunk it reads (a busy printer);
- ``cut_after``: drops the next connection that reaches that many bytes, once (a cable pulled
  or a printer switched off mid-job); it prints what it got, as a real printer prints what
  reached it, and forgets the setting;
- ``paper_ends_after``: the paper runs out once a connection has brought that many bytes, once:
  it prints what came before, says "paper end" from then on and, its buffer full, takes the
  rest of that connection without answering (a status asked after the job goes unanswered).

In an async test::

    emulator = Emulator(port=0)
    await emulator.start()
    ...                      # send to ("127.0.0.1", emulator.port)
    await emulator.wait_for_jobs(1)
    await emulator.stop()

In a sync test, ``with run_in_thread(port=0) as emulator:`` runs the same
server on its own event loop thread. From the command line:
``galley printer emulate --port 9100 [--host H] [--profile P] [--png-dir DIR] [--paper-out]
[--offline] [--slow-ms N] [--cut-after N]``. ``--profile`` takes the edge's profile names
(``generic-58mm``) or any python-escpos one (``POS-5890``); it sets the code pages the emulator
decodes with and the columns its PNG previews are drawn at.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from escpos.capabilities import get_profile as get_escpos_profile

from printers.decoder import Decoder, Job
from printers.profiles import PROFILES
from printers.status import PrinterStatus

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PORT = 9100


class Emulator:
    """An asyncio TCP printer; each connection is one ``Job``.

    ``jobs`` holds what came out of the printer; ``discarded`` holds jobs that
    arrived while it could not print (paper out, cover open). Connections that
    only asked for status appear in neither.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        escpos_profile: str = "TM-T20II",
        paper_out: bool = False,
        paper_near_end: bool = False,
        cover_open: bool = False,
        offline: bool = False,
        slow_ms: int = 0,
        cut_after: int | None = None,
        paper_ends_after: int | None = None,
        chunk_size: int = 256,
        on_job: Callable[[Job], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.escpos_profile = escpos_profile
        self.paper_out = paper_out
        self.paper_near_end = paper_near_end
        self.cover_open = cover_open
        self.slow_ms = slow_ms
        self.cut_after = cut_after
        self.paper_ends_after = paper_ends_after
        self.chunk_size = chunk_size
        self.on_job = on_job
        self.jobs: list[Job] = []
        self.discarded: list[Job] = []
        # (first byte, last byte) as time.monotonic() for each printed job, as in ``jobs``.
        self.job_times: list[tuple[float, float]] = []
        self._offline = offline
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed: asyncio.Condition | None = None
        self._stopping: asyncio.Event | None = None
        self._started = False

    # -- state ---------------------------------------------------------------

    @property
    def offline(self) -> bool:
        """True while the printer refuses connections."""
        return self._offline

    def status(self) -> PrinterStatus:
        """What the printer answers to DLE EOT right now."""
        blocked = self.paper_out or self.cover_open
        return PrinterStatus(
            online=not blocked,
            paper_near_end=self.paper_near_end or self.paper_out,
            paper_out=self.paper_out,
            cover_open=self.cover_open,
        )

    async def set_offline(self, offline: bool) -> None:
        """Switch the printer off (refuse and drop connections) or back on."""
        self._offline = offline
        if not self._started:
            return
        if offline:
            await self._close_server()
            for writer in list(self._connections):
                writer.transport.abort()
        elif self._server is None:
            await self._listen()

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        """Start listening (unless created offline); ``port=0`` picks a free port."""
        self._changed = asyncio.Condition()
        self._stopping = asyncio.Event()
        self._started = True
        if not self._offline:
            await self._listen()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("printer emulator listening on %s:%s", self.host, self.port)

    async def _close_server(self) -> None:
        # Let accepts already under way reach ``_handle`` first (it drops them
        # when offline or stopping): CPython 3.11 leaks, unclosed and silent, a
        # connection accepted in the same tick as ``Server.close``.
        for _ in range(3):
            await asyncio.sleep(0)
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def stop(self) -> None:
        """Stop listening, drop connections and wait for their handlers."""
        self._started = False  # late connections are dropped, not handled
        await self._close_server()
        for writer in list(self._connections):
            writer.transport.abort()
        if self._stopping is not None:
            self._stopping.set()  # wakes a slow printer sleeping between chunks
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[Job]:
        """Wait until ``count`` jobs were printed (or discarded); return the printed ones."""
        assert self._changed is not None, "start() first"

        def enough() -> bool:
            return len(self.jobs) + len(self.discarded) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), timeout)
        return list(self.jobs)

    # -- one connection ------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._offline or not self._started:  # accepted just before going off
            writer.transport.abort()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._connections.add(writer)
        peer = writer.get_extra_info("peername")
        job = Job(peer=f"{peer[0]}:{peer[1]}" if peer else "")
        decoder = Decoder(job, status=self.status, escpos_profile=self.escpos_profile)
        first = last = 0.0
        received = 0
        try:
            while True:
                data = await reader.read(self.chunk_size)
                if not data:
                    break
                last = time.monotonic()
                first = first or last
                cut = self.cut_after
                if cut is not None and received + len(data) >= cut:
                    self.cut_after = None  # once: the job sent again goes through
                    decoder.feed(data[: max(0, cut - received)])
                    writer.transport.abort()  # a reset: the sender's next write or read fails
                    break
                ends = self.paper_ends_after
                if ends is not None and received + len(data) >= ends:
                    self.paper_ends_after = None  # once: with paper put back, it prints again
                    decoder.feed(data[: max(0, ends - received)])
                    self.paper_out = True
                    while await reader.read(self.chunk_size):
                        pass  # its buffer full, the status asked after the job never answered
                    break
                received += len(data)
                if self.slow_ms:
                    await self._pause(self.slow_ms / 1000)
                reply = decoder.feed(data)
                if reply:
                    writer.write(reply)
                    await writer.drain()
        except (ConnectionError, OSError):
            log.debug("connection from %s dropped", job.peer)
        finally:
            self._connections.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
            await self._record(decoder.finish(), (first, last))
            if task is not None:
                self._tasks.discard(task)

    async def _pause(self, seconds: float) -> None:
        """Sleep like a busy printer, but wake up at once when stopping."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _record(self, job: Job, times: tuple[float, float] = (0.0, 0.0)) -> None:
        if not job.has_output:
            return
        job.printed = self.status().can_print
        (self.jobs if job.printed else self.discarded).append(job)
        if job.printed:
            self.job_times.append(times)
        if self.on_job is not None:
            self.on_job(job)
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()


async def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT, **options: Any) -> None:
    """Run an emulator until cancelled."""
    emulator = Emulator(host, port, **options)
    await emulator.start()
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


# --- for synchronous tests ---------------------------------------------------


class ThreadedEmulator:
    """An ``Emulator`` on its own event loop in a background thread.

    Attribute reads (``jobs``, ``port``) go straight to the emulator; methods
    that touch sockets are run on the emulator's loop and waited for.
    """

    def __init__(self, **options: Any) -> None:
        options.setdefault("port", 0)
        self.emulator = Emulator(**options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    _FORWARDED = frozenset(
        {
            "paper_out",
            "paper_near_end",
            "cover_open",
            "slow_ms",
            "cut_after",
            "paper_ends_after",
            "on_job",
        }
    )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.emulator, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._FORWARDED:
            setattr(self.emulator, name, value)
        else:
            super().__setattr__(name, value)

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> ThreadedEmulator:
        """Start the loop thread and the server."""
        self._thread.start()
        self._call(self.emulator.start())
        return self

    def stop(self) -> None:
        """Stop the server, then the loop, then join the thread."""
        try:
            self._call(self.emulator.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def set_offline(self, offline: bool) -> None:
        """See ``Emulator.set_offline``."""
        self._call(self.emulator.set_offline(offline))

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[Job]:
        """See ``Emulator.wait_for_jobs``."""
        return self._call(self.emulator.wait_for_jobs(count, timeout), timeout + 1)

    def __enter__(self) -> ThreadedEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def run_in_thread(**options: Any) -> Iterator[ThreadedEmulator]:
    """Run an emulator (on a free port unless ``port`` is given) for a sync test."""
    emulator = ThreadedEmulator(**options).start()
    try:
        yield emulator
    finally:
        emulator.stop()


# --- command line --------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """The printer the command line emulates: its python-escpos profile (code pages) and the
    columns of its paper (font A), which the PNG previews are drawn at."""

    escpos_profile: str
    columns: int


def printer_model(name: str) -> Model:
    """``--profile``: an edge profile name (``generic-58mm``, as set on the printer) or a
    python-escpos one (``POS-5890``)."""
    known = PROFILES.get(name)
    if known is not None:
        return Model(known.escpos_profile, known.columns)
    try:
        return Model(name, get_escpos_profile(name).get_columns(0))
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"unknown printer profile {name!r}; use one of {', '.join(PROFILES)}"
            " or a python-escpos profile name"
        ) from None


_FEED_BEFORE_CUT = re.compile(r"\n+(\n\[\w+ cut\])")


def framed(job: Job, title: str, columns: int = 48) -> str:
    """The job's text in a box as wide as its paper (`columns`, or its longest line), `title`
    on the top edge: one printed ticket stands out among a server's other output. The blank
    feed before a cut (paper pushed past the cutter) is left out."""
    lines = _FEED_BEFORE_CUT.sub(r"\1", job.text()).splitlines()
    width = max([columns, len(title) + 2, *(len(line) for line in lines)])
    top = f"┌─ {title} " + "─" * (width - len(title) - 1) + "┐"
    body = [f"│ {line.ljust(width)} │" for line in lines]
    return "\n".join([top, *body, "└" + "─" * (width + 2) + "┘"])


def _print_job(job: Job, png_dir: Path | None, columns: int, count: list[int]) -> None:
    count[0] += 1
    state = "printed" if job.printed else "NOT printed (printer cannot print)"
    print(f"--- job {count[0]} from {job.peer}, {len(job.raw)} bytes, {state} ---")
    print(job.text())
    if png_dir is not None:
        from printers.preview import preview_png

        path = png_dir / f"job-{count[0]:04d}.png"
        path.write_bytes(preview_png(job, columns))
        print(f"[preview {path}]")
    sys.stdout.flush()


def build_parser() -> argparse.ArgumentParser:
    """Options of ``galley printer emulate``."""
    parser = argparse.ArgumentParser(
        prog="galley printer emulate",
        description="Run a network ESC/POS printer emulator and print each job it receives.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (9100)")
    parser.add_argument(
        "--profile",
        type=printer_model,
        default="TM-T20II",
        help=f"{', '.join(PROFILES)} or a python-escpos profile name; default TM-T20II",
    )
    parser.add_argument("--paper-out", action="store_true", help="report paper end, print nothing")
    parser.add_argument("--offline", action="store_true", help="refuse connections")
    parser.add_argument("--slow-ms", type=int, default=0, help="delay after each chunk read")
    parser.add_argument(
        "--cut-after",
        type=int,
        metavar="N",
        help="drop the first job that reaches N bytes there, once, printing what came",
    )
    parser.add_argument("--png-dir", type=Path, help="also save a PNG preview of each job here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``galley printer emulate``; runs until Ctrl-C."""
    args = build_parser().parse_args(argv)
    count = [0]
    if args.png_dir is not None:
        args.png_dir.mkdir(parents=True, exist_ok=True)
    options = {
        "escpos_profile": args.profile.escpos_profile,
        "paper_out": args.paper_out,
        "offline": args.offline,
        "slow_ms": args.slow_ms,
        "cut_after": args.cut_after,
        "on_job": lambda job: _print_job(job, args.png_dir, args.profile.columns, count),
    }
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run_forever(Emulator(args.host, args.port, **options)))
    return 0


async def _run_forever(emulator: Emulator) -> None:
    await emulator.start()
    where = "offline" if emulator.offline else f"listening on {emulator.host}:{emulator.port}"
    print(f"printer emulator {where} (Ctrl-C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
