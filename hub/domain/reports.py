"""The owner's report across stores, from the Z reports the boxes pushed.

A box's Z report closes one business day of its store, counted in the store's own time zone and
day start, with the box's figures (`edge.domain.reports.build`): the hub adds those up and
computes none of its own, so a store's day here is the day its box printed. A day no Z closed
yet (still open, or not pushed) is listed as missing, not guessed from orders. Stores in
different currencies are never added together: the stores' total is one per currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from hub.storage.tx import Tx


def across_stores(tx: Tx, first: str, last: str) -> dict[str, Any]:
    """Each of the tenant's stores between the days `first` and `last` (both included): its
    closed days with their figures, the days still missing, its totals; and the totals of the
    stores together, by currency."""
    days = _days(first, last)
    stores = []
    by_currency: dict[str | None, list[dict[str, int]]] = {}
    for store in tx.stores():
        closed = _closed_days(tx, store["id"], first, last)
        settings = tx.entity_rows(store["id"], "store", limit=1)
        currency = settings[0].fields.get("currency") if settings else None
        totals = _summed(closed.values())
        stores.append(
            {
                "store_id": store["id"],
                "name": store["name"],
                "currency": currency,
                "days": [{"business_day": day, **closed[day]} for day in sorted(closed)],
                "missing_days": [day for day in days if day not in closed],
                "totals": totals,
            }
        )
        by_currency.setdefault(currency, []).append(totals)
    return {
        "from": first,
        "to": last,
        "stores": stores,
        "totals": [
            {"currency": currency, "stores": len(each), **_summed(each)}
            for currency, each in by_currency.items()
        ],
    }


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def _closed_days(tx: Tx, store_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
    """The figures of each day between `first` and `last` a Z report of the store closed (the
    first one made, should a box have pushed two)."""
    zs = sorted(
        (row.fields for row in tx.entity_rows(store_id, "reports")),
        key=lambda fields: str(fields.get("created_at")),
    )
    closed: dict[str, dict[str, int]] = {}
    for fields in zs:
        day, data = fields.get("business_day"), fields.get("data")
        if fields.get("kind") != "z" or not isinstance(day, str) or not first <= day <= last:
            continue
        if isinstance(data, dict) and day not in closed:
            closed[day] = {name: value for name, value in data.items() if type(value) is int}
    return closed


def _summed(figures: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for each in figures:
        for name, value in each.items():
            total[name] = total.get(name, 0) + value
    return total
