"""The menu: tax rates, categories, items, modifier groups and their modifiers, availability.

Items keep their price in minor units and point at a tax rate; an order line copies name, price
and rate when it is made, so a later price change never rewrites a bill.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain.duplicates import unique
from edge.domain.positions import arrange, next_position
from edge.domain.rows import existing
from service import fields as f
from service.config_fields import CATEGORY, GROUP, MODIFIER, TAX_RATE
from service.config_fields import ITEM as ITEM_COLUMNS
from service.shapes import ID, array, described, shape
from sync.ids import uuid7

COURSES = ("DRINKS", "STARTERS", "MAINS", "DESSERTS")

MAX_MODIFIERS = 100  # in one group


# A menu item as a request sends it: its columns, and the modifier groups it offers.
ITEM = f.Form(
    {**ITEM_COLUMNS.fields, "modifier_group_ids": f.Field("Modifier groups", f.distinct_ids)},
    required=ITEM_COLUMNS.required,
)
# A new group may come with its first modifiers (no two of the same name).
NEW_GROUP = f.Form(
    {
        **GROUP.fields,
        "modifiers": f.Field("Choices", f.listing(MODIFIER, MAX_MODIFIERS, unique="name")),
    },
    required=GROUP.required,
    checks=GROUP.checks,
)
# What a group is when a request leaves a count out (the table's defaults).
GROUP_DEFAULTS = {"min_choices": 0, "max_choices": 1}
AVAILABILITY = f.Form({"available": f.boolean}, required=("available",))

# What `snapshot` answers: the menu as the pages show it.
TAX_RATE_VIEW = shape("TaxRate", {"id": ID, **described(TAX_RATE, "name", "rate_bp")})
MODIFIER_VIEW = shape(
    "Modifier", {"id": ID, **described(MODIFIER, "name", "price_delta", "available")}
)
GROUP_VIEW = shape(
    "ModifierGroup",
    {
        "id": ID,
        **described(GROUP, "name", "min_choices", "max_choices", "position"),
        "modifiers": array(MODIFIER_VIEW),
    },
)
ITEM_VIEW = shape(
    "MenuItem",
    {
        "id": ID,
        **described(ITEM, "category_id", "name", "description", "price", "tax_rate_id"),
        **described(ITEM, "station", "course", "available", "active", "position"),
        "modifier_group_ids": array(ID, "its modifier groups, in order"),
        **described(ITEM, "plu", "barcode"),
    },
)
CATEGORY_VIEW = shape(
    "MenuCategory",
    {"id": ID, **described(CATEGORY), "items": array(ITEM_VIEW)},
)
MENU_VIEW = shape(
    "Menu",
    {
        "tax_rates": array(TAX_RATE_VIEW),
        "categories": array(CATEGORY_VIEW),
        "modifier_groups": array(GROUP_VIEW),
    },
)


def create_tax_rate(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    require(actor, "menu.edit")
    row = TAX_RATE.clean(values)
    row.setdefault("position", next_position(conn, "tax_rates"))
    return _create(conn, actor, "tax_rates", row)


def update_tax_rate(conn: WriteConnection, actor: Actor, rate_id: str, values: dict[str, Any]):
    require(actor, "menu.edit")
    _exists(conn, "tax_rates", rate_id)
    commit(conn, actor.id, "tax_rates", rate_id, "update", TAX_RATE.clean(values, partial=True))


def create_category(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    require(actor, "menu.edit")
    row = CATEGORY.clean(values)
    row.setdefault("position", next_position(conn, "menu_categories"))
    return _create(conn, actor, "menu_categories", row)


def update_category(conn: WriteConnection, actor: Actor, category_id: str, values: dict[str, Any]):
    require(actor, "menu.edit")
    _exists(conn, "menu_categories", category_id)
    commit(
        conn,
        actor.id,
        "menu_categories",
        category_id,
        "update",
        CATEGORY.clean(values, partial=True),
    )


def create_item(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    require(actor, "menu.edit")
    row = ITEM.clean(values)
    groups = row.pop("modifier_group_ids", [])
    _check_item_refs(conn, row)
    row.setdefault(
        "position", next_position(conn, "menu_items", "category_id = ?", (row["category_id"],))
    )
    item_id = _create(conn, actor, "menu_items", row)
    set_item_groups(conn, actor, item_id, groups)
    return item_id


def update_item(conn: WriteConnection, actor: Actor, item_id: str, values: dict[str, Any]) -> None:
    require(actor, "menu.edit")
    current = _exists(conn, "menu_items", item_id)
    row = ITEM.clean(values, partial=True)
    groups = row.pop("modifier_group_ids", None)
    _check_item_refs(conn, row)
    moved_to = row.get("category_id", current["category_id"])
    if moved_to != current["category_id"] and "position" not in row:
        row["position"] = next_position(conn, "menu_items", "category_id = ?", (moved_to,))
    commit(conn, actor.id, "menu_items", item_id, "update", row)
    if groups is not None:
        set_item_groups(conn, actor, item_id, groups)


def set_available(conn: WriteConnection, actor: Actor, item_id: str, available: bool) -> None:
    """86 an item (available=False) or bring it back; floor staff may do this."""
    require(actor, "menu.availability")
    _exists(conn, "menu_items", item_id)
    commit(
        conn,
        actor.id,
        "menu_items",
        item_id,
        "update",
        {"available": f.boolean("available", available)},
    )


def set_item_groups(conn: WriteConnection, actor: Actor, item_id: str, group_ids: Any) -> None:
    """Make the item's modifier groups exactly `group_ids`, in that order."""
    for group_id in f.distinct_ids("modifier_group_ids", group_ids):
        _exists(conn, "modifier_groups", group_id, "modifier_group_ids")
    links = {
        row["group_id"]: row["id"]
        for row in conn.execute(
            "SELECT id, group_id FROM item_modifier_groups WHERE item_id = ?", (item_id,)
        )
    }
    for group_id, link_id in links.items():
        if group_id not in group_ids:
            commit(conn, actor.id, "item_modifier_groups", link_id, "delete")
    for position, group_id in enumerate(group_ids):
        if group_id in links:
            commit(
                conn,
                actor.id,
                "item_modifier_groups",
                links[group_id],
                "update",
                {"position": position},
            )
        else:
            _create(
                conn,
                actor,
                "item_modifier_groups",
                {"item_id": item_id, "group_id": group_id, "position": position},
            )


def create_group(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    """A modifier group, optionally with its modifiers: {..., "modifiers": [{name, price_delta}]}"""
    require(actor, "menu.edit")
    row = NEW_GROUP.clean(values, current=GROUP_DEFAULTS)
    modifiers = row.pop("modifiers", [])
    row.setdefault("position", next_position(conn, "modifier_groups"))
    group_id = _create(conn, actor, "modifier_groups", row)
    for modifier in modifiers:
        create_modifier(conn, actor, group_id, modifier)
    return group_id


def update_group(conn: WriteConnection, actor: Actor, group_id: str, values: dict[str, Any]):
    require(actor, "menu.edit")
    current = _exists(conn, "modifier_groups", group_id)
    row = GROUP.clean(values, partial=True, current=dict(current))
    commit(conn, actor.id, "modifier_groups", group_id, "update", row)


def create_modifier(conn: WriteConnection, actor: Actor, group_id: str, values: dict[str, Any]):
    require(actor, "menu.edit")
    _exists(conn, "modifier_groups", group_id)
    row = MODIFIER.clean(values, checks=(unique(conn, "modifiers", group_id=group_id),))
    row.setdefault("position", next_position(conn, "modifiers", "group_id = ?", (group_id,)))
    return _create(conn, actor, "modifiers", {"group_id": group_id, **row})


def update_modifier(conn: WriteConnection, actor: Actor, modifier_id: str, values: dict[str, Any]):
    require(actor, "menu.availability" if set(values) == {"available"} else "menu.edit")
    current = _exists(conn, "modifiers", modifier_id)
    choice = unique(conn, "modifiers", modifier_id, group_id=current["group_id"])
    row = MODIFIER.clean(values, partial=True, checks=(choice,))
    commit(conn, actor.id, "modifiers", modifier_id, "update", row)


def arrange_categories(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> None:
    """The categories in the order the menu shows them: `{"ids": [every category id]}`."""
    require(actor, "menu.edit")
    arrange(conn, actor.id, "menu_categories", values, "categories")


def arrange_items(
    conn: WriteConnection, actor: Actor, category_id: str, values: dict[str, Any]
) -> None:
    """A category's items in the order the menu shows them: `{"ids": [each of its items]}`."""
    require(actor, "menu.edit")
    _exists(conn, "menu_categories", category_id)
    arrange(conn, actor.id, "menu_items", values, "items", "category_id = ?", (category_id,))


def arrange_groups(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> None:
    """The modifier groups in the order the editor lists them."""
    require(actor, "menu.edit")
    arrange(conn, actor.id, "modifier_groups", values, "modifier groups")


def arrange_modifiers(
    conn: WriteConnection, actor: Actor, group_id: str, values: dict[str, Any]
) -> None:
    """A group's modifiers in the order a guest and the staff see the choices."""
    require(actor, "menu.edit")
    _exists(conn, "modifier_groups", group_id)
    arrange(conn, actor.id, "modifiers", values, "modifiers", "group_id = ?", (group_id,))


def snapshot(conn: sqlite3.Connection, include_hidden: bool = False) -> dict[str, Any]:
    """The whole live menu as the pages and the public endpoint show it; managers editing it
    also see hidden (inactive) categories and items."""
    shown = "1" if include_hidden else "active = 1"
    rates = [
        dict(r) for r in conn.execute("SELECT id, name, rate_bp FROM tax_rates ORDER BY position")
    ]
    groups = {
        row["id"]: {**dict(row), "modifiers": []}
        for row in conn.execute(
            "SELECT id, name, min_choices, max_choices, position FROM modifier_groups"
            " ORDER BY position"
        )
    }
    for row in conn.execute(
        "SELECT id, group_id, name, price_delta, available FROM modifiers ORDER BY position"
    ):
        groups[row["group_id"]]["modifiers"].append(
            {
                "id": row["id"],
                "name": row["name"],
                "price_delta": row["price_delta"],
                "available": bool(row["available"]),
            }
        )
    links: dict[str, list[str]] = {}
    for row in conn.execute("SELECT item_id, group_id FROM item_modifier_groups ORDER BY position"):
        links.setdefault(row["item_id"], []).append(row["group_id"])
    categories = [
        {**dict(row), "active": bool(row["active"]), "items": []}
        for row in conn.execute(
            f"SELECT id, name, position, active FROM menu_categories WHERE {shown}"
            " ORDER BY position"
        )
    ]
    by_id = {c["id"]: c for c in categories}
    for row in conn.execute(
        "SELECT id, category_id, name, description, price, tax_rate_id, station, course,"
        f" available, active, position, plu, barcode FROM menu_items WHERE {shown}"
        " ORDER BY position"
    ):
        if row["category_id"] in by_id:
            by_id[row["category_id"]]["items"].append(
                {
                    **dict(row),
                    "available": bool(row["available"]),
                    "active": bool(row["active"]),
                    "modifier_group_ids": links.get(row["id"], []),
                }
            )
    return {"tax_rates": rates, "categories": categories, "modifier_groups": list(groups.values())}


def _create(conn: WriteConnection, actor: Actor, table: str, row: dict[str, Any]) -> str:
    new_id = uuid7()
    commit(conn, actor.id, table, new_id, "create", row)
    return new_id


_WHAT = {
    "tax_rates": "tax rate",
    "menu_categories": "category",
    "menu_items": "menu item",
    "modifier_groups": "modifier group",
    "modifiers": "modifier",
}


def _exists(
    conn: sqlite3.Connection, table: str, row_id: str, field: str | None = None
) -> sqlite3.Row:
    return existing(conn, table, row_id, _WHAT[table], field)


def _check_item_refs(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    if "category_id" in row:
        _exists(conn, "menu_categories", row["category_id"], "category_id")
    if "tax_rate_id" in row:
        _exists(conn, "tax_rates", row["tax_rate_id"], "tax_rate_id")
