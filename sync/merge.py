"""Server wins, field by field: how the hub folds a store's offline edit into its own row.

The hub keeps, for each row, the revision at which each field last changed and who changed it
(`FieldRev`: the hub, or the store whose edge did). A store's event names the revision its edit
was based on (`base_rev`). A field the event sets keeps the hub's value when someone other than
this store changed it after that base and the two values differ: the edge's value is reported
in `kept`, for a manager to see and, if they want, apply again. Every other field takes the
store's value. An edge's own earlier edit is never a conflict with its later one.

Only hub-owned entities merge; an edge-owned row (an order) is the store's, and its event
applies as it is. Pure functions of their arguments, so the hub can call them inside its
transaction and a test can replay any history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sync.canonical import same
from sync.errors import BadEvent

HUB = "hub"  # the source of a change an owner made on the hub; a store's changes carry its id


class FieldRev(NamedTuple):
    """When a field last changed (the hub's change cursor) and who changed it. Stored as the
    JSON pair `[rev, source]`: `FieldRev(*pair)` reads it back."""

    rev: int
    source: str


@dataclass(frozen=True)
class Merge:
    apply: dict[str, Any] = field(default_factory=dict)  # fields to write, the store's values
    kept: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field: (edge's, hub's)


def merge(
    current: Mapping[str, Any],
    field_revs: Mapping[str, FieldRev],
    event_fields: Mapping[str, Any],
    base_rev: int,
    source: str,
) -> Merge:
    """What of a store's edit (`event_fields`, canonical, based on `base_rev`, made by
    `source`) the hub's row (`current`, changed as `field_revs` say) takes.

    A create of a row the hub already has merges the same way with `base_rev` 0. Fields equal
    to the hub's already are neither applied nor kept: nothing changes, nobody was overruled."""
    apply: dict[str, Any] = {}
    kept: dict[str, tuple[Any, Any]] = {}
    for name, value in event_fields.items():
        if name in current and same(value, current[name]):
            continue
        if _changed_by_another(field_revs.get(name), base_rev, source):
            kept[name] = (value, current.get(name))
        else:
            apply[name] = value
    return Merge(apply, kept)


def check_delete(field_revs: Mapping[str, FieldRev], base_rev: int, source: str) -> None:
    """A store's delete of a hub-owned row applies only if nobody else changed the row since
    the store's base: it would throw their change away unseen. Raises BadEvent
    (`changed_on_hub`) naming the fields they changed."""
    changed = sorted(
        name for name, rev in field_revs.items() if _changed_by_another(rev, base_rev, source)
    )
    if changed:
        raise BadEvent(
            f"not deleted: changed on the hub since this store saw it ({', '.join(changed)})",
            code="changed_on_hub",
        )


def revise(
    field_revs: Mapping[str, FieldRev], changed: Iterable[str], rev: int, source: str
) -> dict[str, FieldRev]:
    """`field_revs` after a change at `rev` by `source` that wrote the fields `changed`."""
    return {**field_revs, **{name: FieldRev(rev, source) for name in changed}}


def _changed_by_another(field_rev: FieldRev | None, base_rev: int, source: str) -> bool:
    return field_rev is not None and field_rev.rev > base_rev and field_rev.source != source
