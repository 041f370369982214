"""The edge's own error tree; HTTP handlers turn it into `{"error": {"code", "message"}}`.

    GalleyError                 (400 bad_request)
    ├── Invalid                 422  the request is well formed but breaks a rule
    ├── Unauthorized            401  no or unknown sign-in
    ├── Forbidden               403  signed in, but the role may not do this
    ├── NotFound                404
    ├── Conflict                409  the thing is in a state that refuses this
    ├── Locked                  423  too many wrong PINs; `retry_after` seconds
    ├── TooMany                 429  too many attempts from one address; `retry_after` seconds
    └── StorageError            503  the database refused a write; nothing was half-written

A form that breaks its rules is one `Invalid` for everything wrong with it (see
`edge.domain.fields.Form`): besides the message it names the first bad `field` and maps each
bad field to its sentence in `fields`, so a page puts every sentence under its field at once.

sqlite3, socket and usb errors never leave the module that met them: they are translated here.
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


class Locked(GalleyError):
    status = 423
    code = "locked_out"


class TooMany(GalleyError):
    status = 429
    code = "too_many_attempts"


class StorageError(GalleyError):
    status = 503
    code = "storage_error"
