"""Tenant A's owner on tenant B's ids: every hub route, taken from the route table, answers 404,
and no list shows a B row. On SQLite and on PostgreSQL."""

import dataclasses
import re

from starlette.routing import Route

from service.openapi import terms_of
from sync.clock import Timestamp, now_ms
from sync.ids import uuid7
from sync.signing import WINDOW_S
from tests.hub.kit import enrolled_box, event, item_fields, new_owner, new_store, order_event

# A body each route with a body takes when the ids are the caller's own.
BODIES = {
    ("PATCH", "/api/stores/{store_id}"): {"name": "Mine now"},
    ("POST", "/api/stores/{store_id}/rows/{entity}"): {"fields": item_fields()},
    ("PATCH", "/api/stores/{store_id}/rows/{entity}/{row_id}"): {"fields": {"price": 1}},
    ("PATCH", "/api/rows/{entity}"): {"stores": "STORE", "fields": {"price": 1}},
}


async def _tenant(hub, storage, name):
    owner = await new_owner(hub, storage, name)
    store = await new_store(hub, owner, f"{name} store")
    box = await enrolled_box(hub, owner, store["id"])
    item = uuid7()
    answer = await box.push(
        [event(1, "menu_items", item, "create", item_fields()), order_event(2)], after=0
    )
    assert answer.status_code == 200
    await box.push([order_event(3)], after=0, nonce="0" * 32)  # a replay for the audit
    await box.push([order_event(3)], after=0, nonce="0" * 32)
    ids = {"store_id": store["id"], "entity": "menu_items", "row_id": item,
           "key_id": box.key.key_id}  # fmt: skip
    return owner, ids


async def test_another_tenants_ids_are_not_found_and_never_listed(hub, hub_app, hub_storage):
    a, a_ids = await _tenant(hub, hub_storage, "A")
    b, b_ids = await _tenant(hub, hub_storage, "B")
    b_item = f"/api/stores/{b_ids['store_id']}/rows/menu_items/{b_ids['row_id']}"
    before = (await hub.get(b_item, headers=b.headers)).json()
    # A's own ids answer, so the 404s below are about the tenant and not the request.
    mine = f"/api/stores/{a_ids['store_id']}/rows/menu_items/{a_ids['row_id']}"
    assert (await hub.get(mine, headers=a.headers)).status_code == 200

    checked = set()
    signing_out_last = sorted(hub_app.routes, key=lambda r: r.path == "/api/sessions/current")
    for route in signing_out_last:
        assert isinstance(route, Route)
        caller = terms_of(route).security
        for method in sorted((route.methods or set()) - {"HEAD"}):
            if caller != "owner":
                continue  # sync routes: a key speaks for its own store (test_security.py)
            checked.add((method, route.path_format))
            path = re.sub(r"{(\w+)}", lambda m: b_ids[m.group(1)], route.path_format)
            assert "{" not in path, path  # every id is B's: the 404s are about the tenant
            body = BODIES.get((method, route.path_format))
            if body and body.get("stores") == "STORE":
                body = {**body, "stores": [b_ids["store_id"]]}
            answer = await hub.request(method, path, json=body, headers=a.headers)
            if route.param_convertors and set(route.param_convertors) != {"entity"}:
                assert answer.status_code == 404, (method, route.path, answer.text)
            elif route.path_format == "/api/rows/{entity}":
                assert answer.status_code == 404, answer.text
            for value in b_ids.values():
                if value != "menu_items":
                    assert value not in answer.text, (method, route.path, answer.text)
    assert ("GET", "/api/stores") in checked and ("GET", "/api/refusals") in checked
    assert len(checked) == len(
        [(m, r.path) for r in hub_app.routes for m in r.methods - {"HEAD"}
         if terms_of(r).security == "owner"]
    )  # fmt: skip
    assert (await hub.get(b_item, headers=b.headers)).json() == before  # B is as it was


async def test_a_box_clock_far_ahead_moves_no_other_tenants_readings(hub, hub_storage):
    """The hub's clock stamps every tenant's changes: a box whose readings are years ahead, with
    a counter of 40 digits (a clock set wrong, or a box that lies), has its events taken, but
    moves the hub's clock no further than a signed request may be ahead, and its counter no
    further than four digits hold, so B's changes keep readings near the time."""
    a = await new_owner(hub, hub_storage, "A")
    a_box = await enrolled_box(hub, a, (await new_store(hub, a))["id"])
    far = dataclasses.replace(order_event(1), hlc="9" * 40 + "-" + "f" * 40 + "-box1")
    answer = await a_box.push([far], after=0)
    assert answer.status_code == 200 and answer.json()["verdicts"][0]["status"] == "applied"

    b = await new_owner(hub, hub_storage, "B")
    b_store = await new_store(hub, b)
    b_box = await enrolled_box(hub, b, b_store["id"])
    item = uuid7()
    assert (
        await b_box.push([event(1, "menu_items", item, "create", item_fields())], after=0)
    ).status_code == 200
    edit = f"/api/stores/{b_store['id']}/rows/menu_items/{item}"
    assert (
        await hub.patch(edit, json={"fields": {"price": 300}}, headers=b.headers)
    ).status_code == 200
    changes = (await b_box.pull()).json()["changes"]
    latest = now_ms() + WINDOW_S * 1000
    assert len(changes) == 2 and all(Timestamp.parse(c["hlc"]).ms <= latest for c in changes)
    # nor its counter (40 hex digits) past the text form's four: B's are not 40 digits long
    assert all(Timestamp.parse(c["hlc"]).counter < 0x20000 for c in changes), changes
