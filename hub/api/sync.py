"""The protocol a store's box speaks (sync.envelope): enrol once, then push and pull, signed.

Every refusal of a security check (unsigned, bad signature, stale, unknown or revoked key,
replayed nonce, a key of another store, an unknown, used or expired code) is recorded in the
refusal audit, in a transaction of its own, before it is answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.api import shapes
from hub.api.http import SYNC_BODY, answer, client, query, raw_body, storage, target
from hub.api.openapi import contract
from hub.domain import devices, feed, push, refusals
from hub.domain.devices import SignedRequest
from hub.errors import Refusal
from hub.storage.tx import Tx
from sync.envelope import MAX_EVENTS, Enrolment, PushBatch
from sync.errors import BadEnvelope

PULL = {"cursor": shapes.whole(0, 2**62, 0), "limit": shapes.whole(1, MAX_EVENTS, MAX_EVENTS)}
# Refusals that are no security matter (a malformed body, a gap): answered, not audited.
_NOT_AUDITED = {"bad_envelope", "schema_unsupported", "gap", "too_large", "bad_query"}


def _envelope(read: Callable[[bytes], object], body: bytes) -> object:
    try:
        return read(body)
    except BadEnvelope as error:
        raise Refusal(error.message, code=error.code) from None


async def _audited(
    request: Request, work: Awaitable[Response], *, key_id: str | None, code: str | None = None
) -> Response:
    try:
        return await work
    except Refusal as refusal:
        if refusal.reason not in _NOT_AUDITED:
            where = f"{request.method} {request.url.path}"
            await storage(request).run(
                refusals.record, refusal, where, client(request), key_id, code
            )
        raise


@contract(
    body={"type": "object", "description": "sync.envelope.Enrolment (schema 1)"},
    status=201,
    caller="public",
)
async def enrol(request: Request):
    """Bind a box's public key to the store an enrolment code was made for (one use, before it
    expires): answers the tenant, the store and the key's id."""
    request.app.state.attempts.count(client(request))
    enrolment = _envelope(Enrolment.from_bytes, await raw_body(request, SYNC_BODY))
    assert isinstance(enrolment, Enrolment)

    async def work() -> Response:
        enrolled = await storage(request).run(devices.enrol, enrolment)
        return answer(enrolled.to_json(), 201)

    return await _audited(request, work(), key_id=None, code=enrolment.code)


def _push(tx: Tx, signed: SignedRequest):
    device = devices.authenticate(tx, signed)
    batch = _envelope(PushBatch.from_bytes, signed.body)
    assert isinstance(batch, PushBatch)
    return push.push(tx, device, batch)


@contract(body={"type": "object", "description": "sync.envelope.PushBatch (schema 1)"},
          caller="device")  # fmt: skip
async def push_batch(request: Request):
    """A store's events after its push cursor, in seq order: each applied exactly once, in one
    transaction, and answered with a verdict (PushResult). A batch that starts beyond the hub's
    cursor is a 409 `gap` carrying `push_upto`."""
    signed = SignedRequest(
        request.headers, "POST", target(request), await raw_body(request, SYNC_BODY)
    )

    async def work() -> Response:
        result = await storage(request).run(_push, signed)
        return answer(result.to_json())

    return await _audited(request, work(), key_id=signed.key_id())


def _pull(tx: Tx, signed: SignedRequest, cursor: int, limit: int):
    return feed.pull(tx, devices.authenticate(tx, signed), cursor, limit)


@contract(query=PULL, caller="device")
async def pull(request: Request):
    """The store's changes after `cursor`, oldest first (PullPage): owners' edits on the hub
    and the hub's view of what the store pushed; ask again from `cursor` while `has_more`."""
    q = query(request, PULL)
    signed = SignedRequest(request.headers, "GET", target(request), b"")

    async def work() -> Response:
        page = await storage(request).run(_pull, signed, q["cursor"], q["limit"])
        return answer(page.to_json())

    return await _audited(request, work(), key_id=signed.key_id())


routes = [
    Route("/sync/v1/enrol", enrol, methods=["POST"]),
    Route("/sync/v1/push", push_batch, methods=["POST"]),
    Route("/sync/v1/pull", pull, methods=["GET"]),
]
