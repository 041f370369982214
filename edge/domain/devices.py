"""Staff devices paired with the box, and the one-time codes that pair them.

Guests share the store's Wi-Fi with the staff's tablets, so the staff list and the PIN pad answer
only a device a manager has paired: nobody on the network can read who works here, guess a PIN
or lock anyone out. A manager signed in on a paired device (or someone at the box's console,
`galley edge pair`) makes a one-time code; the new device sends it with a name and gets a
credential, shown to it once, which it keeps and sends as `X-Galley-Device` to read the roster
and sign in. The box keeps only the sha256 of the credential and of each code, so a copy of the
database pairs nothing. A code works once and for minutes. Revoking a device ends every sign-in
made on it at once (its sockets close with the reason).

A device's name is its till (`edge.domain.tills`): pairing and renaming refuse a name another
device in use has, and a device whose till has a shift open keeps its name until it closes.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from datetime import timedelta
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import SYSTEM, Actor, require
from edge.domain import shifts, tills
from edge.domain.rows import existing
from edge.domain.staff import end_sessions
from service import fields as f
from service.errors import Conflict, Invalid, Unauthorized
from service.shapes import FLAG, ID, INSTANT, described, nullable, shape, text
from service.tokens import token_hash
from sync.clock import iso, now_iso, parse_iso, utcnow
from sync.ids import uuid7

# No 0/O, 1/I/L, 5/S or 8/B: read off a screen and typed on a tablet without a second look.
ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ2345679"
CODE_LENGTH = 8  # 28^8, about 3.8e11 codes: with 10 tries per address in 10 minutes, never found
CODE_MINUTES = 10  # a code a manager makes on the admin page
HEADER = "X-Galley-Device"
_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


@f.accepts({"type": "string", "minLength": CODE_LENGTH, "maxLength": 20})
def code_format(name: str, value: Any) -> str:
    """A pairing code as typed: any case, with or without its dash and spaces."""
    typed = re.sub(r"[\s-]", "", value).upper() if isinstance(value, str) else ""
    if not _CODE.match(typed):
        raise Invalid(
            f"{name} is the {CODE_LENGTH} letters and digits a manager's screen shows, such as"
            " 7KQM-3XWP.",
            field=name,
        )
    return typed


NAME = f.Field("Device name", f.text(40))
NEW_CODE = f.Form({"name": f.Field("Device name", f.text(40, blank=True))})
PAIR = f.Form({"code": f.Field("Pairing code", code_format), "name": NAME}, required=("code",))
CHANGE = f.Form({"name": NAME})

# What `make_code` answers: the code itself, this once.
PAIRING_CODE = shape(
    "PairingCode",
    {
        "id": text("the code's sha256: its pairing arrives on the staff topic under this id"),
        "code": text("8 letters and digits, shown as XXXX-XXXX; it works once"),
        **described(NEW_CODE, "name"),
        "expires_at": INSTANT,
    },
)
DEVICE_VIEW = shape(
    "Device",
    {
        "id": ID,
        **described(CHANGE, "name"),
        "paired_by": nullable(text("who made the pairing code (null: the box's console)")),
        "paired_at": INSTANT,
        "last_sign_in_at": nullable(INSTANT),
        "revoked_at": nullable(INSTANT),
        "revoked_by": nullable(text("who revoked it")),
        "current": {**FLAG, "description": "the device this request comes from"},
    },
)
REVOKED = shape("Revoked", {"id": ID, "revoked": FLAG})
# What `pair` answers, to the new device only.
PAIRED = shape(
    "Paired",
    {
        "credential": text(f"send it as {HEADER} from now on; it is shown this once"),
        "device": shape("PairedDevice", {"id": ID, **described(CHANGE, "name")}),
    },
)


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def fresh_code() -> str:
    """A new pairing code, made outside the writer (a write may run twice)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def make_code(
    conn: WriteConnection, actor: Actor, code: str, values: dict[str, Any], minutes: int
) -> dict[str, Any]:
    """Keep the hash of `code` (made by `fresh_code`), valid for `minutes`; answers the code
    as `PAIRING_CODE` says. The box's console makes codes as SYSTEM, for hours."""
    require(actor, "devices.edit")
    name = NEW_CODE.clean(values).get("name", "")
    if name:
        _name_free(conn, name)
    now = utcnow()
    row = {
        "name": name,
        "created_by": actor.id,
        "created_at": iso(now),
        "expires_at": iso(now + timedelta(minutes=minutes)),
    }
    code_id = token_hash(code)
    commit(conn, actor.id, "pairing_codes", code_id, "create", row)
    return {"id": code_id, "code": format_code(code), "name": name, "expires_at": row["expires_at"]}


def pair(conn: WriteConnection, values: dict[str, Any], credential_hash: str) -> dict[str, Any]:
    """Pair a device with a code (`values` as PAIR describes them): the code is spent and the
    device keeps `credential_hash`. Answers the device's id and name."""
    values = PAIR.clean(values)
    code = conn.execute(
        "SELECT * FROM pairing_codes WHERE id = ?", (token_hash(values["code"]),)
    ).fetchone()
    label = PAIR.labels["code"]
    if code is None:
        raise Invalid(
            f"{label} is not one this box made: check it, or ask a manager for a new one.",
            code="wrong_pairing_code",
            field="code",
        )
    if code["used_at"] or parse_iso(code["expires_at"]) <= utcnow():
        raise Invalid(
            f"{label} has {'been used' if code['used_at'] else 'expired'}: ask a manager for a"
            " new one.",
            code="spent_pairing_code",
            field="code",
        )
    if not _may_pair(conn, code["created_by"]):
        raise Invalid(
            f"{label} was made by someone who may no longer pair devices: ask a manager for a"
            " new one.",
            code="spent_pairing_code",
            field="code",
        )
    name = values.get("name") or code["name"]
    if not name:
        raise Invalid(f"{NAME.label} is missing.", code="missing_field", field="name")
    _name_free(conn, name)
    device_id, now = uuid7(), now_iso()
    device = {
        "name": name,
        "secret_hash": credential_hash,
        "paired_by": code["created_by"],
        "paired_at": now,
    }
    commit(conn, code["created_by"], "devices", device_id, "create", device)
    used = {"used_at": now, "device_id": device_id}
    commit(conn, code["created_by"], "pairing_codes", code["id"], "update", used)
    return {"id": device_id, "name": name}


def _may_pair(conn: sqlite3.Connection, staff_id: str) -> bool:
    """Whether whoever made a code may still pair devices: the box's console, or a staff
    member still active in a role that may (a manager deactivated or made a waiter since
    left their unused codes pairing devices)."""
    if staff_id == SYSTEM.id:
        return True
    row = conn.execute("SELECT role, active FROM staff WHERE id = ?", (staff_id,)).fetchone()
    return bool(row and row["active"] and Actor(staff_id, "", row["role"]).can("devices.edit"))


def by_credential(conn: sqlite3.Connection, credential: str | None) -> dict[str, Any]:
    """The paired, unrevoked device that holds `credential`, or a 401 that says which it is
    not: the pages then show their pairing screen."""
    row = None
    if credential:
        row = conn.execute(
            "SELECT id, name, revoked_at FROM devices WHERE secret_hash = ?",
            (token_hash(credential),),
        ).fetchone()
    if row is None:
        raise Unauthorized(
            "this device is not paired with the box: a manager gives you a pairing code",
            code="device_not_paired",
        )
    if row["revoked_at"]:
        raise unpaired()
    return {"id": row["id"], "name": row["name"]}


def unpaired() -> Unauthorized:
    return Unauthorized(
        "this device was unpaired from the box: a manager gives you a new pairing code",
        code="device_revoked",
    )


def list_devices(conn: sqlite3.Connection, actor: Actor) -> list[dict[str, Any]]:
    """Every paired device, those in use first, newest pairing first."""
    require(actor, "devices.edit")
    rows = conn.execute(
        "SELECT d.id, d.name, p.name AS paired_by, d.paired_at, d.last_sign_in_at,"
        " d.revoked_at, r.name AS revoked_by FROM devices d"
        " LEFT JOIN staff p ON p.id = d.paired_by LEFT JOIN staff r ON r.id = d.revoked_by"
        " ORDER BY d.revoked_at IS NOT NULL, d.paired_at DESC"
    ).fetchall()
    return [{**dict(row), "current": row["id"] == actor.device_id} for row in rows]


def rename(conn: WriteConnection, actor: Actor, device_id: str, values: dict[str, Any]) -> None:
    require(actor, "devices.edit")
    row = existing(conn, "devices", device_id, "device")
    changed = CHANGE.clean(values, partial=True)
    if changed.get("name", row["name"]) != row["name"]:
        _name_free(conn, changed["name"], but=device_id)
        if shifts.current(conn, row["name"]) is not None:
            raise Conflict(
                f"{row['name']} has a shift open: close it (count its drawer) before renaming the"
                " device, or the shift would be left without its till.",
                code="shift_open",
            )
    commit(conn, actor.id, "devices", device_id, "update", changed)


def _name_free(conn: sqlite3.Connection, name: str, but: str = "") -> None:
    """Refuse `name` if a device in use (other than `but`) has it, in any case: it names a till
    and its drawer."""
    taken = tills.named_alike(conn, name, but)
    if taken is not None:
        raise Invalid(
            f"Another device in use is called {taken}. Each name is one till with its own"
            " cash drawer: pick another name, or unpair that device first.",
            code="device_name_taken",
            field="name",
        )


def revoke(conn: WriteConnection, actor: Actor, device_id: str) -> dict[str, Any]:
    """Unpair a device: its sign-ins end now, and it can neither read the roster nor sign in
    until it is paired again with a new code. Not the device you are using: do that from
    another, so that a store never revokes its last way in by a slip."""
    require(actor, "devices.edit")
    row = existing(conn, "devices", device_id, "device")
    if device_id == actor.device_id:
        raise Conflict(
            "you cannot revoke the device you are using: revoke it from another one",
            code="self_revoke",
        )
    if not row["revoked_at"]:
        fields = {"revoked_at": now_iso(), "revoked_by": actor.id}
        commit(conn, actor.id, "devices", device_id, "update", fields)
        end_sessions(conn, actor.id, "device_revoked", device_id=device_id)
    return {"id": device_id, "revoked": True}
