"""The writer: group commit, one savepoint per write, answers only once the WAL is on disk."""

import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edge.core import db
from edge.core.events import cached, commit
from edge.core.identity import prepare
from edge.runtime.writer import Writer
from service import checkpoints
from service.errors import Invalid, StorageError

SLOW_FSYNC_S = 0.010  # one fsync on a Pi's SD card


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "edge.db"
    prepare(path)
    return path


def make_area(conn, area_id, name):
    commit(conn, "test", "areas", area_id, "create", {"name": name})
    return area_id


def area_id(n: int) -> str:
    return f"00000000-0000-7000-8000-{n:012d}"


async def test_group_commit_beats_one_fsync_per_order_on_a_slow_disk(store_path):
    """20 concurrent writers against a disk whose every commit costs 10 ms: one fsync per write
    would cap them at 100 writes/s; group commit shares each fsync among many."""
    writer = Writer(store_path, "n1", after_sync=lambda: time.sleep(SLOW_FSYNC_S))
    try:
        per_writer = 25

        async def client(c: int) -> None:
            for i in range(per_writer):
                await writer.run(make_area, area_id(c * 1000 + i), f"area {c}-{i}")

        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(20)))
        elapsed = time.perf_counter() - started
    finally:
        writer.close()
    writes, syncs = writer.stats.writes, writer.stats.syncs
    assert writes == 500
    per_sync = writes / syncs
    # With at most 100 fsyncs/s possible, >= 5 writes per fsync means > 500 writes/s.
    assert per_sync >= 5, f"{per_sync:.1f} writes per fsync"
    print(
        f"group commit: {writes / elapsed:.0f} writes/s, {per_sync:.1f} writes per fsync,"
        f" {writes / writer.stats.commits:.1f} per transaction"
    )


def test_a_cached_family_is_dropped_by_its_own_tables_only(store_path, fast_path_only):
    """The writer keeps the store's settings across changes of other tables, on the same topic
    too (a promo code is on the store topic), and reads them again after a change of the store
    table itself."""
    writer = Writer(store_path, "n1")
    built: list[int] = []

    def settings(conn) -> int:
        return cached(conn, "store", lambda: built.append(len(built)) or len(built))

    promo = {"code": "TEN", "kind": "percent", "value": 1000}
    try:
        assert writer.run_sync(settings) == 1
        writer.run_sync(make_area, area_id(1), "Terrace")
        writer.run_sync(lambda conn: commit(conn, "test", "promo_codes", "p1", "create", promo))
        assert writer.run_sync(settings) == 1 and built == [0]
        store = {"name": "Cafe"}
        writer.run_sync(lambda conn: commit(conn, "test", "store", "s1", "create", store))
        assert writer.run_sync(settings) == 2
    finally:
        writer.close()


async def test_one_failing_write_does_not_sink_the_others_in_its_transaction(store_path):
    writer = Writer(store_path, "n1")

    def refuse(conn):
        make_area(conn, area_id(99), "half written")
        raise Invalid("refused")

    try:
        results = await asyncio.gather(
            writer.run(make_area, area_id(1), "one"),
            writer.run(refuse),
            writer.run(make_area, area_id(2), "two"),
            return_exceptions=True,
        )
    finally:
        writer.close()
    assert results[0] == area_id(1) and results[2] == area_id(2)
    assert isinstance(results[1], Invalid)
    conn = db.connect(store_path, readonly=True)
    names = [r[0] for r in conn.execute("SELECT name FROM areas ORDER BY id")]
    seqs = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    assert names == ["one", "two"]
    assert seqs == list(range(1, len(seqs) + 1)), "seq must stay gapless after a rollback"


def one_batch(writer: Writer, *writes) -> list:
    """Submit `writes` so that the writer commits them together, in one transaction: a first
    write, running (so its batch is closed), holds the writer until all of them are queued.
    Returns each one's result or error."""
    running, gate = threading.Event(), threading.Event()
    held = writer.submit(lambda conn: running.set() or gate.wait(5))
    assert running.wait(5)
    futures = [writer.submit(fn, *args) for fn, *args in writes]
    gate.set()
    held.result(5)
    return [f.exception(5) or f.result(5) for f in futures]


def counting(runs: list[str]):
    """A write that makes area `n` and notes each run of it in `runs`."""

    def counted(conn, n, name):
        runs.append(name)
        return make_area(conn, area_id(n), name)

    return counted


def test_a_write_refused_before_it_changes_anything_costs_the_batch_nothing(
    store_path, fast_path_only
):
    runs: list[str] = []
    counted = counting(runs)

    def refuse(conn):
        raise Invalid("refused before writing")

    writer = Writer(store_path, "n1")
    try:
        results = one_batch(writer, (counted, 1, "one"), (refuse,), (counted, 2, "two"))
    finally:
        writer.close()
    assert results[0] == area_id(1) and results[2] == area_id(2)
    assert isinstance(results[1], Invalid)
    assert runs == ["one", "two"], "no write ran twice"
    assert writer.stats.reruns == 0 and writer.stats.commits == 2  # the gate's, then the batch's


def test_a_write_failing_half_way_reruns_its_batch_each_write_in_a_savepoint(
    store_path, fast_path_only
):
    runs: list[str] = []
    counted = counting(runs)

    def half_written(conn):
        make_area(conn, area_id(99), "half written")
        raise Invalid("refused after writing")

    writer = Writer(store_path, "n1")
    try:
        results = one_batch(writer, (counted, 1, "one"), (half_written,), (counted, 2, "two"))
    finally:
        writer.close()
    assert results[0] == area_id(1) and results[2] == area_id(2)
    assert isinstance(results[1], Invalid)
    assert runs == ["one", "one", "two"], "the first pass stopped at the half-done write"
    assert writer.stats.reruns == 1 and writer.stats.commits == 2
    conn = db.connect(store_path, readonly=True)
    names = [r[0] for r in conn.execute("SELECT name FROM areas ORDER BY id")]
    events = conn.execute("SELECT seq, entity_id FROM events ORDER BY seq").fetchall()
    conn.close()
    assert names == ["one", "two"]
    assert [seq for seq, _ in events] == [1, 2], "seq stays gapless"
    assert [entity for _, entity in events] == [area_id(1), area_id(2)]


async def test_constraint_errors_become_storage_errors_and_write_nothing(store_path):
    writer = Writer(store_path, "n1")
    try:
        with pytest.raises(StorageError) as refused:
            await writer.run(
                lambda conn: commit(
                    conn,
                    "t",
                    "tables",
                    area_id(5),
                    "create",
                    {"area_id": area_id(404), "name": "X"},
                )
            )
    finally:
        writer.close()
    assert refused.value.code == "constraint"
    conn = db.connect(store_path, readonly=True)
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


async def test_a_write_is_visible_to_readers_when_its_caller_hears_back(store_path):
    writer = Writer(store_path, "n1")
    reader = db.connect(store_path, readonly=True)
    try:
        for n in range(20):
            await writer.run(make_area, area_id(n), f"a{n}")
            assert reader.execute("SELECT COUNT(*) FROM areas").fetchone()[0] == n + 1
    finally:
        writer.close()


def test_the_database_is_wal_with_full_sync_and_foreign_keys(store_path):
    conn = db.connect(store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(db.migrations())
    # The writer's own connection does not wait for the disk in COMMIT: its syncer does.
    writer = Writer(store_path, "n1")
    try:
        assert writer._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        writer.close()


def wait_until(condition, within: float = 10.0) -> None:
    """Poll `condition` (bounded): for a state another thread reaches, not for time to pass."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition was never met"
        time.sleep(0.002)  # poll interval, not an assertion


async def test_a_caller_hears_back_once_the_wal_is_on_disk_and_the_writer_goes_on_meanwhile(
    store_path,
):
    flushing, release = threading.Event(), threading.Event()

    def slow_disk() -> None:  # runs once the WAL is flushed, before anyone is answered
        flushing.set()
        release.wait(10)

    writer = Writer(store_path, "n1", after_sync=slow_disk)
    reader = db.connect(store_path, readonly=True)
    try:
        first = asyncio.ensure_future(writer.run(make_area, area_id(1), "one"))
        await asyncio.to_thread(flushing.wait, 10)
        second = asyncio.ensure_future(writer.run(make_area, area_id(2), "two"))
        # The writer committed the second write while the first was still with the disk, and
        # the second syncer flushed it without waiting for the first ...
        count = "SELECT COUNT(*) FROM areas"
        await asyncio.to_thread(wait_until, lambda: reader.execute(count).fetchone()[0] == 2)
        await asyncio.to_thread(wait_until, lambda: writer.stats.syncs == 2)
        assert writer.stats.commits == 2
        # ... and neither caller has heard back while both flushes are with the (slow) disk.
        await asyncio.sleep(0)
        assert not first.done() and not second.done()
        release.set()
        assert await first == area_id(1) and await second == area_id(2)
        assert writer.stats.syncs == 2
    finally:
        release.set()
        reader.close()
        writer.close()


async def test_a_wal_that_cannot_reach_the_disk_refuses_the_writes_it_holds(
    store_path, monkeypatch
):
    writer = Writer(store_path, "n1")
    try:
        await writer.run(make_area, area_id(1), "one")

        def broken_disk(fd: int) -> None:
            raise OSError(5, "Input/output error")

        with monkeypatch.context() as patched:
            patched.setattr("os.fdatasync", broken_disk)
            with pytest.raises(StorageError, match="may not be on disk"):
                await writer.run(make_area, area_id(2), "two")
        assert writer.stats.failed_writes == 1
        assert await writer.run(make_area, area_id(3), "three") == area_id(3)
        assert writer.alive
    finally:
        writer.close()


def test_event_fields_are_stored_as_text_even_with_non_ascii_names(store_path):
    # The JSON is bound as orjson's UTF-8 bytes and cast to TEXT: it must not land as a BLOB.
    writer = Writer(store_path, "n1")
    try:
        writer.run_sync(make_area, area_id(1), "Terraço Padrón")
    finally:
        writer.close()
    conn = db.connect(store_path, readonly=True)
    kind, fields = conn.execute(
        "SELECT typeof(fields), fields FROM events WHERE entity = 'areas'"
    ).fetchone()
    assert kind == "text"
    assert json.loads(fields)["name"] == "Terraço Padrón"
    assert conn.execute("SELECT COUNT(*) FROM events WHERE fields LIKE '%Padrón%'").fetchone()[0]


def test_none_and_booleans_are_stored_as_null_and_integers(tmp_path):
    # edge.core.db registers plain adapters for None and bool (speed); what is stored must not
    # change.
    conn = db.connect(tmp_path / "plain.db")
    conn.execute("CREATE TABLE t (v)")
    conn.executemany("INSERT INTO t VALUES (?)", [(None,), (True,), (False,)])
    rows = conn.execute("SELECT typeof(v), v FROM t ORDER BY rowid").fetchall()
    assert [tuple(row) for row in rows] == [
        ("null", None),
        ("integer", 1),
        ("integer", 0),
    ]


# Run in a fresh interpreter: whether SQLite may be reconfigured depends on what the process
# has opened before. Prints whether the statistics went off and SQLite's count of the memory it
# holds with a connection open (0 when counting is off).
_TUNE = """
import ctypes, ctypes.util, sys
from edge.core import db
early = db.connect(sys.argv[2]) if sys.argv[1] == "open-first" else None
tuned = db.tune_sqlite()
conn = db.connect(sys.argv[2])
conn.execute("BEGIN IMMEDIATE"); conn.execute("ROLLBACK")
lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
used, peak = ctypes.c_int64(), ctypes.c_int64()
lib.sqlite3_status64(0, ctypes.byref(used), ctypes.byref(peak), 0)
print(tuned, used.value)
"""


@pytest.mark.parametrize(
    ("first", "expected_tuned", "counted"),
    [("tune-first", "True", False), ("open-first", "False", True)],
)
def test_sqlite_memory_statistics_go_off_only_before_any_connection(
    store_path, first, expected_tuned, counted
):
    done = subprocess.run(
        [sys.executable, "-c", _TUNE, first, str(store_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    tuned, used = done.stdout.split()
    assert tuned == expected_tuned
    assert (int(used) > 0) is counted, done.stdout


def test_migrations_are_numbered_without_gaps():
    versions = [v for v, _, _ in db.migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "edge.db"
    prepare(path)
    conn = db.connect(path)
    good = db.migrations()
    monkeypatch.setattr(
        db,
        "migrations",
        lambda: [*good, (len(good) + 1, "bad.sql", "CREATE TABLE x (a);\nSELEC oops;")],
    )
    with pytest.raises(sqlite3.OperationalError):
        db.migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(good)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'x'").fetchone() is None


def test_submit_from_a_plain_thread_settles_once_durable(store_path):
    """Print workers are plain threads: `submit` hands back a concurrent future."""
    import concurrent.futures
    import threading

    writer = Writer(store_path, "n1")
    try:
        results: list[str] = []

        def worker() -> None:
            future = writer.submit(make_area, area_id(7), "Patio")
            assert isinstance(future, concurrent.futures.Future)
            results.append(future.result(5))
            with pytest.raises(Invalid):
                writer.submit(_refuse).result(5)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(10)
        assert results == [area_id(7)]
    finally:
        writer.close()
    conn = db.connect(store_path, readonly=True)
    assert conn.execute("SELECT name FROM areas").fetchall()[0][0] == "Patio"
    conn.close()
    with pytest.raises(StorageError):
        writer.submit(make_area, area_id(8), "late")


def _refuse(conn):
    raise Invalid("no")


async def test_a_commit_landing_during_a_flush_waits_for_its_own_flush_only(store_path):
    """The first flush is slow; the second write, committed meanwhile, is flushed by the other
    syncer, which covers the first write too (it began after that commit): both callers hear
    back while the first flush is still with the disk."""
    flushing, release = threading.Event(), threading.Event()

    def first_flush_slow() -> None:
        if not flushing.is_set():
            flushing.set()
            release.wait(10)

    writer = Writer(store_path, "n1", after_sync=first_flush_slow)
    try:
        first = asyncio.ensure_future(writer.run(make_area, area_id(1), "one"))
        await asyncio.to_thread(flushing.wait, 10)
        second = await writer.run(make_area, area_id(2), "two")
        assert second == area_id(2) and not release.is_set()
        assert await first == area_id(1)
    finally:
        release.set()
        writer.close()
    assert writer.stats.syncs == 2


def test_the_checkpointer_copies_the_wal_beside_the_writer_once_it_holds_1000_pages(
    store_path, monkeypatch
):
    """Once the WAL holds 1,000 pages, the checkpointer copies it into the database file on a
    connection of its own: no write waits for it (SQLite's own checkpoint would run in the
    COMMIT of the batch that took the WAL past 1,000 pages, and the writer's own held the next
    batch). Below 1,000 pages nothing is copied."""
    copying, release = threading.Event(), threading.Event()
    checkpoint = checkpoints.checkpoint

    def held(conn):
        if threading.current_thread().name == "galley-checkpointer":
            copying.set()
            release.wait(10)
        return checkpoint(conn)

    monkeypatch.setattr(checkpoints, "checkpoint", held)
    writer = Writer(store_path, "n1")
    try:
        before = store_path.stat().st_size
        writer.run_sync(make_area, area_id(1), "one")
        assert not copying.is_set()
        writer.run_sync(fill, 1_200 * 4096)
        assert copying.wait(10)
        writer.run_sync(make_area, area_id(2), "two")  # while the checkpoint is held
        assert not release.is_set()
    finally:
        release.set()
        writer.close()
    assert (writer.checkpointer.checkpoints, writer.stats.waited_checkpoints) == (1, 0)
    assert store_path.stat().st_size > before + 1_200 * 4096


def test_the_writer_checkpoints_itself_once_the_wal_holds_2000_pages(store_path):
    """Commits that land while the checkpointer copies keep the WAL from starting again from its
    beginning; should it reach 2,000 pages, the writer copies it itself, with nothing committed
    meanwhile, so that all of it is copied and the WAL starts again."""
    writer = Writer(store_path, "n1")
    try:
        writer.run_sync(fill, 2_000 * 4096)
        writer.run_sync(make_area, area_id(1), "one")  # the writer is past its checkpoint
        assert writer.stats.waited_checkpoints == 1
        assert writer._wal.reaches((1_000,)) == 0  # started again from its beginning
    finally:
        writer.close()


def fill(conn, length: int) -> None:
    conn.execute("CREATE TABLE filler (data BLOB)")
    conn.execute("INSERT INTO filler VALUES (zeroblob(?))", (length,))
