"""The box's HTTP client of the hub: enrol once, then push and pull, every request signed.

One `httpx.AsyncClient` with explicit timeouts (a hub that stops answering must not hold the
sync service for ever; httpx's default of 5 s everywhere is too short for a batch of 500 orders
on a slow link and too long to connect). What goes wrong comes back as one of two errors, so the
service and `galley edge enrol` decide by kind, never by status code:

    HubUnreachable   no answer, a cut connection, a 5xx, a 429: try again later
    HubRefused       the hub answered no (a 4xx): `status`, `code`, the error body's details

A box whose clock is off by more than the signature window (5 minutes) is told the hub's time in
the refusal (`stale`, `hub_time`): the client then signs with the hub's time, offset from its
own, and tries once more; the offset is kept for later requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import anyio.to_thread
import httpx
import orjson

from sync.clock import now_ms, utcnow
from sync.envelope import Enrolled, Enrolment, PullPage, PushResult
from sync.errors import BadEnvelope
from sync.signing import DeviceKey, sign

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEOUT = httpx.Timeout(30.0, connect=5.0, pool=5.0)
ENROL, PUSH, PULL = "/sync/v1/enrol", "/sync/v1/push", "/sync/v1/pull"


class HubUnreachable(Exception):
    """No usable answer from the hub: try again later."""


@dataclass
class HubRefused(Exception):
    """The hub answered with a refusal (4xx other than 429)."""

    status: int
    code: str
    message: str
    details: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class HubClient:
    def __init__(
        self,
        hub_url: str,
        key: DeviceKey | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.key = key
        self.clock_offset_s = 0.0  # the hub's clock minus ours, once a stale refusal told it
        self._http = httpx.AsyncClient(base_url=self.hub_url, transport=transport, timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def enrol(self, enrolment: Enrolment) -> Enrolled:
        answer = await self._send("POST", ENROL, enrolment.to_bytes(), signed=False)
        return await _read(Enrolled.from_bytes, answer)

    async def push(self, body: bytes) -> PushResult:
        """A PushBatch's bytes, signed. A 409 `gap` is a HubRefused with `push_upto`."""
        return await _read(PushResult.from_bytes, await self._send("POST", PUSH, body))

    async def pull(self, cursor: int, limit: int) -> PullPage:
        target = f"{PULL}?cursor={cursor}&limit={limit}"
        return await _read(PullPage.from_bytes, await self._send("GET", target, b""))

    async def _send(self, method: str, target: str, body: bytes, *, signed: bool = True):
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json"} if body else {}
            if signed:
                assert self.key is not None, "a signed request needs the box's key"
                now = utcnow() + timedelta(seconds=self.clock_offset_s)
                headers.update(sign(self.key, method, target, body, now=now))
            try:
                answer = await self._http.request(method, target, content=body, headers=headers)
            except httpx.HTTPError as error:
                raise HubUnreachable(f"{self.hub_url}: {type(error).__name__} {error}") from None
            if answer.status_code == 429 or answer.status_code >= 500:
                raise HubUnreachable(f"{self.hub_url}: {answer.status_code} {answer.text[:200]}")
            if answer.status_code < 400:
                return answer
            refused = _refusal(answer)
            if refused.code == "stale" and attempt == 1 and "hub_time" in refused.details:
                # Our clock is off: sign with the hub's from now on (a new nonce, too).
                self.clock_offset_s = refused.details["hub_time"] - now_ms() / 1000
                log.warning("the box's clock is %.0f s off the hub's", self.clock_offset_s)
                continue
            raise refused
        raise AssertionError("unreachable")  # pragma: no cover


def _refusal(answer: httpx.Response) -> HubRefused:
    try:
        error = dict(orjson.loads(answer.content)["error"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        error = {"code": "http_error", "message": answer.text[:200]}
    code, message = str(error.pop("code", "")), str(error.pop("message", ""))
    return HubRefused(answer.status_code, code, message, error)


async def _read(parse: Callable[[bytes], T], answer: httpx.Response) -> T:
    """The answer parsed in a worker thread: a page of 500 changes takes milliseconds, which
    the event loop owes to the tills."""
    try:
        return await anyio.to_thread.run_sync(parse, answer.content)
    except BadEnvelope as error:
        # A hub that answers what this version cannot read: not ours to fix by retrying at
        # once, but neither a refusal of what we sent.
        raise HubUnreachable(f"the hub's answer is not understood: {error.message}") from None
