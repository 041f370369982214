"""Print workers: one thread per printer delivers its queue, off the event loop and the writer.

A worker reads its printer's head job with a read connection, claims it (`sending`) through the
writer, sends the bytes with `printers.transports` (explicit timeouts, one connection per job),
reads DLE EOT status before (unless the job before it in this drain just found the printer
ready) and after (a printer that answers status and is silent after the job did not print it
whole), and records the outcome through the writer (a failure once the job's bytes
began to leave sends it again under a REPRINT banner: the printer may have printed some of it)
(`Writer.submit`, from this plain thread). A job printed is recorded in the same write that
claims the next one (`_claim`): one write per job while a queue drains, not two, and the claim
is still on disk before the next job's bytes leave. The queue's rules (order, backoff, reroute,
failed) are in `edge.domain.print_queue`.

A worker needs three things of the box, given to `PrintService` as callables: a quick read on
its own thread, a way to hand the writer a write from a plain thread (a future), and the bus to
listen to; it knows nothing else of the box. A worker wakes when a print event is committed (a
bus listener sets its `threading.Event`) or when its head job's backoff ends. `run_once` /
`drain` are the whole of its work: the thread runs them in a loop; tests call them directly and
move time with freezegun instead of sleeping.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge.core.events import Event, WriteConnection, cached, topic_of
from edge.domain import print_queue, printer_status
from edge.domain.printouts import profile
from printers.errors import (
    PrinterError,
    PrinterNotFound,
    PrinterNotReady,
    PrinterTimeout,
    PrinterUnsupported,
)
from printers.status import PrinterStatus
from printers.transports import transport_from_config
from sync.clock import parse_iso, utcnow

log = logging.getLogger(__name__)

IDLE_WAIT_S = 30.0  # a worker with nothing due looks again this often anyway
STOP_TIMEOUT_S = 5.0
# `read(fn, *args)`: fn(conn, *args) on a read connection, on the caller's thread.
Read = Callable[..., Any]
# `submit(fn, *args)`: fn(conn, *args) in the writer; the future settles once it is on disk.
Submit = Callable[..., concurrent.futures.Future[Any]]
# `listen(listener)`: listener(events) on the loop for every committed transaction.
Listen = Callable[[Callable[[list[Event]], None]], None]


# What a worker may send now: its printer's row and the job it claimed.
Claimed = tuple[sqlite3.Row, sqlite3.Row]
# A job a worker printed and has yet to record: its id and the printer's status after it.
Printed = tuple[str, PrinterStatus | None]


@dataclass
class Attempt:
    """What one try at a job learnt before it failed: the printer's last answer, and whether
    the job's bytes had begun to leave (then the printer may have printed some or all of it)."""

    status: PrinterStatus | None = None
    sent: bool = False


def _printed(
    conn: WriteConnection, job_id: str, printer_id: str, status: PrinterStatus | None
) -> None:
    print_queue.mark_printed(conn, job_id)
    printer_status.record(conn, printer_id, status, "")


def _due(conn: sqlite3.Connection, printer_id: str) -> Claimed | float | None:
    """The printer and its head job if that job is due; else seconds until it is, or None when
    nothing waits (or the printer is disabled)."""
    printer = _printer_row(conn, printer_id)
    if printer is None or not printer["enabled"]:
        return None
    job = print_queue.head(conn, printer_id)
    if job is None:
        return None
    wait = (parse_iso(job["next_attempt_at"]) - utcnow()).total_seconds()
    # Longer than any backoff: the clock went back (a box without a clock battery, set right by
    # NTP), and the kitchen must not wait those hours for its ticket.
    return wait if 0 < wait <= print_queue.BACKOFF_MAX_S else (printer, job)


def _claim(
    conn: WriteConnection, printer_id: str, printed: Printed | None
) -> Claimed | float | None:
    """In the writer: record the job just `printed`, if any, then claim the printer's head job
    if it is due (`_due` says what else)."""
    if printed is not None:
        _printed(conn, printed[0], printer_id, printed[1])
    due = _due(conn, printer_id)
    if isinstance(due, tuple) and not print_queue.mark_sending(conn, due[1]["id"]):
        return 0.0  # cannot happen: `head` found it waiting in this transaction
    return due


def _failed(
    conn: WriteConnection, job_id: str, printer_id: str, attempt: Attempt, error: PrinterError
) -> str:
    # The printer's answer says why it refused; any other failure came after it answered, if
    # it did (the connection dropped mid-job, a write timed out): for now it is not there.
    status = attempt.status if isinstance(error, PrinterNotReady) else None
    printer_status.record(conn, printer_id, status, str(error) or type(error).__name__)
    return print_queue.mark_failed(
        conn,
        job_id,
        f"{type(error).__name__}: {error}",
        not_ready=isinstance(error, PrinterNotReady),
        config_error=isinstance(error, (PrinterNotFound, PrinterUnsupported)),
        maybe_printed=attempt.sent,
    )


class PrintWorker:
    def __init__(self, printer_id: str, read: Read, submit: Submit) -> None:
        self.printer_id = printer_id
        self._read = read
        self._submit = submit
        self.wake = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None
        self.attempts = 0  # jobs tried by this worker, for `PrintService.drain_all`
        self._printed: Printed | None = None  # recorded with the next claim (`_claim`)
        # The transport whose status, read after the job just printed in this drain, said it
        # can print: the next job to it skips the status read before (see `_deliver`).
        self._ready: str | None = None

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self._loop, name=f"galley-print-{self.printer_id[-8:]}", daemon=True
        )
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopping:
            self.wake.clear()
            try:
                delay = self.drain()
            except Exception:  # never let one bad job kill the printer's thread
                log.exception("print worker failed", extra={"printer": self.printer_id})
                delay = 2.0
            self.wake.wait(IDLE_WAIT_S if delay is None else min(delay, IDLE_WAIT_S))

    def drain(self, limit: int = 100_000) -> float | None:
        """Run jobs until none is due; returns seconds until the next one is, None if none
        waits. Every job it printed is recorded when it returns."""
        try:
            for _ in range(limit):
                delay = self.run_once()
                if delay != 0 or self.stopping:
                    return delay
            return 0
        finally:
            self._ready = None  # a later drain asks the printer again before its first job
            if self._printed is not None:  # stopping, or the limit: record the last one alone
                job_id, status = self._printed
                self._submit(_printed, job_id, self.printer_id, status).result()
                self._printed = None

    def run_once(self) -> float | None:
        """Record the job printed last, and try the head job once if it is due. 0: something
        happened (call again); seconds until the head job is due; None: nothing waits (or the
        printer is disabled). A job printed is recorded by the next call (or by `drain`)."""
        printed, self._printed = self._printed, None
        # With nothing to record, a read finds whether anything is due (most wake-ups: another
        # printer's job); the writer claims it only then.
        due = self._read(_due, self.printer_id) if printed is None else None
        if printed is not None or isinstance(due, tuple):
            due = self._submit(_claim, self.printer_id, printed).result()
        if not isinstance(due, tuple):
            return due
        printer, job = due
        self.attempts += 1
        attempt = Attempt()
        try:
            data = print_queue.printable(job, profile(printer["profile"]))
            ready = self._ready == printer["transport"]
            self._ready = None
            status = self._deliver(json.loads(printer["transport"]), data, attempt, ready=ready)
        except PrinterError as error:
            outcome = self._submit(_failed, job["id"], self.printer_id, attempt, error).result()
            log.warning(
                "print job %s not printed (%s): %s",
                job["id"],
                outcome,
                error,
                extra={"job": job["id"], "printer": self.printer_id},
            )
            return 0
        self._printed = (job["id"], status)
        self._ready = printer["transport"] if status is not None else None
        return 0

    @staticmethod
    def _deliver(
        settings: dict[str, Any], data: bytes, attempt: Attempt, *, ready: bool = False
    ) -> PrinterStatus | None:
        """Send `data`; the printer's status afterwards. Raises PrinterError only, having noted
        in `attempt` what the printer answered and whether the job's bytes began to leave.

        The status read before the job keeps a job out of the buffer of a printer that cannot
        print. `ready`: the status read after the previous job of this drain, a few
        milliseconds ago, said it can print; that read stands for this one (a burst of jobs
        asks the printer once per job, not twice)."""
        try:
            transport = transport_from_config(settings)
        except (ValueError, KeyError) as exc:
            raise PrinterNotFound(f"bad printer settings: {exc}") from exc
        with transport:
            transport.open()  # refused, no such device: not a byte of the job left
            before = None if ready else transport.read_status()
            if before is not None:
                attempt.status = before
                before.raise_for_status()  # do not fill the buffer of a printer out of paper
            # From here the printer may get some or all of the job, whatever fails: a dropped
            # connection, a write that timed out, paper out or the cover opened during it.
            attempt.sent = True
            transport.send(data)
            # A printer that answers status and is silent after the job has stopped in it (the
            # paper ran out: its buffer is full, the question waits behind the job's rest) or
            # is still printing a long one: it has as long as a write may take to answer, and
            # silent then, the job is not printed. Only a printer that never answers (a
            # one-way cable) prints on trust.
            answers = ready or before is not None
            after = transport.read_status(wait=transport.timeout if answers else None)
            if after is None and answers:
                raise PrinterTimeout(
                    f"{transport!r}: no status within {transport.timeout:g} s after the job"
                )
            if after is not None:
                attempt.status = after
                after.raise_for_status()  # not printed whole: send it again
            return after


def _printer_row(conn: sqlite3.Connection, printer_id: str) -> sqlite3.Row | None:
    """The printer's row, kept on the writer's connection until printers change: every claim
    of a job reads it."""
    rows: dict[str, sqlite3.Row | None] = cached(conn, "printer_rows", dict)
    if printer_id not in rows:
        rows[printer_id] = conn.execute(
            "SELECT * FROM printers WHERE id = ?", (printer_id,)
        ).fetchone()
    return rows[printer_id]


class PrintService:
    """The box's print workers: one per printer, started with the box, stopped with it."""

    def __init__(self, read: Read, submit: Submit, listen: Listen, *, threads: bool = True) -> None:
        self._read = read
        self._submit = submit
        self._listen = listen
        self.threads = threads
        self.workers: dict[str, PrintWorker] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Requeue jobs a crash caught mid-send, then start a worker per printer."""
        recovered = self._submit(print_queue.recover).result()
        if recovered:
            log.warning("%d print jobs were cut off by a restart; sending them again", recovered)
        for printer_id in self._read(_printer_ids):
            self.worker(printer_id)
        self._listen(self._on_events)

    def worker(self, printer_id: str) -> PrintWorker:
        with self._lock:
            worker = self.workers.get(printer_id)
            if worker is None:
                worker = PrintWorker(printer_id, self._read, self._submit)
                self.workers[printer_id] = worker
                if self.threads:
                    worker.start()
        return worker

    def _on_events(self, batch: list[Event]) -> None:
        """On the loop: a new printer gets a worker; a job queued or moved for a printer wakes
        its worker; any other print event wakes every worker, except what the workers write
        themselves (a job printed, a printer's status): the worker that wrote it is awake."""
        wake: set[str] = set()
        everyone = False
        for event in batch:
            if event.entity == "printers" and event.op == "create":
                self.worker(event.entity_id)
            if topic_of(event) != "printers" or event.entity == "printer_status":
                continue
            if event.entity == "print_jobs" and event.fields.get("state") == "printed":
                continue
            if event.entity == "print_jobs" and "printer_id" in event.fields:
                wake.add(event.fields["printer_id"])
            else:
                everyone = True
        for printer_id, worker in list(self.workers.items()):
            if everyone or printer_id in wake:
                worker.wake.set()

    def drain_all(self, rounds: int = 1_000) -> None:
        """Drain every printer until nothing is due (tests; rerouting moves work between
        printers, so go round until a whole round did nothing)."""
        for printer_id in self._read(_printer_ids):
            self.worker(printer_id)
        for _ in range(rounds):
            before = sum(worker.attempts for worker in self.workers.values())
            for worker in list(self.workers.values()):
                worker.drain()
            if sum(worker.attempts for worker in self.workers.values()) == before:
                return

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        for worker in self.workers.values():
            worker.stopping = True
            worker.wake.set()
        for worker in self.workers.values():
            if worker.thread is not None:
                worker.thread.join(timeout)
                if worker.thread.is_alive():
                    log.warning("print worker %s did not stop in time", worker.printer_id)


def _printer_ids(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT id FROM printers ORDER BY id")]
