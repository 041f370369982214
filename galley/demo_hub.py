"""The demo's hub: `galley hub serve` on SQLite beside the demo store, which is enrolled with it
and syncs, so that a newcomer sees a store and a hub in step (and an owner's edit on the hub
reach the store's admin page a few seconds later).

The hub keeps its data next to the store's (`hub.db` in the demo's folder) and runs as a process
of its own on 127.0.0.1, as it would on another machine. The first start makes a tenant, its
owner (the banner prints the email and password: a demo's, for this machine only) and the store,
and enrols the box with a one-time code; later starts find them and only point the box at the
hub's port, which may have changed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from edge.core import db, identity
from edge.core.config import EdgeSettings
from edge.setup import enrolment
from edge.setup.provision import write_once
from hub.config import HubSettings
from hub.domain import owners, stores
from hub.storage import open_storage
from hub.storage.tx import Tx
from sync import hashing

HUB_PORT = 8100
OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "galley-demo-owner"  # a demo's, on a hub that listens on 127.0.0.1 only
READY_WITHIN_S = 30.0


@dataclass(frozen=True)
class DemoHub:
    url: str
    email: str
    password: str
    store_id: str | None  # None: the box could not be enrolled (the banner says why)
    note: str = ""


def _free_port(port: int) -> int:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
        try:
            probe.bind(("127.0.0.1", port))
            return port
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


def _sign_up_with_store(tx: Tx, store_name: str, password_hash: str) -> dict[str, Any]:
    made = owners.sign_up(tx, "Demo restaurants", OWNER_EMAIL, password_hash)
    tx.become(made["tenant_id"])
    store = stores.new_store(tx, store_name)
    return stores.new_code(tx, store["id"], 1)


def _state(settings: EdgeSettings) -> identity.SyncState:
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        return identity.sync_state(conn)


def _store_name(settings: EdgeSettings) -> str:
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        return conn.execute("SELECT name FROM store").fetchone()[0]


@contextlib.contextmanager
def running(settings: EdgeSettings, port: int) -> Iterator[DemoHub]:
    """The demo's hub, serving until the block ends, with the demo store enrolled."""
    path = settings.data_dir.resolve() / "hub.db"
    state = _state(settings)
    code = None
    if not (path.exists() and state.enrolled):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        hub_settings = HubSettings(database_url=f"sqlite:///{path}")
        storage = open_storage(hub_settings)
        try:
            made = storage.run_sync(
                _sign_up_with_store, _store_name(settings), hashing.hash_secret(OWNER_PASSWORD)
            )
        finally:
            storage.close()
        code = made["code"]
    port = _free_port(port)
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GALLEY_HUB_DATABASE_URL": f"sqlite:///{path}",
        "GALLEY_HUB_HOST": "127.0.0.1",
        "GALLEY_HUB_PORT": str(port),
        "GALLEY_HUB_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "galley.cli", "hub", "serve"], env=env)
    try:
        note = _wait_ready(process, url)
        store_id = state.store_id
        if not note and code is not None:
            outcome = enrolment.enrol_now(settings, url, code)
            store_id = outcome.enrolled.store_id if outcome.enrolled else None
            note = "" if outcome.enrolled else outcome.message
        elif not note and state.hub_url != url:
            write_once(settings.database, _point_at, url)
        yield DemoHub(url, OWNER_EMAIL, OWNER_PASSWORD, store_id, note)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _point_at(conn, url: str) -> None:
    """The same enrolment, at the hub's address of this start."""
    state = identity.sync_state(conn)
    assert state.tenant_id and state.store_id and state.key_id
    identity.enrol(
        conn, tenant_id=state.tenant_id, store_id=state.store_id, key_id=state.key_id, hub_url=url
    )


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> str:
    """'' once the hub answers, else why not (the demo then runs its store alone)."""
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"the hub stopped at start (exit {process.returncode}): the store runs alone"
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return ""
        time.sleep(0.1)  # readiness poll interval
    return f"the hub did not answer within {READY_WITHIN_S:.0f} s: the store runs alone"
