"""PIN checks for sign-in and for a manager's on-the-spot approval, on a paired device.

The order matters: a staff member locked out on this device (or everywhere) is refused before
the (slow, scrypt) PIN check, and the attempt still counts, so a lockout cannot be probed nor
waited out by hammering; the check runs in a worker thread, never on the loop or in the writer;
a wrong PIN is recorded through the write path so the count survives a restart. Counts are per
staff member and device (`edge.domain.lockouts`); an approval counts on the device of the
sign-in that asks for it.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from edge.box import Box, fresh_token
from edge.domain import fields as f
from edge.domain import lockouts, staff
from edge.domain.shapes import shape, text
from edge.errors import Unauthorized
from edge.permissions import Actor, may_ask, require

CREDENTIALS = f.Form(
    {"staff_id": f.identifier, "pin": staff.pin_format}, required=("staff_id", "pin")
)
# The device is the paired one whose credential came with the request, not a field.
SIGN_IN = CREDENTIALS
APPROVAL = f.nested(CREDENTIALS)
# The body of an action that needs a manager: the reason, and a manager's PIN unless the
# signed-in staff member is one.
APPROVED = f.Form({"reason": f.REASON, "approval": APPROVAL}, required=("reason",))
# What `sign_in` answers.
SIGNED_IN = shape(
    "SignedIn",
    {
        "token": text("the bearer token of every other call from this device"),
        "staff": staff.SESSION_VIEW,
    },
)


async def check_pin(box: Box, staff_id: str, pin: str, device: dict[str, str]) -> Actor:
    """The staff member whose PIN this is on the paired `device` ({id, name}), or Unauthorized
    / Locked (recording the attempt)."""
    member = await box.read(_member, staff_id)
    if member is None:
        raise Unauthorized("unknown staff member", code="unknown_staff")
    if await box.read(lockouts.locked_until, staff_id, device["id"]):
        until = await box.write(lockouts.record_locked_attempt, staff_id, device["id"])
        await _raise_locked(box, staff_id, until)
    if not await anyio.to_thread.run_sync(staff.verify_pin, pin, member["pin_hash"]):
        until = await box.write(lockouts.record_wrong_pin, staff_id, device["id"])
        await _raise_locked(box, staff_id, until)
        raise Unauthorized("wrong PIN", code="wrong_pin")
    return Actor(member["id"], member["name"], member["role"], device["name"], device["id"])


async def sign_in(box: Box, values: dict[str, Any], device: dict[str, str]) -> dict[str, Any]:
    """`values` as SIGN_IN describes them, on a paired `device` -> {token, staff}."""
    values = SIGN_IN.clean(values)
    actor = await check_pin(box, values["staff_id"], values["pin"], device)
    token = fresh_token()
    session = await box.write(
        staff.sign_in, actor.id, device, staff.token_id(token), box.settings.session_hours
    )
    return {"token": token, "staff": session}


async def approval(box: Box, body: dict[str, Any], asking: Actor, permission: str) -> Actor | None:
    """The approving manager in `body["approval"]` (a body APPROVED has cleaned), if any, for
    `permission`; their PIN counts on the device `asking` is signed in on. Someone no approval
    would help (a cook voiding a line) is refused before any PIN is checked: their device is
    no place to try a manager's PIN."""
    given = body.pop("approval", None)
    if given is None:
        return None
    if not (asking.can(permission) or may_ask(asking, permission)):
        require(asking, permission)  # refuses
    device = {"id": asking.device_id, "name": asking.device}
    approver = await check_pin(box, given["staff_id"], given["pin"], device)
    await box.write(staff.approve, approver.id, device["id"])
    return approver


async def _raise_locked(box: Box, staff_id: str, until: str | None) -> None:
    if until:
        raise await box.read(lockouts.refusal, staff_id, until)


def _member(conn: Any, staff_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, name, role, pin_hash FROM staff WHERE id = ? AND active = 1", (staff_id,)
    ).fetchone()
    return dict(row) if row else None
