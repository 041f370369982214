"""PIN checks for sign-in and for a manager's on-the-spot approval.

The order matters: a locked-out staff member is refused before the (slow, scrypt) PIN check, so
a locked account cannot be probed; the check runs in a worker thread, never on the loop or in the
writer; a wrong PIN is recorded through the write path so the count survives a restart.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from edge.box import Box, fresh_token
from edge.domain import staff
from edge.errors import Invalid, Unauthorized
from edge.permissions import Actor
from sync.ids import is_uuid


async def check_pin(box: Box, staff_id: Any, pin: Any, device: str) -> Actor:
    """The staff member whose PIN this is, or Unauthorized / Locked (recording the failure)."""
    if not is_uuid(staff_id):
        raise Invalid("staff_id must be an id", field="staff_id")
    if not isinstance(pin, str):
        raise Invalid("pin must be text", field="pin")
    member = await box.read(_member, staff_id)
    if member is None:
        raise Unauthorized("unknown staff member", code="unknown_staff")
    await box.read(staff.raise_if_locked, staff_id)
    if not await anyio.to_thread.run_sync(staff.verify_pin, pin, member["pin_hash"]):
        until = await box.write(staff.record_wrong_pin, staff_id, device)
        if until:
            await box.read(staff.raise_if_locked, staff_id)
        raise Unauthorized("wrong PIN", code="wrong_pin")
    return Actor(member["id"], member["name"], member["role"], device)


async def sign_in(box: Box, staff_id: Any, pin: Any, device: Any) -> dict[str, Any]:
    device = _device(device)
    actor = await check_pin(box, staff_id, pin, device)
    token = fresh_token()
    session = await box.write(
        staff.sign_in, actor.id, device, staff.token_id(token), box.settings.session_hours
    )
    return {"token": token, "staff": session}


async def approval(box: Box, body: dict[str, Any], device: str) -> Actor | None:
    """The approving manager named in `body["approval"] = {"staff_id", "pin"}`, if any."""
    given = body.pop("approval", None)
    if given is None:
        return None
    if not isinstance(given, dict):
        raise Invalid("approval is {staff_id, pin}", field="approval")
    approver = await check_pin(box, given.get("staff_id"), given.get("pin"), device)
    await box.write(staff.approve, approver.id)
    return approver


def _device(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 60:
        raise Invalid("device must name the device (1 to 60 characters)", field="device")
    return value.strip()


def _member(conn: Any, staff_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, name, role, pin_hash FROM staff WHERE id = ? AND active = 1", (staff_id,)
    ).fetchone()
    return dict(row) if row else None
