"""Owners sign in and out. (A tenant and its owner are made with `galley hub create-owner`.)"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from hub.api import shapes
from hub.api.http import answer, as_owner, bearer, client, json_body, storage
from hub.api.openapi import contract
from hub.domain import owners
from hub.errors import Unauthorized

SIGN_IN = shapes.body(
    ("email", "password"), email=shapes.text(3, 200), password=shapes.text(1, 200)
)


@contract(body=SIGN_IN, status=201, caller="public")
async def sign_in(request: Request):
    """Sign in with email and password: a bearer token for the owner API, shown this once."""
    request.app.state.attempts.count(client(request))
    values = await json_body(request, SIGN_IN)
    stored = await storage(request).run(owners.password_hash_of, values["email"])
    if not await anyio.to_thread.run_sync(owners.password_matches, values["password"], stored):
        raise Unauthorized("wrong email or password", code="wrong_credentials")
    hours = request.app.state.settings.session_hours
    return answer(await storage(request).run(owners.start_session, values["email"], hours), 201)


@contract()
async def sign_out(request: Request):
    """End this sign-in."""
    await as_owner(request, owners.sign_out, bearer(request))
    return answer({"signed_out": True})


routes = [
    Route("/api/sessions", sign_in, methods=["POST"]),
    Route("/api/sessions/current", sign_out, methods=["DELETE"]),
]
