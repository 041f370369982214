"""Idempotency keys: a retried request gets its first answer back and writes nothing.

A till on flaky Wi-Fi that sends an order and hears nothing cannot tell "not made" from "made,
answer lost". It sends the request again with the same `Idempotency-Key` and gets the first
answer, status and body byte for byte, instead of a second order. A key belongs to the device
that sent it (`device_of`), so two tills cannot collide, and to one request (its fingerprint:
method, path and body digest), so the same key on another request is refused (422).

The key and the answer are stored **in the same transaction as the write**: `recorded` wraps
the domain function in the writer (look the key up, run the write, store the JSON answer), so
a crash never leaves a write without its key nor a key without its write, and a key survives a
restart. The writer's one thread makes look-up, write and store atomic: a retry that arrives
while the first request is still running waits behind it in the writer's queue and then finds
its answer. A refused request (the write raised) stores nothing: its retry is judged again, as
the rules may have changed meanwhile.

This is bookkeeping beside a write, not a domain change: `idempotency_keys` is written here by
the writer, never through `edge.core.events.commit` (an event per key would double the feed and the
sync outbox), and it never leaves the box. Growth: each keyed POST keeps its answer (an order
is 1-3 KB), some 4,000 rows and 10 MB a week at 750 orders a day. Keys are kept at least 7
days; pruning the older ones comes with the history issue. The look-up is the primary key.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from edge.core.permissions import Actor
from service.errors import Invalid
from sync.clock import now_iso

# 1..200 printable ASCII characters; none at either end is a space (HTTP strips those).
KEY = re.compile(r"[!-~](?:[ -~]{0,198}[!-~])?")


def device_of(actor: Actor) -> str:
    """The scope of an actor's keys: the paired device the session was signed in on (its id:
    two devices may share a name)."""
    return actor.device_id or actor.device


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same request: method, path and the body's exact bytes."""
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """A request that came with a key: whose key, which key, which request."""

    device: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """What a keyed request is answered: JSON bytes with a status; `replayed` when stored."""

    status: int
    body: bytes
    replayed: bool = False


def find(conn: sqlite3.Connection, claim: Claim) -> Answer | None:
    """The stored answer to `claim`'s key, or None; the key used for another request is a 422."""
    row = conn.execute(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE device = ? AND key = ?",
        (claim.device, claim.key),
    ).fetchone()
    if row is None:
        return None
    if row[0] != claim.fingerprint:
        raise Invalid(
            "this Idempotency-Key was used for another request; send a new key for a new one",
            code="idempotency_key_reused",
        )
    return Answer(row[1], row[2].encode(), replayed=True)


def recorded(
    conn: sqlite3.Connection,
    claim: Claim,
    status: int,
    view: Callable[[Any], Any],
    fn: Callable[..., Any],
    *args: Any,
) -> Answer:
    """The write `fn(conn, *args)` under `claim`, run in the writer: the stored answer if the key
    is known, else the write, its answer (`view` of its result) stored beside it."""
    known = find(conn, claim)
    if known is not None:
        return known
    body = orjson.dumps(view(fn(conn, *args)))
    conn.execute(
        "INSERT INTO idempotency_keys (device, key, fingerprint, status, body, created_at)"
        " VALUES (?, ?, ?, ?, CAST(? AS TEXT), ?)",
        (claim.device, claim.key, claim.fingerprint, status, body, now_iso()),
    )
    return Answer(status, body)
