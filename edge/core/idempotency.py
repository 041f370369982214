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
the rules may have changed meanwhile. The keys stored are also kept in memory as a filter
(`Seen`), so that a fresh key, as nearly every request's is, costs no look-up before its
request runs.

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
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from edge.core.permissions import Actor
from edge.core.retention import IDEMPOTENCY_DAYS
from service.errors import Invalid
from sync.clock import now_iso, utcnow

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


class Seen:
    """The keys stored, as a filter in memory: a claim whose key it does not hold is fresh and
    its request runs at once; one it holds is looked up first (`find`, through the writer).
    It holds every key stored: those in the table at start, then each as `recorded` stores it
    (a write rolled back afterwards leaves its key here: looked up, found fresh). It forgets a
    key a day after retention deletes it (`IDEMPOTENCY_DAYS`). Before it, every keyed POST read
    the table on the event loop first, about 12 % of the loop's time under the checkout
    benchmark, nearly all of it waiting for the GIL the writer held.

    A hash of the device and key stands for them (some 150 bytes a key, under 1 MB for a
    busy store's 8 days): two that collide only cost a look-up. The writer thread adds, the event
    loop asks: each is one step of the dictionary under the GIL."""

    KEEP_S = (IDEMPOTENCY_DAYS + 1) * 86_400

    def __init__(self) -> None:
        self._stored: OrderedDict[int, float] = OrderedDict()  # hash -> when, oldest first

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Seen:
        seen = cls()
        for device, key, created_at in conn.execute(
            "SELECT device, key, created_at FROM idempotency_keys ORDER BY created_at"
        ):
            seen._stored[hash((device, key))] = datetime.fromisoformat(created_at).timestamp()
        return seen

    def __contains__(self, claim: Claim) -> bool:
        return hash((claim.device, claim.key)) in self._stored

    def add(self, claim: Claim) -> None:
        now, stored = utcnow().timestamp(), self._stored
        name = hash((claim.device, claim.key))
        stored[name] = now
        stored.move_to_end(name)
        while next(iter(stored.values())) < now - self.KEEP_S:
            stored.popitem(last=False)


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
    seen: Seen,
    claim: Claim,
    status: int,
    view: Callable[[Any], Any],
    fn: Callable[..., Any],
    *args: Any,
) -> Answer:
    """The write `fn(conn, *args)` under `claim`, run in the writer: the stored answer if the key
    is known, else the write, its answer (`view` of its result) stored beside it (and its key
    in `seen`). A key `seen` does not hold is not stored (it holds every key stored, and the
    writer that stores them is this thread): no look-up, as for nearly every request."""
    known = find(conn, claim) if claim in seen else None
    if known is not None:
        return known
    body = orjson.dumps(view(fn(conn, *args)))
    conn.execute(
        "INSERT INTO idempotency_keys (device, key, fingerprint, status, body, created_at)"
        " VALUES (?, ?, ?, ?, CAST(? AS TEXT), ?)",
        (claim.device, claim.key, claim.fingerprint, status, body, now_iso()),
    )
    seen.add(claim)
    return Answer(status, body)
