"""Random partitions between a box and the hub: while the link is down, a manager at the box and
the owner on the hub both edit the store's configuration (names that collide, prices, 86s,
deactivations, modifier groups taken off dishes) and the store takes orders and payments; then
the link comes back and sync rounds run until nothing moves. Whatever happened, box and hub
end with the same store, every event the box made reached the hub once, and every refusal is
one a manager can act on (kept whole, with a reason). A seeded random walk, so a failure
replays."""

from __future__ import annotations

import random
from typing import Any

import pytest

from edge.core import events
from tests.conftest import sign_in
from tests.integration.test_sync_service import _converged

NAMES = ("12", "Bar", "Patio", "Soup", "Tea", "Cake", "Late")  # few, so both sides collide
CODES = ("BAR", "GRILL", "SUMMER", "VIP")
ROUNDS_UNTIL_QUIET = 6  # a move aside or a row given way takes a round more to go up
# Refusals a manager can act on: the hub kept an owner's change the store's delete would have
# thrown away (the row is back on the box). A raw database error (IntegrityError) is none.
ACTIONABLE = {"changed_on_hub"}


def _rows(conn, table: str, where: str = "1") -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id")]


class Walk:
    """The random edits of both sides; each HTTP answer is kept (none may be a 5xx; a 4xx is
    an edit the side's own rules refuse, a name taken on that side ...)."""

    def __init__(self, rng: random.Random, box_, client, manager, hub, owner, store_id) -> None:
        self.rng, self.box, self.client, self.manager = rng, box_, client, manager
        self.hub, self.owner, self.store_id = hub, owner, store_id
        self.answers: list[tuple[str, int, str]] = []

    async def pick_box(self, table: str, where: str = "1") -> dict[str, Any] | None:
        rows = await self.box.read(lambda c: _rows(c, table, where))
        return self._pick(rows)

    def _pick(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Mostly one of the first few rows, so that both sides edit the same ones."""
        if self.rng.random() < 0.7:
            rows = rows[:3]
        return self.rng.choice(rows) if rows else None

    async def pick_hub(self, entity: str) -> dict[str, Any] | None:
        path = f"/api/stores/{self.store_id}/rows/{entity}?limit=500"
        rows = (await self.hub.get(path, headers=self.owner.headers)).json()["rows"]
        return self._pick(rows)

    # -- the box ------------------------------------------------------------------------------

    async def at_box(self) -> None:
        r, name = self.rng, self.rng.choice(NAMES)
        what = r.choice(
            ["price", "item_name", "available", "groups", "category", "category_edit",
             "group", "area", "table", "table_edit", "staff", "staff_edit", "station",
             "station_edit", "promo", "promo_edit", "store", "tax", "tax_edit", "order",
             "order", "paid", "modifier", "item", "choices", "kitchen"]
        )  # fmt: skip
        send = self.client.request
        h = self.manager
        if what in ("price", "item_name", "available", "groups"):
            item = await self.pick_box("menu_items")
            assert item
            body: dict[str, Any] = {
                "price": {"price": r.randrange(100, 3000, 50)},
                "item_name": {"name": name},
                "available": {"available": r.random() < 0.5},
                "groups": {},
            }[what]
            if what == "groups":
                groups = await self.box.read(lambda c: _rows(c, "modifier_groups"))
                chosen = r.sample(groups, r.randint(0, min(2, len(groups))))
                body = {"modifier_group_ids": [g["id"] for g in chosen]}
            answer = await send("PATCH", f"/api/menu/items/{item['id']}", json=body, headers=h)
        elif what == "category":
            answer = await send("POST", "/api/menu/categories", json={"name": name}, headers=h)
        elif what == "category_edit":
            row = await self.pick_box("menu_categories")
            assert row
            body = r.choice([{"name": name}, {"active": r.random() < 0.5}])
            answer = await send("PATCH", f"/api/menu/categories/{row['id']}", json=body, headers=h)
        elif what == "group":
            body = {"name": name, "modifiers": [{"name": r.choice(NAMES)}]}
            answer = await send("POST", "/api/menu/modifier-groups", json=body, headers=h)
        elif what == "modifier":
            group = await self.pick_box("modifier_groups")
            assert group
            path = f"/api/menu/modifier-groups/{group['id']}/modifiers"
            answer = await send("POST", path, json={"name": name}, headers=h)
        elif what == "item":
            like = await self.pick_box("menu_items")
            assert like
            body = {"name": name, "price": 500, "category_id": like["category_id"],
                    "tax_rate_id": like["tax_rate_id"]}  # fmt: skip
            answer = await send("POST", "/api/menu/items", json=body, headers=h)
        elif what == "choices":
            group = await self.pick_box("modifier_groups")
            assert group
            body = r.choice([{"min_choices": r.randint(0, 3)}, {"max_choices": r.randint(1, 4)}])
            path = f"/api/menu/modifier-groups/{group['id']}"
            answer = await send("PATCH", path, json=body, headers=h)
        elif what == "kitchen":
            body = r.choice(
                [{"warn_minutes": r.randint(1, 20)}, {"late_minutes": r.randint(1, 20)}]
            )
            answer = await send("PATCH", "/api/kitchen/settings", json=body, headers=h)
        elif what == "area":
            answer = await send("POST", "/api/areas", json={"name": name}, headers=h)
        elif what == "table":
            area = await self.pick_box("areas")
            assert area
            body = {"name": name, "seats": r.randint(1, 8), "area_id": area["id"]}
            answer = await send("POST", "/api/tables", json=body, headers=h)
        elif what == "table_edit":
            row = await self.pick_box("tables")
            assert row
            body = r.choice([{"name": name}, {"enabled": r.random() < 0.5}, {"seats": 3}])
            answer = await send("PATCH", f"/api/tables/{row['id']}", json=body, headers=h)
        elif what == "staff":
            body = {"name": name, "role": r.choice(["waiter", "cashier"]), "pin": "4817"}
            answer = await send("POST", "/api/staff", json=body, headers=h)
        elif what == "staff_edit":
            row = await self.pick_box("staff", "role IN ('waiter', 'cashier', 'kitchen')")
            assert row
            body = r.choice(
                [{"name": name}, {"active": r.random() < 0.5}, {"pin": f"{r.randint(0, 9999):04}"}]
            )
            answer = await send("PATCH", f"/api/staff/{row['id']}", json=body, headers=h)
        elif what == "station":
            body = {"code": r.choice(CODES), "name": name}
            answer = await send("POST", "/api/stations", json=body, headers=h)
        elif what == "station_edit":
            row = await self.pick_box("stations")
            assert row
            body = r.choice([{"name": name}, {"active": r.random() < 0.5}])
            answer = await send("PATCH", f"/api/stations/{row['id']}", json=body, headers=h)
        elif what == "promo":
            body = {"code": r.choice(CODES), "kind": "percent", "value": r.randint(1, 50)}
            answer = await send("POST", "/api/promo-codes", json=body, headers=h)
        elif what == "promo_edit":
            row = await self.pick_box("promo_codes")
            if row is None:
                return
            body = r.choice([{"value": r.randint(1, 50)}, {"active": r.random() < 0.5}])
            answer = await send("PATCH", f"/api/promo-codes/{row['id']}", json=body, headers=h)
        elif what == "store":
            body = r.choice([{"name": f"Café {name}"}, {"qr_kill_switch": r.random() < 0.5}])
            answer = await send("PATCH", "/api/store", json=body, headers=h)
        elif what == "tax":
            body = {"name": name, "rate_bp": r.randint(0, 2500)}
            answer = await send("POST", "/api/menu/tax-rates", json=body, headers=h)
        elif what == "tax_edit":
            row = await self.pick_box("tax_rates")
            assert row
            body = r.choice([{"name": name}, {"rate_bp": r.randint(0, 2500)}])
            answer = await send("PATCH", f"/api/menu/tax-rates/{row['id']}", json=body, headers=h)
        else:  # an order, maybe paid
            item = await self.pick_box(
                "menu_items",
                "active AND available AND NOT EXISTS (SELECT 1 FROM item_modifier_groups g"
                " WHERE g.item_id = menu_items.id)",
            )
            if item is None:
                return
            body = {"kind": "counter", "lines": [{"item_id": item["id"], "quantity": 1}]}
            answer = await send("POST", "/api/orders", json=body, headers=h)
            if answer.status_code == 201 and what == "paid":
                check = await send(
                    "POST", "/api/checks", json={"order_id": answer.json()["id"]}, headers=h
                )
                assert check.is_success, check.text
                await send("POST", "/api/shifts", json={"float": 0}, headers=h)
                card = {"method": "card", "reference": "T1"}
                path = f"/api/checks/{check.json()['id']}/payments"
                answer = await send("POST", path, json=card, headers=h)
        self.answers.append((f"box {what}", answer.status_code, answer.text))

    async def _new_at_hub(self, entity: str, name: str) -> dict[str, Any]:
        """The fields of a new row of `entity` for the owner to add, its name from NAMES."""
        r = self.rng
        if entity == "tables":
            return {"name": name, "seats": 4, "area_id": (await self.pick_hub("areas") or {})["id"]}
        if entity in ("stations", "promo_codes"):
            kind = {"stations": {"name": name}, "promo_codes": {"kind": "fixed", "value": 100}}
            return {"code": r.choice(CODES), **kind[entity]}
        if entity == "modifiers":
            return {"name": name, "group_id": (await self.pick_hub("modifier_groups") or {})["id"]}
        if entity == "item_modifier_groups":
            item, group = await self.pick_hub("menu_items"), await self.pick_hub("modifier_groups")
            return {"item_id": (item or {})["id"], "group_id": (group or {})["id"]}
        if entity == "menu_items":
            like = (await self.pick_hub("menu_items") or {})["fields"]
            return {"name": name, "price": 500, "category_id": like["category_id"],
                    "tax_rate_id": like["tax_rate_id"]}  # fmt: skip
        return {"name": name}  # areas, categories

    # -- the hub ------------------------------------------------------------------------------

    async def at_hub(self) -> None:
        r, name = self.rng, self.rng.choice(NAMES)
        rows = f"/api/stores/{self.store_id}/rows"
        what = r.choice(
            ["menu_items", "menu_items", "menu_categories", "modifier_groups",
             "item_modifier_groups", "tables", "tables+", "areas+", "staff", "stations",
             "stations+", "promo_codes", "promo_codes+", "store", "tax_rates", "categories+",
             "modifiers+", "item_modifier_groups+", "menu_items+", "kitchen_settings"]
        )  # fmt: skip
        entity = {"categories+": "menu_categories"}.get(what, what.rstrip("+"))
        if what.endswith("+"):
            fields = await self._new_at_hub(entity, name)
            answer = await self.hub.post(
                f"{rows}/{entity}", json={"fields": fields}, headers=self.owner.headers
            )
        else:
            row = await self.pick_hub(entity)
            if row is None:
                return
            fields = r.choice(
                {
                    "menu_items": [
                        {"price": r.randrange(100, 3000, 50)},
                        {"name": name},
                        {"available": r.random() < 0.5},
                        {"active": r.random() < 0.5},
                    ],
                    "menu_categories": [{"name": name}, {"active": r.random() < 0.5}],
                    "modifier_groups": [
                        {"name": name},
                        {"position": r.randint(0, 5)},
                        {"min_choices": r.randint(0, 3)},
                        {"max_choices": r.randint(1, 4)},
                    ],
                    "item_modifier_groups": [{"position": r.randint(0, 5)}],
                    "tables": [{"name": name}, {"enabled": r.random() < 0.5}],
                    "staff": [{"name": name}, {"active": r.random() < 0.5}],
                    "stations": [{"name": name}, {"active": r.random() < 0.5}],
                    "promo_codes": [{"value": r.randint(1, 50)}, {"active": r.random() < 0.5}],
                    "store": [{"name": f"Café {name}"}, {"qr_kill_switch": r.random() < 0.5}],
                    "tax_rates": [{"name": name}, {"rate_bp": r.randint(0, 2500)}],
                    "kitchen_settings": [
                        {"warn_minutes": r.randint(1, 20)},
                        {"late_minutes": r.randint(1, 20)},
                    ],
                }[entity]
            )
            if entity == "staff" and row["fields"].get("role") in ("manager", "owner"):
                return  # the walk's manager stays signed in
            answer = await self.hub.patch(
                f"{rows}/{entity}/{row['id']}", json={"fields": fields}, headers=self.owner.headers
            )
        self.answers.append((f"hub {what}", answer.status_code, answer.text))


async def _walk(
    seed: int, box, hub, owner, store, link, steps: int, edits: int = 15
) -> dict[str, Any]:
    box_, client = box
    manager = await sign_in(client, "manager")
    await box_.sync.round()
    walk = Walk(random.Random(seed), box_, client, manager, hub, owner, store["id"])
    for _ in range(steps):
        link.down = True
        for _ in range(walk.rng.randint(3, edits)):
            await (walk.at_box() if walk.rng.random() < 0.55 else walk.at_hub())
        link.down = False
        for _ in range(ROUNDS_UNTIL_QUIET):
            await box_.sync.round()
    ours = await box_.read(lambda c: [e.seq for e in events.outbox(c, 0, 10**12, 10**6)])
    theirs: list[int] = []
    while True:
        path = f"/api/stores/{store['id']}/inbox"
        asked = {"after": theirs[-1] if theirs else 0, "limit": 500}
        page = (await hub.get(path, params=asked, headers=owner.headers)).json()["events"]
        theirs += [entry["seq"] for entry in page]
        if len(page) < 500:
            break
    assert theirs == ours  # each event the box made reached the hub, once
    errors = [a for a in walk.answers if a[1] >= 500]
    assert not errors, errors
    status = (await client.get("/api/sync", headers=manager)).json()
    assert status["waiting"] == 0, status
    await _converged(box_, hub, owner, store["id"])
    rejected = (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"]
    for refusal in rejected:  # each says, in words, what was refused and why
        assert refusal["code"] in ACTIONABLE, refusal
    conflicts = await client.get("/api/sync/conflicts", headers=manager)
    assert conflicts.status_code == 200, conflicts.text


@pytest.mark.parametrize("seed", range(9))
async def test_random_partitions_end_alike(seed, box, hub, owner, store, link):
    await _walk(seed, box, hub, owner, store, link, steps=5, edits=30)
