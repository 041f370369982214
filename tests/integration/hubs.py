"""A real hub for the box's tests: `galley hub serve` (uvicorn) on 127.0.0.1, an owner signed
in, and stores with codes for boxes to enrol with.

    with served_hub(settings) as hub:              # HubSettings: SQLite or PostgreSQL
        store = hub.store("Café Azul")             # {"id", "name", ...}
        code = hub.code(store["id"])
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from hub.config import HubSettings
from hub.domain import owners
from hub.storage import open_storage
from sync.ids import uuid7
from tests.hub.kit import PASSWORD, PASSWORD_HASH, hub_process


@dataclass
class ServedHub:
    url: str
    http: httpx.Client
    headers: dict[str, str]

    def store(self, name: str = "Store") -> dict[str, Any]:
        answer = self.http.post("/api/stores", json={"name": name}, headers=self.headers)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def code(self, store_id: str) -> str:
        answer = self.http.post(f"/api/stores/{store_id}/enrolment-codes", headers=self.headers)
        assert answer.status_code == 201, answer.text
        return answer.json()["code"]

    def get(self, path: str) -> Any:
        answer = self.http.get(path, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def digest(self, store_id: str, tickets_before: str | None = None) -> dict[str, Any]:
        """The hub's digest of the store, asked as a box that pruned tickets fired before
        `tickets_before` asks it."""
        query = f"?tickets_before={tickets_before}" if tickets_before else ""
        return self.get(f"/api/stores/{store_id}/digest{query}")


def new_owner(settings: HubSettings, tenant: str = "Tenant") -> str:
    """A tenant and its owner, as `galley hub create-owner` makes them: the owner's email."""
    email = f"owner-{uuid7()}@example.com"
    storage = open_storage(settings)
    try:
        storage.run_sync(owners.sign_up, tenant, email, PASSWORD_HASH)
    finally:
        storage.close()
    return email


def signed_in(http: httpx.Client, email: str) -> dict[str, str]:
    answer = http.post("/api/sessions", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@contextlib.contextmanager
def served_hub(settings: HubSettings, tenant: str = "Tenant") -> Iterator[ServedHub]:
    email = new_owner(settings, tenant)
    with hub_process(settings) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield ServedHub(url, http, signed_in(http, email))


async def first_round_done(box: Any, within: float = 10.0) -> None:
    """Wait for the sync round the box starts with (it paces itself: `edge.runtime.pacing`),
    so that the rounds a test runs after are the only ones and meet the faults it injects."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while box.sync.status.state in ("not_enrolled", "connecting"):
        assert loop.time() < deadline, f"no first sync round in {within} s: {box.sync.status}"
        await asyncio.sleep(0.01)
