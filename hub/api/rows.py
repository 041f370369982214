"""The hub's copy of each store's rows: read them; edit, or add, hub-owned ones (menu, prices,
tables, staff, settings), in one store or the same edit in several. A box takes each edit on its
next pull."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from hub.api import shapes
from hub.api.http import answer, as_owner, by_owner, json_body, query
from hub.api.openapi import contract
from hub.domain import edits, feed

ANY_OBJECT = {"type": "object", "description": "field: value, as sync.entities declares them"}
FIELDS = shapes.body(("fields",), fields={**ANY_OBJECT, "minProperties": 1})
EDIT_MANY = shapes.body(
    ("stores", "fields"),
    stores={"type": "array", "items": shapes.UUID, "minItems": 1, "maxItems": 200,
            "uniqueItems": True},
    match=ANY_OBJECT,
    fields={**ANY_OBJECT, "minProperties": 1},
)  # fmt: skip
PAGE = {"after": shapes.text(0, 36, default=""), "limit": shapes.whole(1, 500, 100)}


@contract(query=PAGE)
async def list_rows(request: Request):
    """The store's rows of one entity (menu_items, tables, orders ...), by id; page with
    `after` = `next`. Secrets masked."""
    p, q = request.path_params, query(request, PAGE)
    page = await as_owner(request, feed.rows, p["store_id"], p["entity"], q["after"], q["limit"])
    return answer(page)


@contract()
async def get_row(request: Request):
    """One row of the store."""
    p = request.path_params
    return answer(await as_owner(request, feed.row, p["store_id"], p["entity"], p["row_id"]))


@contract(body=FIELDS)
async def edit_row(request: Request):
    """Change fields of one hub-owned row; the hub's value now stands against a box's offline
    edit of the same field."""
    p, values = request.path_params, await json_body(request, FIELDS)
    row = await by_owner(
        request, edits.edit, p["store_id"], p["entity"], p["row_id"], values["fields"]
    )
    return answer(row)


@contract(body=FIELDS, status=201)
async def create_row(request: Request):
    """A new hub-owned row in the store (a table, a menu item ...): fields not given take their
    defaults."""
    p, values = request.path_params, await json_body(request, FIELDS)
    row = await by_owner(request, edits.create, p["store_id"], p["entity"], values["fields"])
    return answer(row, 201)


@contract(body=EDIT_MANY)
async def edit_many(request: Request):
    """The same change in several stores: the rows of `entity` whose fields equal `match`
    ({"name": "Espresso"}; {} for every row) in each store get `fields`. All stores or none."""
    values = await json_body(request, EDIT_MANY)
    done = await by_owner(
        request,
        edits.edit_many,
        request.path_params["entity"],
        values["stores"],
        values.get("match", {}),
        values["fields"],
    )
    return answer({"stores": done})


routes = [
    Route("/api/stores/{store_id}/rows/{entity}", list_rows, methods=["GET"]),
    Route("/api/stores/{store_id}/rows/{entity}", create_row, methods=["POST"]),
    Route("/api/stores/{store_id}/rows/{entity}/{row_id}", get_row, methods=["GET"]),
    Route("/api/stores/{store_id}/rows/{entity}/{row_id}", edit_row, methods=["PATCH"]),
    Route("/api/rows/{entity}", edit_many, methods=["PATCH"]),
]
