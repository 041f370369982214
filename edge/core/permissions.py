"""Who may do and see what. Checked in the domain functions, not only in the pages; the README's
table of every route and topic by role says the same, and a test holds the two together.

A cashier may still do a manager's action when a manager approves it on the spot with their PIN:
the manager is then recorded as `approver` on the event. Some fields are for some roles only
(`edge.events.GUARDED_FIELDS`, a printer's address): `visible` and `seen` leave them out of
what the others are shown, wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edge.core.events import GUARDED_FIELDS
from service.errors import Forbidden

_FLOOR = {
    "order.create",
    "order.edit",
    "order.view",
    "order.bill",
    "menu.view",
    "menu.availability",
    "tables.view",
    "printers.view",
    "kitchen.view",
    "kitchen.fire",
    "floor.serve",  # the waiter handheld: drafts, table sessions, guests' alerts
    "check.edit",  # open, split, merge, move, discount within the store's limit
    "payment.take",  # tenders, shifts and the drawer's pay-ins, pay-outs and skims
}
_MANAGER = _FLOOR | {
    "order.void_line",
    # above the store's limit, a promo code's usage limit aside, a check's own service charge
    "discount.large",
    "payment.refund",
    "reports.run",
    "printers.edit",
    "drawer.open",
    "menu.edit",
    "tables.edit",
    "staff.view",
    "staff.edit",
    "devices.edit",
    "settings.edit",
    "audit.view",
    "kitchen.bump",
    "kitchen.edit",
    "sync.manage",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(_MANAGER | {"staff.edit_owner"}),
    "manager": frozenset(_MANAGER),
    "cashier": frozenset(_FLOOR),
    "waiter": frozenset(_FLOOR),
    "kitchen": frozenset(
        {
            "order.view",
            "menu.view",
            "menu.availability",
            "tables.view",
            "printers.view",
            "kitchen.view",
            "kitchen.fire",  # expo fires courses and marks orders served
            "kitchen.bump",  # tickets' states, recall, rush, moving an item
        }
    ),
}

# Actions a manager can approve for someone who may not do them alone, and what that someone
# must be allowed to do to ask: a line is voided by whoever takes orders, the drawer opened by
# whoever presents bills; a cook does neither, approved or not.
APPROVABLE = {
    "order.void_line": "order.edit",
    "drawer.open": "order.bill",
    "discount.large": "check.edit",
    "payment.refund": "payment.take",
}


@dataclass(frozen=True)
class Actor:
    """Who is doing it: a signed-in staff member on a device, or the system itself."""

    id: str
    name: str
    role: str
    device: str = ""  # the name of the paired device they signed in on
    device_id: str = ""

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


SYSTEM = Actor(id="system", name="Galley", role="owner", device="box")


def require(actor: Actor, permission: str, approver: Actor | None = None) -> str | None:
    """Raise Forbidden unless `actor` (or an approving manager) may do `permission`.

    Returns the approver's id when the approval was needed, for the event's `approver`.
    """
    if actor.can(permission):
        return None
    if not may_ask(actor, permission):
        raise Forbidden(f"a {actor.role} may not do {permission}", permission=permission)
    if approver is None:
        raise Forbidden(
            f"{permission} needs a manager's approval",
            code="approval_required",
            permission=permission,
        )
    if approver.can(permission):
        return approver.id
    raise Forbidden(f"{approver.name} may not approve {permission}", permission=permission)


def may_ask(actor: Actor, permission: str) -> bool:
    """Whether a manager's approval would let `actor` do `permission` (APPROVABLE)."""
    asking = APPROVABLE.get(permission)
    return asking is not None and actor.can(asking)


def visible(actor: Actor, entity: str, row: dict[str, Any]) -> dict[str, Any]:
    """`row` of `entity` (an answer's object, an event's fields) without the fields `actor` may
    not see; `row` itself when there are none."""
    guarded = GUARDED_FIELDS.get(entity)
    if guarded is None:
        return row
    hidden = {key for key, need in guarded.items() if key in row and not actor.can(need)}
    return {key: value for key, value in row.items() if key not in hidden} if hidden else row


def seen(actor: Actor, event: dict[str, Any]) -> dict[str, Any]:
    """An event (`Event.to_json()`, or an audit row) as `actor` may see it: its `fields`, and an
    audit row's `context`, as `visible` shows them. Every reader of events goes through here:
    the websocket, the polling feed, the audit and an order's history."""
    entity = event["entity"]
    if entity not in GUARDED_FIELDS:
        return event
    shown = dict(event)
    for part in ("fields", "context"):
        if part in shown:
            shown[part] = visible(actor, entity, shown[part])
    return shown
