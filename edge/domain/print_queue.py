"""The durable print queue: rendered bytes waiting for a printer, in order, never dropped.

A job is rendered when it is made (`payload`, a BLOB: events record its length and sha256,
never the bytes) and lives in `print_jobs` until it is printed. Next to the bytes it keeps the
neutral document they were rendered from (`document`, `printers.codec` JSON; NULL for a drawer
pulse, which has no document, and for jobs queued before documents were kept). States:

    queued --(worker picks it)--> sending --(printer took it, status fine)--> printed
       ^                             |
       +---(failed attempt: backoff)-+--(config error, no backup, 3 times)--> failed
                                                                               |
       +------------------- POST /api/print-jobs/{id}/retry ------------------+

- Events: what the audit needs of printing, and no more. A job's create (who printed or
  reprinted what, a drawer opened and why), each failed attempt, a move to a backup, a restart's
  resend, a retry, and printed or failed are events. Its claim, `sending`, is not (a third of
  a busy store's events, read by nobody): `mark_sending` writes it to the row alone, which is
  all `recover` reads. So a job goes queued -> printed in its events and on the feed.
- Order: a printer prints its jobs strictly by `seq`; the head job blocks the ones behind it,
  so a kitchen never gets course two before course one.
- Retry: a failed attempt waits 2 s, doubling to at most 60 s, and tries again, for as long as
  it takes (a printer off all night prints its jobs in the morning).
- Reroute: after `REROUTE_AFTER` failed attempts, or at once when the printer says it cannot
  print (paper out, cover open), every waiting job of that printer moves to its backup printer
  if one is configured and enabled (`rerouted_from` says where it came from; the update is an
  event like any other). When the backup has another profile (a 58 mm printer backing up an
  80 mm one: 32 columns, not 48), a job with a document is rendered again for the backup in the
  same update; a job without one keeps its bytes. The same goes for a printer whose profile
  a manager edits: its `queued` and `failed` jobs are rendered again for the new profile in
  that write (`render_again`); a `sending` job is left to the worker sending it.
- Failed: only a configuration problem (no such device or host, feature the profile lacks)
  that repeated `REROUTE_AFTER` times with no backup to go to. A failed job is not dropped: it
  is listed with its error for a manager, who fixes the printer and retries it.
- Delivery is at least once: raw TCP 9100 has no acknowledgement, so a job that may have
  printed, whole or in part, is sent again marked `reprint`, so the cook sees a REPRINT banner
  instead of a second identical ticket: one found `sending` when the box starts (a crash
  mid-send, `recover`), and one whose attempt failed once its bytes began to leave (the
  connection dropped, paper ran out or the cover opened during it: `mark_failed` with
  `maybe_printed`). An attempt that failed before any byte left (refused, paper out before it)
  leaves the job as it was. Drawer pulses are resent without a banner.
  The banner is not stored: it is rendered for whichever printer sends the job (`printable`).
- Preview: `preview` draws a job's bytes, banner included, as a PNG (decoded as its printer
  would, with `printers.decoder` and `printers.preview`), for the admin page.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta
from typing import Any

from edge.core.events import GUARDED_FIELDS, WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain.rows import existing
from printers import codec
from printers.decoder import decode
from printers.documents import Document
from printers.preview import preview_png
from printers.profiles import PrinterProfile, get_profile
from printers.render import render, reprint_banner
from service.errors import Conflict, NotFound
from service.shapes import COUNT, FLAG, ID, INSTANT, enum, nullable, shape, text
from sync.clock import iso, now_iso, utcnow
from sync.ids import uuid7

log = logging.getLogger(__name__)

KINDS = (
    "kitchen_ticket",
    "void_chit",
    "receipt",
    "refund_slip",
    "report",
    "test_page",
    "table_card",
    "drawer",
    "other",
)
STATES = ("queued", "sending", "printed", "failed")
REROUTE_AFTER = 3
BACKOFF_FIRST_S = 2
BACKOFF_MAX_S = 60


def backoff(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 2, 4, 8, ... 60."""
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, attempts - 1))


def enqueue(
    conn: WriteConnection,
    actor: str | None,
    printer_id: str,
    kind: str,
    payload: bytes,
    *,
    document: Document | None = None,
    source: tuple[str, str] | None = None,
    dedupe_key: str | None = None,
    reprint: bool = False,
    note: str = "",
    approver: str | None = None,
) -> str | None:
    """Queue `payload` (rendered from `document`, if it has one) for `printer_id`; returns the
    job id, or None when `dedupe_key` was queued before (a second pulse for the same tender is
    an acknowledgement, not an error)."""
    if dedupe_key is not None:
        found = conn.execute(
            "SELECT id FROM print_jobs WHERE dedupe_key = ?", (dedupe_key,)
        ).fetchone()
        if found is not None:
            return None
    # The last seq given, kept on the writer's connection (jobs are made here only): three
    # jobs a checkout each read it.
    last = cached(conn, "print_job_seq", lambda: [_last_seq(conn)])
    seq = last[0] = last[0] + 1
    now = now_iso()
    job_id = uuid7()
    commit(
        conn,
        actor,
        "print_jobs",
        job_id,
        "create",
        {
            "seq": seq,
            "printer_id": printer_id,
            "kind": kind,
            "payload": payload,
            "document": codec.to_json(document) if document is not None else None,
            "state": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "reprint": reprint,
            "source_entity": source[0] if source else None,
            "source_id": source[1] if source else None,
            "dedupe_key": dedupe_key,
            "note": note,
            "created_at": now,
        },
        approver=approver,
    )
    return job_id


def _last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM print_jobs").fetchone()[0]


# --- the worker's side -------------------------------------------------------------------

# A printer's waiting jobs, as `print_jobs_waiting` holds them (WHERE state IN ('queued',
# 'sending')): only the work in hand, never the jobs done.
WAITING = "INDEXED BY print_jobs_waiting"


def head(conn: sqlite3.Connection, printer_id: str) -> sqlite3.Row | None:
    """The job the printer must print next (due or not): the oldest waiting one, on the partial
    index of waiting jobs. SQLite picks `print_jobs_printer` for this WHERE unless told, and
    walks every job the printer kept (two weeks of a busy store's: the whole table read from
    the card at each start, and again after each job printed)."""
    return conn.execute(
        f"SELECT * FROM print_jobs {WAITING} WHERE printer_id = ?"
        " AND state IN ('queued', 'sending') ORDER BY seq LIMIT 1",
        (printer_id,),
    ).fetchone()


def mark_sending(conn: WriteConnection, job_id: str) -> bool:
    """Claim the job before its bytes leave; False if it moved or went meanwhile.

    The claim is the row's `state`, written without an event: it is bookkeeping for `recover`
    (on disk before the bytes leave, as every write is when the writer answers), not something
    anyone did. Its outcome, printed or a failed attempt, is the event, a moment later; as an
    event of its own it was a third of a busy store's events, read by nobody."""
    return (
        conn.execute(
            "UPDATE print_jobs SET state = 'sending'"
            " WHERE id = ? AND state IN ('queued', 'sending')",
            (job_id,),
        ).rowcount
        == 1
    )


def mark_printed(conn: WriteConnection, job_id: str) -> None:
    now = now_iso()
    commit(
        conn,
        None,
        "print_jobs",
        job_id,
        "update",
        {"state": "printed", "printed_at": now, "last_error": ""},
    )


def mark_failed(
    conn: WriteConnection,
    job_id: str,
    error: str,
    *,
    not_ready: bool,
    config_error: bool,
    maybe_printed: bool,
) -> str:
    """Record a failed attempt; returns what happened: `retry`, `rerouted` or `failed`.
    `maybe_printed`: the job's bytes had begun to leave, so it goes again as a reprint."""
    job = conn.execute("SELECT * FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if job is None:
        return "retry"
    attempts = job["attempts"] + 1
    now = utcnow()
    changes: dict[str, Any] = {
        "state": "queued",
        "attempts": attempts,
        "last_error": error[:500],
        "next_attempt_at": iso(now + timedelta(seconds=backoff(attempts))),
    }
    if maybe_printed and not job["reprint"] and _has_banner(job["kind"]):
        changes["reprint"] = True
    commit(conn, None, "print_jobs", job_id, "update", changes)
    if not_ready or attempts >= REROUTE_AFTER:
        backup = _backup_of(conn, job["printer_id"])
        if backup is not None:
            reroute(conn, job["printer_id"], backup)
            return "rerouted"
    if config_error and attempts >= REROUTE_AFTER:
        commit(conn, None, "print_jobs", job_id, "update", {"state": "failed"})
        return "failed"
    return "retry"


def _backup_of(conn: sqlite3.Connection, printer_id: str) -> str | None:
    row = conn.execute(
        "SELECT b.id FROM printers p JOIN printers b ON b.id = p.backup_printer_id"
        " WHERE p.id = ? AND b.enabled = 1",
        (printer_id,),
    ).fetchone()
    return row["id"] if row else None


def reroute(conn: WriteConnection, from_id: str, to_id: str) -> int:
    """Move every waiting job of `from_id` to `to_id`, in order, due now; rendered again for
    `to_id` when its profile differs and the job has a document."""
    now = now_iso()
    source, target = _profile_of(conn, from_id), _profile_of(conn, to_id)
    moved = conn.execute(
        f"SELECT id, rerouted_from, document FROM print_jobs {WAITING} WHERE printer_id = ?"
        " AND state IN ('queued', 'sending') ORDER BY seq",
        (from_id,),
    ).fetchall()
    for row in moved:
        changes: dict[str, Any] = {
            "printer_id": to_id,
            "rerouted_from": row["rerouted_from"] or from_id,
            "state": "queued",
            "attempts": 0,
            "next_attempt_at": now,
        }
        if target is not None and target != source:
            changes |= _rendered_for(row, target)
        commit(conn, None, "print_jobs", row["id"], "update", changes)
    return len(moved)


def render_again(
    conn: WriteConnection, actor: str | None, printer_id: str, profile: PrinterProfile
) -> int:
    """`printer_id` now has `profile` (a manager edited it): its jobs that wait, `queued` or
    `failed` (a manager may retry those), are rendered again for it in the same write. A job
    that is `sending` is on its way to the printer: it is left alone. Returns how many jobs got
    new bytes."""
    waiting = conn.execute(
        "SELECT id, document FROM print_jobs WHERE printer_id = ?"
        " AND state IN ('queued', 'failed') ORDER BY seq",
        (printer_id,),
    ).fetchall()
    changed = 0
    for row in waiting:
        changes = _rendered_for(row, profile)
        if changes:
            commit(conn, actor, "print_jobs", row["id"], "update", changes)
            changed += 1
    return changed


def _rendered_for(job: sqlite3.Row, profile: PrinterProfile) -> dict[str, Any]:
    """`{"payload": bytes}`: the job's document rendered for `profile`; `{}` when it has no
    readable document, and keeps the bytes it has (a drawer pulse, a job queued by an older
    version or written by a newer one)."""
    document = _document(job)
    return {"payload": render(document, profile)} if document is not None else {}


def _profile_of(conn: sqlite3.Connection, printer_id: str) -> PrinterProfile | None:
    row = conn.execute("SELECT profile FROM printers WHERE id = ?", (printer_id,)).fetchone()
    return get_profile(row["profile"]) if row else None


def _document(job: sqlite3.Row) -> Document | None:
    """The job's document, or None when it has none or this version cannot read it (then the
    stored bytes are what gets printed)."""
    if job["document"] is None:
        return None
    try:
        return codec.from_json(json.loads(job["document"]))
    except ValueError as exc:  # DocumentError, or not JSON at all
        log.warning(
            "print job %s: document not readable (%s); keeping its bytes",
            job["id"],
            exc,
            extra={"job": job["id"]},
        )
        return None


def printable(job: sqlite3.Row | dict[str, Any], profile: PrinterProfile) -> bytes:
    """The bytes that go to the printer: the job's, after a REPRINT banner when it is a
    reprint (a drawer pulse has no banner)."""
    data = bytes(job["payload"])
    if job["reprint"] and _has_banner(job["kind"]):
        data = reprint_banner(profile) + data
    return data


def recover(conn: WriteConnection) -> int:
    """At start: jobs caught mid-send by a crash go out again, marked as reprints. Found on
    `print_jobs_state`: a few rows, never the whole table and its bytes."""
    rows = conn.execute("SELECT id, kind FROM print_jobs WHERE state = 'sending'").fetchall()
    for row in rows:
        commit(
            conn,
            None,
            "print_jobs",
            row["id"],
            "update",
            {"state": "queued", "reprint": _has_banner(row["kind"])},
        )
    return len(rows)


def _has_banner(kind: str) -> bool:
    """A drawer pulse prints nothing, and a table's QR card goes on a table, where a second one
    does no harm: sent again, each goes as it was, with no banner."""
    return kind not in ("drawer", "table_card")


# --- what people do ------------------------------------------------------------------------


def retry(conn: WriteConnection, actor: Actor, job_id: str) -> dict[str, Any]:
    """A failed job, or one waiting out a long backoff, goes back to the queue, due now."""
    require(actor, "printers.edit")
    job = existing(conn, "print_jobs", job_id, "print job")
    if job["state"] == "printed":
        raise Conflict("the job was printed; reprint it instead", code="job_printed")
    commit(
        conn,
        actor.id,
        "print_jobs",
        job_id,
        "update",
        {"state": "queued", "attempts": 0, "next_attempt_at": now_iso()},
    )
    return get(conn, job_id)


def reprint(conn: WriteConnection, actor: Actor, job_id: str) -> dict[str, Any]:
    """The job again as a new job, under a REPRINT banner: rendered anew for the printer's
    profile as it is now (it may have changed since), or the same bytes when there is no
    readable document."""
    require(actor, "printers.edit")
    job = existing(conn, "print_jobs", job_id, "print job")
    if job["kind"] == "drawer":
        raise Conflict("a drawer pulse is not reprinted", code="not_printable")
    document = _document(job)
    profile = _profile_of(conn, job["printer_id"])
    payload = render(document, profile) if document and profile else job["payload"]
    new_id = enqueue(
        conn,
        actor.id,
        job["printer_id"],
        job["kind"],
        payload,
        document=document,
        source=(job["source_entity"], job["source_id"]) if job["source_entity"] else None,
        reprint=True,
    )
    assert new_id is not None
    return get(conn, new_id)


LIST_COLUMNS = (
    "j.id, j.seq, j.printer_id, p.name AS printer_name, j.kind, j.state, j.attempts,"
    " j.next_attempt_at, j.last_error, j.reprint, j.rerouted_from, j.source_entity,"
    " j.source_id, j.note, j.created_at, j.printed_at, length(j.payload) AS size"
)


# What `get` and `list_jobs` answer for each job (`LIST_COLUMNS`).
JOB_VIEW = shape(
    "PrintJob",
    {
        "id": ID,
        "seq": {**COUNT, "description": "print order"},
        "printer_id": ID,
        "printer_name": text(),
        "kind": enum(KINDS),
        "state": enum(STATES),
        "attempts": COUNT,
        "next_attempt_at": INSTANT,
        "last_error": text("why the last attempt failed (to those who may edit printers)"),
        "reprint": {**FLAG, "description": "printed under a REPRINT banner"},
        "rerouted_from": nullable({**ID, "description": "the printer it was meant for"}),
        "source_entity": nullable(text("what it prints: orders, order_lines, printers ...")),
        "source_id": nullable(text()),
        "note": text("why (a no-sale drawer opening's reason)"),
        "created_at": INSTANT,
        "printed_at": nullable(INSTANT),
        "size": {**COUNT, "description": "bytes of ESC/POS"},
    },
    optional=GUARDED_FIELDS["print_jobs"],
)


def _view(row: sqlite3.Row) -> dict[str, Any]:
    job = dict(row)
    job["reprint"] = bool(job["reprint"])
    return job


def get(conn: sqlite3.Connection, job_id: str) -> dict[str, Any]:
    query = (
        f"SELECT {LIST_COLUMNS} FROM print_jobs j JOIN printers p ON p.id = j.printer_id"
        " WHERE j.id = ?"
    )
    return _view(existing(conn, "print_jobs", job_id, "print job", query=query))


def list_jobs(
    conn: sqlite3.Connection,
    *,
    printer_id: str | None = None,
    state: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first, without the bytes. The WHERE holds only the filters given, so that SQLite
    walks `print_jobs_printer` or `print_jobs_state` (by a printer's and a state's, both given),
    else the jobs' print order, newest first, until it has `limit`."""
    where = [
        *(["j.printer_id = :printer"] if printer_id is not None else []),
        *(["j.state = :state"] if state is not None else []),
    ]
    filters = f" WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(
        f"SELECT {LIST_COLUMNS} FROM print_jobs j JOIN printers p ON p.id = j.printer_id"
        f"{filters} ORDER BY j.seq DESC LIMIT :limit",
        {"printer": printer_id, "state": state, "limit": limit},
    )
    return [_view(row) for row in rows]


def preview(conn: sqlite3.Connection, job_id: str, scale: int = 1) -> bytes:
    """A PNG of the job as its printer would print it now (its profile's width and code pages,
    the REPRINT banner if it has one), `scale` times the size for screens with denser pixels.
    Decoding and drawing take 10-30 ms: call it off the event loop (`Box.read`)."""
    job = conn.execute(
        "SELECT j.payload, j.kind, j.reprint, p.profile FROM print_jobs j"
        " JOIN printers p ON p.id = j.printer_id WHERE j.id = ?",
        (job_id,),
    ).fetchone()
    if job is None:
        raise NotFound("no such print job", id=job_id)
    profile = get_profile(job["profile"])
    printed = decode(printable(job, profile), escpos_profile=profile.escpos_profile)
    return preview_png(printed, profile.columns, scale=scale)
