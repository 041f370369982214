"""A real uvicorn server in a thread, for websockets and browsers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


@contextmanager
def serve(app) -> Iterator[str]:
    """Run `app` on a free 127.0.0.1 port until the block ends; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", ws="websockets-sansio"
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
