"""A tenant's stores, the one-time codes that enrol a box for one, and the boxes (devices).

An enrolment code is shown once, when made: the hub keeps its sha256 only. It is ten letters
and digits from an alphabet without look-alikes (no 0/O, 1/I/L), grouped for reading aloud, so
a technician can type it on a box; 50 bits that no one guesses at the enrolment rate limit.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from hub.storage.tx import Tx
from service.errors import NotFound
from service.tokens import token_hash
from sync.clock import iso, utcnow
from sync.ids import uuid7

_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # Crockford-like: nothing that reads as another
CODE_LENGTH = 10


def new_store(tx: Tx, name: str) -> dict[str, Any]:
    store_id = uuid7()
    tx.add_store(store_id, name, iso(utcnow()))
    return found(tx, store_id)


def rename(tx: Tx, store_id: str, name: str) -> dict[str, Any]:
    """The hub's name of the store (its box's own `store` row is a row the owner edits)."""
    if not tx.rename_store(store_id, name):
        raise NotFound("no such store", code="unknown_store")
    return found(tx, store_id)


def found(tx: Tx, store_id: str) -> dict[str, Any]:
    """The tenant's store, or 404 (another tenant's store is no store of theirs)."""
    store = tx.store(store_id)
    if store is None:
        raise NotFound("no such store", code="unknown_store")
    return store


def code_hash(code: str) -> str:
    """The hash a code is kept as: the same for `abcd-efgh-jk` as for `ABCDEFGHJK`."""
    plain = "".join(char for char in code.upper() if char.isalnum())
    return token_hash(plain)


def new_code(tx: Tx, store_id: str, hours: int) -> dict[str, Any]:
    """A one-time enrolment code for the store, valid for `hours`: shown this once."""
    store = found(tx, store_id)
    letters = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    code = "-".join(letters[i : i + 5] for i in range(0, CODE_LENGTH, 5))
    now = utcnow()
    expires_at = iso(now + timedelta(hours=hours))
    tx.add_code(code_hash(code), store["id"], iso(now), expires_at)
    return {"code": code, "store_id": store["id"], "expires_at": expires_at}


def codes(tx: Tx, store_id: str) -> list[dict[str, Any]]:
    """The store's codes, each open, used or expired; none shown again."""
    now = iso(utcnow())
    listed = tx.codes(found(tx, store_id)["id"])
    for code in listed:
        code["status"] = (
            "used" if code["used_at"] else "expired" if code["expires_at"] <= now else "open"
        )
    return listed


def cancel_codes(tx: Tx, store_id: str) -> dict[str, int]:
    """End the store's open codes now (one may have leaked): they enrol nothing from here."""
    return {"cancelled": tx.end_open_codes(found(tx, store_id)["id"], iso(utcnow()))}


def devices(tx: Tx, store_id: str) -> list[dict[str, Any]]:
    return tx.devices(found(tx, store_id)["id"])


def revoke(tx: Tx, store_id: str, key_id: str) -> dict[str, Any]:
    """Refuse the device's key from now on; the row stays, to be listed."""
    store = found(tx, store_id)
    if not tx.revoke_device(store["id"], key_id, iso(utcnow())):
        raise NotFound("no such device in this store", code="unknown_device")
    return next(device for device in tx.devices(store["id"]) if device["key_id"] == key_id)
