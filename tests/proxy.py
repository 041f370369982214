"""A TCP proxy on 127.0.0.1 that puts network faults between a client and a real server.

Tests put it in front of a real uvicorn (`tests.live.serve`) to play what a store's flaky Wi-Fi
does to a request: a connection closed at once (`drop`), a slow link (`delay`), or, worst for
writes, a connection cut once the server has started to answer (`cut_answer_after`): the server
did the work, the client never heard. Each new connection takes the next fault queued with
`inject` (none queued: it passes untouched); `connections` records what happened to each.
It speaks TCP, not HTTP, so it serves any protocol (the sync client's calls to the hub too).

    with serve(app) as url, FaultProxy(url) as proxy:
        proxy.inject(Fault(cut_answer_after=0))
        httpx.post(f"{proxy.url}/api/orders", ...)  # raises: the answer never arrives
        assert proxy.connections[0].answered        # though the server sent one

It runs an event loop of its own in a thread, so sync tests (Playwright, httpx.Client) and
async ones alike can use it. Loopback only: it listens on 127.0.0.1 and forwards only to a
loopback upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fault:
    """What the proxy does to one connection; the default forwards everything untouched.

    `drop`: close the client's connection at once; nothing reaches the server. `delay`: hold
    the connection this many seconds before it is forwarded. `cut_answer_after`: once the
    server's answer has started, forward this many of its bytes (0: none) and close both sides.
    """

    drop: bool = False
    delay: float = 0.0
    cut_answer_after: int | None = None


@dataclass
class Connection:
    """What happened to one connection."""

    fault: Fault
    sent: int = 0  # bytes of the client's that reached the server
    answered: int = 0  # bytes the server answered, forwarded or not
    forwarded: int = 0  # bytes of the answer that reached the client
    cut: bool = False  # the proxy closed it on the client (dropped, or cut)


class FaultProxy:
    """`with FaultProxy("http://127.0.0.1:PORT") as proxy:` listens on `proxy.url` until the
    block ends, forwarding each connection to the upstream with the next fault `inject`ed."""

    def __init__(self, upstream: str) -> None:
        address = urlsplit(upstream if "//" in upstream else f"//{upstream}")
        if not address.hostname or not ipaddress.ip_address(address.hostname).is_loopback:
            raise ValueError(f"the proxy forwards to loopback only, not {upstream}")
        self.upstream = (address.hostname, address.port or 80)
        self.scheme = address.scheme or "http"
        self.port = 0
        self.connections: list[Connection] = []
        self.down = False  # partitioned: every connection is dropped (`partition`, `heal`)
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._open: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def inject(self, *faults: Fault) -> None:
        """The next connections' faults, in the order they connect."""
        with self._lock:
            self._faults.extend(faults)

    def partition(self) -> None:
        """Cut the link: open connections close at once, new ones are dropped, until `heal`."""
        self.down = True
        self.close_open()

    def heal(self) -> None:
        self.down = False

    def close_open(self) -> None:
        """Close the open connections (a client's kept-alive ones): its next request opens a
        new one, which takes the next fault. Returns once they are closed."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._cut_open(), self._loop).result(10)

    async def _cut_open(self) -> None:
        tasks = list(self._open)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10) or not self.port:
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            self._ready.set()  # also when it failed to start: __enter__ stops waiting
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            for task in list(self._open):
                task.cancel()
            await asyncio.gather(*self._open, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._open.add(task)
        with self._lock:
            fault = self._faults.popleft() if self._faults else Fault()
        record = Connection(fault)
        self.connections.append(record)
        try:
            if fault.drop or self.down:
                record.cut = True
                return
            if fault.delay:
                await asyncio.sleep(fault.delay)
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            try:
                request = asyncio.create_task(self._request(reader, up_writer, record))
                await self._answer(up_reader, writer, record)
                request.cancel()
                await asyncio.gather(request, return_exceptions=True)
            finally:
                await _close(up_writer)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client or the server went away, or the proxy is stopping
        finally:
            await _close(writer)
            self._open.discard(task)

    @staticmethod
    async def _request(
        reader: asyncio.StreamReader, upstream: asyncio.StreamWriter, record: Connection
    ) -> None:
        """The client's bytes to the server, until the client has said all it will."""
        while chunk := await reader.read(CHUNK):
            upstream.write(chunk)
            await upstream.drain()
            record.sent += len(chunk)
        if upstream.can_write_eof():
            upstream.write_eof()

    @staticmethod
    async def _answer(
        upstream: asyncio.StreamReader, writer: asyncio.StreamWriter, record: Connection
    ) -> None:
        """The server's bytes to the client, until the server closes or the fault cuts."""
        limit = record.fault.cut_answer_after
        while chunk := await upstream.read(CHUNK):
            record.answered += len(chunk)
            if limit is not None:
                chunk = chunk[: max(limit - record.forwarded, 0)]
            writer.write(chunk)
            await writer.drain()
            record.forwarded += len(chunk)
            if limit is not None and record.forwarded >= limit:
                record.cut = True
                return


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
