"""A real uvicorn server in a thread, for websockets and browsers, and the edge's websocket
feed signed in as the pages sign it in."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from edge.runtime.server import WS_DEFLATE, WebSocketProtocol


@contextmanager
def serve(app, **options: Any) -> Iterator[str]:
    """Run `app` on a free 127.0.0.1 port until the block ends; yields its base URL. `options`
    go to uvicorn.Config (a log level, a log config). Websockets as the box serves them
    (`edge.runtime.server`): its protocol, which writes ready frames, and no compression."""
    config = uvicorn.Config(
        app,
        **{
            "host": "127.0.0.1",
            "port": _free_port(),
            "log_level": "warning",
            "lifespan": "on",
            "ws": WebSocketProtocol,
            "ws_per_message_deflate": WS_DEFLATE,
            **options,
        },
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    pause = threading.Event()
    for _ in range(200):  # readiness polling, at most ~10 s
        if server.started or not thread.is_alive():
            break
        pause.wait(0.05)
    if not server.started:
        server.should_exit = True
        thread.join(5)
        raise RuntimeError("uvicorn did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _free_port() -> int:
    """0 (any free port), or the first free one of `GALLEY_TEST_PORTS` ("19400-19499"): a
    machine shared by several runs gives each its own range."""
    given = os.environ.get("GALLEY_TEST_PORTS")
    if not given:
        return 0
    first, last = (int(p) for p in given.split("-"))
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in GALLEY_TEST_PORTS={given}")


@asynccontextmanager
async def feed(
    url: str, token: str | None, query: str = "", path: str = "/ws", **options: Any
) -> AsyncIterator[ClientConnection]:
    """The websocket feed of the edge at `url` (http://...), its first message the sign-in's
    `token` (none sent when None). `options` go to `websockets.connect`: a client that reads
    only the first of a long backlog gives `max_queue=None`, or it stops reading once 16 wait
    and its close waits 10 s for an answer it does not read. `path`: a table guest's feed is
    `/api/guest/ws` (its `token` a guest token)."""
    address = url.replace("http", "ws", 1) + path + (f"?{query}" if query else "")
    async with connect(address, **options) as ws:
        if token is not None:
            await ws.send(json.dumps({"type": "auth", "token": token}))
        yield ws
