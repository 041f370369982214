"""Documents <-> plain JSON values, so a print job can keep what it prints, not only the bytes.

The bytes of a job are rendered for one printer profile. When the job has to go to another
printer (its backup is a 58 mm model, say) the edge decodes the stored document and renders it
again for that printer. The JSON is the documents' own fields, plus ``"type"``, the class name:

    {"type": "KitchenTicket", "station": "KITCHEN", "table": "Table 4", "lines": [...], ...}

Tuples become lists, ``Mark`` its value, datetimes ISO-8601 (documents hold the store's local,
naive time). Decoding follows the dataclasses' type hints and is strict: an unknown type or
field, a missing field or a value of the wrong type raises ``DocumentError`` rather than
guessing, so a caller that cannot decode (a row written by a newer version) keeps the bytes it
has instead of printing something else.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any

import orjson

from printers import documents as doc

__all__ = ["DOCUMENT_TYPES", "DocumentError", "from_json", "to_json"]

DOCUMENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        doc.Receipt,
        doc.RefundSlip,
        doc.KitchenTicket,
        doc.VoidChit,
        doc.Report,
        doc.XReport,
        doc.ZReport,
        doc.ShiftReport,
        doc.TableQrTent,
        doc.TestPage,
    )
}


class DocumentError(ValueError):
    """The JSON does not describe a document this version knows."""


def to_json(document: doc.Document) -> dict[str, Any]:
    """A JSON-ready dict for ``document`` (``json.dumps`` takes it as it is).

    orjson walks the dataclasses itself, as ``_encode`` does (tuples as lists, enums as their
    values, datetimes ISO-8601), a dozen times faster: every ticket and receipt is encoded in
    the write that queues it. ``_encode`` is left for what orjson refuses (an integer beyond 64
    bits)."""
    name = type(document).__name__
    if DOCUMENT_TYPES.get(name) is not type(document):
        raise DocumentError(f"{name} is not a printable document")
    try:
        fields = orjson.loads(orjson.dumps(document, default=_datetime))
    except TypeError:
        fields = _encode(document)
    return {"type": name, **fields}


def from_json(data: Any) -> doc.Document:
    """The document ``to_json`` made ``data`` from."""
    if not isinstance(data, dict):
        raise DocumentError("a document is a JSON object")
    fields = dict(data)
    name = fields.pop("type", None)
    cls = DOCUMENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise DocumentError(f"unknown document type {name!r}")
    return _decode_dataclass(cls, fields, name)


def _datetime(value: Any) -> str:
    """What orjson does not encode itself: a subclass of datetime (freezegun's, in tests)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _hints(cls: type) -> dict[str, Any]:
    # Not cached: resolved against this module's `datetime` as it is now, which freezegun
    # swaps for its own class while a test has the clock frozen.
    return typing.get_type_hints(cls)


def _decode_dataclass(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise DocumentError(f"{where} must be an object")
    hints = _hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = data.keys() - known
    if unknown:
        raise DocumentError(f"{where} has unknown fields: {', '.join(sorted(unknown))}")
    values = {key: _decode(hints[key], value, f"{where}.{key}") for key, value in data.items()}
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        raise DocumentError(f"{where}: {exc}") from None


def _decode(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in typing.get_args(hint):
            return None
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(inner, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise DocumentError(f"{where} must be a list")
        (item, _) = typing.get_args(hint)  # tuple[X, ...]
        return tuple(_decode(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if hint is datetime:
        if not isinstance(value, str):
            raise DocumentError(f"{where} must be an ISO-8601 date and time")
        try:
            return datetime.fromisoformat(value)
        except ValueError as exc:
            raise DocumentError(f"{where}: {exc}") from None
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError as exc:
            raise DocumentError(f"{where}: {exc}") from None
    if dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, value, where)  # type: ignore[arg-type]
    if hint in (str, int, bool):
        # bool is an int in Python, never in a document
        if type(value) is not hint:
            raise DocumentError(f"{where} must be {hint.__name__}, not {type(value).__name__}")
        return value
    raise DocumentError(f"{where}: cannot decode {hint!r}")  # a new field type: teach it here
