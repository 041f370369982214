"""The audit of refused sync requests: who asked (key, store, tenant, address), what (method
and path), why (the refusal's code and sentence), when; never a signature, nonce, code or body.

A refusal is recorded in a transaction of its own, after the request's transaction rolled back.
Who asked is found again from the request: the device its key names, or the store its
enrolment code was made for; a request that names neither belongs to no tenant.
"""

from __future__ import annotations

from typing import Any

from hub.domain.stores import code_hash
from hub.storage.tx import Tx
from service.errors import GalleyError
from sync.clock import iso, utcnow
from sync.ids import uuid7


def record(
    tx: Tx,
    refusal: GalleyError,
    request: str,
    client: str,
    key_id: str | None,
    code: str | None,
) -> None:
    who = tx.device(key_id) if key_id else tx.code(code_hash(code)) if code else None
    if who is not None:
        tx.become(who["tenant_id"])
    tx.add_refusal(
        {
            "id": uuid7(),
            "store_id": who["store_id"] if who else None,
            "key_id": key_id,
            "request": request,
            "code": refusal.code,
            "message": refusal.message,
            "client": client,
            "at": iso(utcnow()),
        }
    )


def listed(tx: Tx, after: str, limit: int) -> list[dict[str, Any]]:
    return tx.refusals(after=after, limit=limit)
