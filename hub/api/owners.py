"""Owners sign in and out, and change their password. (A tenant and its owner are made with
`galley hub create-owner`.)"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from hub.api.http import as_owner, by_owner, storage
from hub.api.openapi import contract
from hub.domain import owners
from hub.domain.owners import NEW_PASSWORD, SIGN_IN
from service.errors import GalleyError, Invalid, TooMany, Unauthorized
from service.http import body, client_address, ok
from service.tokens import bearer
from sync import hashing

# Wrong passwords one account may be given in FAILED_WINDOW_S, from any address (each address
# is limited besides): beyond them every sign-in to it, right or wrong, is a 429 until the
# oldest leaves the window, so a guesser with many addresses gets no more tries. Its owner's
# sessions already signed in go on. Counted in each process, as addresses are.
FAILED_SIGN_INS = 20
FAILED_WINDOW_S = 15 * 60


async def _check_password(
    request: Request, email: str, password: str, stored: str | None, wrong: GalleyError
) -> None:
    """Raise `wrong` unless `password` is the account's (`stored`), counting it with the
    account's wrong passwords; a 429 while the account has had too many."""
    account, failures = email.strip().lower(), request.app.state.failed_sign_ins
    wait = failures.blocked(account)
    if wait:
        raise TooMany(
            f"too many wrong passwords for this account; try again in {wait} s", retry_after=wait
        )
    if not await anyio.to_thread.run_sync(owners.password_matches, password, stored):
        failures.wait(account)
        raise wrong


@contract(body=SIGN_IN, status=201, public=True, refuses={401, 429})
async def sign_in(request: Request):
    """Sign in with email and password: a bearer token for the owner API, shown this once."""
    request.app.state.attempts.count(client_address(request))
    values = SIGN_IN.clean(await body(request))
    stored = await storage(request).run(owners.password_hash_of, values["email"])
    wrong = Unauthorized("wrong email or password", code="wrong_credentials")
    await _check_password(request, values["email"], values["password"], stored, wrong)
    hours = request.app.state.settings.session_hours
    return ok(await storage(request).run(owners.start_session, values["email"], hours), 201)


@contract(body=NEW_PASSWORD, refuses={429})
async def change_password(request: Request):
    """A new password, the current one given (wrong ones count with the account's wrong
    sign-ins): every other sign-in of this owner ends (`signed_out`: how many), a stolen
    token's too; this one goes on."""
    values = NEW_PASSWORD.clean(await body(request))
    email, stored = await by_owner(request, owners.own_password)
    wrong = Invalid(
        "the current password is wrong", code="wrong_password", field="current_password"
    )
    await _check_password(request, email, values["current_password"], stored, wrong)
    new_hash = await anyio.to_thread.run_sync(hashing.hash_secret, values["new_password"])
    changed = await by_owner(request, owners.change_password, bearer(request), new_hash)
    return ok(changed)


@contract()
async def sign_out(request: Request):
    """End this sign-in."""
    await as_owner(request, owners.sign_out, bearer(request))
    return ok({"signed_out": True})


routes = [
    Route("/api/sessions", sign_in, methods=["POST"]),
    Route("/api/sessions/current", sign_out, methods=["DELETE"]),
    Route("/api/owners/current/password", change_password, methods=["POST"]),
]
