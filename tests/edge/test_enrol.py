"""`galley edge enrol --hub URL --code CODE` against a real hub (uvicorn): the key kept with
mode 0600, the store bound in `sync_state`, and the exit codes image/first_boot.py relies on:
0 enrolled, 2 a wrong, used or expired code, 3 the hub unreachable."""

import asyncio
import contextlib
import dataclasses
import os
import sqlite3
import stat
import subprocess
import sys

import httpx
import pytest
from starlette.responses import HTMLResponse

from edge.api.app import create_app
from edge.core import db, identity
from edge.core.config import EdgeSettings
from edge.runtime.hub_client import HubUnreachable
from edge.setup.provision import write_once
from hub.config import HubSettings
from sync.envelope import Enrolment
from sync.signing import DeviceKey
from tests.hub.kit import ROOT, free_port
from tests.integration.hubs import served_hub
from tests.live import serve


@pytest.fixture(scope="module")
def hub_db(tmp_path_factory):
    return tmp_path_factory.mktemp("hub") / "hub.db"


@pytest.fixture(scope="module")
def hub(hub_db):
    with served_hub(HubSettings(database_url=f"sqlite:///{hub_db}")) as served:
        yield served


def _enrol(settings, hub_url, code):
    env = {**os.environ, "GALLEY_DATA_DIR": str(settings.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "galley.cli", "edge", "enrol", "--hub", hub_url, "--code", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _state(settings):
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        return identity.sync_state(conn)


def test_a_box_enrols_with_a_code_and_keeps_its_key_to_itself(settings, hub):
    store = hub.store("Café Azul")
    done = _enrol(settings, hub.url, hub.code(store["id"]))
    assert done.returncode == 0, done.stderr
    assert "Café Azul" in done.stdout
    key = settings.device_key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    state = _state(settings)
    assert (state.store_id, state.hub_url) == (store["id"], hub.url)
    assert state.key_id == DeviceKey.load(key).key_id
    devices = hub.get(f"/api/stores/{store['id']}/devices")
    assert [d["key_id"] for d in devices["devices"]] == [state.key_id]


def test_a_wrong_or_used_code_is_refused_for_good_and_changes_nothing(settings, hub):
    store = hub.store()
    wrong = _enrol(settings, hub.url, "ABCDE-FGHJK")
    assert wrong.returncode == 2
    assert "no such enrolment code" in wrong.stderr
    assert not _state(settings).enrolled
    kept = DeviceKey.load(settings.device_key).key_id  # made once, reused by the next try
    code = hub.code(store["id"])
    assert _enrol(settings, hub.url, code).returncode == 0
    assert _state(settings).key_id == kept
    used = _enrol(settings, hub.url, code)  # a used code: the enrolment stays as it was
    assert used.returncode == 2 and "used already" in used.stderr
    assert _state(settings).key_id == kept and DeviceKey.load(settings.device_key).key_id == kept


def test_an_expired_code_is_refused(settings, hub, hub_db):
    code = hub.code(hub.store()["id"])
    with contextlib.closing(sqlite3.connect(hub_db)) as conn, conn:  # 25 hours later
        conn.execute("UPDATE enrolment_codes SET expires_at = '2000-01-01T00:00:00.000Z'")
    done = _enrol(settings, hub.url, code)
    assert done.returncode == 2 and "expired" in done.stderr


def test_an_unreachable_hub_is_exit_3_and_a_box_enrolled_again_gets_a_new_key(settings, hub):
    closed = f"http://127.0.0.1:{free_port()}"
    done = _enrol(settings, closed, "ABCDE-FGHJK")
    assert done.returncode == 3 and "cannot be reached" in done.stderr
    first = hub.store("North")
    assert _enrol(settings, hub.url, hub.code(first["id"])).returncode == 0
    old = _state(settings).key_id
    second = hub.store("South")
    assert _enrol(settings, hub.url, hub.code(second["id"])).returncode == 0
    state = _state(settings)
    assert state.store_id == second["id"] and state.key_id != old
    assert DeviceKey.load(settings.device_key).key_id == state.key_id
    assert not settings.device_key_next.exists()


async def _web_page(scope, receive, send):
    """A web server that is not a hub (a proxy's or a website's 404 page)."""
    if scope["type"] == "http":
        page = HTMLResponse("<html><h1>404 Not Found</h1><hr>nginx</html>", status_code=404)
        await page(scope, receive, send)


@pytest.mark.parametrize("address", ["website", "hub.galley.test", "ftp://127.0.0.1/"])
def test_an_address_that_is_not_a_hub_is_exit_4_not_a_refused_code(settings, address):
    """A mistyped `hub` must not pass for a refused code (exit 2): first boot would strike a
    good code from the setup file and send the technician for a new one."""
    with serve(_web_page) as website:
        done = _enrol(settings, website if address == "website" else address, "ABCDE-FGHJK")
    assert done.returncode == 4, (done.returncode, done.stderr)
    assert "not a Galley hub" in done.stderr and "check the hub's address" in done.stderr
    assert "refused the code" not in done.stderr
    assert not _state(settings).enrolled


@pytest.fixture
def own_hub(tmp_path):
    """A hub of this test's own: the module's has counted its address's enrolment tries."""
    with served_hub(HubSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}")) as served:
        yield served


def _enrolled_but_never_told(settings, hub, code: str) -> str:
    """What the box's first try did when its answer never came back (a power cut, a link cut
    just after the hub committed): the hub bound the box's key to the store, the box recorded
    nothing. The key's id."""
    node = identity.prepare(settings.database).node
    key = DeviceKey.generate()
    key.save(settings.device_key)
    body = Enrolment(code, key.public_pem(), node).to_bytes()
    answer = httpx.post(f"{hub.url}/sync/v1/enrol", content=body, timeout=10,
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert not _state(settings).enrolled
    return key.key_id


def test_an_enrolment_whose_answer_was_lost_completes_when_tried_again(settings, own_hub):
    """The same code again: it was refused as used (exit 2), and first boot struck it."""
    hub = own_hub
    store = hub.store("Lost answer")
    code = hub.code(store["id"])
    key_id = _enrolled_but_never_told(settings, hub, code)
    done = _enrol(settings, hub.url, code)
    assert done.returncode == 0, done.stderr
    state = _state(settings)
    assert (state.store_id, state.key_id) == (store["id"], key_id)


def test_a_box_whose_enrolment_answer_was_lost_enrols_with_a_new_code(settings, own_hub):
    """A new code: the hub knew the box's key ("enrolled already") and the box, which did not
    know, kept sending it: refused for good, whatever code the owner made."""
    hub = own_hub
    store = hub.store("Lost answer, new code")
    lost = _enrolled_but_never_told(settings, hub, hub.code(store["id"]))
    done = _enrol(settings, hub.url, hub.code(store["id"]))
    assert done.returncode == 0, done.stderr
    state = _state(settings)
    assert state.store_id == store["id"] and state.key_id != lost
    assert DeviceKey.load(settings.device_key).key_id == state.key_id


class Link(httpx.AsyncBaseTransport):
    """The network to the hub, with a switch that cuts it."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.down = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the link is down", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_box_enrolled_with_no_store_waits_for_the_hub_and_says_why(tmp_path, hub):
    """A replacement box: enrolled on an empty card (before, `edge enrol` refused it: run
    `edge init` first, which made it a new store). Until the store's setup has come it opens
    nothing, and says what it waits for: the hub not answering, or a hub that holds no
    settings for the store."""
    settings = EdgeSettings(data_dir=tmp_path / "box", print_workers=False, sync_seconds=3600)
    store = hub.store("Café Azul")
    done = await asyncio.to_thread(_enrol, settings, hub.url, hub.code(store["id"]))
    assert done.returncode == 0, done.stderr
    assert "takes this store's setup" in done.stdout
    link = Link()
    app = create_app(settings, hub_transport=link)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://edge") as client,
    ):
        with pytest.raises(HubUnreachable):
            await app.state.box.sync.round()
        setup = (await client.get("/healthz")).json()["setup"]
        assert setup["state"] == "waiting_for_hub" and "has not answered" in setup["message"]
        refused = await client.get("/api/staff/roster")
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "waiting_for_hub"
        page = await client.get("/admin/")
        assert page.status_code == 503 and "has not answered" in page.text
        link.down = False
        await app.state.box.sync.round()
        setup = (await client.get("/healthz")).json()["setup"]
        assert setup["state"] == "waiting_for_hub"
        assert "holds no settings for this store" in setup["message"]


async def test_a_box_restarted_half_way_through_its_first_pull_opens_once_it_is_done(settings, hub):
    """The store row came in the first pull's first write, the menu and staff not yet: the box
    stays closed until a whole pull is done, restarted or not."""
    store = hub.store("Café Azul")
    assert _enrol(settings, hub.url, hub.code(store["id"])).returncode == 0
    write_once(settings.database, identity.await_setup)  # as a replacement box's enrolment
    app = create_app(dataclasses.replace(settings, print_workers=False, sync_seconds=3600))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://edge") as client,
    ):
        assert (await client.get("/api/staff/roster")).status_code == 503
        await app.state.box.sync.round()
        assert (await client.get("/healthz")).json()["setup"] == {"state": "ready", "message": None}
        assert (await client.get("/api/staff/roster")).status_code != 503
