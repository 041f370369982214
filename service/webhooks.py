"""Signed webhooks, as a payment provider sends them and the box checks them.

The signature is HMAC-SHA256 over the timestamp, a dot and the raw body, hex, sent with the
timestamp in two headers. A receiver accepts it when the timestamp is within 5 minutes of its
clock (an old delivery cannot be replayed later) and the signature matches one of its secrets,
compared in constant time: after a secret is rotated, the old one stays accepted for an overlap,
while deliveries signed before the change are still arriving. Replays within the 5 minutes are
the receiver's to refuse, by the event id it records (exactly once).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from service.errors import Unauthorized

TIMESTAMP = "Galley-Pay-Timestamp"
SIGNATURE = "Galley-Pay-Signature"
TOLERANCE_S = 300


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(
    secrets: Sequence[bytes],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
) -> None:
    """Refuse (401) a delivery that is unsigned, out of the tolerance, or signed with no secret
    of `secrets`."""
    if not timestamp or not signature or not secrets:
        raise Unauthorized("the webhook is not signed", code="unsigned_webhook")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise Unauthorized("the webhook's timestamp is no number", code="bad_signature") from None
    if not signature.isascii():  # an HMAC in hex is ASCII; compare_digest refuses anything else
        raise Unauthorized("the webhook's signature does not match", code="bad_signature")
    if abs(now - stamp) > TOLERANCE_S:
        raise Unauthorized("the webhook is too old or from the future", code="stale_webhook")
    matched = False
    for secret in secrets:  # every secret is tried: the time taken says nothing of which
        matched |= hmac.compare_digest(sign(secret, stamp, body), signature)
    if not matched:
        raise Unauthorized("the webhook's signature does not match", code="bad_signature")
