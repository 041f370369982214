"""The protocol a store's box speaks (sync.envelope): enrol once, then push and pull, signed.

Every refusal of a security check (unsigned, bad signature, stale, unknown or revoked key,
replayed nonce, a key of another store, an unknown, used or expired code) is recorded in the
refusal audit, in a transaction of its own, before it is answered; but no more than
REFUSALS_PER_MINUTE of one address a minute (those after are answered alike, unrecorded).

A box keeps two pushes on their way (`edge.runtime.sync_service`): while the hub applies one
batch, the next is already here, so the hub never waits a round trip between them. Should the
later one reach the database first, it finds a gap; it then waits for the pushes of its key
whose first bytes this process had before its own (`Pushes`), and tries once more, rather than
be refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.api.http import SYNC_BODY, storage, target
from hub.api.openapi import contract
from hub.domain import devices, feed, push, refusals
from hub.domain.devices import SignedRequest
from hub.storage.tx import Tx
from service.errors import Conflict, GalleyError
from service.http import client_address, ok, raw_body, sent_as_json
from service.query import Query, whole
from sync.envelope import MAX_EVENTS, MAX_NODE, Enrolment, PushBatch
from sync.errors import BadEnvelope

PULL = Query(cursor=whole(0, high=2**62), limit=whole(MAX_EVENTS, 1, MAX_EVENTS))
# Refusals that are no security matter (a malformed body, a gap): answered, not audited.
_NOT_AUDITED = {"bad_envelope", "schema_unsupported", "gap", "too_large", "bad_query"}
# Refused requests recorded for one client address in a minute (in each process): each costs
# the hub a row of the refusal audit, and the sync routes are open to anyone, so beyond this an
# address's refusals are answered as ever but not recorded, and cannot fill the database (a box
# refused for good retries with a backoff, far below it).
REFUSALS_PER_MINUTE = 60
# How long a push that found a gap waits for the pushes of its key taken in before it: as long
# as a batch of 500 orders takes on a slow hub, many times over.
EARLIER_PUSHES_S = 10.0


class Pushes:
    """The pushes this process is taking in or applying, by the key their signature names
    (checked later, in the transaction): a push counts from its first byte to its answer."""

    def __init__(self) -> None:
        self.waiting = 0  # pushes waiting for earlier ones now, for stats and tests
        self._taken_in = itertools.count()
        self._running: dict[str | None, dict[int, asyncio.Event]] = {}

    def running(self, key_id: str | None) -> int:
        return len(self._running.get(key_id, ()))

    @contextlib.asynccontextmanager
    async def taking(self, key_id: str | None) -> AsyncIterator[Callable[[], Awaitable[bool]]]:
        """Count a push until the block ends; yields what waits for those of the same key taken
        in before it (False at once if there were none: a gap then is a real one)."""
        number, done = next(self._taken_in), asyncio.Event()
        running = self._running.setdefault(key_id, {})
        running[number] = done

        async def earlier() -> bool:
            waits = [event.wait() for n, event in running.items() if n < number]
            if not waits:
                return False
            self.waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*waits), EARLIER_PUSHES_S)
            finally:
                self.waiting -= 1
            return True

        try:
            yield earlier
        finally:
            done.set()
            del running[number]
            if not running:
                del self._running[key_id]


def _envelope(read: Callable[[bytes], object], body: bytes) -> object:
    try:
        return read(body)
    except BadEnvelope as error:
        raise GalleyError(error.message, code=error.code) from None


async def _audited(
    request: Request, work: Awaitable[Response], *, key_id: str | None, code: str | None = None
) -> Response:
    try:
        return await work
    except GalleyError as refusal:
        address = client_address(request)
        if refusal.code not in _NOT_AUDITED and not request.app.state.refused.wait(address):
            where = f"{request.method} {request.url.path}"
            await storage(request).run(refusals.record, refusal, where, address, key_id, code)
        raise


# sync.envelope.Enrolment, schema 1: every body this describes is one the hub reads (an Ed25519
# public key in PEM form is 44 bytes of DER in base64, the first 12 always the same)
ENROLMENT = {
    "type": "object",
    "description": "sync.envelope.Enrolment (schema 1)",
    "required": ["schema", "code", "public_key_pem", "node"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": 1},
        "code": {"type": "string", "pattern": r"^[^\x00]+$"},
        "public_key_pem": {
            "type": "string",
            "pattern": r"^-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA[A-Za-z0-9+/]{42}"
            r"[AEIMQUYcgkosw048]=\n-----END PUBLIC KEY-----\n?$",
        },
        "node": {"type": "string", "pattern": r"^[^\x00]+$", "maxLength": MAX_NODE},
    },
}


@contract(
    body=ENROLMENT,
    status=201,
    public=True,
    refuses={404, 409, 410, 429},
)
async def enrol(request: Request):
    """Bind a box's public key to the store an enrolment code was made for (one use, before it
    expires): answers the tenant, the store and the key's id."""
    request.app.state.attempts.count(client_address(request))
    sent_as_json(request)
    # a few hundred bytes: anyone may send one, so it is not read up to a push's size
    enrolment = _envelope(Enrolment.from_bytes, await raw_body(request))
    assert isinstance(enrolment, Enrolment)

    async def work() -> Response:
        enrolled = await storage(request).run(devices.enrol, enrolment)
        return ok(enrolled.to_json(), 201)

    return await _audited(request, work(), key_id=None, code=enrolment.code)


def _push(tx: Tx, signed: SignedRequest):
    device = devices.authenticate(tx, signed)
    batch = _envelope(PushBatch.from_bytes, signed.body)
    assert isinstance(batch, PushBatch)
    return push.push(tx, device, batch)


@contract(
    body={"type": "object", "description": "sync.envelope.PushBatch (schema 1)"},
    auth="device",
    refuses={403, 409},
)
async def push_batch(request: Request):
    """A store's events after its push cursor, in seq order: each applied exactly once, in one
    transaction, and answered with a verdict (PushResult). A batch that starts beyond the hub's
    cursor is a 409 `gap` carrying `push_upto`."""
    sent_as_json(request)
    key_id = devices.named_key(request.headers)
    async with request.app.state.pushes.taking(key_id) as earlier:
        body = await raw_body(request, SYNC_BODY)
        signed = SignedRequest(request.headers, "POST", target(request), body)

        async def work() -> Response:
            try:
                result = await storage(request).run(_push, signed)
            except Conflict as gap:
                # its transaction wrote nothing (its nonce neither): it may run again
                if gap.code != "gap" or not await earlier():
                    raise
                result = await storage(request).run(_push, signed)
            return ok(result.to_json())

        return await _audited(request, work(), key_id=key_id)


def _pull(tx: Tx, signed: SignedRequest, cursor: int, limit: int):
    return feed.pull(tx, devices.authenticate(tx, signed), cursor, limit)


@contract(query=PULL, auth="device", refuses={403, 409})
async def pull(request: Request):
    """The store's changes after `cursor`, oldest first (PullPage): owners' edits on the hub
    and the hub's view of what the store pushed; ask again from `cursor` while `has_more`."""
    q = PULL.read(request)
    signed = SignedRequest(request.headers, "GET", target(request), b"")

    async def work() -> Response:
        page = await storage(request).run(_pull, signed, q["cursor"], q["limit"])
        return ok(page.to_json())

    return await _audited(request, work(), key_id=signed.key_id())


routes = [
    Route("/sync/v1/enrol", enrol, methods=["POST"]),
    Route("/sync/v1/push", push_batch, methods=["POST"]),
    Route("/sync/v1/pull", pull, methods=["GET"]),
]
