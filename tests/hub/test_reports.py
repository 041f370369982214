"""The owner's report across stores: each store's days as its box's Z report closed them (so
in its own business day and time zone, with the box's own figures), their totals per store, and
the stores together, one total per currency. On SQLite and PostgreSQL."""

import pytest

from sync.ids import uuid7
from tests.hub.kit import enrolled_box, event, new_owner, new_store

FIGURES = ("checks", "sales", "tips", "refunds", "takings", "voids", "voided")


@pytest.fixture
async def owner(hub, hub_storage):
    return await new_owner(hub, hub_storage)


def _data(n: int) -> dict:
    """Some of a box's Z report data (edge.domain.reports.build), its figures made from `n`."""
    return {"taxes": [], **{name: n * (i + 1) for i, name in enumerate(FIGURES)}}


async def _store_with_reports(hub, owner, name, currency, reports):
    """A store whose box pushed its settings (`currency`) and `reports` (kind, day, n)."""
    store = await new_store(hub, owner, name)
    box = await enrolled_box(hub, owner, store["id"])
    events = [event(1, "store", uuid7(), "create", {"name": name, "currency": currency})]
    for seq, (kind, day, n) in enumerate(reports, 2):
        fields = {"kind": kind, "business_day": day, "data": _data(n), "created_by": "staff-1",
                  "created_at": f"{day}T23:30:00Z"}  # fmt: skip
        events.append(event(seq, "reports", uuid7(), "create", fields))
    assert (await box.push(events, after=0)).status_code == 200
    return store


async def test_each_stores_closed_days_and_the_stores_together(hub, hub_storage, owner):
    lisbon = await _store_with_reports(hub, owner, "Lisboa", "EUR", [
        ("z", "2026-03-01", 10), ("z", "2026-03-02", 20), ("x", "2026-03-03", 99),
        ("z", "2026-02-28", 99),  # before the days asked
    ])  # fmt: skip
    porto = await _store_with_reports(hub, owner, "Porto", "EUR", [("z", "2026-03-02", 1)])
    nyc = await _store_with_reports(hub, owner, "NYC", "USD", [("z", "2026-03-01", 5)])
    other = await new_owner(hub, hub_storage, "Other")
    await _store_with_reports(hub, other, "Elsewhere", "EUR", [("z", "2026-03-01", 1000)])

    answer = await hub.get("/api/reports?from=2026-03-01&to=2026-03-03", headers=owner.headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    by_store = {s["store_id"]: s for s in report["stores"]}
    assert set(by_store) == {lisbon["id"], porto["id"], nyc["id"]}  # no other tenant's
    first = by_store[lisbon["id"]]
    assert (first["name"], first["currency"]) == ("Lisboa", "EUR")
    assert [d["business_day"] for d in first["days"]] == ["2026-03-01", "2026-03-02"]
    assert first["days"][0]["sales"] == _data(10)["sales"]  # the box's own figure
    assert first["missing_days"] == ["2026-03-03"]  # an X report closes no day
    assert {k: first["totals"][k] for k in FIGURES} == {k: _data(30)[k] for k in FIGURES}
    together = {t["currency"]: t for t in report["totals"]}
    assert {k: together["EUR"][k] for k in FIGURES} == {k: _data(31)[k] for k in FIGURES}
    assert {k: together["USD"][k] for k in FIGURES} == {k: _data(5)[k] for k in FIGURES}
    assert (together["EUR"]["stores"], together["USD"]["stores"]) == (2, 1)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("", 422, "from"),
        ("?to=2026-03-01", 422, "from"),
        ("?from=2026-03-01&to=2026-02-01", 422, "to"),
        ("?from=2025-01-01&to=2026-03-01", 422, "to"),  # more than a year of days
        ("?from=2026-02-30", 400, None),  # no such day
    ],
)
async def test_a_range_of_days_that_makes_no_sense_is_refused(hub, owner, query, status, field):
    answer = await hub.get(f"/api/reports{query}", headers=owner.headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"].get("field") == field
