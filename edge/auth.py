"""PIN checks for sign-in and for a manager's on-the-spot approval.

The order matters: a locked-out staff member is refused before the (slow, scrypt) PIN check, so
a locked account cannot be probed; the check runs in a worker thread, never on the loop or in the
writer; a wrong PIN is recorded through the write path so the count survives a restart.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from edge.box import Box, fresh_token
from edge.domain import fields as f
from edge.domain import staff
from edge.domain.shapes import shape, text
from edge.errors import Unauthorized
from edge.permissions import Actor

DEVICE = f.text(60)  # names the device: "POS 1", "Bar tablet"
CREDENTIALS = f.Form(
    {"staff_id": f.identifier, "pin": staff.pin_format}, required=("staff_id", "pin")
)
SIGN_IN = f.Form(
    {**CREDENTIALS.rules, "device": DEVICE}, required=(*CREDENTIALS.required, "device")
)
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


async def check_pin(box: Box, staff_id: str, pin: str, device: str) -> Actor:
    """The staff member whose PIN this is, or Unauthorized / Locked (recording the failure)."""
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


async def sign_in(box: Box, values: dict[str, Any]) -> dict[str, Any]:
    """`values` as SIGN_IN describes them -> {token, staff}."""
    values = SIGN_IN.clean(values)
    device = values["device"]
    actor = await check_pin(box, values["staff_id"], values["pin"], device)
    token = fresh_token()
    session = await box.write(
        staff.sign_in, actor.id, device, staff.token_id(token), box.settings.session_hours
    )
    return {"token": token, "staff": session}


async def approval(box: Box, body: dict[str, Any], device: str) -> Actor | None:
    """The approving manager in `body["approval"]` (a body APPROVED has cleaned), if any."""
    given = body.pop("approval", None)
    if given is None:
        return None
    approver = await check_pin(box, given["staff_id"], given["pin"], device)
    await box.write(staff.approve, approver.id)
    return approver


def _member(conn: Any, staff_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, name, role, pin_hash FROM staff WHERE id = ? AND active = 1", (staff_id,)
    ).fetchone()
    return dict(row) if row else None
