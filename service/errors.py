"""The error tree of both apps; `service.http` answers each as `{"error": {"code", "message",
...details}}` with its status.

    GalleyError                 (400 bad_request)
    ├── Invalid                 422  the request is well formed but breaks a rule
    ├── Unauthorized            401  no or unknown sign-in, or a sync request no known key signed
    ├── Forbidden               403  signed in, but may not do this (a role; a revoked key)
    ├── NotFound                404  (on the hub: also another tenant's thing)
    ├── Conflict                409  the thing is in a state that refuses this
    ├── Gone                    410  an enrolment code used or expired
    ├── UnsupportedMediaType    415  a body sent as another type than JSON
    ├── Locked                  423  too many wrong PINs; `retry_after` seconds
    ├── TooMany                 429  too many attempts from one address; `retry_after` seconds
    └── StorageError            503  the database refused a write; nothing was half-written

A form that breaks its rules is one `Invalid` for everything wrong with it (see
`service.fields.Form`): besides the message it names the first bad `field` and maps each bad
field to its sentence in `fields`, so a page puts every sentence under its field at once.

sqlite3, psycopg, socket and usb errors never leave the module that met them: they are
translated into these there (the edge's writer, the hub's storage); `sync.errors` (BadEnvelope,
BadSignature, BadEvent) where the hub meets them.
"""

from __future__ import annotations

from typing import Any


class GalleyError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        error.update(self.details)
        return {"error": error}


class Invalid(GalleyError):
    status = 422
    code = "invalid"


class Unauthorized(GalleyError):
    status = 401
    code = "unauthorized"


class Forbidden(GalleyError):
    status = 403
    code = "forbidden"


class NotFound(GalleyError):
    status = 404
    code = "not_found"


class Conflict(GalleyError):
    status = 409
    code = "conflict"


class Gone(GalleyError):
    status = 410
    code = "gone"


class UnsupportedMediaType(GalleyError):
    status = 415
    code = "unsupported_media_type"


class Locked(GalleyError):
    status = 423
    code = "locked_out"


class TooMany(GalleyError):
    status = 429
    code = "too_many_attempts"


class StorageError(GalleyError):
    status = 503
    code = "storage_error"
