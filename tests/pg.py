"""PostgreSQL for tests: the server GALLEY_TEST_PG_URL names, or a throwaway one of our own.

`server()` yields the URL of a server to create databases on: GALLEY_TEST_PG_URL (default
postgresql://127.0.0.1:5432/test, trust authentication) if it answers, else a cluster this test
session makes with Debian's postgresql binaries (`initdb` into a temporary folder, `pg_ctl`
start on a free 127.0.0.1 port with its sockets in that folder), removed at the end.
`hub_database(server_url)` makes a database with a random name, migrated as its owner, and a
login role of the same name granted galley_hub_app; both are dropped at the end, so parallel
runs and reruns never see each other's rows.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from hub.storage import postgresql

DEFAULT_URL = "postgresql://127.0.0.1:5432/test"


def with_database(url: str, database: str, user: str | None = None) -> str:
    """`url` pointing at another database (and, if given, as another user)."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{host}:{parts.port}" if parts.port else host
    login = user or parts.username
    if login:
        netloc = f"{login}@{netloc}"
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, ""))


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(
            f"no PostgreSQL server answers and {name} is not installed:"
            " `apt-get install -y postgresql` (make test does it)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, trust authentication, fsync off.
    PostgreSQL refuses to run as root: as root, it runs as the `postgres` user."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="galley-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        if self.user:
            command = ("runuser", "-u", self.user, "--", *command)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> Cluster:
        self._run(
            _binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.folder / "server.log")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "start")
        return self

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def server() -> Iterator[str]:
    url = os.environ.get("GALLEY_TEST_PG_URL", DEFAULT_URL)
    if answers(url):
        yield url
        return
    cluster = Cluster().start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@contextlib.contextmanager
def hub_database(server_url: str) -> Iterator[tuple[str, str]]:
    """(owner URL, app URL) of a new, migrated database: the owner is `server_url`'s user,
    the app a login role granted galley_hub_app."""
    name = f"galley_test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    owner_url = with_database(server_url, name)
    try:
        postgresql.migrate(owner_url)
        with psycopg.connect(owner_url, autocommit=True) as owner:
            owner.execute(sql.SQL("GRANT galley_hub_app TO {}").format(sql.Identifier(name)))
        yield owner_url, with_database(server_url, name, user=name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
