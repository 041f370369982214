"""Query parameters: those a handler reads, declared once, for reading them and for
/openapi.json. A bad value, or a parameter the handler does not take, is a 400 `bad_query`."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import HTTPConnection

from service.errors import GalleyError
from service.fields import CONTROL, HAS_CONTROL
from sync.clock import iso


@dataclass(frozen=True)
class Param:
    """One query parameter: its JSON schema, its value when absent, and how to read it."""

    schema: dict[str, Any]
    read: Callable[[str, str], Any]
    default: Any = None


# ASCII digits: `int` also reads "١٠" (Arabic digits), "1_0" and " 10 " as 10
_WHOLE = re.compile(r"-?[0-9]{1,19}")


def whole(default: int, low: int = 0, high: int = 10**12) -> Param:
    def read(name: str, raw: str) -> int:
        if _WHOLE.fullmatch(raw) is None:
            raise GalleyError(f"{name} must be a whole number", code="bad_query")
        value = int(raw)
        if not low <= value <= high:
            raise GalleyError(f"{name} must be in {low}..{high}", code="bad_query")
        return value

    schema = {"type": "integer", "minimum": low, "maximum": high, "default": default}
    return Param(schema, read, default)


def one_of(*choices: str) -> Param:
    def read(name: str, raw: str) -> str:
        if raw not in choices:
            raise GalleyError(f"{name} must be one of {', '.join(choices)}", code="bad_query")
        return raw

    return Param({"type": "string", "enum": list(choices)}, read)


def some_of(choices: Collection[str], description: str) -> Param:
    """A comma-separated list of one or more of `choices`, as its pattern says."""
    known = sorted(choices)
    one = "|".join(map(re.escape, known))
    pattern = f"^({one})(,({one}))*$"

    def read(name: str, raw: str) -> list[str]:
        if re.fullmatch(pattern, raw) is None:
            unknown = [word for word in raw.split(",") if word and word not in choices]
            wrong = f"no such {', '.join(unknown)}" if unknown else "not a list"
            raise GalleyError(
                f"{name}: {wrong}; name one or more of {', '.join(known)}, separated by commas",
                code="bad_query",
            )
        return raw.split(",")

    return Param({"type": "string", "pattern": pattern, "description": description}, read)


def day(description: str) -> Param:
    """A calendar day, YYYY-MM-DD; an empty value counts as absent. One that is no day (a typo,
    the 30th of February) is refused: read as text, it found nothing and said so with a 200."""

    def read(name: str, raw: str) -> str | None:
        if not raw:
            return None
        try:
            if len(raw) == 10:
                return date.fromisoformat(raw).isoformat()
        except ValueError:
            pass
        raise GalleyError(f"{name} must be a day such as 2026-12-24", code="bad_query")

    schema = {"anyOf": [{"format": "date"}, {"maxLength": 0}], "description": description}
    return Param({"type": "string", **schema}, read)


def instant(description: str) -> Param:
    """An ISO-8601 time (`Z` or an offset; none means UTC), read as the storage format."""

    def read(name: str, raw: str) -> str:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise GalleyError(
                f"{name} must be an ISO time such as 2026-11-22T00:00:00Z", code="bad_query"
            ) from exc
        return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))

    return Param({"type": "string", "format": "date-time", "description": description}, read)


def words(description: str) -> Param:
    """Free text (an id, a date, a list of topics) without control characters, which no query
    needs and PostgreSQL's text cannot hold (NUL); an empty value counts as absent."""

    def read(name: str, raw: str) -> str | None:
        if HAS_CONTROL.search(raw):
            raise GalleyError(f"{name} can't hold control characters", code="bad_query")
        return raw or None

    schema = {"type": "string", "pattern": f"^[^{CONTROL}]*$", "description": description}
    return Param(schema, read)


class Query:
    """The query parameters a handler reads, declared once: for reading and for /openapi.json."""

    def __init__(self, **params: Param) -> None:
        self.params = params

    def read(self, conn: HTTPConnection) -> dict[str, Any]:
        """Every declared parameter, its default when absent; a bad value, a parameter it does
        not take (a typo that would silently filter nothing) or one given twice is a 400."""
        given = conn.query_params
        if not given.keys() <= self.params.keys():
            names = sorted(set(given) - self.params.keys())
            unknown = ", ".join(name or "(no name)" for name in names)
            raise GalleyError(
                f"unknown query parameter: {unknown}; this takes {', '.join(self.params)}",
                code="bad_query",
            )
        twice = sorted({name for name, _ in given.multi_items() if len(given.getlist(name)) > 1})
        if twice:  # which one would count? the last, silently
            raise GalleyError(
                f"a query parameter given more than once: {', '.join(twice)}", code="bad_query"
            )
        out = {}
        for name, param in self.params.items():
            raw = given.get(name)
            out[name] = param.default if raw is None else param.read(name, raw)
        return out
