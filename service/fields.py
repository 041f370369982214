"""Field rules shared by the domain modules of both apps: each turns a JSON value into a stored
value or raises `Invalid` with a sentence about the field, so a bad request is refused before
anything is written.

A `Form` declares the fields one kind of request may send, each with the label the admin page
shows beside it, so the server's sentences speak the page's words ("At most must be 3 or
more"), not its column names; it checks every field at once and refuses with all that is wrong,
each sentence under its field. Each rule carries the JSON Schema of what it accepts, and a form
builds its schema from its rules: /openapi.json describes request bodies with the very rules
that check them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from service.errors import Invalid
from sync.ids import is_uuid


class Rule(Protocol):
    """Checks one value: returns what is stored, or raises `Invalid` with a sentence that calls
    the field `name` (the label a form shows, or the JSON key when called on its own)."""

    schema: dict[str, Any]

    def __call__(self, name: str, value: Any, /) -> Any: ...


def accepts(schema: dict[str, Any]) -> Callable[[Callable[[str, Any], Any]], Rule]:
    """Decorator: `schema` (JSON Schema) describes what the decorated rule accepts."""

    def describe(check: Callable[[str, Any], Any]) -> Rule:
        check.schema = schema  # type: ignore[attr-defined]
        return cast(Rule, check)

    return describe


# Control characters (but tab, line feed and carriage return) have no place in anything staff or
# an owner type, nor in a query, and PostgreSQL's text cannot hold NUL at all: no text rule, and
# no query text (`service.query.words`), lets one in. Nor do the text-direction overrides and
# isolates (U+202A-202E, U+2066-2069), which make a name or a reason read otherwise than it is
# (Arabic and Hebrew need none of them). CONTROL: a regex character class's inside, read alike
# by Python and by JSON Schema's patterns.
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069"
HAS_CONTROL = re.compile(f"[{CONTROL}]")


def text(limit: int, *, blank: bool = False) -> Rule:
    # one pattern (JSON Schema has one per schema): no control character, and unless `blank`,
    # something that is not white space
    pattern = f"^[^{CONTROL}]*$" if blank else f"^[^{CONTROL}]*[^{CONTROL}\\s][^{CONTROL}]*$"

    @accepts({"type": "string", "maxLength": limit, "pattern": pattern})
    def rule(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"{name} must be text.", field=name)
        if not blank and not value.strip():
            raise Invalid(f"{name} can't be empty.", field=name)
        if HAS_CONTROL.search(value):
            raise Invalid(f"{name} can't hold control characters.", field=name)
        if len(value) > limit:
            raise Invalid(f"{name} can be at most {limit} characters long.", field=name)
        return value.strip()

    return rule


# SQLite keeps an integer in 64 bits: a larger one cannot be stored, so no rule lets it in.
INT64 = (-(2**63), 2**63 - 1)


def whole(value: Any) -> int | None:
    """`value` as a whole number, or None. JSON has one kind of number, and JSON Schema's
    "integer" takes 1250.0 as 1250 (JSON parsers read it as a float): so do the rules."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def integer(low: int = INT64[0], high: int = INT64[1]) -> Rule:
    @accepts({"type": "integer", "minimum": low, "maximum": high})
    def rule(name: str, given: Any) -> int:
        value = whole(given)
        if value is None:
            raise Invalid(f"{name} must be a whole number.", field=name)
        if value < low:
            raise Invalid(
                f"{name} can't be negative." if low == 0 else f"{name} must be at least {low}.",
                field=name,
            )
        if value > high:
            raise Invalid(f"{name} can be at most {high}.", field=name)
        return value

    return rule


def amount(limit: int, *, signed: bool = False) -> Rule:
    """Money in minor units (cents), at most `limit`; `signed`: a change that may also lower a
    price (a "no cheese" choice), by as much."""
    low = -limit if signed else 0

    @accepts({"type": "integer", "minimum": low, "maximum": limit})
    def rule(name: str, given: Any) -> int:
        value = whole(given)
        if value is None:
            raise Invalid(
                f"{name} must be a whole number of cents, such as 1250 for 12.50.", field=name
            )
        if value < 0 and not signed:
            raise Invalid(f"{name} can't be negative.", field=name)
        if abs(value) > limit:
            raise Invalid(f"{name} is too large.", field=name)
        return value

    return rule


@accepts({"type": "integer", "minimum": 0, "maximum": 10_000})
def basis_points(name: str, given: Any) -> int:
    """A percentage in hundredths of a percent: 1350 is 13.5 %."""
    value = whole(given)
    if value is None:
        raise Invalid(f"{name} must be a whole number of basis points (1350 = 13.5%).", field=name)
    if not 0 <= value <= 10_000:
        raise Invalid(f"{name} must be from 0% to 100%.", field=name)
    return value


@accepts({"type": "boolean"})
def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be true or false.", field=name)
    return value


def choice(*choices: str) -> Rule:
    @accepts({"type": "string", "enum": list(choices)})
    def rule(name: str, value: Any) -> str:
        if value not in choices:
            raise Invalid(f"{name} must be one of {', '.join(choices)}.", field=name)
        return value

    return rule


def optional(inner: Rule) -> Rule:
    """`inner`, or null."""

    @accepts({"anyOf": [inner.schema, {"type": "null"}]})
    def rule(name: str, value: Any) -> Any:
        return None if value is None else inner(name, value)

    return rule


_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")


@accepts({"type": "string", "pattern": r"^\s*[A-Za-z][A-Za-z0-9_]{0,19}\s*$"})
def code(name: str, value: Any) -> str:
    """Station and course names: BAR, KITCHEN, DRINKS, MAINS ... (upper case, no spaces)."""
    if isinstance(value, str):
        value = value.strip().upper()
    if not isinstance(value, str) or not _CODE.match(value):
        raise Invalid(
            f"{name} must be one short word of letters and digits, such as KITCHEN.", field=name
        )
    return value


@accepts({"type": "string", "format": "uuid"})
def identifier(name: str, value: Any) -> str:
    if not is_uuid(value):
        raise Invalid(f"{name} must be an id.", field=name)
    return value


@accepts({"type": "array", "items": {"type": "string", "format": "uuid"}, "uniqueItems": True})
def distinct_ids(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(set(map(str, value))) != len(value):
        raise Invalid(f"{name} must be a list of distinct ids.", field=name)
    return [identifier(name, item) for item in value]


REASON = text(140)  # why a line is voided or the drawer opened


@dataclass(frozen=True)
class Field:
    """One field of a form: the label the admin page shows beside it, which every message about
    it speaks in, and the rule that checks it."""

    label: str
    rule: Rule


# A rule across fields: (the values that passed their own rules, merged over the row being
# changed; the form's labels) -> {field: what is wrong with it, a sentence or an `Invalid` with
# its own code}. Domain functions add their own, for rules that read the database (a name
# already taken).
Check = Callable[[Mapping[str, Any], Mapping[str, str]], Mapping[str, "str | Invalid"]]


def ordered(low: str, high: str) -> Check:
    """Field `high` may not be below field `low` (at least / at most)."""

    def check(values: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, str]:
        if low in values and high in values and values[high] < values[low]:
            bottom = values[low]
            return {
                high: f"{labels[high]} must be {bottom} or more, as “{labels[low]}” is {bottom}."
            }
        return {}

    return check


class Form:
    """The fields one kind of request may send (in the order the page shows them), those it must
    (unless `partial`: a change sends only what changes), and the rules across fields.

    `clean` checks every field and every rule and refuses with all that is wrong at once: one
    `Invalid` whose `fields` maps each bad field to its sentence, `field` names the first, and
    the message is every sentence in form order. A page puts each sentence under its field.
    A field declared with its rule alone (one no page shows) is called by its key in plain
    words: "max_choices" is "Max choices"."""

    def __init__(
        self,
        fields: Mapping[str, Rule | Field],
        required: tuple[str, ...] = (),
        checks: tuple[Check, ...] = (),
    ) -> None:
        self.fields = {
            key: spec
            if isinstance(spec, Field)
            else Field(key.replace("_", " ").capitalize(), spec)
            for key, spec in fields.items()
        }
        self.required = required
        self.checks = checks
        self.labels = {key: spec.label for key, spec in self.fields.items()}
        self.rules = {key: spec.rule for key, spec in self.fields.items()}
        self._order = {key: index for index, key in enumerate(self.fields)}

    def clean(
        self,
        values: Mapping[str, Any],
        *,
        partial: bool = False,
        current: Mapping[str, Any] | None = None,
        checks: tuple[Check, ...] = (),
    ) -> dict[str, Any]:
        """Check `values`; refuse unknown fields at once, then everything else together.
        `current`: the row being changed, for the rules across fields."""
        rules, labels = self.rules, self.labels
        if not values.keys() <= rules.keys():  # checked first without building sets: every
            unknown = set(values) - set(rules)  # line of every order comes through here
            raise Invalid(f"unknown field: {', '.join(sorted(unknown))}", code="unknown_field")
        problems: dict[str, Invalid] = {}
        try:  # all good, as nearly always: one comprehension, the fastest way through
            out = {key: rules[key](labels[key], value) for key, value in values.items()}
        except Invalid:
            out = {}
            for key, value in values.items():
                try:
                    out[key] = rules[key](labels[key], value)
                except Invalid as exc:
                    problems[key] = exc
        if not partial:
            for key in self.required:
                if key not in values:
                    problems[key] = Invalid(f"{labels[key]} is missing.", code="missing_field")
        if self.checks or checks:
            merged = {**(current or {}), **out}
            for key in problems:
                merged.pop(key, None)
            for check in (*self.checks, *checks):
                for key, problem in check(merged, self.labels).items():
                    if key not in problems:
                        problems[key] = (
                            problem if isinstance(problem, Invalid) else Invalid(problem)
                        )
        if problems:
            self._refuse(problems)
        return out

    def _refuse(self, problems: dict[str, Invalid]) -> None:
        keys = sorted(problems, key=self._order.__getitem__)
        first = problems[keys[0]]
        names = [_within(key, self.labels[key], problems[key]) for key in keys]
        raise Invalid(
            " ".join(problems[key].message for key in keys),
            code=first.code,
            field=names[0],
            fields={name: problems[key].message for name, key in zip(names, keys, strict=True)},
        )

    def schema(self, *, partial: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {key: spec.rule.schema for key, spec in self.fields.items()},
            "additionalProperties": False,
        }
        if self.required and not partial:
            schema["required"] = list(self.required)
        return schema


def nested(form: Form) -> Rule:
    """A field holding one object of `form`."""

    @accepts(form.schema())
    def rule(name: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(f"{name} must be an object.", field=name)
        return form.clean(value)

    return rule


def listing(form: Form, limit: int, *, unique: str | None = None) -> Rule:
    """A field holding a list of at most `limit` objects of `form`; `unique`: a field no two of
    them may share (compared as a person reads it: case and spaces aside)."""

    @accepts({"type": "array", "items": form.schema(), "maxItems": limit})
    def rule(name: str, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise Invalid(f"{name} must be a list of objects.", field=name)
        if len(value) > limit:
            raise Invalid(f"{name} takes at most {limit} at once.", field=name)
        rows = []
        for number, item in enumerate(value, 1):
            try:
                rows.append(form.clean(item))
            except Invalid as exc:
                raise Invalid(f"{name}, number {number}: {exc.message}", field=name) from exc
        if unique:
            seen: set[str] = set()
            for row in rows:
                if same(row[unique]) in seen:
                    raise Invalid(f"{name}: {row[unique]} is there twice.", field=name)
                seen.add(same(row[unique]))
        return rows

    return rule


def same(name: str) -> str:
    """A name as a person tells names apart: "Oat milk" and " oat  MILK" are the same."""
    return " ".join(name.split()).casefold()


def _within(key: str, label: str, problem: Invalid) -> str:
    """The field a problem names: a part of `key` ("transport.path") when a nested rule says
    which (rules are called with the label as the name, so "<label>.path"), else `key`."""
    named = problem.details.get("field")
    if isinstance(named, str):
        for prefix in (f"{key}.", f"{label}."):
            if named.startswith(prefix):
                return f"{key}.{named[len(prefix) :]}"
    return key
