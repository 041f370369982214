"""A till is a paired device's name: a shift and its cash drawer belong to the name of the
device that opened it (`shifts.current`), so no two devices in use may share one (`devices`
refuses it, in any case). A new tablet given the name of one unpaired carries on its open shift.
"""

from __future__ import annotations

import sqlite3


def named_alike(conn: sqlite3.Connection, name: str, but: str = "") -> str | None:
    """`name` as another device in use (not `but`) has it, in any case; None if none has."""
    wanted = name.casefold()  # SQLite's lower() knows ASCII only: "ÉTÉ" and "été" are one
    for row in conn.execute("SELECT id, name FROM devices WHERE revoked_at IS NULL"):
        if row["id"] != but and row["name"].casefold() == wanted:
            return str(row["name"])
    return None
