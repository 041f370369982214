"""An owner's edits of the hub-owned rows of one store, or of several stores at once.

Each edit is a change of the store's feed (source "hub") whose cursor becomes the row's
revision and the revision of every field it changed (field_revs: the hub's value now stands
against a box's edit based on an older revision). A box takes it on its next pull.

Ids are per store (each box made its own menu), so the same edit for several stores names its
rows by what they hold rather than by id: "menu items named Espresso in stores A and B: price
250". `match` is a set of field values (compared as the protocol writes them); each store answers
with the rows it matched and changed, none if none matched. One transaction, every store locked
first (in id order): all stores change, or none.

Values meet the rules the box meets a manager's edit with (`service.config_fields`: a time zone
that exists, a role staff can have, at least no more than at most ...), and are kept as the box
keeps them (trimmed, codes in capitals): a value the box would refuse is refused here, before
any box takes it, and none is written. A rule across fields reads the rest of each row changed;
a name or code no two rows of a store share (a table's name, a station's code: the box refuses
a duplicate too) reads the store's other rows of the entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.domain.feed import shown, synced_entity
from hub.domain.owners import Owner
from hub.domain.push import CLOCK
from hub.storage.tx import ChangeRow, Row, Tx
from service import config_fields
from service.errors import Conflict, Forbidden, Invalid, NotFound
from sync.canonical import canonical_fields, same
from sync.clock import now_iso
from sync.entities import ENTITIES, Entity
from sync.envelope import MAX_WHOLE
from sync.errors import BadEvent
from sync.ids import uuid7
from sync.merge import HUB, revise

# A store's settings are one row, made by its box: the hub edits it and never makes another,
# which the box would take as a second row of its `store` table (and then read either one).
ONE_ROW = frozenset({"store"})
# The kitchen's and the POS's settings are one row too, which a box makes on a manager's first
# change and then reads as the first row it finds: the hub makes it for a store that has none,
# and then edits it.
AT_MOST_ONE = frozenset({"kitchen_settings", "pos_settings"})
# The fields that name another row of the store (the box's foreign keys): a value that names
# no live row of that entity there is refused, as the box's pull would refuse the change.
REFERS = {
    "menu_items": {"category_id": "menu_categories", "tax_rate_id": "tax_rates"},
    "modifiers": {"group_id": "modifier_groups"},
    "item_modifier_groups": {"item_id": "menu_items", "group_id": "modifier_groups"},
    "tables": {"area_id": "areas"},
    "printers": {"backup_printer_id": "printers"},
}
# Rows that are switched off (this field), never removed: staff and printers are named by the
# box's own rows, which never leave it (sign-ins, paired devices, print jobs), so the hub cannot
# see whether a box could delete one; a station is named by its code (a dish's, a printer's,
# an order line's), which no foreign key holds.
SWITCHED_OFF = {"staff": "active", "printers": "enabled", "stations": "active"}


def _editable(name: str) -> Entity:
    entity = synced_entity(name)
    if entity.owner != "hub":
        raise Forbidden(
            f"{entity.name} are the store's own: the hub keeps them as the store made them",
            code="store_owned",
        )
    return entity


def _ruled(entity: Entity, fields: dict[str, Any], row: Row) -> dict[str, Any]:
    """`fields` as the box's rules for them keep them (`service.config_fields.check`), or a
    422 naming the first bad one (`fields.<name>`)."""
    try:
        return config_fields.check(entity.name, fields, row.fields)
    except Invalid as error:
        named = {f"fields.{name}": why for name, why in error.details.get("fields", {}).items()}
        first = error.details.get("field")
        raise Invalid(
            error.message,
            code=error.code,
            field=f"fields.{first}" if first else "fields",
            fields=named,
        ) from None


def _unique(tx: Tx, store_id: str, entity: Entity, row: Row, changed: Mapping[str, Any]) -> None:
    """A 422 when `changed` gives `row` a name or code another row of the store holds
    (`service.config_fields.UNIQUE`), as its box refuses a manager's: the store's rows of the
    entity as this transaction left them (an edit of many rows sees the ones it changed)."""
    rule = config_fields.UNIQUE.get(entity.name)
    if rule is None or rule.reads.isdisjoint(changed):
        return
    after = {**row.fields, **changed}
    others = (other.fields for other in tx.entity_rows(store_id, entity.name) if other.id != row.id)
    if rule.taken(after, others):
        refused = rule.refusal(after)
        key = f"fields.{rule.field}"
        raise Invalid(refused.message, code=refused.code, field=key, fields={key: refused.message})


def _referred(tx: Tx, store_id: str, entity: Entity, changed: Mapping[str, Any]) -> None:
    """A 422 when `changed` names a row the store does not have (`REFERS`)."""
    for name, target in REFERS.get(entity.name, {}).items():
        value = changed.get(name)
        if value is None:
            continue
        found = tx.rows_by_id(store_id, [(target, value)]).get((target, value))
        if found is None or found.deleted:
            key = f"fields.{name}"
            why = f"this store has no {ENTITIES[target].noun} {value}"
            raise Invalid(why, code="unknown_reference", field=key, fields={key: why})


def _named(error: BadEvent, key: str) -> Invalid:
    """A value the protocol refuses, as a 422 naming its field (`fields.price`)."""
    if error.field is None:
        return Invalid(error.message, code=error.code, field=key)
    named = f"{key}.{error.field}"
    return Invalid(error.message, code=error.code, field=named, fields={named: error.message})


def _checked(entity: Entity, fields: Mapping[str, Any], key: str) -> dict[str, Any]:
    """`fields` in the protocol's form; a field that is not the entity's, a wrong value, or
    a secret (set at the store) is a 422 naming it."""
    secret = sorted(entity.secret & fields.keys())
    if secret:
        raise Invalid(
            f"{secret[0]} is set at the store, not on the hub", code="secret_field", field=key
        )
    if "id" in fields or "hub_rev" in fields:
        raise Invalid("a row's id and revision are not edited", code="unknown_field", field=key)
    try:
        values = canonical_fields(entity.name, fields)
    except BadEvent as error:
        raise _named(error, key) from None
    # JSON's numbers have no bound; a box's SQLite integer has: a box could not apply a larger
    # one it pulled, and its pull would stop there
    for name, value in values.items():
        if type(value) is int and not -MAX_WHOLE - 1 <= value <= MAX_WHOLE:
            raise Invalid(
                f"{entity.noun} {name} should be a whole number from -2**63 to 2**63 - 1",
                code="bad_value",
                field=key,
            )
    return values


class _Edit:
    """Rows changed by one owner in one transaction: each a change in its store's feed."""

    def __init__(self, tx: Tx, owner: Owner, store_ids: list[str]) -> None:
        self.tx = tx
        self.owner = owner
        self.stores = tx.lock_stores(store_ids)
        if len(self.stores) != len(set(store_ids)):
            raise NotFound("no such store", code="unknown_store")
        self.at = now_iso()

    def write(
        self, store_id: str, entity: Entity, row: Row, fields: dict[str, Any], op: str
    ) -> Row:
        fields = _ruled(entity, fields, row)
        changed = {
            name: value
            for name, value in fields.items()
            if op == "create" or name not in row.fields or not same(value, row.fields[name])
        }
        if not changed:
            return row
        _unique(self.tx, store_id, entity, row, changed)
        _referred(self.tx, store_id, entity, changed)
        return self._change(store_id, entity, row, changed, op)

    def remove(self, store_id: str, entity: Entity, row: Row) -> Row:
        return self._change(store_id, entity, row, {}, "delete")

    def _change(
        self, store_id: str, entity: Entity, row: Row, changed: dict[str, Any], op: str
    ) -> Row:
        [cursor] = self.tx.next_cursors(1)
        done = Row(
            entity.name,
            row.id,
            cursor,
            {**row.fields, **changed},
            revise(row.field_revs, changed, cursor, HUB),
            deleted=op == "delete",
        )
        self.tx.put_rows(store_id, [done])
        self.tx.add_changes(
            store_id,
            [
                ChangeRow(
                    cursor=cursor,
                    id=uuid7(),
                    hlc=str(CLOCK.tick()),
                    at=self.at,
                    entity=entity.name,
                    entity_id=row.id,
                    op=op,
                    fields=changed,
                    rev=cursor,
                    actor=self.owner.email,
                    source=HUB,
                    seq=None,
                    kept={},
                )
            ],
        )
        return done


def _live(tx: Tx, store_id: str, entity: Entity, row_id: str) -> Row:
    row = tx.rows_by_id(store_id, [(entity.name, row_id)]).get((entity.name, row_id))
    if row is None or row.deleted:
        raise NotFound(f"no such {entity.noun} in this store", code="unknown_row")
    return row


def edit(
    tx: Tx, owner: Owner, store_id: str, entity: str, row_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change fields of one row of one store."""
    declared = _editable(entity)
    values = _checked(declared, fields, "fields")
    run = _Edit(tx, owner, [store_id])
    row = _live(tx, store_id, declared, row_id)
    return shown(run.write(store_id, declared, row, values, "update"))


def create(
    tx: Tx, owner: Owner, store_id: str, entity: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """A new row of a hub-owned entity in one store (a table, a menu item ...), its id made
    here; fields not given take their defaults, as at the store."""
    declared = _editable(entity)
    if declared.name in ONE_ROW:
        raise Forbidden(
            f"a store has one {declared.noun} row, its box's: edit that one", code="one_row"
        )
    values = _checked(declared, fields, "fields")
    try:
        complete = declared.complete(values)
    except BadEvent as error:
        raise _named(error, "fields") from None
    run = _Edit(tx, owner, [store_id])
    if declared.name in AT_MOST_ONE and tx.entity_rows(store_id, declared.name, limit=1):
        raise Forbidden(
            f"the store has its {declared.noun} row already: edit that one", code="one_row"
        )
    return shown(
        run.write(store_id, declared, Row(declared.name, uuid7(), 0, {}), complete, "create")
    )


def remove(tx: Tx, owner: Owner, store_id: str, entity: str, row_id: str) -> dict[str, Any]:
    """Delete one row of one store, as the box then does on its pull. Kept (409 `in_use`)
    while another live row of the store names it: the box keeps such a row too (its foreign
    keys), and the owner switches it off instead, or removes what names it first."""
    declared = _editable(entity)
    if declared.name in ONE_ROW | AT_MOST_ONE:
        raise Forbidden(f"a store keeps its {declared.noun} row: edit that one", code="one_row")
    if declared.name in SWITCHED_OFF:
        raise Forbidden(
            f"a {declared.noun} stays, named by the box's own records: set"
            f" {SWITCHED_OFF[declared.name]} to false instead",
            code="not_removable",
        )
    run = _Edit(tx, owner, [store_id])
    row = _live(tx, store_id, declared, row_id)
    naming = tx.row_naming(store_id, row.id)
    if naming is not None:
        switch = next((name for name in ("active", "enabled") if name in declared.fields), None)
        instead = f"; set {switch} to false to take it off" if switch else ""
        raise Conflict(
            f"the {declared.noun} is in use: {ENTITIES[naming[0]].noun} {naming[1]} names"
            f" it{instead}",
            code="in_use",
        )
    run.remove(store_id, declared, row)
    return {"entity": declared.name, "id": row.id, "deleted": True}


def edit_many(
    tx: Tx,
    owner: Owner,
    entity: str,
    store_ids: list[str],
    match: dict[str, Any],
    fields: dict[str, Any],
) -> list[dict[str, Any]]:
    """The same change of the rows matching `match` in each of `store_ids`."""
    declared = _editable(entity)
    values = _checked(declared, fields, "fields")
    wanted = _checked(declared, match, "match") if match else {}
    run = _Edit(tx, owner, store_ids)
    out = []
    for store in run.stores:
        changed = [
            shown(run.write(store["id"], declared, row, values, "update"))
            for row in tx.entity_rows(store["id"], declared.name)
            if all(same(row.fields.get(name), value) for name, value in wanted.items())
        ]
        out.append({"store_id": store["id"], "rows": changed})
    return out
