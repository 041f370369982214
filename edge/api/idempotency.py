"""The `Idempotency-Key` header on the routes that create or send something (the HTTP side of
`edge.core.idempotency`, which says what a key guarantees and where it is kept).

A handler takes part by declaring it, `@contract(..., idempotent=True)`, which wraps it in
`guarded` and documents the header, and by making its one write through `answer`, which runs the
write and stores its answer in one transaction. The helpers of `edge.api.writes` do both.

`guarded` checks the key before the handler runs: a request seen before is answered from the
store at once (`Idempotent-Replayed: true`), without running the handler again, so a retried
void asks for no manager's PIN twice. The answer still comes through the writer, so it is sent
only once the first request's write is on disk. A key the box has not stored (`Seen`, in
memory) is not looked up: its request runs, and `recorded` looks it up again in the write (a
retry that overtakes the first request's write finds it there).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive

from edge.core.idempotency import KEY, Answer, Claim, device_of, find, fingerprint, recorded
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.errors import GalleyError
from service.http import ok, raw_body

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "pattern": f"^{KEY.pattern}$",
    "description": "a fresh random key per user action (1..200 printable ASCII characters); "
    "a retry with the same key and request gets the first answer and writes nothing",
}
GUEST_PATHS = "/api/guest/"
_CLAIM = "galley.idempotency"  # where `guarded` leaves the claim for `answer`, in the scope

Handler = Callable[[Request], Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """`handler` with its `Idempotency-Key` honoured (a request without one runs as it is)."""

    @functools.wraps(handler)
    async def guarded_handler(request: Request) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return await handler(request)
        device = await _keys_of(request)
        if KEY.fullmatch(key) is None:
            raise GalleyError(
                f"{HEADER} must be 1 to 200 printable ASCII characters", code="bad_idempotency_key"
            )
        raw = await raw_body(request)
        # The scope's path is what `request.url.path` says for every route (no "?", "#" or "\\"
        # in it), without building the URL.
        claim = Claim(device, key, fingerprint(request.method, request.scope["path"], raw))
        box = box_of(request)
        if claim in box.keys:  # stored perhaps: answered through the writer, on disk
            stored = await box.write(find, claim)
            if stored is not None:
                return _response(stored)
        request.scope[_CLAIM] = claim
        response = await handler(Request(request.scope, _replaying(raw, request.receive)))
        if _CLAIM in request.scope:
            raise RuntimeError(f"{request.url.path} is idempotent but answered without `answer`")
        return response

    return guarded_handler


async def _keys_of(request: Request) -> str:
    """Whose keys a request's are: a table guest's on the guest endpoints (a phone has no paired
    device), else the staff device's."""
    if request.scope["path"].startswith(GUEST_PATHS):
        return box_of(request).guests.who(request).actor_id
    return device_of(await actor(request))


async def answer(
    request: Request,
    status: int,
    fn: Callable[..., Any],
    *args: Any,
    view: Callable[[Any], Any] = lambda result: result,
) -> Response:
    """The handler's write, `fn(conn, *args)`, answered as JSON (`view` of its result) with
    `status`; under an `Idempotency-Key`, the key and the answer are stored with the write."""
    box = box_of(request)
    claim = request.scope.pop(_CLAIM, None)
    if claim is None:
        return ok(view(await box.write(fn, *args)), status)
    return _response(await box.write(recorded, box.keys, claim, status, view, fn, *args))


async def answered_meanwhile(request: Request) -> Response | None:
    """The stored answer to the request's key when another request with it was answered since
    `guarded` looked (they ran side by side): for a handler that calls out before it writes,
    to ask again once it holds its lock, so that a retry does not call out twice."""
    claim = request.scope.get(_CLAIM)
    box = box_of(request)
    if claim is None or claim not in box.keys:
        return None
    stored = await box.write(find, claim)
    if stored is None:
        return None
    del request.scope[_CLAIM]
    return _response(stored)


def _response(answer: Answer) -> Response:
    headers = {REPLAYED: "true"} if answer.replayed else None
    return Response(answer.body, answer.status, headers, media_type="application/json")


def _replaying(raw: bytes, receive: Receive) -> Receive:
    """The request's messages again for the handler: the body `guarded` read, then the rest."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return replay
