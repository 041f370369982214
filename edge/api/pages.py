"""What the box serves to browsers: the page folders' assets, and the headers on every answer.

Only page assets leave `ui/`: a file is served when it is of a type a page loads (`ASSETS`),
so the package's own files (`__init__.py`, byte code, notes, dotfiles) answer the same JSON 404
as any unknown path, with no hint that they exist. Each type's Content-Type is written here,
not guessed from the host's mime.types (which may lack woff2 or call JavaScript by an older
name), so a page loads the same on every box.

Every answer, the API's JSON and its errors included, carries the same headers
(`SecurityHeaders`): `nosniff`, so that no browser runs an answer as something it is not; one
Content-Security-Policy, so that a page runs only the box's own scripts and styles (no inline
script or style attribute, no eval), talks only to the box, and cannot be framed; and
`Referrer-Policy: same-origin`, so that a guest page's URL (a table's signed token) never
reaches another site, while the box's own calls keep their `Origin` (under `no-referrer` the
Fetch standard sends "null" on a POST, which would blind any check of it). The guest pages get
the same by being served by the same app.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The files a page loads, and the Content-Type each is sent with.
ASSETS = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
}


def is_asset(path: str) -> bool:
    """Whether `path` (relative to a page folder) names a file a page may load."""
    name = PurePath(path)
    return name.suffix in ASSETS and not any(part.startswith(".") for part in name.parts)


class Pages(StaticFiles):
    """One page folder's assets, which browsers revalidate each time, so an updated box never
    runs old JS. Any other file is not there, as far as a browser can tell."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        try:
            full_path, found = super().lookup_path(path)
        except PermissionError:  # Starlette would answer 401: a hint that the file exists
            return "", None
        # The name asked for and the file it leads to (through a link) must both be assets.
        is_file = found is not None and stat.S_ISREG(found.st_mode)
        if is_file and not (is_asset(path) and is_asset(os.path.basename(full_path))):
            return "", None
        return full_path, found

    def file_response(
        self, full_path: Any, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = FileResponse(
            full_path,
            status_code=status_code,
            stat_result=stat_result,
            media_type=ASSETS[PurePath(full_path).suffix],
            headers={"Cache-Control": "no-cache"},
        )
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


def ui_dir() -> Path:
    return Path(str(resources.files("ui")))


def routes() -> list[Mount]:
    """The page folders: the manager's pages at /admin, the till's at /pos, the kitchen's
    screens at /kds, and every folder of ui/ (the shared modules in ui/lib, each surface's own
    files) under /ui. A new surface mounts here."""
    ui = ui_dir()
    return [
        Mount("/admin", Pages(directory=ui / "admin", html=True), name="admin"),
        Mount("/waiter", Pages(directory=ui / "waiter", html=True), name="waiter"),
        Mount("/pos", Pages(directory=ui / "pos", html=True), name="pos"),
        Mount("/kds", Pages(directory=ui / "kds", html=True), name="kds"),
        Mount("/ui", Pages(directory=ui), name="ui"),
    ]


# `connect-src 'self'` covers a same-origin websocket under CSP 3 (Chromium, Firefox); Safari
# before 15.4 needs it named, so the page's own host is added (when it is a plain host name).
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; manifest-src 'self'; connect-src 'self'{websocket}; form-action 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HOST = re.compile(rb"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
SAME_FOR_ALL = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]


@functools.lru_cache(maxsize=64)  # a box is reached by a few names; any other costs a miss
def policy(host: bytes, secure: bool) -> bytes:
    """The Content-Security-Policy of an answer to a page that came from `host`."""
    if not HOST.fullmatch(host):
        return POLICY.format(websocket="").encode()
    return POLICY.format(websocket=f" {'wss' if secure else 'ws'}://{host.decode()}").encode()


class SecurityHeaders:
    """ASGI middleware that puts the headers of the module docstring on every HTTP answer (no
    answer sets them itself). A few microseconds a request, as the raw headers are added as
    they are, the policy made once per host.

    It wraps the whole app (see `edge.api.app.EdgeApp`), outside Starlette's own error middleware,
    so that a 500 carries them too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        added = [(b"content-security-policy", policy(host, scope["scheme"] == "https"))]
        added += SAME_FOR_ALL

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
