"""A table's guests in tests: the store open all day, a table's QR token, phones that scan."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx

from edge.core import db
from edge.domain import store, tables

# Two periods that cover the whole day, every day (a period may run past midnight).
ALWAYS = {day: [["00:00", "12:00"], ["12:00", "00:00"]] for day in store.WEEKDAYS}


def qr_token(box: Any, table_name: str) -> str:
    """The token a table's printed QR code holds now."""
    return box.read_now(_token, box.identity.qr_secret, table_name)


def qr_token_in(database: Path, table_name: str) -> str:
    """The same, read from the box's database file (a box running in another thread)."""
    with contextlib.closing(db.connect(database, readonly=True)) as conn:
        secret = conn.execute("SELECT value FROM box WHERE name = 'qr_secret'").fetchone()[0]
        return _token(conn, bytes.fromhex(secret), table_name)


def _token(conn: Any, secret: bytes, table_name: str) -> str:
    table = conn.execute("SELECT * FROM tables WHERE name = ?", (table_name,)).fetchone()
    epoch = conn.execute("SELECT qr_epoch FROM store").fetchone()[0]
    return tables.qr_token(secret, table["id"], table["qr_version"], epoch)


async def open_all_day(client: httpx.AsyncClient, owner: dict[str, str], **more: Any) -> None:
    changed = await client.patch(
        "/api/store", headers=owner, json={"opening_hours": ALWAYS, "holidays": [], **more}
    )
    assert changed.status_code == 200, changed.text


class Phone:
    """A guest's phone: scans a table's code, then calls with its guest token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token: str | None = None

    async def scan(self, qr: str, *, keep: bool = True) -> httpx.Response:
        body = {"token": qr, **({"guest_token": self.token} if self.token and keep else {})}
        answer = await self.client.post("/api/guest/scan", json=body)
        if answer.status_code < 300:
            self.token = answer.json()["guest_token"]
        return answer

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Galley-Guest": self.token or ""}

    async def call(self, method: str, path: str, body: Any = None, **headers: str):
        return await self.client.request(
            method, path, json=body, headers={**self.headers, **headers}
        )

    async def table(self) -> dict[str, Any]:
        answer = await self.call("GET", "/api/guest/table")
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def add(self, item_id: str, **line: Any) -> httpx.Response:
        return await self.call("POST", "/api/guest/cart", {"item_id": item_id, **line})
