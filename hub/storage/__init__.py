"""Where the hub keeps its data: one interface, two backends.

`open_storage(settings)` gives a storage with `run(fn, *args)`: `fn(tx, *args)` in one
transaction, `tx` a `hub.storage.tx.Tx` with every operation the hub does. SQLite (the
default: the demo, a single owner) runs transactions one at a time in a thread of its own;
PostgreSQL (production, several hub processes) runs them on a pool of connections, under
row-level security by tenant. The same numbered migrations and the same contract tests
(tests/hub/test_storage.py) hold both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from hub.config import HubSettings

T = TypeVar("T")


class Storage(Protocol):
    dialect: str

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T: ...

    def close(self) -> None: ...


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///relative` or `sqlite:////absolute` URL; None for another."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def migrate(settings: HubSettings) -> int:
    """Bring the schema up to date (on PostgreSQL as the owner: GALLEY_HUB_MIGRATE_URL)."""
    path = sqlite_path(settings.database_url)
    if path is not None:
        from hub.storage.sqlite import SqliteStorage

        storage = SqliteStorage(path)
        try:
            return storage.migrate()
        finally:
            storage.close()
    from hub.storage import postgresql

    return postgresql.migrate(settings.migrate_url or settings.database_url)


def open_storage(settings: HubSettings) -> Storage:
    """The storage `settings.database_url` names, its schema current (SQLite migrates itself;
    PostgreSQL migrates if GALLEY_HUB_MIGRATE_URL is set, else must be current)."""
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None:
        from hub.storage.sqlite import SqliteStorage

        sqlite = SqliteStorage(path)
        sqlite.migrate()
        return sqlite
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError("GALLEY_HUB_DATABASE_URL must be sqlite:///... or postgresql://...")
    from hub.storage import postgresql

    if settings.migrate_url:
        postgresql.migrate(settings.migrate_url)
    storage = postgresql.PostgresStorage(url, settings.pool_size)
    try:
        storage.check()
    except BaseException:
        storage.close()
        raise
    return storage
