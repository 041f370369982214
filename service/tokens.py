"""Bearer tokens: made at random, read from `Authorization: Bearer` only, kept as their hash.

A token in a URL ends up in access logs, browser history and Referer headers, so a request that
puts one there (`?token=`) is refused rather than read. Neither app stores a token: a sign-in,
a paired device's credential or a code is kept under its sha256, so a copy of the database
signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets

from starlette.requests import HTTPConnection

from service.errors import GalleyError


def fresh_token() -> str:
    """32 random bytes, URL-safe: a sign-in's token, a device's credential."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is kept of a token (or a code): its sha256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(conn: HTTPConnection) -> str | None:
    """The token of `Authorization: Bearer`, the only place one is read; `?token=` is a 400.
    A request without a query string (every POST of a checkout) is not parsed for one: parsing
    it was a tenth of a request's time in the app."""
    if conn.scope["query_string"] and "token" in conn.query_params:
        raise GalleyError(
            "send the token as `Authorization: Bearer <token>`, never in the URL",
            code="token_in_url",
        )
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None
