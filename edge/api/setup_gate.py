"""A box that waits for its store's setup from the hub is closed to trade until it has it.

A replacement box is enrolled with no store of its own (`identity.awaiting_setup`): until its
first whole pull has brought the store's settings, menu, staff and tables, every page and API
call answers 503 `waiting_for_hub` with what it waits for (the hub not answering, say), and a
websocket is refused; `/healthz` tells the same in `setup`. A half-made store (no menu yet, or
no staff to sign in) is never shown. A box set up here (`galley edge init`) never waits.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

OPEN = ("/healthz", "/openapi.json")  # what a technician reads while the box waits
RETRY_S = 10


class WaitingForHub:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        box = getattr(scope["app"].state, "box", None) if scope["type"] != "lifespan" else None
        if box is None or not box.sync.awaiting_setup or scope["path"] in OPEN:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # try again later
            return
        message = box.sync.setup()["message"]
        await _answer(scope["path"], message)(scope, receive, send)


def _answer(path: str, message: str) -> Response:
    headers = {"Retry-After": str(RETRY_S)}
    if path.startswith("/api/"):
        error = {"error": {"code": "waiting_for_hub", "message": message}}
        return JSONResponse(error, 503, headers=headers)
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{RETRY_S}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Galley: waiting for the hub</title><h1>Waiting for the hub</h1>"
        f"<p>{escape(message)}"
        "<p>This page opens by itself once the store's setup has arrived.</html>"
    )
    return HTMLResponse(page, 503, headers=headers)
