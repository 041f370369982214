"""How a secret a person types is kept: a staff member's PIN, an owner's password.

scrypt with a random salt, written `scrypt$N$r$p$salt$digest` (URL-safe base64 without padding).
It is protocol because a PIN hash syncs: a PIN changed on a box offline reaches the hub, and one
the hub sets reaches the box, and either side must be able to check it. Checking costs tens of
milliseconds on purpose (a stolen hash is slow to guess), so both apps run it in a worker
thread, never on an event loop nor in a transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_COST = {"n": 2**14, "r": 8, "p": 1}
_MAXMEM = 64 * 1024 * 1024  # above scrypt's need at this cost (16 MiB), whatever OpenSSL's default


def hash_secret(secret: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, maxmem=_MAXMEM, **_COST)
    return "scrypt${n}${r}${p}$".format(**_COST) + f"{_b64(salt)}${_b64(digest)}"


def matches(secret: str, stored: str) -> bool:
    """Whether `secret` is the one `stored` was made from: a constant-time check, slow by
    design. A `stored` that is no hash of this form (or a `secret` that is no text) is False."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except (AttributeError, ValueError):
        return False
    if scheme != "scrypt" or not isinstance(secret, str):
        return False
    candidate = hashlib.scrypt(
        secret.encode(), salt=_unb64(salt), dklen=32, n=int(n), r=int(r), p=int(p), maxmem=_MAXMEM
    )
    return hmac.compare_digest(candidate, _unb64(digest))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
