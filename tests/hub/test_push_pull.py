"""Push and pull over real HTTP with real signatures, on SQLite and PostgreSQL: applied,
merged with the values kept, rejected with a reason, duplicates, gaps, replays, out of order,
paging, and owners' edits reaching the pull."""

import asyncio

import orjson
import pytest

from sync.canonical import store_digest
from sync.clock import now_iso
from sync.envelope import PullPage, PushResult
from sync.ids import uuid7
from sync.signing import DeviceKey, sign
from tests.hub.kit import (
    Box,
    enrol,
    enrolled_box,
    event,
    item_fields,
    new_code,
    new_owner,
    new_store,
    order_event,
)


@pytest.fixture
async def owner(hub, hub_storage):
    return await new_owner(hub, hub_storage)


@pytest.fixture
async def store(hub, owner):
    return await new_store(hub, owner, "Café Azul")


@pytest.fixture
async def box(hub, owner, store):
    return await enrolled_box(hub, owner, store["id"])


async def _pushed(box, events, after):
    answer = await box.push(events, after)
    assert answer.status_code == 200, answer.text
    return PushResult.from_json(answer.json())


async def _pulled(box, cursor=0, limit=None):
    answer = await box.pull(cursor, limit)
    assert answer.status_code == 200, answer.text
    return PullPage.from_json(answer.json())


async def _count(hub, owner, store_id, entity):
    answer = await hub.get(f"/api/stores/{store_id}/rows/{entity}?limit=500", headers=owner.headers)
    return len(answer.json()["rows"])


async def test_orders_apply_with_their_lines_and_stay_out_of_the_pull(hub, owner, store, box):
    events = [order_event(1, lines=3), order_event(2, lines=1)]
    result = await _pushed(box, events, after=0)
    assert result.upto == 2
    assert [v.status for v in result.verdicts] == ["applied", "applied"]
    assert all(v.rev for v in result.verdicts)
    assert await _count(hub, owner, store["id"], "orders") == 2
    assert await _count(hub, owner, store["id"], "order_lines") == 4
    page = await _pulled(box)  # the box has them: the pull passes them by
    assert page.changes == [] and page.cursor == result.verdicts[1].rev and not page.has_more


async def test_a_batch_sent_again_is_acknowledged_and_changes_nothing_twice(hub, owner, store, box):
    events = [order_event(1), order_event(2)]
    first = await _pushed(box, events, after=0)
    for _ in range(3):  # replayed three times
        again = await _pushed(box, events, after=0)
        assert again.verdicts == first.verdicts and again.upto == 2
    half = await _pushed(box, [*events[1:], order_event(3)], after=1)  # half of it new
    assert half.verdicts[0] == first.verdicts[1] and half.verdicts[1].status == "applied"
    assert await _count(hub, owner, store["id"], "orders") == 3
    assert (await _pulled(box)).cursor == half.verdicts[1].rev
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox", headers=owner.headers)
    assert [entry["seq"] for entry in inbox.json()["events"]] == [1, 2, 3]


async def test_a_gap_is_refused_with_the_hubs_cursor_and_out_of_order_batches_converge(
    hub, owner, store, box
):
    early, late = [order_event(1), order_event(2)], [order_event(3), order_event(4)]
    gap = await box.push(late, after=2)  # the second batch arrives first
    assert gap.status_code == 409
    assert gap.json()["error"] == {
        "code": "gap",
        "message": gap.json()["error"]["message"],
        "push_upto": 0,
    }
    assert (await _pushed(box, early, after=0)).upto == 2
    assert (await _pushed(box, late, after=2)).upto == 4
    assert await _count(hub, owner, store["id"], "orders") == 4


async def _until(condition) -> None:
    """Let the hub's tasks run until `condition()` holds (a bound, not a measure of time)."""

    async def turns() -> None:
        while not condition():
            await asyncio.sleep(0)

    await asyncio.wait_for(turns(), 10)


async def _coming_in(hub_app, hub, box, body: bytes) -> tuple[asyncio.Task, asyncio.Event]:
    """A push of `body` whose first bytes the hub has, the rest held back until the event is
    set; once the hub counts it as under way."""
    arrived, path = asyncio.Event(), "/sync/v1/push"

    async def slowly():
        yield body[:10]
        await arrived.wait()
        yield body[10:]

    headers = sign(box.key, "POST", path, body)
    pushed = asyncio.create_task(hub.post(path, content=slowly(), headers=headers))
    await _until(lambda: hub_app.state.pushes.running(box.key.key_id) == 1)
    return pushed, arrived


async def test_a_batch_that_overtakes_the_one_before_it_waits_for_it(hub_app, hub, owner, box):
    """A box keeps two pushes on their way. The second, whole, reaches the database while the
    first is still coming in: it waits for the first, rather than be refused as a gap."""
    pushes = hub_app.state.pushes
    early, late = [order_event(1), order_event(2)], [order_event(3), order_event(4)]
    first, arrived = await _coming_in(hub_app, hub, box, box.batch(early, after=0))
    second = asyncio.create_task(box.push(late, after=2))
    await _until(lambda: pushes.waiting == 1)  # it found the gap, and waits
    arrived.set()
    answers = [await first, await second]
    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    results = [PushResult.from_json(answer.json()) for answer in answers]
    assert [r.upto for r in results] == [2, 4]
    assert [v.status for r in results for v in r.verdicts] == ["applied"] * 4
    assert pushes.running(box.key.key_id) == 0 and pushes.waiting == 0


async def test_a_gap_no_push_of_the_box_can_fill_is_refused_once_they_are_answered(
    hub_app, hub, owner, box
):
    """The push before the gap is refused (it is another store's): the one after it waits for
    that answer, then is refused as a gap, and nothing applies."""
    body = box.batch([order_event(1)], after=0, store_id=uuid7())
    first, arrived = await _coming_in(hub_app, hub, box, body)
    second = asyncio.create_task(box.push([order_event(2)], after=1))
    await _until(lambda: hub_app.state.pushes.waiting == 1)
    arrived.set()
    assert (await first).status_code == 403
    gap = await second
    assert gap.status_code == 409 and gap.json()["error"]["push_upto"] == 0, gap.text
    assert await _count(hub, owner, box.store_id, "orders") == 0


async def test_two_pushes_of_one_batch_at_once_apply_it_once(hub, owner, store, box):
    events = [order_event(seq) for seq in range(1, 21)]
    answers = await asyncio.gather(*(box.push(events, after=0) for _ in range(4)))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    verdicts = [PushResult.from_json(answer.json()).verdicts for answer in answers]
    assert all(v == verdicts[0] for v in verdicts)
    assert await _count(hub, owner, store["id"], "orders") == 20
    assert (await _pulled(box)).cursor == max(v.rev or 0 for v in verdicts[0])


async def test_bad_events_are_rejected_with_a_reason_and_the_rest_apply(hub, owner, store, box):
    item = uuid7()
    events = [
        event(1, "menu_items", item, "create", item_fields()),
        event(2, "print_jobs", uuid7(), "create", {"state": "queued"}),
        event(3, "menu_items", item, "update", {"colour": "red"}, base_rev=0),
        event(4, "menu_items", item, "update", {"price": "cheap"}),
        event(5, "spaceships", uuid7(), "create", {}),
        event(6, "menu_items", uuid7(), "update", {"price": 1}),
        event(7, "menu_items", uuid7(), "create", {"name": "No price"}),
        order_event(8),
    ]
    result = await _pushed(box, events, after=0)
    reasons = [(v.status, v.reason.code if v.reason else None) for v in result.verdicts]
    assert reasons == [
        ("applied", None),
        ("rejected", "local_entity"),
        ("rejected", "unknown_field"),
        ("rejected", "bad_value"),
        ("rejected", "unknown_entity"),
        ("rejected", "unknown_row"),
        ("rejected", "missing_field"),
        ("applied", None),
    ]
    assert result.upto == 8 and all(v.rev is None for v in result.verdicts[1:7])
    assert [c.entity for c in (await _pulled(box)).changes] == ["menu_items"]
    rejected = await hub.get(
        f"/api/stores/{store['id']}/inbox?status=rejected", headers=owner.headers
    )
    assert [entry["seq"] for entry in rejected.json()["events"]] == [2, 3, 4, 5, 6, 7]


async def test_a_field_both_sides_changed_keeps_the_hubs_value_and_says_so(hub, owner, store, box):
    item = uuid7()
    created = await _pushed(box, [event(1, "menu_items", item, "create", item_fields())], 0)
    base = created.verdicts[0].rev
    edited = await hub.patch(
        f"/api/stores/{store['id']}/rows/menu_items/{item}",
        json={"fields": {"price": 300}},
        headers=owner.headers,
    )
    assert edited.status_code == 200, edited.text
    # Offline meanwhile, the store changed the price and the name, based on the old revision.
    offline = event(2, "menu_items", item, "update", {"price": 280, "name": "Ristretto"}, base)
    result = await _pushed(box, [offline], after=1)
    verdict = result.verdicts[0]
    assert verdict.status == "merged"
    kept = verdict.kept["price"]
    assert (kept.edge, kept.hub, kept.hub_actor) == (280, 300, owner.email)
    row = await hub.get(f"/api/stores/{store['id']}/rows/menu_items/{item}", headers=owner.headers)
    assert row.json()["fields"]["price"] == 300 and row.json()["fields"]["name"] == "Ristretto"
    changes = (await _pulled(box)).changes
    assert [(c.source, c.fields) for c in changes[1:]] == [
        ("hub", {"price": 300}),
        ("edge", {"price": 300, "name": "Ristretto"}),
    ]
    assert changes[-1].kept["price"].edge == 280
    # The store's own later edit, based on the merge, is no conflict with its own.
    again = event(3, "menu_items", item, "update", {"price": 310}, verdict.rev)
    assert (await _pushed(box, [again], after=2)).verdicts[0].status == "applied"


async def test_a_delete_of_a_row_changed_on_the_hub_is_rejected(hub, owner, store, box):
    item = uuid7()
    created = await _pushed(box, [event(1, "menu_items", item, "create", item_fields())], 0)
    await hub.patch(
        f"/api/stores/{store['id']}/rows/menu_items/{item}",
        json={"fields": {"available": False}},
        headers=owner.headers,
    )
    gone = event(2, "menu_items", item, "delete", {}, created.verdicts[0].rev)
    verdict = (await _pushed(box, [gone], after=1)).verdicts[0]
    assert (verdict.status, verdict.reason.code) == ("rejected", "changed_on_hub")


async def test_pull_pages_by_cursor(hub, owner, store, box):
    items = [event(seq, "menu_items", uuid7(), "create", item_fields()) for seq in range(2, 9)]
    await _pushed(box, [order_event(1), *items, order_event(9)], after=0)
    seen, cursor, pages = [], 0, 0
    while True:
        page = await _pulled(box, cursor, limit=3)
        seen += [change.seq for change in page.changes]
        cursor, pages = page.cursor, pages + 1
        if not page.has_more:
            break
    assert seen == list(range(2, 9)) and pages == 3  # the orders left out
    assert (await _pulled(box, cursor)).changes == []


async def test_an_owners_edit_of_several_stores_reaches_each_on_its_pull(hub, owner, hub_storage):
    stores = [await new_store(hub, owner, name) for name in ("North", "South", "East")]
    boxes = [await enrolled_box(hub, owner, s["id"]) for s in stores]
    for box in boxes:
        events = [
            event(1, "menu_items", uuid7(), "create", item_fields("Espresso", 250)),
            event(2, "menu_items", uuid7(), "create", item_fields("Tea", 200)),
        ]
        await _pushed(box, events, after=0)
    answer = await hub.patch(
        "/api/rows/menu_items",
        json={
            "stores": [stores[0]["id"], stores[1]["id"]],
            "match": {"name": "Espresso"},
            "fields": {"price": 275},
        },
        headers=owner.headers,
    )
    assert answer.status_code == 200, answer.text
    assert [len(s["rows"]) for s in answer.json()["stores"]] == [1, 1]
    for box, expected in zip(boxes, ([275], [275], []), strict=True):
        hub_changes = [c for c in (await _pulled(box)).changes if c.source == "hub"]
        assert [c.fields["price"] for c in hub_changes] == expected


async def test_the_digest_is_that_of_the_rows_the_store_pushed(hub, owner, store, box):
    order = order_event(1, lines=2)
    item = event(2, "menu_items", uuid7(), "create", item_fields())
    await _pushed(box, [order, item], after=0)
    answer = await hub.get(f"/api/stores/{store['id']}/digest", headers=owner.headers)
    lines = order.fields["order_lines"]
    own = {k: v for k, v in order.fields.items() if k != "order_lines"}
    from sync.entities import ENTITIES

    expected = store_digest(
        [
            ("orders", order.entity_id, ENTITIES["orders"].complete(own)),
            *[
                (
                    "order_lines",
                    line["id"],
                    ENTITIES["order_lines"].complete({k: v for k, v in line.items() if k != "id"}),
                )
                for line in lines
            ],
            ("menu_items", item.entity_id, ENTITIES["menu_items"].complete(item.fields)),
        ]
    )
    assert answer.json() == {
        "store_id": store["id"],
        "digest": expected,
        "rows": 4,
        "tickets_before": None,
    }


async def test_a_digest_asked_with_a_malformed_tickets_before_is_refused(hub, owner, store):
    answer = await hub.get(
        f"/api/stores/{store['id']}/digest",
        params={"tickets_before": "yesterday"},
        headers=owner.headers,
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert "tickets_before" in answer.text


def _nested(levels):
    """A JSON list nested `levels` deep: more than orjson writes (254), less than it reads."""
    return b"[" * levels + b"]" * levels


async def test_a_value_nested_deeper_than_any_record_needs_is_refused_not_a_500(
    hub, owner, store, box
):
    """The hub reads JSON nested up to 1024 levels and writes it up to 254: a pushed value (an
    order line's modifiers) nested deeper than MAX_DEPTH is its event's rejection while the
    rest apply; a refused event nested deeper than the inbox keeps makes the batch malformed, and
    an owner's such value is a 422. Never a 500, nothing half written."""
    order = order_event(1)
    order.fields["order_lines"][0]["modifiers"] = "DEEP"
    body = box.batch([order, order_event(2)], after=0).replace(b'"DEEP"', _nested(40))
    answer = await box.send("POST", "/sync/v1/push", body)
    assert answer.status_code == 200, answer.text
    verdicts = PushResult.from_json(answer.json()).verdicts
    assert [(v.status, v.reason and v.reason.code) for v in verdicts] == [
        ("rejected", "bad_value"),
        ("applied", None),
    ]
    assert await _count(hub, owner, store["id"], "orders") == 1

    unknown = event(3, "menu_items", uuid7(), "create", {"colour": "DEEP"})
    body = box.batch([unknown, order_event(4)], after=2).replace(b'"DEEP"', _nested(300))
    refused = await box.send("POST", "/sync/v1/push", body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "bad_envelope"
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox", headers=owner.headers)
    assert [entry["seq"] for entry in inbox.json()["events"]] == [1, 2]
    assert (await hub.get(f"/api/stores/{store['id']}", headers=owner.headers)).json()[
        "push_upto"
    ] == 2

    printer = {"name": "Bar", "role": "receipt", "created_at": now_iso(), "stations": "DEEP"}
    made = await hub.post(
        f"/api/stores/{store['id']}/rows/printers",
        content=orjson.dumps({"fields": printer}).replace(b'"DEEP"', _nested(300)),
        headers=owner.headers,
    )
    assert made.status_code == 422, made.text
    assert made.json()["error"]["code"] == "bad_value"
    assert await _count(hub, owner, store["id"], "printers") == 0


async def test_a_list_nested_deep_where_text_belongs_is_a_bad_value_not_a_500(
    hub, owner, store, box
):
    """A refusal says what the value was, shortened: a list nested 1000 deep (which JSON
    parsers read) given as a name, by a box or an owner, is refused, never a 500."""
    item = uuid7()
    made = event(1, "menu_items", item, "create", item_fields())
    bad = event(2, "menu_items", item, "update", {"name": "DEEP"}, base_rev=1)
    body = box.batch([made, bad], after=0).replace(b'"DEEP"', _nested(1000))
    answer = await box.send("POST", "/sync/v1/push", body)
    assert answer.status_code == 400, answer.text  # the inbox could not keep it whole
    assert answer.json()["error"]["code"] == "bad_envelope"
    assert await _count(hub, owner, store["id"], "menu_items") == 0

    assert (await box.push([made], after=0)).status_code == 200
    edit = b'{"fields": {"name": DEEP}}'.replace(b"DEEP", _nested(1000))
    row = f"/api/stores/{store['id']}/rows/menu_items/{item}"
    refused = await hub.patch(row, content=edit, headers=owner.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "bad_value"
    assert "should be text, not a list" in refused.json()["error"]["message"]
    assert (await hub.get(row, headers=owner.headers)).json()["fields"]["name"] == "Espresso"


async def test_a_secret_of_the_wrong_kind_is_refused_without_quoting_it(hub, owner, store, box):
    """A PIN sent as a number where its hash belongs is refused; the reason, which the box and
    the owner's inbox show, says what is wrong without quoting the secret."""
    staff = event(
        1, "staff", uuid7(), "create", {"name": "Ana", "role": "waiter", "pin_hash": 482913}
    )
    answer = await box.push([staff], after=0)
    assert answer.status_code == 200, answer.text
    [verdict] = answer.json()["verdicts"]
    assert verdict["status"] == "rejected" and verdict["reason"]["code"] == "bad_value"
    assert "pin_hash should be text" in verdict["reason"]["message"]
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox", headers=owner.headers)
    assert inbox.status_code == 200 and inbox.json()["events"]
    assert "482913" not in answer.text and "482913" not in inbox.text


async def test_another_event_under_a_seq_the_hub_has_refuses_the_batch_as_restored(
    hub, owner, store, box
):
    """A batch sent again is acknowledged with the verdicts the hub gave; but another event
    under a seq the box's stream holds (a box restored from an older copy, whose new orders
    reuse the seqs of those it lost) is no retry: the batch is refused whole (`restored`), so
    the box keeps every event of it waiting, where a per-event rejection moved it past them."""
    first = order_event(1)
    applied = await _pushed(box, [first], after=0)
    other = order_event(1)
    answer = await box.push([other, order_event(2)], after=0)
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["seq"], error["push_upto"]) == ("restored", 1, 1)
    assert await _count(hub, owner, store["id"], "orders") == 1
    assert (await _pushed(box, [first], after=0)).verdicts == applied.verdicts


async def test_each_box_of_a_store_is_a_stream_of_its_own(hub, owner, store, box):
    """A box made anew for the store (or a second one) numbers its events from 1 again: its
    seqs are its own, taken once each, beside the first box's; a box enrolled again with a new
    key (the same node) goes on with its own stream."""
    await _pushed(box, [order_event(1), order_event(2)], after=0)
    key = DeviceKey.generate()
    enrolled = await enrol(hub, await new_code(hub, owner, store["id"]), key, node="box-2")
    assert enrolled.status_code == 201, enrolled.text
    second = Box(hub, key, store["id"])
    result = await _pushed(second, [order_event(1)], after=0)
    assert [v.status for v in result.verdicts] == ["applied"] and result.upto == 1
    gap = await second.push([order_event(3)], after=2)  # its own cursor, not the first box's
    assert gap.status_code == 409 and gap.json()["error"]["push_upto"] == 1, gap.text
    again = await enrolled_box(hub, owner, store["id"])  # node "box-1", as the first box's
    assert (await _pushed(again, [order_event(3)], after=2)).upto == 3
    assert await _count(hub, owner, store["id"], "orders") == 4
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox", headers=owner.headers)
    assert [(e["node"], e["seq"]) for e in inbox.json()["events"]] == [
        ("box-1", 1),
        ("box-2", 1),
        ("box-1", 2),
        ("box-1", 3),
    ]
