"""Sign-in, sign-out, and the staff list."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.api.writes import ID_VIEW, action, identified
from edge.core.permissions import PERMISSIONS, require
from edge.domain import staff
from edge.runtime import auth
from edge.runtime.auth import actor, paired_device
from edge.runtime.box import box_of
from service.http import body, ok
from service.shapes import FLAG, ID, array, described, enum, shape
from service.tokens import bearer

ROSTER_ENTRY = shape("RosterEntry", {"id": ID, **described(staff.NEW_MEMBER, "name", "role")})
SIGNED_OUT = shape("SignedOut", {"signed_out": FLAG})
ME = shape(
    "Me",
    {
        "id": ID,
        **described(staff.NEW_MEMBER, "name", "role"),
        "device": {"type": "string", "description": "the paired device signed in on"},
        "device_id": ID,
        "permissions": array(
            enum(sorted(frozenset().union(*PERMISSIONS.values()))), "what the role may do"
        ),
    },
)


@contract(auth="device", response=array(ROSTER_ENTRY))
async def roster(request: Request):
    """Active staff for the sign-in screen of a paired device: name and role only."""
    await paired_device(request)
    rows = await box_of(request).read(staff.list_staff)
    return ok([{"id": r["id"], "name": r["name"], "role": r["role"]} for r in rows if r["active"]])


@contract(body=auth.SIGN_IN, status=201, auth="device", response=auth.SIGNED_IN, refuses={423})
async def sign_in(request: Request):
    """Sign in with a PIN on a paired device; answers {token, staff}. The token is the bearer
    token of every other call from that device. Wrong PINs lock that staff member out on that
    device (423), and on every device after many on several."""
    device = await paired_device(request)
    session = await auth.sign_ins(request).sign_in(await body(request), device)
    return ok(session, 201)


@contract(response=SIGNED_OUT)
async def sign_out(request: Request):
    """End this device's sign-in."""
    me = await actor(request)
    await auth.sign_ins(request).sign_out(me, bearer(request))
    return ok({"signed_out": True})


@contract(response=ME)
async def me(request: Request):
    """Who is signed in on this device, and what they may do."""
    who = await actor(request)
    return ok(
        {
            "id": who.id,
            "name": who.name,
            "role": who.role,
            "device": who.device,
            "device_id": who.device_id,
            "permissions": sorted(PERMISSIONS[who.role]),
        }
    )


@contract(response=array(staff.MEMBER_VIEW), refuses={403})
async def list_staff(request: Request):
    """Every staff member with their lockout state (managers)."""
    require(await actor(request), "staff.view")
    return ok(await box_of(request).read(staff.list_staff))


@contract(body=staff.NEW_MEMBER, status=201, response=ID_VIEW, refuses={403}, idempotent=True)
async def create_staff(request: Request):
    """Add a staff member with their PIN."""
    who = await actor(request)
    require(who, "staff.edit")
    data = await box_of(request).read(staff.check_new, await body(request))
    pin_hash = await anyio.to_thread.run_sync(staff.hash_pin, data["pin"])
    args = (who, data["name"], data["role"], pin_hash)
    return await answer(request, 201, staff.create, *args, view=identified)


@contract(body=staff.MEMBER_CHANGE, partial=True, response=ID_VIEW, refuses={403, 409})
async def update_staff(request: Request):
    """Rename, change the role, (de)activate, or set a new PIN (which ends their sign-ins)."""
    who = await actor(request)
    require(who, "staff.edit")
    staff_id = request.path_params["staff_id"]
    data = await box_of(request).read(staff.check_change, staff_id, await body(request))
    if "pin" in data:
        data["pin_hash"] = await anyio.to_thread.run_sync(staff.hash_pin, data.pop("pin"))
    await box_of(request).write(staff.update, who, staff_id, data)
    return ok({"id": staff_id})


routes = [
    Route("/api/staff/roster", roster, methods=["GET"]),
    Route("/api/sessions", sign_in, methods=["POST"]),
    Route("/api/sessions/current", sign_out, methods=["DELETE"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/staff", list_staff, methods=["GET"]),
    Route("/api/staff", create_staff, methods=["POST"]),
    Route("/api/staff/{staff_id:id}", update_staff, methods=["PATCH"]),
    Route(
        "/api/staff/{staff_id:id}/unlock",
        action(
            staff.unlock,
            "End a PIN lockout now, on every device (the wrong-PIN counts start again).",
            "staff_id",
            response=staff.LOCKOUT_VIEW,
        ),
        methods=["POST"],
        name="unlock_staff",
    ),
]
