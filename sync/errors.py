"""The protocol's own error tree; the hub and the edge translate it at their HTTP boundary.

    SyncError                  a reason: `code` and a sentence (`message`)
    ├── BadEnvelope            a body that is not a protocol record: the hub answers 400
    │                          (code `bad_envelope`, or `schema_unsupported` for an unknown schema)
    ├── BadSignature           a request not signed by the key it names, or not now: 401
    │                          (codes `missing`, `malformed`, `stale`, `bad_signature`)
    └── BadEvent               one pushed event the hub refuses while it applies the others: its
                               verdict is `rejected` with this reason (`unknown_entity`,
                               `local_entity`, `unknown_field`, `bad_value`, `missing_field`,
                               `unknown_row`, `changed_on_hub`, `seq_taken`), and the field
                               it is about when it is about one (`field`)

A reason is data as well as an exception, because a rejected event keeps it in its verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reason:
    """Why something was refused: a code for programs and a sentence for people."""

    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class SyncError(Exception):
    code = "sync_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    @property
    def reason(self) -> Reason:
        return Reason(self.code, self.message)


class BadEnvelope(SyncError):
    code = "bad_envelope"


class BadSignature(SyncError):
    code = "bad_signature"


class BadEvent(SyncError):
    code = "bad_event"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field  # the field it is about, when it is about one
