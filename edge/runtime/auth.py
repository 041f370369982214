"""Sign-in, in one place: paired devices, PIN checks, the sign-in a bearer token stands for, and
the end of a sign-in reaching every open socket at once.

A request proves two things: which paired device it comes from (`X-Galley-Device`, read by
`paired_device`) and, past the sign-in screen, who is signed in on it (`Authorization: Bearer`,
read by `actor`). Tokens and credentials are kept as their sha256 (`service.tokens`); what a
sign-in is (staff, device, expiry, why it ended) is the domain's (`edge.domain.staff`,
`edge.domain.devices`, `edge.domain.lockouts`). `SignIns`, one per box, adds what the running
box knows: a cache of live sign-ins, so a request costs no read, and the websockets each one
has open. It listens to every committed transaction: a sign-in that ends (signed out,
deactivated, new role or PIN, device revoked) leaves the cache and closes its websockets in the
same turn of the event loop that publishes the event, so not one more event reaches them; one
that expires closes them when it does.

PIN checks: the order matters. A staff member locked out on this device (or everywhere) is
refused before the (slow, scrypt) PIN check, and the attempt still counts, so a lockout cannot
be probed nor waited out by hammering; the check runs in a worker thread, never on the loop or
in the writer; a wrong PIN is recorded through the write path so the count survives a restart.
Counts are per staff member and device; an approval counts on the device of the sign-in that
asks for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import anyio.to_thread
from starlette.requests import HTTPConnection

from edge.core.events import Event
from edge.core.permissions import Actor, may_ask, require
from edge.domain import devices, lockouts, staff
from edge.runtime.realtime import Bus, Subscription
from service import fields as f
from service.attempts import Attempts
from service.errors import Forbidden, Unauthorized
from service.shapes import shape, text
from service.tokens import bearer, fresh_token, token_hash
from sync import hashing
from sync.clock import utcnow

CREDENTIALS = f.Form(
    {"staff_id": f.identifier, "pin": staff.pin_format}, required=("staff_id", "pin")
)
# The device is the paired one whose credential came with the request, not a field.
SIGN_IN = CREDENTIALS
APPROVAL = f.nested(CREDENTIALS)
# The body of an action that needs a manager: the reason, and a manager's PIN unless the
# signed-in staff member is one.
APPROVED = f.Form({"reason": f.REASON, "approval": APPROVAL}, required=("reason",))
# What `SignIns.sign_in` answers.
SIGNED_IN = shape(
    "SignedIn",
    {
        "token": text("the bearer token of every other call from this device"),
        "staff": staff.SESSION_VIEW,
    },
)
# Pairing tries one client address may make (a code has 38 bits: never found this way).
PAIRING_TRIES, PAIRING_WINDOW_S = 10, 600

Read = Callable[..., Awaitable[Any]]
_ACTOR = "galley.actor"  # where `actor` keeps the request's staff member, in the scope


def sign_ins(conn: HTTPConnection) -> SignIns:
    return conn.app.state.box.sign_ins


async def actor(conn: HTTPConnection) -> Actor:
    """The staff member signed in with the request's bearer token, or a 401 that says why.
    Found once per request and kept in its scope: a keyed POST asks twice (whose keys, then the
    handler), and each asking hashed the token again."""
    who = conn.scope.get(_ACTOR)
    if who is None:
        who = conn.scope[_ACTOR] = await sign_ins(conn).actor(bearer(conn))
    return who


async def paired_device(conn: HTTPConnection) -> dict[str, str]:
    """The paired device ({id, name}) whose credential came in `X-Galley-Device`, or a 401."""
    return await sign_ins(conn).device(conn.headers.get(devices.HEADER))


class SignIns:
    def __init__(self, read: Read, write: Read, bus: Bus, session_hours: int) -> None:
        """`read(fn, *args)` and `write(fn, *args)` run `fn(conn, *args)` off the loop, on a
        read connection or in the writer."""
        self._read = read
        self._write = write
        self._bus = bus
        self._session_hours = session_hours
        self._sessions: dict[str, tuple[Actor, datetime]] = {}  # by the token's hash
        self._changed = 0  # counts what empties `_sessions`: a read may be stale
        self._sockets: dict[str, set[Subscription]] = {}  # by the token's hash
        self._expiries: dict[Subscription, asyncio.TimerHandle] = {}  # of followed sign-ins
        self._pairing = Attempts(PAIRING_TRIES, PAIRING_WINDOW_S)
        bus.listen(self._on_events)

    async def actor(self, token: str | None) -> Actor:
        """The staff member a bearer token belongs to; cached until it expires or changes. A
        token whose sign-in ended is told why (`staff.ended`)."""
        return (await self.session(token))[0]

    async def session(self, token: str | None) -> tuple[Actor, datetime]:
        """`actor`, and when the sign-in expires."""
        if not token:
            raise Unauthorized("sign in first", code="sign_in_required")
        key = token_hash(token)
        cached = self._sessions.get(key)
        if cached is None:
            changed = self._changed
            cached = await self._read(staff.session_actor, key)
            if changed == self._changed:  # not ended while it was being read
                self._sessions[key] = cached
        if cached[1] <= utcnow():
            self._sessions.pop(key, None)
            raise staff.ended("expired")
        return cached

    async def device(self, credential: str | None) -> dict[str, str]:
        """The paired device ({id, name}) that holds `credential`, or a 401."""
        return await self._read(devices.by_credential, credential)

    async def pair(self, address: str, values: dict[str, Any]) -> dict[str, Any]:
        """Pair a device with a manager's code (`values` as `devices.PAIR` describes them):
        {credential, device}; the credential is answered this once. Each client address may
        try `PAIRING_TRIES` times in `PAIRING_WINDOW_S` seconds, then gets a 429."""
        self._pairing.count(address, "pairing tries")
        credential = fresh_token()
        device = await self._write(devices.pair, values, token_hash(credential))
        return {"credential": credential, "device": device}

    async def check_pin(self, staff_id: str, pin: str, device: dict[str, str]) -> Actor:
        """The staff member whose PIN this is on the paired `device` ({id, name}), or
        Unauthorized / Locked (recording the attempt)."""
        member = await self._read(staff.active_member, staff_id)
        if member is None:
            raise Unauthorized("unknown staff member", code="unknown_staff")
        if await self._read(lockouts.locked_until, staff_id, device["id"]):
            until = await self._write(lockouts.record_locked_attempt, staff_id, device["id"])
            await self._raise_locked(staff_id, until)
        if not await anyio.to_thread.run_sync(hashing.matches, pin, member["pin_hash"]):
            until = await self._write(lockouts.record_wrong_pin, staff_id, device["id"])
            await self._raise_locked(staff_id, until)
            raise Unauthorized("wrong PIN", code="wrong_pin")
        return Actor(member["id"], member["name"], member["role"], device["name"], device["id"])

    async def sign_in(self, values: dict[str, Any], device: dict[str, str]) -> dict[str, Any]:
        """`values` as SIGN_IN describes them, on a paired `device` -> {token, staff}."""
        values = SIGN_IN.clean(values)
        who = await self.check_pin(values["staff_id"], values["pin"], device)
        token = fresh_token()
        session = await self._write(
            staff.sign_in, who.id, device, token_hash(token), self._session_hours
        )
        return {"token": token, "staff": session}

    async def sign_out(self, who: Actor, token: str | None) -> None:
        await self._write(staff.sign_out, who, token_hash(token or ""))

    async def approval(self, body: dict[str, Any], asking: Actor, permission: str) -> Actor | None:
        """The approving manager in `body["approval"]` (a body APPROVED has cleaned), if any, for
        `permission`; their PIN counts on the device `asking` is signed in on. Someone no
        approval would help (a cook voiding a line) is refused before any PIN is checked: their
        device is no place to try a manager's PIN. A wrong PIN, or one of nobody who may sign in,
        is a 403 with its code (`wrong_pin`, `unknown_staff`): the asking sign-in stands."""
        given = body.pop("approval", None)
        if given is None:
            return None
        if not (asking.can(permission) or may_ask(asking, permission)):
            require(asking, permission)  # refuses
        device = {"id": asking.device_id, "name": asking.device}
        try:
            approver = await self.check_pin(given["staff_id"], given["pin"], device)
        except Unauthorized as refused:  # a 401 is the asking sign-in's end to every page
            message = f"the approval was refused: {refused.message}"
            raise Forbidden(message, code=refused.code) from None
        await self._write(staff.approve, approver.id, device["id"])
        return approver

    def follow(self, token: str, topics: frozenset[str], expires_at: datetime) -> Subscription:
        """Subscribe a websocket of the sign-in `token` (signed in: `session` just answered for
        it, with `expires_at`) to `topics`: when the sign-in ends, the subscription ends with
        the reason (see `_on_events`), and when it expires, at that moment (a timer on the
        loop). The expiry comes from the caller, not the cache: a change published while
        `session` read it keeps it out of the cache, and the socket had no timer."""
        key = token_hash(token)
        subscription = self._bus.subscribe(topics)
        self._sockets.setdefault(key, set()).add(subscription)
        left = (expires_at - utcnow()).total_seconds()
        self._expiries[subscription] = self._bus.loop.call_later(
            max(left, 0), self._expire, key, subscription
        )
        return subscription

    def unfollow(self, token: str, subscription: Subscription) -> None:
        self._bus.unsubscribe(subscription)
        timer = self._expiries.pop(subscription, None)
        if timer is not None:
            timer.cancel()
        key = token_hash(token)
        open_sockets = self._sockets.get(key, set())
        open_sockets.discard(subscription)
        if not open_sockets:
            self._sockets.pop(key, None)

    def _expire(self, key: str, subscription: Subscription) -> None:
        """The sign-in of a followed token expired: its socket gets no more events, and why."""
        self._expiries.pop(subscription, None)
        self._sessions.pop(key, None)
        self._bus.end(subscription, staff.ended("expired"))

    async def _raise_locked(self, staff_id: str, until: str | None) -> None:
        if until:
            raise await self._read(lockouts.refusal, staff_id, until)

    def _on_events(self, batch: list[Event]) -> None:
        for event in batch:
            if event.entity == "staff_sessions" and event.op == "update":
                self._sessions.pop(event.entity_id, None)
                self._changed += 1
                reason = event.fields.get("end_reason")
                for subscription in self._sockets.pop(event.entity_id, ()):
                    self._bus.end(subscription, staff.ended(reason or "signed_out"))
            elif event.entity == "staff":  # a new name, role or PIN
                self._forget("id", event.entity_id)
            elif event.entity == "devices":  # a device renamed or revoked
                self._forget("device_id", event.entity_id)

    def _forget(self, key: str, value: str) -> None:
        """Drop the cached sign-ins whose actor's `key` is `value` (a staff member's, or those
        on a device): they are read again when next used."""
        self._sessions = {k: v for k, v in self._sessions.items() if getattr(v[0], key) != value}
        self._changed += 1
