"""The payment provider pay at table goes through, behind one small interface: create an intent
for an amount (the provider answers the link the guest opens), read its status (the box polls
when no webhook came), cancel it (paid at the till meanwhile: refused once it succeeded),
refund it. `HttpProvider` speaks to one over HTTP with short timeouts,
off the writer: a provider behind a dead internet line answers `ProviderDown` within seconds,
and the POS offers the other tenders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from service.errors import GalleyError

TIMEOUT_S = 3.0


class ProviderDown(GalleyError):
    status = 503
    code = "provider_unavailable"


@dataclass(frozen=True)
class Intent:
    id: str
    url: str
    status: str  # pending, succeeded, failed, canceled
    amount: int


class PaymentProvider(Protocol):
    async def create_intent(
        self, amount: int, currency: str, reference: str, webhook_url: str
    ) -> Intent: ...

    async def status(self, intent_id: str) -> Intent: ...

    async def cancel(self, intent_id: str) -> None: ...

    async def refund(self, intent_id: str, amount: int) -> None: ...


class HttpProvider:
    """A provider's JSON API at `base_url` (the sandbox's shape: `galley.pay_sandbox`)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT_S) as http:
                answer = await http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ProviderDown("the payment provider cannot be reached") from exc
        if answer.status_code >= 500:
            raise ProviderDown("the payment provider is not answering")
        if answer.status_code >= 400:
            raise ProviderDown(f"the payment provider refused: {answer.status_code}")
        return answer.json()

    async def create_intent(
        self, amount: int, currency: str, reference: str, webhook_url: str
    ) -> Intent:
        body = {
            "amount": amount,
            "currency": currency,
            "reference": reference,
            "webhook_url": webhook_url,
        }
        return _intent(await self._call("POST", "/intents", body))

    async def status(self, intent_id: str) -> Intent:
        return _intent(await self._call("GET", f"/intents/{intent_id}"))

    async def cancel(self, intent_id: str) -> None:
        await self._call("POST", f"/intents/{intent_id}/cancel")

    async def refund(self, intent_id: str, amount: int) -> None:
        await self._call("POST", f"/intents/{intent_id}/refund", {"amount": amount})


def _intent(data: dict) -> Intent:
    return Intent(data["id"], data["url"], data["status"], data["amount"])
