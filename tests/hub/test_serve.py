"""`galley hub create-owner` and `galley hub serve` under real uvicorn with two worker
processes: an owner signs in, makes a store and a code, a box enrols, pushes and pulls."""

import dataclasses
import socket
import subprocess
import sys

import httpx
import psycopg
from psycopg import sql

from hub.config import HubSettings
from sync.envelope import PullPage, PushResult
from sync.ids import uuid7
from sync.signing import DeviceKey
from tests import pg
from tests.hub.kit import ROOT, Box, enrol, event, hub_process, item_fields


def _create_owner(settings: HubSettings, email: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "galley.cli", "hub", "create-owner", "--tenant", "Azul",
         "--email", email, "--password", "correct horse battery"],
        cwd=ROOT, env={**settings.environ(), "PATH": "/usr/bin:/bin"}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert email in done.stdout


async def test_a_served_hub_takes_an_enrolled_boxs_orders(hub_settings, request):
    settings = dataclasses.replace(hub_settings, workers=2)
    if settings.database_url.startswith("postgresql"):
        owner_url = request.getfixturevalue("pg_urls")[0]
        settings = dataclasses.replace(settings, migrate_url=owner_url)
    email = f"{uuid7()}@example.com"
    _create_owner(settings, email)
    with hub_process(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as hub:
            signed = await hub.post(
                "/api/sessions", json={"email": email, "password": "correct horse battery"}
            )
            headers = {"Authorization": f"Bearer {signed.json()['token']}"}
            store = (await hub.post("/api/stores", json={"name": "Azul"}, headers=headers)).json()
            code = await hub.post(f"/api/stores/{store['id']}/enrolment-codes", headers=headers)
            key = DeviceKey.generate()
            assert (await enrol(hub, code.json()["code"], key)).status_code == 201
            box = Box(hub, key, store["id"])
            for round_ in range(4):  # several requests: both workers answer some
                item = event(round_ + 1, "menu_items", uuid7(), "create", item_fields())
                pushed = await box.push([item], after=round_)
                assert PushResult.from_json(pushed.json()).upto == round_ + 1
            page = PullPage.from_json((await box.pull()).json())
            assert [change.seq for change in page.changes] == [1, 2, 3, 4]


def _galley_hub(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "galley.cli", "hub", *args],
        cwd=ROOT, env={"GALLEY_HUB_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_database_the_hub_cannot_use_is_said_in_a_sentence_not_a_traceback(pg_urls):
    with socket.socket() as closed:  # a port on loopback that nothing listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = f"postgresql://galley@127.0.0.1:{closed.getsockname()[1]}/galley_hub"
        done = _galley_hub("migrate", database_url=nowhere)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("galley hub migrate: ") and "Connection refused" in done.stderr

    server_url, _ = pg_urls  # a database nobody migrated: create-owner says what to run
    name = f"galley_empty_{uuid7().replace('-', '')[-12:]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        owner = ("create-owner", "--tenant", "Azul", "--email", "a@example.com")
        done = _galley_hub(*owner, database_url=pg.with_database(server_url, name))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("galley hub create-owner: ")
        assert "run `galley hub migrate`" in done.stderr
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
