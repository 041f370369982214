"""The hub's copy of each store's rows: read them; edit, or add, hub-owned ones (menu, prices,
tables, staff, settings), in one store or the same edit in several. A box takes each edit on its
next pull."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from hub.api.http import as_owner, by_owner
from hub.api.openapi import contract
from hub.domain import edits, feed
from service import fields as f
from service.errors import Invalid
from service.http import body, ok
from service.query import Query, whole, words

MOST_STORES = 200


def _values(*, at_least: int, description: str) -> f.Rule:
    """An object of field: value, as sync.entities declares them (checked by the domain)."""

    @f.accepts({"type": "object", "minProperties": at_least, "description": description})
    def rule(name: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or len(value) < at_least:
            raise Invalid(f"{name} must be an object of at least {at_least} field.", field=name)
        return value

    return rule


@f.accepts({**f.distinct_ids.schema, "minItems": 1, "maxItems": MOST_STORES})
def _stores(name: str, value: Any) -> list[str]:
    ids = f.distinct_ids(name, value)
    if not 1 <= len(ids) <= MOST_STORES:
        raise Invalid(f"{name} names 1 to {MOST_STORES} stores.", field=name)
    return ids


_MATCH = _values(at_least=0, description="field: value, as sync.entities declares them")
# An owner's values meet the rules the box checks a manager's with (`edits`).
_FIELDS = _values(
    at_least=1,
    description="field: value, as sync.entities declares them; each value meets the rules the"
    " store's box checks that field with (service.config_fields: a time zone that exists, a"
    " role staff have ...), else 422 naming fields.<field>",
)
FIELDS = f.Form({"fields": _FIELDS}, required=("fields",))
EDIT_MANY = f.Form(
    {"stores": _stores, "match": _MATCH, "fields": _FIELDS},
    required=("stores", "fields"),
)
PAGE = Query(after=words("the last row id seen"), limit=whole(100, 1, 500))


@contract(query=PAGE)
async def list_rows(request: Request):
    """The store's rows of one entity (menu_items, tables, orders ...), by id; page with
    `after` = `next`. Secrets masked."""
    p, q = request.path_params, PAGE.read(request)
    page = await as_owner(
        request, feed.rows, p["store_id"], p["entity"], q["after"] or "", q["limit"]
    )
    return ok(page)


@contract()
async def get_row(request: Request):
    """One row of the store."""
    p = request.path_params
    return ok(await as_owner(request, feed.row, p["store_id"], p["entity"], p["row_id"]))


@contract(body=FIELDS, refuses={403})
async def edit_row(request: Request):
    """Change fields of one hub-owned row; the hub's value now stands against a box's offline
    edit of the same field."""
    p, values = request.path_params, FIELDS.clean(await body(request))
    row = await by_owner(
        request, edits.edit, p["store_id"], p["entity"], p["row_id"], values["fields"]
    )
    return ok(row)


@contract(body=FIELDS, status=201, refuses={403})
async def create_row(request: Request):
    """A new hub-owned row in the store (a table, a menu item ...): fields not given take their
    defaults."""
    p, values = request.path_params, FIELDS.clean(await body(request))
    row = await by_owner(request, edits.create, p["store_id"], p["entity"], values["fields"])
    return ok(row, 201)


@contract(refuses={403, 409})
async def delete_row(request: Request):
    """Remove one hub-owned row (a table made by mistake, a modifier group taken off a dish);
    the box deletes it on its next pull. 409 `in_use` while another row of the store names it
    (an area's tables, a dish's order lines): switch it off instead (`active`/`enabled`
    false). Staff, printers and stations are switched off, never removed (403
    `not_removable`)."""
    p = request.path_params
    return ok(await by_owner(request, edits.remove, p["store_id"], p["entity"], p["row_id"]))


@contract(body=EDIT_MANY, refuses={403})
async def edit_many(request: Request):
    """The same change in several stores: the rows of `entity` whose fields equal `match`
    ({"name": "Espresso"}; {} for every row) in each store get `fields`. All stores or none."""
    values = EDIT_MANY.clean(await body(request))
    done = await by_owner(
        request,
        edits.edit_many,
        request.path_params["entity"],
        values["stores"],
        values.get("match", {}),
        values["fields"],
    )
    return ok({"stores": done})


routes = [
    Route("/api/stores/{store_id:id}/rows/{entity}", list_rows, methods=["GET"]),
    Route("/api/stores/{store_id:id}/rows/{entity}", create_row, methods=["POST"]),
    Route("/api/stores/{store_id:id}/rows/{entity}/{row_id:text}", get_row, methods=["GET"]),
    Route("/api/stores/{store_id:id}/rows/{entity}/{row_id:text}", edit_row, methods=["PATCH"]),
    Route("/api/stores/{store_id:id}/rows/{entity}/{row_id:text}", delete_row, methods=["DELETE"]),
    Route("/api/rows/{entity}", edit_many, methods=["PATCH"]),
]
