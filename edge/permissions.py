"""Who may do what. Checked in the domain functions, not only in the pages.

A cashier may still do a manager's action when a manager approves it on the spot with their PIN:
the manager is then recorded as `approver` on the event.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.errors import Forbidden

ROLES = ("owner", "manager", "cashier", "waiter", "kitchen")

_FLOOR = {
    "order.create",
    "order.edit",
    "order.view",
    "menu.view",
    "menu.availability",
    "tables.view",
    "printers.view",
}
_MANAGER = _FLOOR | {
    "order.void_line",
    "printers.edit",
    "drawer.open",
    "menu.edit",
    "tables.edit",
    "staff.view",
    "staff.edit",
    "devices.edit",
    "settings.edit",
    "audit.view",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(_MANAGER | {"staff.edit_owner"}),
    "manager": frozenset(_MANAGER),
    "cashier": frozenset(_FLOOR),
    "waiter": frozenset(_FLOOR),
    "kitchen": frozenset(
        {"order.view", "menu.view", "menu.availability", "tables.view", "printers.view"}
    ),
}

# Actions a manager can approve for someone who may not do them alone.
APPROVABLE = frozenset({"order.void_line", "drawer.open"})


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
    if permission in APPROVABLE:
        if approver is None:
            raise Forbidden(
                f"{permission} needs a manager's approval",
                code="approval_required",
                permission=permission,
            )
        if approver.can(permission):
            return approver.id
        raise Forbidden(f"{approver.name} may not approve {permission}", permission=permission)
    raise Forbidden(f"a {actor.role} may not do {permission}", permission=permission)
