"""Where things stand in their list: menu categories and items, modifier groups and modifiers,
areas and tables all keep a `position` among their siblings, which the pages and the guest menu
show them in."""

from __future__ import annotations

from typing import Any

from edge.core.events import WriteConnection, commit
from service import fields as f
from service.config_fields import LAST_POSITION
from service.errors import Conflict

ORDER = f.Form({"ids": f.distinct_ids}, required=("ids",))


def next_position(conn: Any, table: str, where: str = "1", args: tuple[Any, ...] = ()) -> int:
    """The position after the last of the rows of `table` that match `where`; a row added after
    one at the last position there is (`LAST_POSITION`) shares it, until they are arranged."""
    row = conn.execute(f"SELECT COALESCE(MAX(position), -1) + 1 FROM {table} WHERE {where}", args)
    return min(row.fetchone()[0], LAST_POSITION)


def arrange(
    conn: WriteConnection,
    actor_id: str,
    table: str,
    values: dict[str, Any],
    what: str,
    where: str = "1",
    args: tuple[Any, ...] = (),
) -> None:
    """Put the rows of `table` that match `where` in the order of `values["ids"]`, in one write.

    The list must name each of those rows exactly once: a list drawn before another device added
    or moved a row is refused (409) rather than guessed at. Only rows whose position changes get
    an event."""
    ids = ORDER.clean(values)["ids"]
    current = {
        row["id"]: row["position"]
        for row in conn.execute(f"SELECT id, position FROM {table} WHERE {where}", args)
    }
    if set(ids) != current.keys():
        raise Conflict(
            f"the list of {what} changed meanwhile: reload it and arrange it again",
            code="stale_list",
        )
    for position, row_id in enumerate(ids):
        if current[row_id] != position:
            commit(conn, actor_id, table, row_id, "update", {"position": position})
