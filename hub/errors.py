"""The hub's refusals, each an HTTP status and a code; answered as
`{"error": {"code", "message", ...details}}` by `hub.api.http`.

    Refusal                       400 bad_request
    ├── Invalid                   422 a well-formed request that breaks a rule
    ├── Unauthorized              401 no sign-in, or a sync request not signed by a known key
    ├── Forbidden                 403 a revoked key, or a key bound to another store
    ├── NotFound                  404 no such thing for this tenant (another tenant's too)
    ├── Conflict                  409 a gap in a store's pushes, a replayed nonce, a taken email
    ├── Gone                      410 an enrolment code used or expired
    ├── TooMany                   429 too many attempts; `retry_after` seconds
    └── Unavailable               503 the database did not answer; nothing was half-written

`sync.errors` (BadEnvelope, BadSignature, BadEvent) are translated into these where the hub
meets them; sqlite3 and psycopg errors never leave `hub.storage`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Refusal(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.reason = code or self.code
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.reason, "message": self.message, **self.details}}


class Invalid(Refusal):
    status, code = 422, "invalid"


class Unauthorized(Refusal):
    status, code = 401, "unauthorized"


class Forbidden(Refusal):
    status, code = 403, "forbidden"


class NotFound(Refusal):
    status, code = 404, "not_found"


class Conflict(Refusal):
    status, code = 409, "conflict"


class Gone(Refusal):
    status, code = 410, "gone"


class TooMany(Refusal):
    status, code = 429, "rate_limited"


class Unavailable(Refusal):
    status, code = 503, "storage_error"
