"""Device keys and signed requests: the hub knows which box is talking, and that it is now.

Each box makes an Ed25519 key pair once and enrols its public half with the hub. Every sync
request then carries four headers: the key's id, the time, a fresh nonce and a signature over

    GALLEY-SYNC-1 \\n METHOD \\n path?query \\n timestamp \\n nonce \\n sha256(body) hex

so a request cannot be replayed with another body, path or method, or later than the window
(5 minutes either way). Refusing a nonce seen before within the window is the hub's part: only
it remembers them. The private key never leaves the box: a file of mode 0600, written whole or
not at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.clock import utcnow
from sync.errors import BadSignature

WINDOW_S = 300
KEY = "X-Galley-Key"
TIMESTAMP = "X-Galley-Timestamp"
NONCE = "X-Galley-Nonce"
SIGNATURE = "X-Galley-Signature"

_KEY_ID = re.compile(r"[0-9a-f]{16}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[0-9a-f]{32}")


def public_key_id(public_pem: str) -> str:
    """The id of an Ed25519 public key (PEM): the first 16 hex digits of the sha256 of its raw
    32 bytes. Raises ValueError for anything else."""
    return _key_id(_public_key(public_pem))


def _public_key(public_pem: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(public_pem.encode())
    except (ValueError, TypeError, UnicodeError) as error:
        raise ValueError(f"not a public key in PEM form: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def _key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class DeviceKey:
    """A box's private key."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> DeviceKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> DeviceKey:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} holds no Ed25519 private key")
        return cls(key)

    def save(self, path: Path) -> None:
        """Write the key (PEM) readable by its owner only, replacing `path` in one step: a
        crash leaves the old file or the new one, never half of one."""
        pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            os.fchmod(handle, 0o600)  # mkstemp makes it 0600 already; say so on any system
            with os.fdopen(handle, "wb") as file:
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def key_id(self) -> str:
        return _key_id(self.private.public_key())


def _message(method: str, path_and_query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    lines = ("GALLEY-SYNC-1", method.upper(), path_and_query, timestamp, nonce)
    return "\n".join((*lines, hashlib.sha256(body).hexdigest())).encode()


def sign(
    key: DeviceKey,
    method: str,
    path_and_query: str,
    body: bytes,
    *,
    now: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign one request. `path_and_query` is the request target as sent
    (`/sync/v1/pull?cursor=12`); `now` is the box's clock unless corrected to the hub's."""
    if "\n" in method or "\n" in path_and_query:
        raise ValueError("a method or path never holds a line break")
    timestamp = str(int((now or utcnow()).timestamp()))
    nonce = nonce or secrets.token_hex(16)
    signature = key.private.sign(_message(method, path_and_query, timestamp, nonce, body))
    return {
        KEY: key.key_id,
        TIMESTAMP: timestamp,
        NONCE: nonce,
        SIGNATURE: base64.b64encode(signature).decode(),
    }


class Signed(NamedTuple):
    """What a valid signature vouches for: the key, its time and its nonce (which the hub keeps
    for the window, to refuse it again)."""

    key_id: str
    timestamp: int
    nonce: str


def signed_key_id(headers: Mapping[str, str]) -> str:
    """The id of the key a request says it is signed with, for finding the device. Raises
    BadSignature (`missing`, `malformed`)."""
    return _header(_lowered(headers), KEY, _KEY_ID)


def verify(
    public_pem: str,
    headers: Mapping[str, str],
    method: str,
    path_and_query: str,
    body: bytes,
    *,
    now: datetime | None = None,
    window: int = WINDOW_S,
) -> Signed:
    """Check that the request was signed by the key `public_pem` less than `window` seconds
    from `now` (either way). Raises BadSignature: `missing` or `malformed` headers,
    `bad_signature` (another key, or another request), `stale`."""
    lowered = _lowered(headers)
    key_id = _header(lowered, KEY, _KEY_ID)
    timestamp = _header(lowered, TIMESTAMP, _TIMESTAMP)
    nonce = _header(lowered, NONCE, _NONCE)
    try:
        signature = base64.b64decode(_header(lowered, SIGNATURE), validate=True)
    except binascii.Error:
        raise BadSignature(f"{SIGNATURE} is not base64", code="malformed") from None
    key = _public_key(public_pem)
    if key_id != _key_id(key):
        raise BadSignature("signed with another device's key", code="bad_signature")
    try:
        key.verify(signature, _message(method, path_and_query, timestamp, nonce, body))
    except InvalidSignature:
        raise BadSignature(
            "the signature does not match this request", code="bad_signature"
        ) from None
    skew = int(timestamp) - int((now or utcnow()).timestamp())
    if abs(skew) > window:
        raise BadSignature(
            f"signed {abs(skew)} s {'ahead of' if skew > 0 else 'before'} the hub's clock;"
            f" at most {window} s either way",
            code="stale",
        )
    return Signed(key_id, int(timestamp), nonce)


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case: HTTP's are case-insensitive, a plain dict's are not."""
    return {name.lower(): value for name, value in headers.items()}


def _header(headers: dict[str, str], name: str, pattern: re.Pattern[str] | None = None) -> str:
    value = headers.get(name.lower())
    if not value:
        raise BadSignature(f"{name} is missing: sync requests are signed", code="missing")
    if pattern is not None and not pattern.fullmatch(value):
        raise BadSignature(f"{name} is malformed", code="malformed")
    return value
