"""Owners: a tenant and its owner made from the command line, signing in over HTTP, sessions.

A password is kept as a scrypt hash, as the edge keeps PINs (`sync.hashing`). Checking one costs
tens of milliseconds on purpose, so it runs outside any transaction, in a worker thread; an
unknown email costs the same check, so the answer's time does not tell which emails have
accounts.
A session is the sha256 of a random bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hub.storage.tx import Tx
from service import fields as f
from service.errors import Conflict, Invalid, Unauthorized
from service.tokens import fresh_token, token_hash
from sync import hashing
from sync.clock import iso, parse_iso, utcnow
from sync.ids import uuid7

MIN_PASSWORD = 10  # for a new owner; signing in takes any the owner was made with
MAX_PASSWORD = 200


@f.accepts({"type": "string", "minLength": 1, "maxLength": MAX_PASSWORD})
def _password(name: str, value: Any) -> str:
    """A password as typed: spaces are part of it."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_PASSWORD:
        raise Invalid(f"{name} must be text of 1 to {MAX_PASSWORD} characters.", field=name)
    return value


@f.accepts({"type": "string", "minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD})
def _new_password(name: str, value: Any) -> str:
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise Invalid(
            f"{name} must be text of {MIN_PASSWORD} to {MAX_PASSWORD} characters.", field=name
        )
    return value


SIGN_IN = f.Form({"email": f.text(200), "password": _password}, required=("email", "password"))
NEW_PASSWORD = f.Form(
    {"current_password": _password, "new_password": _new_password},
    required=("current_password", "new_password"),
)
_DECOY = hashing.hash_secret(fresh_token())  # checked against when no owner has the email


def password_matches(password: str, stored: str | None) -> bool:
    """Constant-time check; slow by design (run it in a thread)."""
    return hashing.matches(password, stored or _DECOY) and stored is not None


@dataclass(frozen=True)
class Owner:
    """A signed-in owner, and the tenant every query of theirs is scoped to."""

    id: str
    tenant_id: str
    email: str


def check_sign_up(tenant_name: str, email: str, password: str) -> None:
    """A new owner's: what signing in takes (SIGN_IN), and a password long enough."""
    if not tenant_name.strip():
        raise Invalid("a tenant needs a name", field="tenant")
    SIGN_IN.clean({"email": email, "password": password})
    if "@" not in email.strip("@"):
        raise Invalid("an owner signs in with an email address", field="email")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password has at least {MIN_PASSWORD} characters", field="password")


def sign_up(tx: Tx, tenant_name: str, email: str, password_hash: str) -> dict[str, Any]:
    """A new tenant and its owner (the command line's `galley hub create-owner`)."""
    tenant_id, owner_id, now = uuid7(), uuid7(), iso(utcnow())
    tx.add_tenant(tenant_id, tenant_name.strip(), now)
    if not tx.add_owner(owner_id, email.strip().lower(), password_hash, now):
        raise Conflict(f"{email} already signs in to the hub", code="email_taken")
    return {"tenant_id": tenant_id, "owner_id": owner_id}


def password_hash_of(tx: Tx, email: str) -> str | None:
    found = tx.owner_by_email(email.strip().lower())
    return found["password_hash"] if found else None


def start_session(tx: Tx, email: str, hours: int) -> dict[str, Any]:
    """A new session for the owner with `email` (whose password was checked): the token, shown
    once, and who signed in."""
    found = tx.owner_by_email(email.strip().lower())
    if found is None:  # removed between the check and now
        raise Unauthorized("wrong email or password", code="wrong_credentials")
    tx.become(found["tenant_id"])
    token, now = fresh_token(), utcnow()
    tx.add_session(token_hash(token), found["id"], iso(now), iso(now + timedelta(hours=hours)))
    tenant = tx.tenant_row() or {}
    return {
        "token": token,
        "expires_at": iso(now + timedelta(hours=hours)),
        "owner": {"id": found["id"], "email": found["email"]},
        "tenant": {"id": found["tenant_id"], "name": tenant.get("name")},
    }


def signed_in(tx: Tx, token: str | None) -> Owner:
    """The owner whose session `token` is, acting as their tenant from here on; Unauthorized
    for no token, an unknown one, or one ended or expired."""
    if not token:
        raise Unauthorized("sign in first: Authorization: Bearer <token>", code="signed_out")
    session = tx.session(token_hash(token))
    if session is None or session["ended_at"] or parse_iso(session["expires_at"]) <= utcnow():
        raise Unauthorized("this sign-in has ended; sign in again", code="signed_out")
    tx.become(session["tenant_id"])
    owner = tx.owner(session["owner_id"])
    if owner is None:
        raise Unauthorized("this sign-in has ended; sign in again", code="signed_out")
    return Owner(owner["id"], owner["tenant_id"], owner["email"])


def own_password(tx: Tx, owner: Owner) -> tuple[str, str | None]:
    """The signed-in owner's email and password hash."""
    return owner.email, password_hash_of(tx, owner.email)


def change_password(tx: Tx, owner: Owner, token: str, password_hash: str) -> dict[str, Any]:
    """The owner's new password (its current one checked); every other sign-in of theirs
    ends, a stolen token's too; this one goes on."""
    tx.set_password(owner.id, password_hash)
    ended = tx.end_other_sessions(owner.id, token_hash(token), iso(utcnow()))
    return {"changed": True, "signed_out": ended}


def sign_out(tx: Tx, token: str) -> None:
    tx.end_session(token_hash(token), iso(utcnow()))
