"""Where the box stands with the hub (every signed-in page's badge), and the managers' conflict
inbox and rejected events."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.api.writes import action
from edge.domain import box_time, sync_inbox
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from edge.runtime.box_clock import CLOCK
from service.http import body, ok
from service.query import Query, one_of
from service.shapes import COUNT, FLAG, INSTANT, enum, nullable, shape, text

STATUS = shape(
    "SyncStatus",
    {
        "enrolled": FLAG,
        "hub_url": nullable(text("the hub the box is enrolled with")),
        "state": enum(("not_enrolled", "connecting", "online", "offline", "refused")),
        "last_success": nullable(INSTANT),
        "last_error": nullable(text("why the last round failed, as the hub or the link said")),
        "problem": nullable(text("what that means to a manager, and what to do")),
        "waiting": {**COUNT, "description": "events the hub has yet to acknowledge"},
        "open_conflicts": COUNT,
        "rejected": {
            **COUNT,
            "description": "events refused, as many as their list shows (500 at most)",
        },
        "clock": CLOCK,
    },
)
CONFLICTS = Query(state=one_of("open", "reapplied", "dismissed", "all"))


@contract(response=STATUS)
async def sync_status(request: Request):
    """Where the box stands with the hub, for the badge on every staff page: online or
    offline, the last successful sync, events waiting, open conflicts and rejected events, and
    whether the box's clock may be trusted."""
    await actor(request)
    box = box_of(request)
    return ok({**await box.sync.status_json(), "clock": await box.clock()})


@contract(body=box_time.FORM, response=box_time.GIVEN, refuses={403, 409, 422}, idempotent=True)
async def set_box_time(request: Request):
    """Run the box on this device's time (managers), when its clock is not trusted and NTP has
    not set it: every time it records follows at once, until NTP sets the clock (`clock` of
    `/api/sync` says so). Refused when NTP has (409), more than a year from the box's clock
    (422) or behind what the box recorded (409). A retry with the page's key gets the first
    answer: sent again as it was, its time would be behind what the box recorded since."""
    who = await actor(request)
    box = box_of(request)
    given: list[int] = []

    def offset(recorded: dict[str, Any]) -> dict[str, Any]:
        given.append(recorded["offset_ms"])
        return recorded

    data = await body(request)
    answered = await answer(
        request, 200, box_time.set_time, who, data, box.clock_set_by_ntp(), view=offset
    )
    if given:  # recorded now, not answered from an earlier request with the key
        box.run_on(given[-1])
    return answered


@contract(query=CONFLICTS, response=sync_inbox.CONFLICTS, refuses={403})
async def list_conflicts(request: Request):
    """Fields where the hub's value stood against the store's (managers): both values, who
    changed each and when; open ones unless `state` says otherwise."""
    state = CONFLICTS.read(request)["state"]
    return ok(await box_of(request).read(sync_inbox.conflicts, await actor(request), state))


@contract(response=sync_inbox.REJECTIONS, refuses={403})
async def list_rejections(request: Request):
    """Events the hub refused, with its reason, and hub changes this box could not apply
    (managers): kept whole, nothing discarded."""
    return ok(await box_of(request).read(sync_inbox.rejections, await actor(request)))


routes = [
    Route("/api/sync", sync_status, methods=["GET"]),
    Route("/api/sync/clock", set_box_time, methods=["POST"]),
    Route("/api/sync/conflicts", list_conflicts, methods=["GET"]),
    Route("/api/sync/rejections", list_rejections, methods=["GET"]),
    Route(
        "/api/sync/conflicts/{conflict_id:id}/reapply",
        action(
            sync_inbox.reapply,
            "Apply the store's value again, as a new edit by you (the edit's own checks apply);"
            " the hub takes it on the next sync.",
            "conflict_id",
            response=sync_inbox.CONFLICT_VIEW,
            refuses={404, 409, 422},
        ),
        methods=["POST"],
        name="reapply_conflict",
    ),
    Route(
        "/api/sync/conflicts/{conflict_id:id}/dismiss",
        action(
            sync_inbox.dismiss,
            "Leave the hub's value as it is: the conflict is closed.",
            "conflict_id",
            response=sync_inbox.CONFLICT_VIEW,
            refuses={404, 409},
        ),
        methods=["POST"],
        name="dismiss_conflict",
    ),
]
