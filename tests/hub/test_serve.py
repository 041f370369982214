"""`galley hub create-owner` and `galley hub serve` under real uvicorn with two worker
processes: an owner signs in, makes a store and a code, a box enrols, pushes and pulls."""

import dataclasses
import subprocess
import sys

import httpx

from hub.config import HubSettings
from sync.envelope import PullPage, PushResult
from sync.ids import uuid7
from sync.signing import DeviceKey
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
