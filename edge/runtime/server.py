"""Serving the edge app with uvicorn, the interpreter tuned for how the box spends its time.

One process does everything: the event loop answers HTTP and the writer thread runs SQLite, on
the same core under load (a Pi has four, but the tills, screens and printers share them).
"""

from __future__ import annotations

import ctypes
import gc
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from edge.core import db
from edge.runtime.systemd import Notifier

# The writer gives up the GIL on every SQLite call and then waits to get it back from a busy
# event loop, by default for up to 5 ms. A shorter interval measured about 10 % more orders/s
# (1,520 -> 1,660-1,700 on 20 clients).
SWITCH_INTERVAL_S = 0.0002
# Orders make many short-lived dicts; the collector's default (a young collection every 700 net
# allocations, and full ones walking every object the process ever imported) cost about 5 % of
# the CPU and 31 ms pauses that set the p99 (26 ms -> 13 ms with these settings, measured).
YOUNG_COLLECTION_EVERY = 10_000
# Websocket messages go out uncompressed. With permessage-deflate (uvicorn's default, and every
# browser asks for it) each socket compresses each event again in its own zlib stream: with 20
# kitchen screens and 200 phones following, that was 30 % of the event loop's time at 20 orders
# a second (kds_latency, cProfile), to save a kilobyte a message on the store's own Wi-Fi.
WS_DEFLATE = False
# No proxy stands in front of the box: the tills, screens and phones reach it themselves, so
# X-Forwarded-* headers are not read (uvicorn reads them by default from 127.0.0.1, in one more
# layer around every request: ~2 % of the loop's time in the checkout benchmark, py-spy).
PROXY_HEADERS = False
# glibc's malloc heaps (`cap_malloc_arenas`), and mallopt's number for their most.
MALLOC_ARENAS = 2
M_ARENA_MAX = -8


# The key of a `websocket.send` message's frame, made beforehand (`text_message`).
FRAME = "galley.frame"


def text_message(text: str) -> dict[str, Any]:
    """The ASGI message that sends `text` on a websocket, with its frame as the server sends it
    (unmasked, uncompressed): the same bytes for every socket, so an event sent to hundreds of
    them is framed once. Any ASGI server sends the text; ours (`WebSocketProtocol`) writes the
    frame."""
    frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
    return {"type": "websocket.send", "text": text, FRAME: frame}


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol (websockets' sans-I/O one, its default), which writes a
    message's ready frame (`text_message`) to the socket as it is. Through Starlette, uvicorn
    and websockets, framing each send again took about a third of a send's CPU, and an order
    is some 240 sends with 20 kitchen screens and 200 phones following (kds_latency). Anything
    else, a socket that is not open, or one whose writes wait for the client to read (uvicorn's
    flow control) or that compresses (permessage-deflate) goes uvicorn's way."""

    async def send(self, message: Any) -> None:
        frame = message.get(FRAME)
        if (
            frame is not None
            and self.handshake_complete
            and not (self.close_sent or self.disconnected or self.initial_response)
            and self.writable.is_set()
            and self.conn.state is State.OPEN
            and not self.conn.extensions
        ):
            self.transport.write(frame)
            return
        await super().send(message)


def tune_interpreter() -> None:
    """Call once, after the app is built and before serving (the app opens no database yet)."""
    cap_malloc_arenas()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.collect()
    db.tune_sqlite()  # after the collection: it frees connections that setup left behind
    gc.freeze()  # what exists now (modules, routes, the app) lives as long as the process
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 10, 10)


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Have glibc's malloc keep at most `arenas` heaps, before the box starts its threads; True
    if it took the setting (another C library: False, nothing changed). By default each thread
    that allocates gets a heap of its own (8 per core), and memory freed in one is seldom given
    back to the system: with the sync reading and encoding batches in worker threads beside the
    writer, the box took 200 MB after 10,000 orders (71 MB without the sync), of which a peak
    of 93 MB was in use (memray); 142 MB with two heaps, and 4 % more orders a second."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (AttributeError, OSError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))


class _Server(uvicorn.Server):
    """uvicorn that tells systemd when it serves and when it stops (see `edge.runtime.systemd`)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started
        self._systemd = Notifier()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._systemd.ready()
            if self._on_started is not None:
                self._on_started()

    async def shutdown(self, sockets: Any = None) -> None:
        self._systemd.stopping()
        await super().shutdown(sockets)


def run(app: Starlette, *, on_started: Callable[[], None] | None = None, **options: Any) -> bool:
    """`uvicorn.run(app, **options)` with the interpreter tuned first; False if it could not
    start (uvicorn has logged why: the port is taken, say). `on_started` is called once the
    server listens: the demo prints its addresses only then, so that they answer."""
    tune_interpreter()
    options.setdefault("ws_per_message_deflate", WS_DEFLATE)
    options.setdefault("ws", WebSocketProtocol)
    options.setdefault("proxy_headers", PROXY_HEADERS)
    server = _Server(uvicorn.Config(app, **options), on_started)
    # uvicorn stops gracefully on SIGTERM, then raises it again: by default that ends the
    # process at once, and its callers' clean-ups (the demo's hub process) would not run
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit) if main else None
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn stopped gracefully on Ctrl-C, then raised it again: the way out here
    except SystemExit:
        if server.started:
            raise
        # uvicorn exits when it cannot start (it logged why): the caller says what to do
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    return server.started


def _exit(signum: int, frame: Any) -> None:
    """SIGTERM, raised again by uvicorn once it stopped: leave through the callers' clean-ups."""
    raise SystemExit(0)
