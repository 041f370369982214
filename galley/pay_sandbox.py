"""A sandbox payment provider: its own small HTTP service on 127.0.0.1, for the tests and the
demo, speaking as a hosted payment page does. The box creates an intent (`POST /intents`
{amount, currency, reference, webhook_url}) and shows the guest its `url`; the guest opens it
and pays (`POST /pay/{id}`, or the page's button); the provider then calls the box's webhook,
signed (`service.webhooks`), and answers `GET /intents/{id}` for a box that polls. An intent
not paid yet may be cancelled (`POST /intents/{id}/cancel`: the bill was paid at the till): its
page then says so and takes no payment; one paid already is not (409). `down`
makes it refuse everything (503), as a provider behind a dead internet line would look.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from service import webhooks


@dataclass
class Sandbox:
    secret: bytes
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    down: bool = False
    deliver: bool = True  # off: no webhook is sent (the box must poll)
    base_url: str = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/intents", self.create, methods=["POST"]),
                Route("/intents/{intent_id}", self.status, methods=["GET"]),
                Route("/intents/{intent_id}/cancel", self.cancel, methods=["POST"]),
                Route("/intents/{intent_id}/refund", self.refund, methods=["POST"]),
                Route("/pay/{intent_id}", self.page, methods=["GET"]),
                Route("/pay/{intent_id}", self.pay, methods=["POST"]),
            ]
        )

    def _unavailable(self) -> Response | None:
        return JSONResponse({"error": "down"}, 503) if self.down else None

    async def create(self, request: Request) -> Response:
        if (refused := self._unavailable()) is not None:
            return refused
        body = await request.json()
        intent_id = "pi_" + secrets.token_hex(8)
        self.intents[intent_id] = {
            "id": intent_id,
            "amount": body["amount"],
            "currency": body["currency"],
            "reference": body.get("reference", ""),
            "webhook_url": body.get("webhook_url", ""),
            "status": "pending",
            "refunded": 0,
            "url": f"{self.base_url}/pay/{intent_id}",
        }
        return JSONResponse(self.intents[intent_id], 201)

    async def status(self, request: Request) -> Response:
        if (refused := self._unavailable()) is not None:
            return refused
        intent = self.intents.get(request.path_params["intent_id"])
        return JSONResponse(intent) if intent else JSONResponse({"error": "no such intent"}, 404)

    async def cancel(self, request: Request) -> Response:
        if (refused := self._unavailable()) is not None:
            return refused
        intent = self.intents[request.path_params["intent_id"]]
        if intent["status"] == "succeeded":
            return JSONResponse({"error": "the intent succeeded already"}, 409)
        intent["status"] = "canceled"
        return JSONResponse(intent)

    async def refund(self, request: Request) -> Response:
        if (refused := self._unavailable()) is not None:
            return refused
        intent = self.intents[request.path_params["intent_id"]]
        intent["refunded"] += (await request.json())["amount"]
        return JSONResponse(intent)

    async def page(self, request: Request) -> Response:
        intent = self.intents[request.path_params["intent_id"]]
        if intent["status"] == "canceled":
            return HTMLResponse(
                "<!doctype html><title>Paid</title><h1>This bill is paid</h1>"
                "<p>It was paid at the till: there is nothing to pay here.</p>"
            )
        return HTMLResponse(
            f"<!doctype html><title>Pay</title><h1>Pay {intent['amount']} {intent['currency']}"
            f"</h1><form method=post><button>Pay</button></form><p>{intent['status']}</p>"
        )

    async def pay(self, request: Request) -> Response:
        """The guest pays: the intent succeeds and the box hears of it (unless `deliver` is
        off)."""
        intent = self.intents[request.path_params["intent_id"]]
        if intent["status"] == "canceled":
            return JSONResponse({"error": "the bill is paid at the till"}, 409)
        intent["status"] = "succeeded"
        if self.deliver and intent["webhook_url"]:
            await self.send(intent)
        return JSONResponse(intent)

    def event(self, intent: dict[str, Any], event_id: str | None = None) -> bytes:
        payload = {
            "id": event_id or "evt_" + secrets.token_hex(8),
            "type": "payment_intent.succeeded",
            "intent": {k: intent[k] for k in ("id", "amount", "currency", "status", "reference")},
        }
        return json.dumps(payload).encode()

    def headers(self, body: bytes, timestamp: int | None = None, secret: bytes | None = None):
        stamp = int(time.time()) if timestamp is None else timestamp
        return {
            "Content-Type": "application/json",
            webhooks.TIMESTAMP: str(stamp),
            webhooks.SIGNATURE: webhooks.sign(secret or self.secret, stamp, body),
        }

    async def send(self, intent: dict[str, Any]) -> None:
        body = self.event(intent)
        try:
            async with httpx.AsyncClient(timeout=2.0) as http:
                await http.post(intent["webhook_url"], content=body, headers=self.headers(body))
        except httpx.HTTPError:
            pass  # the box polls when no webhook comes


@contextlib.contextmanager
def running(secret: bytes, host: str = "127.0.0.1") -> Iterator[Sandbox]:
    """The sandbox on a free port of `host`, in a thread, until the block ends (the demo's)."""
    sandbox = Sandbox(secret=secret)
    config = uvicorn.Config(sandbox.app(), host=host, port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="pay-sandbox", daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(200):  # readiness polling, at most ~10 s
        if server.started or not thread.is_alive():
            break
        ready.wait(0.05)
    if not server.started:
        raise RuntimeError("the payment sandbox did not start")
    sandbox.base_url = f"http://{host}:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        yield sandbox
    finally:
        server.should_exit = True
        thread.join(10)
