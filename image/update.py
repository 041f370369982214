#!/usr/bin/python3
"""galley-update: install a release of Galley, switch the box to it, undo it if it fails.

An update must never brick a store's box nor lose an order, so it is done in steps that can each
be undone (why this and not A/B root partitions: image/README.md, "Updates"):

    /opt/galley/releases/VERSION/   a virtual environment with that version, never changed once
                                    made (`.complete` inside says it was made to the end)
    /opt/galley/current             -> releases/VERSION: what galley-edge.service runs, switched
                                    in one rename
    /opt/galley/update.json         only while an update is under way: from, to, backup
    /var/lib/galley/backups/*.db    the database as it was before an update

`apply` stops the edge, copies the database with SQLite's online backup API, switches `current`,
starts the edge (which runs the new release's migrations), and waits for `/healthz` to answer
200 and keep answering. When it does not by the deadline, or the edge crashes, it stops the edge,
switches `current` back, copies the backup back into the database and starts the old release:
code and data as they were, nothing else touched. A power cut half-way leaves update.json
behind; `recover` (galley-update-recover.service, before the edge at boot) then does the same
undoing. Standard library only: it runs with Debian's python3, outside any release it manages.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

APP = Path("/opt/galley")
DATA = Path("/var/lib/galley")
HEALTH_URL = "http://127.0.0.1/healthz"
KEEP_RELEASES = 3  # the current one, the one before (for a rollback by hand) and one more
KEEP_BACKUPS = 5
_WHEEL = re.compile(r"^galley-([0-9][^-]*)-py3-none-any\.whl$")


class UpdateError(Exception):
    """An update that could not start (nothing was changed) or was undone."""


class Service(Protocol):
    """The edge as a service that can be stopped and started (systemd on the box)."""

    def stop(self) -> None: ...
    def start(self) -> None: ...
    def crashed(self) -> bool: ...


class Systemd:
    """galley-edge.service. `start` returns once the edge said READY=1 or failed (Type=notify);
    a restart counted since then means the new release crashed."""

    def __init__(self, unit: str = "galley-edge.service") -> None:
        self.unit = unit
        self._restarts = 0

    def stop(self) -> None:
        subprocess.run(["systemctl", "stop", self.unit], check=True)

    def start(self) -> None:
        subprocess.run(["systemctl", "start", self.unit], check=False)
        self._restarts = self._show()[1]

    def crashed(self) -> bool:
        state, restarts = self._show()
        return state == "failed" or restarts != self._restarts

    def _show(self) -> tuple[str, int]:
        out = subprocess.run(
            ["systemctl", "show", "--property=ActiveState,NRestarts", self.unit],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return values.get("ActiveState", ""), int(values.get("NRestarts", "0") or 0)


@dataclass
class Health:
    """The edge counts as healthy when `url` answers 200 with status ok, and keeps answering so
    for `settle_s` (a release that serves and then falls over is not a good one)."""

    url: str = HEALTH_URL
    deadline_s: float = 120.0
    settle_s: float = 10.0
    every_s: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def wait(self, service: Service) -> bool:
        end = self.clock() + self.deadline_s
        healthy_since: float | None = None
        while self.clock() < end:
            if service.crashed():
                return False
            if self._answers():
                healthy_since = self.clock() if healthy_since is None else healthy_since
                if self.clock() - healthy_since >= self.settle_s:
                    return True
            elif healthy_since is not None:
                return False
            self.sleep(self.every_s)
        return False

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as answer:
                return answer.status == 200 and json.load(answer).get("status") == "ok"
        except (OSError, ValueError, urllib.error.URLError):
            return False


class Releases:
    def __init__(self, app: Path = APP, data: Path = DATA) -> None:
        self.app = app
        self.data = data
        self.releases = app / "releases"
        self.current = app / "current"
        self.state = app / "update.json"
        self.database = data / "edge.db"
        self.backups = data / "backups"

    def current_version(self) -> str | None:
        target = os.readlink(self.current) if self.current.is_symlink() else None
        return Path(target).name if target else None

    def installed(self) -> list[str]:
        found = [p for p in self.releases.glob("*") if (p / ".complete").exists()]
        return [p.name for p in sorted(found, key=lambda p: p.stat().st_mtime)]

    def install(self, wheels: Path, python: str = sys.executable) -> str:
        """Make releases/VERSION from a folder holding galley-VERSION-*.whl and every wheel it
        needs (no network); the first release made becomes current. Returns VERSION."""
        versions = [m.group(1) for p in wheels.glob("galley-*.whl") if (m := _WHEEL.match(p.name))]
        if len(versions) != 1:
            raise UpdateError(f"{wheels} must hold one galley wheel, not {len(versions)}")
        version = versions[0]
        target = self.releases / version
        if (target / ".complete").exists():
            return version
        shutil.rmtree(target, ignore_errors=True)  # a half-made one from an interrupted install
        target.parent.mkdir(parents=True, exist_ok=True)
        pip = [str(target / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run([python, "-m", "venv", str(target)], check=True)
        subprocess.run(
            [*pip, "install", "--quiet", "--no-index", "--find-links", str(wheels),
             f"galley=={version}"],
            check=True,
        )  # fmt: skip
        _write_durably(target / ".complete", version)
        if self.current_version() is None:
            self._switch(version)
        return version

    def apply(self, version: str, service: Service, health: Health) -> None:
        """Switch to an installed release; undo everything if it is not healthy. Raises
        UpdateError when it was undone (or could not start)."""
        if version not in self.installed():
            raise UpdateError(f"release {version} is not installed (galley-update install)")
        previous = self.current_version()
        if previous == version:
            return
        with self._lock():
            service.stop()
            backup = self._back_up(previous)
            state = {"from": previous, "to": version, "backup": str(backup) if backup else None}
            _write_durably(self.state, json.dumps(state))
            self._switch(version)
            service.start()
            if health.wait(service):
                self.state.unlink()
                self._prune()
                return
            service.stop()
            self._undo(state)
            service.start()
            raise UpdateError(f"release {version} did not become healthy; back on {previous}")

    def recover(self) -> bool:
        """Undo an update that a power cut interrupted (run at boot, before the edge starts).
        Whether there was one; an update still running elsewhere is left to finish."""
        if not self.state.exists():
            return False
        try:
            with self._lock(wait=False):
                if not self.state.exists():
                    return False
                self._undo(json.loads(self.state.read_text()))
                return True
        except BlockingIOError:
            return False

    def _undo(self, state: dict[str, str | None]) -> None:
        previous, backup = state["from"], state["backup"]
        if previous is not None:
            self._switch(previous)
        if backup is not None:
            _restore(Path(backup), self.database)
        else:  # there was no database before: the failed release's one goes
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        self.state.unlink()

    def _back_up(self, version: str | None) -> Path | None:
        if not self.database.exists():
            return None
        self.backups.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.backups / f"{stamp}-before-{version or 'first'}.db"
        partial = target.with_suffix(".partial")
        source = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
        return target

    def _switch(self, version: str) -> None:
        """Point `current` at releases/VERSION in one rename: a crash leaves the old link or
        the new one, never none."""
        link = self.app / ".current.new"
        link.unlink(missing_ok=True)
        link.symlink_to(Path("releases") / version)
        os.replace(link, self.current)
        _fsync(self.app)

    def _prune(self) -> None:
        keep = {self.current_version()}
        for version in self.installed()[:-KEEP_RELEASES]:
            if version not in keep:
                shutil.rmtree(self.releases / version)
        for backup in sorted(self.backups.glob("*.db"))[:-KEEP_BACKUPS]:
            backup.unlink()

    @contextlib.contextmanager
    def _lock(self, wait: bool = True) -> Iterator[None]:
        self.app.mkdir(parents=True, exist_ok=True)
        with open(self.app / ".update.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield


def _restore(backup: Path, database: Path) -> None:
    """Copy the backup into the database through SQLite (its WAL included), so no stale page of
    the failed release survives in a -wal file."""
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    target = sqlite3.connect(database)
    try:
        source.backup(target)
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        target.close()
        source.close()


def _write_durably(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    _fsync(partial)
    os.replace(partial, path)
    _fsync(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="galley-update", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="make a release from a folder of wheels")
    install.add_argument("wheels", type=Path)
    apply = commands.add_parser("apply", help="switch to an installed release (rolls back)")
    apply.add_argument("version")
    both = commands.add_parser("update", help="install, then apply")
    both.add_argument("wheels", type=Path)
    commands.add_parser("recover", help="undo an update a power cut interrupted")
    commands.add_parser("status", help="the current release and the installed ones")
    for command in (apply, both):
        command.add_argument("--health-url", default=HEALTH_URL)
        command.add_argument("--deadline", type=float, default=120.0, help="seconds")
    args = parser.parse_args(argv)
    releases = Releases()
    try:
        if args.command == "status":
            print(f"current: {releases.current_version()}")
            print(f"installed: {' '.join(releases.installed())}")
        elif args.command == "recover":
            if releases.recover():
                print(f"interrupted update undone: back on {releases.current_version()}")
        else:
            version = args.version if args.command == "apply" else releases.install(args.wheels)
            if args.command != "install":
                health = Health(url=args.health_url, deadline_s=args.deadline)
                releases.apply(version, Systemd(), health)
            print(f"current: {releases.current_version()}")
    except UpdateError as error:
        print(f"galley-update: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
