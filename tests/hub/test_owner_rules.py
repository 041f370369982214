"""An owner's edit meets the rules the box meets a manager's edit with (service.config_fields):
a value the box would refuse (a time zone that does not exist, which would stop the store's
orders once pulled) is a 422 naming the field, and nothing is written: no row, no change for
the box to pull. On SQLite and PostgreSQL."""

import pytest

from service.config_fields import FORMS, UNIQUE
from sync.entities import ENTITIES
from sync.ids import uuid7
from tests.hub.kit import enrolled_box, event, new_owner, new_store


@pytest.fixture
async def owner(hub, hub_storage):
    return await new_owner(hub, hub_storage)


STORE = {"name": "Café Azul", "timezone": "Europe/Lisbon"}
GROUP = {"name": "Milk", "min_choices": 1, "max_choices": 2}

# (entity, fields, the field the refusal names)
REFUSED = [
    ("store", {"timezone": "Mars/Olympus"}, "timezone"),
    ("store", {"timezone": "Europe"}, "timezone"),  # a folder of zones, not one
    ("store", {"timezone": "x" * 300}, "timezone"),  # longer than a file name may be
    ("store", {"business_day_starts": "99:99"}, "business_day_starts"),
    ("store", {"tax_rounding": "bogus"}, "tax_rounding"),
    ("store", {"currency": "XYZ"}, "currency"),
    ("store", {"opening_hours": {"mon": "all day"}}, "opening_hours"),
    ("store", {"guest_base_url": "http://box.local:8000"}, "guest_base_url"),
    ("store", {"name": "   "}, "name"),
    ("staff", {"role": "chef"}, "role"),
    ("menu_items", {"price": -1}, "price"),
    ("menu_items", {"station": "the grill"}, "station"),
    ("modifier_groups", {"max_choices": 0}, "max_choices"),
    ("modifier_groups", {"min_choices": 3}, "max_choices"),  # at least 3 of at most 2
    ("tables", {"seats": 0}, "seats"),
    ("printers", {"transport": {"kind": "pigeon"}}, "transport"),
    ("printers", {"profile": "bogus"}, "profile"),
    ("kitchen_settings", {"late_minutes": 1}, "late_minutes"),  # red before amber (8)
    ("pos_settings", {"cash_rounding": 0}, "cash_rounding"),
    ("promo_codes", {"kind": "percent", "value": 20_000}, "value"),
    ("promo_codes", {"valid_until": "someday"}, "valid_until"),
    # a value of the wrong kind, and a field the entity does not have, are named too
    ("menu_items", {"price": "250"}, "price"),
    ("tables", {"seats": None}, "seats"),
    ("store", {"holidays": "not json"}, "holidays"),
    ("menu_items", {"name": "Tea", "colour": "red"}, "colour"),
]


async def _store(hub, owner):
    """A store whose box pushed one row of each entity edited here."""
    store = await new_store(hub, owner)
    box = await enrolled_box(hub, owner, store["id"])
    rows = {
        "store": STORE,
        "staff": {"name": "Ana", "role": "manager", "pin_hash": "scrypt$secret"},
        "menu_items": {"category_id": uuid7(), "name": "Tea", "price": 250, "tax_rate_id": uuid7()},
        "modifier_groups": GROUP,
        "tables": {"area_id": uuid7(), "name": "T1"},
        "printers": {
            "name": "Bar",
            "role": "receipt",
            "transport": {"kind": "network", "host": "127.0.0.1"},
            "created_at": "2026-01-02T10:00:00Z",
        },
        "kitchen_settings": {},
        "pos_settings": {},
        "promo_codes": {"code": "SUMMER10", "kind": "fixed", "value": 500},
    }
    ids = {entity: uuid7() for entity in rows}
    events = [
        event(seq, entity, ids[entity], "create", fields)
        for seq, (entity, fields) in enumerate(rows.items(), 1)
    ]
    assert (await box.push(events, after=0)).status_code == 200
    return store, box, ids


def _refusal(answer, field):
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["field"] == f"fields.{field}" and error["message"], error
    return error


async def test_each_value_the_box_refuses_is_a_422_and_nothing_is_written(hub, owner):
    store, box, ids = await _store(hub, owner)
    base = f"/api/stores/{store['id']}/rows"
    feed = (await box.pull()).json()["changes"]
    for entity, fields, field in REFUSED:
        path = f"{base}/{entity}/{ids[entity]}"
        before = (await hub.get(path, headers=owner.headers)).json()
        answer = await hub.patch(path, json={"fields": fields}, headers=owner.headers)
        _refusal(answer, field)
        assert (await hub.get(path, headers=owner.headers)).json() == before, entity
    assert (await box.pull()).json()["changes"] == feed  # nothing for the box to take

    # The message says what is wrong in the page's words.
    answer = await hub.patch(
        f"{base}/store/{ids['store']}",
        json={"fields": {"timezone": "Mars/Olympus"}},
        headers=owner.headers,
    )
    assert "Mars/Olympus" in answer.json()["error"]["message"]


async def test_a_good_value_is_kept_as_the_box_keeps_it(hub, owner):
    store, _box, ids = await _store(hub, owner)
    path = f"/api/stores/{store['id']}/rows/menu_items/{ids['menu_items']}"
    edited = await hub.patch(
        path, json={"fields": {"name": "  Green tea ", "station": "bar"}}, headers=owner.headers
    )
    assert edited.status_code == 200, edited.text
    assert {k: edited.json()["fields"][k] for k in ("name", "station")} == {
        "name": "Green tea",
        "station": "BAR",
    }


async def test_a_created_row_meets_the_rules_too(hub, owner):
    store, box, _ids = await _store(hub, owner)
    base = f"/api/stores/{store['id']}/rows"
    feed = (await box.pull()).json()["changes"]
    answer = await hub.post(
        f"{base}/tables",
        json={"fields": {"area_id": uuid7(), "name": "T2", "seats": 1000}},
        headers=owner.headers,
    )
    _refusal(answer, "seats")
    unnamed = await hub.post(f"{base}/tables", json={"fields": {"area_id": uuid7()}},
                             headers=owner.headers)  # fmt: skip
    _refusal(unnamed, "name")
    listed = (await hub.get(f"{base}/tables", headers=owner.headers)).json()["rows"]
    assert [row["fields"]["name"] for row in listed] == ["T1"]
    assert (await box.pull()).json()["changes"] == feed


async def test_a_store_has_one_row_of_the_kitchens_and_the_pos_settings(hub, owner):
    """The box keeps the kitchen's and the POS's settings in one row each (made by a manager's
    first change) and reads the first it finds: the hub makes that row for a store that has
    none, and refuses a second (403 `one_row`: edit that one) rather than send the box two."""
    settings = {"kitchen_settings": {"warn_minutes": 5}, "pos_settings": {"cash_rounding": 5}}
    store, box, _ids = await _store(hub, owner)
    base = f"/api/stores/{store['id']}/rows"
    feed = (await box.pull()).json()["changes"]
    for entity, fields in settings.items():
        answer = await hub.post(f"{base}/{entity}", json={"fields": fields}, headers=owner.headers)
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "one_row"
        listed = await hub.get(f"{base}/{entity}", headers=owner.headers)
        assert len(listed.json()["rows"]) == 1
    assert (await box.pull()).json()["changes"] == feed

    fresh = await new_store(hub, owner, "Fresh")
    for entity, fields in settings.items():
        path = f"/api/stores/{fresh['id']}/rows/{entity}"
        made = await hub.post(path, json={"fields": fields}, headers=owner.headers)
        assert made.status_code == 201, made.text
        again = await hub.post(path, json={"fields": fields}, headers=owner.headers)
        assert again.status_code == 403, again.text


async def test_an_edit_of_many_stores_is_refused_whole_when_one_row_breaks_a_rule(hub, owner):
    """At least 2 suits the first store's group (at most 2) but not the second's (at most 1):
    neither store changes."""
    first, first_box, first_ids = await _store(hub, owner)
    second, second_box, second_ids = await _store(hub, owner)
    path = f"/api/stores/{second['id']}/rows/modifier_groups/{second_ids['modifier_groups']}"
    narrowed = await hub.patch(
        path, json={"fields": {"min_choices": 0, "max_choices": 1}}, headers=owner.headers
    )
    assert narrowed.status_code == 200, narrowed.text
    feeds = [(await box.pull()).json()["changes"] for box in (first_box, second_box)]
    answer = await hub.patch(
        "/api/rows/modifier_groups",
        json={
            "stores": [first["id"], second["id"]],
            "match": {"name": "Milk"},
            "fields": {"min_choices": 2},
        },
        headers=owner.headers,
    )
    _refusal(answer, "max_choices")
    assert [(await box.pull()).json()["changes"] for box in (first_box, second_box)] == feeds
    row = f"/api/stores/{first['id']}/rows/modifier_groups/{first_ids['modifier_groups']}"
    assert (await hub.get(row, headers=owner.headers)).json()["fields"]["min_choices"] == 1


def test_each_hub_owned_entity_has_its_rules_and_they_name_its_columns():
    """One declaration per entity (`FORMS`): a new hub-owned entity, or a renamed column, is
    not left unchecked by a form that names a field the entity does not have."""
    hub_owned = {name for name, entity in ENTITIES.items() if entity.owner == "hub"}
    # its two columns are references to other rows, which the box's foreign keys check
    assert hub_owned - FORMS.keys() == {"item_modifier_groups"}
    for name, form in FORMS.items():
        assert form.rules.keys() <= ENTITIES[name].fields.keys(), name
    for name, rule in UNIQUE.items():  # each app reads these columns of the store's rows
        assert ENTITIES[name].owner == "hub" and rule.reads <= ENTITIES[name].fields.keys(), name


async def _named(hub, owner):
    """A store whose box pushed rows whose names or codes are unique in it: their ids by key,
    and its group and area."""
    store = await new_store(hub, owner)
    box = await enrolled_box(hub, owner, store["id"])
    group, area = uuid7(), uuid7()
    member = {"role": "waiter", "pin_hash": "scrypt$secret"}
    rows = {
        "area": ("areas", {"name": "Terrace"}),
        "group": ("modifier_groups", GROUP),
        "t1": ("tables", {"area_id": area, "name": "1"}),
        "t2": ("tables", {"area_id": area, "name": "2"}),
        "ana": ("staff", {**member, "name": "Ana"}),
        "bo": ("staff", {**member, "name": "Bo"}),
        "left": ("staff", {**member, "name": "ana", "active": False}),  # left: frees her name
        "oat": ("modifiers", {"group_id": group, "name": "Oat milk"}),
        "soy": ("modifiers", {"group_id": group, "name": "Soy milk"}),
        "bar": ("stations", {"code": "BAR", "name": "Bar"}),
        "grill": ("stations", {"code": "GRILL", "name": "Grill"}),
        "summer": ("promo_codes", {"code": "SUMMER", "kind": "fixed", "value": 500}),
        "winter": ("promo_codes", {"code": "WINTER", "kind": "fixed", "value": 500}),
    }
    ids = {**{key: uuid7() for key in rows}, "area": area, "group": group}
    events = [
        event(seq, entity, ids[key], "create", fields)
        for seq, (key, (entity, fields)) in enumerate(rows.items(), 1)
    ]
    assert (await box.push(events, after=0)).status_code == 200
    return store, box, {key: (rows[key][0], ids[key]) for key in rows}, group, area


async def test_a_name_or_code_another_row_of_the_store_holds_is_a_422(hub, owner):
    """As the box refuses a manager's: two tables "1", two stations BAR, two promo codes
    SUMMER in one store, and the box would read either one. Nothing is written."""
    store, box, rows, group, area = await _named(hub, owner)
    base = f"/api/stores/{store['id']}/rows"
    feed = (await box.pull()).json()["changes"]

    # (a row by its key, or an entity to add one to; fields; the field named; the code)
    refused = [
        ("t2", {"name": "1"}, "name", "duplicate_name"),
        ("tables", {"area_id": area, "name": "1"}, "name", "duplicate_name"),
        ("bo", {"name": " ANA "}, "name", "duplicate_name"),  # as a person reads it
        ("left", {"active": True}, "name", "duplicate_name"),  # back, and Ana is there
        ("soy", {"name": "oat  MILK"}, "name", "duplicate_name"),
        ("modifiers", {"group_id": group, "name": "Oat milk"}, "name", "duplicate_name"),
        ("grill", {"code": "bar"}, "code", "station_exists"),
        ("stations", {"code": "BAR", "name": "Bar 2"}, "code", "station_exists"),
        ("winter", {"code": " summer"}, "code", "duplicate_code"),
        ("promo_codes", {"code": "SUMMER", "kind": "fixed", "value": 1}, "code", "duplicate_code"),
    ]
    for target, fields, field, code in refused:
        entity = rows[target][0] if target in rows else target
        before = (await hub.get(f"{base}/{entity}", headers=owner.headers)).json()
        if target in rows:
            path = f"{base}/{entity}/{rows[target][1]}"
            answer = await hub.patch(path, json={"fields": fields}, headers=owner.headers)
        else:
            answer = await hub.post(
                f"{base}/{entity}", json={"fields": fields}, headers=owner.headers
            )
        assert _refusal(answer, field)["code"] == code, (target, fields)
        assert (await hub.get(f"{base}/{entity}", headers=owner.headers)).json() == before
    # the same name given to each table of the store: the second one's is taken
    answer = await hub.patch(
        "/api/rows/tables",
        json={"stores": [store["id"]], "match": {}, "fields": {"name": "9"}},
        headers=owner.headers,
    )
    assert _refusal(answer, "name")["message"] == "There is already a table 9."
    listed = (await hub.get(f"{base}/tables", headers=owner.headers)).json()["rows"]
    assert sorted(row["fields"]["name"] for row in listed) == ["1", "2"]
    assert (await box.pull()).json()["changes"] == feed  # nothing for the box to take


async def test_a_name_held_elsewhere_or_by_no_one_is_free(hub, owner):
    """Unique in the store, among active staff, within a modifier's group: the same name in
    another store, another group or of someone who left is no duplicate."""
    store, _box, rows, _group, area = await _named(hub, owner)
    other, _other_box, _rows, _group, _area = await _named(hub, owner)
    base = f"/api/stores/{store['id']}/rows"
    syrups = await hub.post(
        f"{base}/modifier_groups", json={"fields": {**GROUP, "name": "Syrups"}},
        headers=owner.headers,
    )  # fmt: skip
    for entity, fields in [
        ("tables", {"area_id": area, "name": "3"}),
        ("modifiers", {"group_id": syrups.json()["id"], "name": "Oat milk"}),
        ("stations", {"code": "PASS", "name": "Pass"}),
    ]:
        made = await hub.post(f"{base}/{entity}", json={"fields": fields}, headers=owner.headers)
        assert made.status_code == 201, made.text
    for key, fields in [("left", {"name": "Bo"}), ("t1", {"name": "1", "seats": 6})]:
        entity, row_id = rows[key]
        edited = await hub.patch(
            f"{base}/{entity}/{row_id}", json={"fields": fields}, headers=owner.headers
        )
        assert edited.status_code == 200, edited.text
    both = await hub.patch(  # table 2 of each store becomes 4: one in each store
        "/api/rows/tables",
        json={
            "stores": [store["id"], other["id"]],
            "match": {"name": "2"},
            "fields": {"name": "4"},
        },
        headers=owner.headers,
    )
    assert both.status_code == 200, both.text
    assert [len(answer["rows"]) for answer in both.json()["stores"]] == [1, 1]
