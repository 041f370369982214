"""Boxes and their keys: enrolling one with a code, and knowing which one signed a request.

A sync request is the device's if its signature verifies with the device's key, within the
window either way of the hub's clock, with a nonce the key has not used before, from a key not
revoked. The stale answer carries the hub's time, so a box whose clock is off can sign with
the hub's time instead (sync.signing.sign takes `now`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.domain.stores import code_hash
from hub.storage.tx import Tx
from service.errors import Conflict, Forbidden, Gone, NotFound, Unauthorized
from sync.clock import iso, parse_iso, utcnow
from sync.envelope import Enrolled, Enrolment
from sync.errors import BadSignature
from sync.signing import WINDOW_S, public_key_id, signed_key_id, verify


@dataclass(frozen=True)
class Device:
    key_id: str
    tenant_id: str
    store_id: str
    node: str  # the box's own name, made at its first boot: its events' stream (hub.domain.push)


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers, as the hub received it."""

    headers: Mapping[str, str]
    method: str
    target: str  # path and query, as sent
    body: bytes

    def key_id(self) -> str | None:
        return named_key(self.headers)


def named_key(headers: Mapping[str, str]) -> str | None:
    """The key a request's headers name, if they name one in the right form."""
    try:
        return signed_key_id(headers)
    except BadSignature:
        return None


def enrol(tx: Tx, enrolment: Enrolment) -> Enrolled:
    """Bind the box's key to the store the code was made for, using the code up. The same key
    with its used code again is answered as the first time: its answer was lost."""
    code = tx.code(code_hash(enrolment.code))
    if code is None:
        raise NotFound("no such enrolment code; check it, or ask the owner for a new one",
                       code="unknown_code")  # fmt: skip
    tx.become(code["tenant_id"])
    key_id = public_key_id(enrolment.public_key_pem)
    if code["used_at"] and code["used_by"] == key_id and _bound(tx, key_id, code["store_id"]):
        return _enrolled(tx, code, key_id)  # the box asks again: it never heard the answer
    if code["used_at"]:
        raise Gone("this enrolment code was used already; ask the owner for a new one",
                   code="code_used")  # fmt: skip
    now = utcnow()
    if parse_iso(code["expires_at"]) <= now:
        raise Gone("this enrolment code has expired; ask the owner for a new one",
                   code="code_expired")  # fmt: skip
    enrolled = Conflict("this key is enrolled already; a box makes a new key to enrol again",
                        code="key_enrolled")  # fmt: skip
    if tx.device(key_id) is not None:
        raise enrolled
    if not tx.use_code(code_hash(enrolment.code), iso(now), key_id):
        raise Gone("this enrolment code was used already", code="code_used")
    # the same key may be enrolling with another code at this moment: the one that commits first
    # has it, and this transaction (its code's use too) rolls back
    if not tx.add_device(
        key_id, code["store_id"], enrolment.public_key_pem, enrolment.node, iso(now)
    ):
        raise enrolled
    return _enrolled(tx, code, key_id)


def _bound(tx: Tx, key_id: str, store_id: str) -> bool:
    device = tx.device(key_id)
    return device is not None and device["store_id"] == store_id and not device["revoked_at"]


def _enrolled(tx: Tx, code: dict[str, Any], key_id: str) -> Enrolled:
    store = tx.store(code["store_id"])
    assert store is not None  # a code's store is the tenant's: the foreign key says so
    return Enrolled(
        tenant_id=code["tenant_id"], store_id=store["id"], store_name=store["name"], key_id=key_id
    )


def authenticate(tx: Tx, request: SignedRequest) -> Device:
    """The device that signed `request`, its tenant acting from here on; its nonce is spent.
    Refuses (401) unsigned, malformed, unknown key, bad signature, stale; (403) revoked;
    (409) a nonce the key used before."""
    try:
        key_id = signed_key_id(request.headers)
    except BadSignature as error:
        raise Unauthorized(error.message, code=error.code) from None
    found = tx.device(key_id)
    if found is None:
        raise Unauthorized("no device has this key; enrol the box first", code="unknown_key")
    now = utcnow()
    try:
        signed = verify(
            found["public_key_pem"],
            request.headers,
            request.method,
            request.target,
            request.body,
            now=now,
        )
    except BadSignature as error:
        if error.code == "stale":
            raise Unauthorized(
                error.message, code="stale", hub_time=int(now.timestamp()), hub_at=iso(now)
            ) from None
        raise Unauthorized(error.message, code=error.code) from None
    tx.become(found["tenant_id"])
    if found["revoked_at"]:
        raise Forbidden("this box's key was revoked; enrol it again", code="revoked")
    if not tx.remember_nonce(
        key_id, signed.nonce, signed.timestamp, int(now.timestamp()) - 2 * WINDOW_S
    ):
        raise Conflict("this request was sent before (its nonce is spent)", code="replayed")
    return Device(key_id, found["tenant_id"], found["store_id"], found["node"])


def check_store(device: Device, store_id: str) -> None:
    """A key speaks for the store it was enrolled for only."""
    if store_id != device.store_id:
        raise Forbidden("this box's key is bound to another store", code="wrong_store")
