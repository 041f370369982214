"""Who the box is and where it stands with the hub: kept in the database, read and written by
`edge.core.identity` alone, never an event, never exported."""

import contextlib

import pytest

from edge.core import db, events, identity
from edge.runtime.writer import Writer
from edge.setup import export
from sync.ids import uuid7


@pytest.fixture
def writer(settings):
    running = Writer(settings.database, "box1")
    yield running
    running.close()


def _state(settings):
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        return identity.sync_state(conn), events.last_seq(conn)


def test_a_box_enrols_and_keeps_its_cursors_across_a_restart(settings, writer):
    fresh, seq = _state(settings)
    assert not fresh.enrolled and (fresh.push_cursor, fresh.pull_cursor) == (0, 0)
    tenant, store = uuid7(), uuid7()
    enrolment = {
        "tenant_id": tenant,
        "store_id": store,
        "key_id": "ab12",
        "hub_url": "http://127.0.0.1:8100",
    }

    def enrol_and_sync(conn):
        identity.enrol(conn, **enrolment)
        identity.pushed(conn, 120)
        identity.pulled(conn, 7)

    writer.run_sync(enrol_and_sync)
    writer.close()
    again = Writer(settings.database, "box1")  # a restart
    again.close()
    state, after = _state(settings)
    assert state.enrolled and (state.tenant_id, state.store_id, state.key_id) == (
        tenant,
        store,
        "ab12",
    )
    assert state.hub_url == "http://127.0.0.1:8100" and state.enrolled_at
    assert (state.push_cursor, state.pull_cursor) == (120, 7)
    assert after == seq  # bookkeeping, not an event: nothing for the feed nor the outbox


def test_enrolled_again_for_the_same_store_keeps_the_cursors_and_for_another_starts_over(
    settings, writer
):
    store = uuid7()

    def enrol(conn, store_id, key_id):
        identity.enrol(conn, tenant_id="t", store_id=store_id, key_id=key_id, hub_url="http://h")

    writer.run_sync(enrol, store, "k1")
    writer.run_sync(lambda conn: (identity.pushed(conn, 50), identity.pulled(conn, 9)))
    writer.run_sync(enrol, store, "k2")  # a new key after the old one was revoked
    state, _ = _state(settings)
    assert (state.key_id, state.push_cursor, state.pull_cursor) == ("k2", 50, 9)
    writer.run_sync(enrol, uuid7(), "k3")
    state, _ = _state(settings)
    assert (state.key_id, state.push_cursor, state.pull_cursor) == ("k3", 0, 0)


def test_where_the_box_stands_is_never_exported(settings):
    for table in ("sync_state", "box"):
        with pytest.raises(export.Refused), export.reading(settings.database, table):
            pass
