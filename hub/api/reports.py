"""The owner's report across the tenant's stores, day by day (`hub.domain.reports`)."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.routing import Route

from hub.api.http import as_owner
from hub.api.openapi import contract
from hub.domain import reports
from service.errors import Invalid
from service.http import ok
from service.query import Query, day

MOST_DAYS = 366
RANGE = Query(
    **{
        "from": day("the first business day (required)"),
        "to": day(f"the last business day (default: `from`), at most {MOST_DAYS} days on"),
    }
)


@contract(query=RANGE, refuses={422})
async def across_stores(request: Request):
    """Each store's business days from `from` to `to` as its box's Z report closed them (in
    the store's own time zone, the box's own figures), the days no Z closed yet
    (`missing_days`), each store's totals, and the stores' totals by currency."""
    q = RANGE.read(request)
    first, last = q["from"], q["to"] or q["from"]
    if first is None:
        raise Invalid("from must name the first business day", code="missing_field", field="from")
    if not 0 <= (date.fromisoformat(last) - date.fromisoformat(first)).days < MOST_DAYS:
        raise Invalid(f"to must be from `from` to {MOST_DAYS - 1} days after it", field="to")
    return ok(await as_owner(request, reports.across_stores, first, last))


routes = [Route("/api/reports", across_stores, methods=["GET"])]
