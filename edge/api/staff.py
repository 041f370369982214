"""Sign-in, sign-out, and the staff list."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Route

from edge import auth
from edge.api.http import actor, bearer, body, box_of, ok
from edge.domain import staff
from edge.permissions import PERMISSIONS, require


async def roster(request: Request):
    """Active staff for the sign-in screen: name and role only."""
    rows = await box_of(request).read(staff.list_staff)
    return ok([{"id": r["id"], "name": r["name"], "role": r["role"]} for r in rows if r["active"]])


async def sign_in(request: Request):
    """Sign in on a device with a PIN: {staff_id, pin, device} -> {token, staff}."""
    data = await body(request)
    session = await auth.sign_in(
        box_of(request), data.get("staff_id"), data.get("pin"), data.get("device")
    )
    return ok(session, 201)


async def sign_out(request: Request):
    """End this device's sign-in."""
    me = await actor(request)
    await box_of(request).write(staff.sign_out, me, staff.token_id(bearer(request) or ""))
    return ok({"signed_out": True})


async def me(request: Request):
    """Who is signed in on this device, and what they may do."""
    who = await actor(request)
    return ok(
        {
            "id": who.id,
            "name": who.name,
            "role": who.role,
            "device": who.device,
            "permissions": sorted(PERMISSIONS[who.role]),
        }
    )


async def list_staff(request: Request):
    """Every staff member with their lockout state (managers)."""
    require(await actor(request), "staff.view")
    return ok(await box_of(request).read(staff.list_staff))


async def create_staff(request: Request):
    """Add a staff member: {name, role, pin}."""
    who = await actor(request)
    require(who, "staff.edit")
    data = await body(request)
    pin = staff.check_pin_format(data.pop("pin", None))
    pin_hash = await anyio.to_thread.run_sync(staff.hash_pin, pin)
    staff_id = await box_of(request).write(
        staff.create, who, data.get("name"), data.get("role"), pin_hash
    )
    return ok({"id": staff_id}, 201)


async def update_staff(request: Request):
    """Rename, change role, (de)activate or set a new PIN: {name?, role?, active?, pin?}."""
    who = await actor(request)
    require(who, "staff.edit")
    data = await body(request)
    if "pin" in data:
        data["pin_hash"] = await anyio.to_thread.run_sync(
            staff.hash_pin, staff.check_pin_format(data.pop("pin"))
        )
    await box_of(request).write(staff.update, who, request.path_params["staff_id"], data)
    return ok({"id": request.path_params["staff_id"]})


routes = [
    Route("/api/staff/roster", roster, methods=["GET"]),
    Route("/api/sessions", sign_in, methods=["POST"]),
    Route("/api/sessions/current", sign_out, methods=["DELETE"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/staff", list_staff, methods=["GET"]),
    Route("/api/staff", create_staff, methods=["POST"]),
    Route("/api/staff/{staff_id}", update_staff, methods=["PATCH"]),
]
