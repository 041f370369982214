"""Making a hub's tenants, stores and boxes in a test, and a box that signs what it sends.

    owner = await new_owner(hub, storage)                 # a tenant and its signed-in owner
    store = await new_store(hub, owner, "Café Azul")      # {"id", "name", "push_upto", ...}
    box = await enrolled_box(hub, owner, store["id"])     # a DeviceKey enrolled with a code
    answer = await box.push([order_event(1)], after=0)    # signed POST /sync/v1/push
    page = await box.pull(cursor=0)                       # signed GET /sync/v1/pull

`hub` is an httpx.AsyncClient on the hub: in-process, `httpx.ASGITransport(app=app)` with
`app = hub.app.create_app(HubSettings(database_url=...))` inside its lifespan (see
tests/hub/conftest.py); or a real server, `with hub_process(settings) as url:` (uvicorn).
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
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from hub.config import HubSettings
from hub.domain import owners
from sync import hashing
from sync.clock import now_iso, now_ms
from sync.envelope import PushBatch, PushedEvent
from sync.ids import uuid7
from sync.signing import DeviceKey, sign

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
PASSWORD_HASH = hashing.hash_secret(PASSWORD)  # scrypt is slow on purpose: once per test session


@dataclass(frozen=True)
class Owner:
    tenant_id: str
    email: str
    headers: dict[str, str]


async def new_owner(hub: httpx.AsyncClient, storage: Any, tenant: str = "Tenant") -> Owner:
    """A new tenant and its owner (as `galley hub create-owner` makes them), signed in."""
    email = f"owner-{uuid7()}@example.com"
    made = await storage.run(owners.sign_up, tenant, email, PASSWORD_HASH)
    answer = await hub.post("/api/sessions", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    return Owner(made["tenant_id"], email, {"Authorization": f"Bearer {answer.json()['token']}"})


async def new_store(hub: httpx.AsyncClient, owner: Owner, name: str = "Store") -> dict[str, Any]:
    answer = await hub.post("/api/stores", json={"name": name}, headers=owner.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def new_code(hub: httpx.AsyncClient, owner: Owner, store_id: str) -> str:
    answer = await hub.post(f"/api/stores/{store_id}/enrolment-codes", headers=owner.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


@dataclass
class Box:
    """A store's box as the hub sees it: a key, and signed requests."""

    hub: httpx.AsyncClient
    key: DeviceKey
    store_id: str

    async def send(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        now: datetime | None = None,
        nonce: str | None = None,
    ) -> httpx.Response:
        headers = sign(self.key, method, target, body, now=now, nonce=nonce)
        return await self.hub.request(method, target, content=body, headers=headers)

    def batch(self, events: list[PushedEvent], after: int, store_id: str | None = None) -> bytes:
        return PushBatch(store_id or self.store_id, after, events).to_bytes()

    async def push(self, events: list[PushedEvent], after: int, **options: Any) -> httpx.Response:
        return await self.send("POST", "/sync/v1/push", self.batch(events, after), **options)

    async def pull(self, cursor: int = 0, limit: int | None = None) -> httpx.Response:
        target = f"/sync/v1/pull?cursor={cursor}" + (f"&limit={limit}" if limit else "")
        return await self.send("GET", target)


async def enrol(
    hub: httpx.AsyncClient, code: str, key: DeviceKey, node: str = "box-1"
) -> httpx.Response:
    body = {"schema": 1, "code": code, "public_key_pem": key.public_pem(), "node": node}
    return await hub.post("/sync/v1/enrol", content=orjson.dumps(body))


async def enrolled_box(hub: httpx.AsyncClient, owner: Owner, store_id: str) -> Box:
    key = DeviceKey.generate()
    answer = await enrol(hub, await new_code(hub, owner, store_id), key)
    assert answer.status_code == 201, answer.text
    return Box(hub, key, store_id)


def event(
    seq: int,
    entity: str,
    entity_id: str,
    op: str,
    fields: dict[str, Any],
    base_rev: int = 0,
    actor: str | None = "staff-1",
) -> PushedEvent:
    return PushedEvent(
        seq=seq,
        id=uuid7(),
        hlc=f"{now_ms():013d}-0000-box1",
        at=now_iso(),
        entity=entity,
        entity_id=entity_id,
        op=op,  # type: ignore[arg-type]
        fields=fields,
        base_rev=base_rev,
        actor=actor,
        approver=None,
    )


def order_event(seq: int, order_id: str | None = None, lines: int = 2) -> PushedEvent:
    """An order created at the store with its lines (the PARTS rule)."""
    order_id = order_id or uuid7()
    made = [
        {
            "id": uuid7(),
            "order_id": order_id,
            "item_id": uuid7(),
            "name": f"Dish {n}",
            "unit_price": 450,
            "quantity": 1,
            "station": "KITCHEN",
            "course": "MAINS",
            "tax_rate_bp": 1000,
            "tax_name": "VAT",
            "amount": 450,
            "created_at": now_iso(),
        }
        for n in range(lines)
    ]
    fields = {
        "number": seq,
        "business_day": "2026-01-02",
        "kind": "counter",
        "currency": "EUR",
        "total": 450 * lines,
        "opened_by": "staff-1",
        "created_at": now_iso(),
        "order_lines": made,
    }
    return event(seq, "orders", order_id, "create", fields)


def item_fields(name: str = "Espresso", price: int = 250) -> dict[str, Any]:
    """A menu item as a box creates one."""
    return {"category_id": uuid7(), "name": name, "price": price, "tax_rate_id": uuid7()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HubProcess:
    """`galley hub serve` (real uvicorn, `settings.workers` processes) on 127.0.0.1: `port`, or
    a free one; started, killed (SIGKILL: nothing flushed, nothing shut down) and started again
    on the same port."""

    def __init__(self, settings: HubSettings, port: int | None = None) -> None:
        self.settings = settings
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_within: float = 30.0) -> HubProcess:
        env = {**os.environ, **self.settings.environ(), "GALLEY_HUB_HOST": "127.0.0.1"}
        env["GALLEY_HUB_PORT"] = str(self.port)
        command = [sys.executable, "-m", "galley.cli", "hub", "serve"]
        self.process = process = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"galley hub serve exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200:
                    return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"galley hub serve did not answer in {ready_within} s")
            time.sleep(0.05)  # readiness poll interval, not an assertion

    def kill(self) -> None:
        """kill -9 every process of the hub (its workers too, when it has several)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def hub_process(settings: HubSettings, ready_within: float = 30.0) -> Iterator[str]:
    """`galley hub serve` on a free 127.0.0.1 port until the block ends; yields its base URL."""
    hub = HubProcess(settings).start(ready_within)
    try:
        yield hub.url
    finally:
        hub.stop()
