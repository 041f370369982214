"""The menu: public read with ETag, and the manager's edits."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.api.openapi import contract
from edge.api.writes import arranger, creator, updater
from edge.core.permissions import require
from edge.domain import menu
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.http import body, ok
from service.shapes import FLAG, ID, shape

AVAILABLE = shape("Availability", {"id": ID, "available": FLAG})


@contract(
    public=True,
    response=menu.MENU_VIEW,
    also={304: "unchanged since the ETag given in If-None-Match"},
)
async def public_menu(request: Request):
    """The live menu (no sign-in). Revalidate with If-None-Match: unchanged menus answer 304."""
    version, payload = await box_of(request).menu_json()
    etag = f'"menu-{version}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(payload, media_type="application/json", headers=headers)


@contract(response=menu.MENU_VIEW, refuses={403})
async def full_menu(request: Request):
    """Everything on the menu including hidden items and categories (managers)."""
    require(await actor(request), "menu.edit")
    return ok(await box_of(request).read(menu.snapshot, True))


@contract(body=menu.AVAILABILITY, response=AVAILABLE, refuses={403})
async def set_availability(request: Request):
    """86 an item (available: false) or bring it back (true)."""
    who = await actor(request)
    data = menu.AVAILABILITY.clean(await body(request))
    item_id = request.path_params["item_id"]
    await box_of(request).write(menu.set_available, who, item_id, data["available"])
    return ok({"id": item_id, "available": data["available"]})


routes = [
    Route("/api/menu", public_menu, methods=["GET"]),
    Route("/api/menu/all", full_menu, methods=["GET"]),
    Route(
        "/api/menu/tax-rates",
        creator(menu.create_tax_rate, menu.TAX_RATE, "Add a tax rate (rate in basis points)."),
        methods=["POST"],
    ),
    Route(
        "/api/menu/tax-rates/{rate_id:id}",
        updater(menu.update_tax_rate, menu.TAX_RATE, "Change a tax rate.", "rate_id"),
        methods=["PATCH"],
    ),
    Route(
        "/api/menu/categories",
        creator(menu.create_category, menu.CATEGORY, "Add a category."),
        methods=["POST"],
    ),
    Route(
        "/api/menu/categories/order",
        arranger(menu.arrange_categories, "Put the categories in order (every category's id)."),
        methods=["PUT"],
    ),
    Route(
        "/api/menu/categories/{category_id:id}/items/order",
        arranger(
            menu.arrange_items,
            "Put a category's items in order (each of its items' ids).",
            "category_id",
        ),
        methods=["PUT"],
    ),
    Route(
        "/api/menu/categories/{category_id:id}",
        updater(
            menu.update_category,
            menu.CATEGORY,
            "Rename, reorder or hide a category.",
            "category_id",
        ),
        methods=["PATCH"],
    ),
    Route(
        "/api/menu/items",
        creator(
            menu.create_item,
            menu.ITEM,
            "Add an item (price in minor units), with its station, course and modifier groups.",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/menu/items/{item_id:id}",
        updater(
            menu.update_item, menu.ITEM, "Change an item (price, station, groups, ...).", "item_id"
        ),
        methods=["PATCH"],
    ),
    Route("/api/menu/items/{item_id:id}/availability", set_availability, methods=["PUT"]),
    Route(
        "/api/menu/modifier-groups",
        creator(
            menu.create_group,
            menu.NEW_GROUP,
            "Add a modifier group (how many choices a guest makes), maybe with its modifiers.",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/menu/modifier-groups/order",
        arranger(menu.arrange_groups, "Put the modifier groups in order (every group's id)."),
        methods=["PUT"],
    ),
    Route(
        "/api/menu/modifier-groups/{group_id:id}/modifiers/order",
        arranger(
            menu.arrange_modifiers,
            "Put a group's modifiers in order (each of its modifiers' ids).",
            "group_id",
        ),
        methods=["PUT"],
    ),
    Route(
        "/api/menu/modifier-groups/{group_id:id}",
        updater(menu.update_group, menu.GROUP, "Change a modifier group.", "group_id"),
        methods=["PATCH"],
    ),
    Route(
        "/api/menu/modifier-groups/{group_id:id}/modifiers",
        creator(
            menu.create_modifier,
            menu.MODIFIER,
            "Add a modifier (a choice with a price delta) to a group.",
            "group_id",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/menu/modifiers/{modifier_id:id}",
        updater(menu.update_modifier, menu.MODIFIER, "Change or 86 a modifier.", "modifier_id"),
        methods=["PATCH"],
    ),
]
