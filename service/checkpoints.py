"""WAL checkpoints beside the writes: a checkpointer thread on a connection of its own.

SQLite's own checkpoint runs in the COMMIT of the transaction that took the WAL past its length
(1,000 pages by default), so whoever waits for that commit waits for the copy into the database
file and that file's fsync too: the box's next order, the hub's answer to a push. A passive
checkpoint on another connection holds no lock a writer needs and lets go of the GIL for its
I/O, so it runs beside the writes. It copies what was committed when it began; the WAL starts
again from its beginning once all of it is copied, which a commit landing meanwhile puts off to
a later checkpoint. Each user decides when to ask (the box's writer by the WAL's length, the
hub's SQLite storage by the rows its transactions changed); one runs at a time, and asking
while it runs does nothing.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the WAL into the database file, passive (readers and writers are not waited for);
    False if SQLite refused (logged: the next checkpoint copies what this one left)."""
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error:
        log.exception("a checkpoint failed; the next one copies what it left")
        return False
    return True


class Checkpointer:
    """A thread that runs a checkpoint each time it is asked, on the connection `connect`
    opens. The connection is opened at once, before the caller writes anything: a connection
    still opening (its pragmas waiting for the write lock) would hold off the WAL's new start."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], name: str) -> None:
        self.checkpoints = 0  # done, for stats and tests
        self._asked: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._idle = threading.Event()  # none asked for and not done yet
        self._idle.set()
        conn = connect()
        self._thread = threading.Thread(target=self._run, args=(conn,), name=name, daemon=True)
        self._thread.start()

    def ask(self) -> bool:
        """Ask for a checkpoint; False, and nothing asked, while one is under way."""
        if not self._idle.is_set():
            return False
        self._idle.clear()
        self._asked.put(True)
        return True

    def wait(self, timeout: float) -> bool:
        """Wait until no checkpoint is under way; False if one still was after `timeout`."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        """Let the checkpoint under way finish, then stop and close the connection."""
        self._asked.put(False)
        self._thread.join()

    def _run(self, conn: sqlite3.Connection) -> None:
        try:
            while self._asked.get():
                if checkpoint(conn):
                    self.checkpoints += 1
                self._idle.set()
        finally:
            conn.close()
