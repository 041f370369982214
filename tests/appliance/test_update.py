"""galley-update on a real tree: releases as folders, `current` a symlink, the edge a real
`galley edge serve` started through `current` (as systemd starts it; here a process stands in
for systemd, which is not this machine's init), its health read over HTTP on 127.0.0.1. A
release that fails its health check is undone, code and database; a good one stays."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from galley.cli import main
from image.update import Health, Releases, UpdateError
from tests.appliance.notify_socket import free_port

GALLEY = Path(sys.executable).with_name("galley")  # this checkout's galley
MIGRATE = (
    f'"{sys.executable}" -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); '
    "c.execute('CREATE TABLE IF NOT EXISTS loyalty_cards (id TEXT)'); c.commit()\" "
    '"$GALLEY_DATA_DIR/edge.db"'
)
RELEASES = {
    "0.1.0": f'exec "{GALLEY}" "$@"',
    "0.2.0": f'{MIGRATE}\nexec "{GALLEY}" "$@"',  # a migration, then it serves
    "0.3.0": f"{MIGRATE}\nexit 1",  # a migration, then it crashes
    "0.4.0": f"exec \"{sys.executable}\" -c 'import time; time.sleep(600)'",  # it hangs
}


class Edge:
    """The edge as systemd runs it: `current/bin/galley edge serve`, resolved at each start."""

    def __init__(self, app: Path, data: Path, port: int) -> None:
        self.command = [str(app / "current/bin/galley"), "edge", "serve"]
        self.env = {
            "GALLEY_DATA_DIR": str(data),
            "GALLEY_EDGE_HOST": "127.0.0.1",
            "GALLEY_EDGE_PORT": str(port),
            "GALLEY_PRINT_WORKERS": "0",
            "GALLEY_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts: list[str] = []

    def start(self) -> None:
        self.starts.append(Path(self.command[0]).resolve().parents[1].name)
        self.process = subprocess.Popen(self.command, env=self.env, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None

    def crashed(self) -> bool:
        return self.process is None or self.process.poll() is not None


def _make_release(app: Path, version: str) -> None:
    release = app / "releases" / version
    (release / "bin").mkdir(parents=True)
    (release / "bin/galley").write_text(f"#!/bin/sh\n{RELEASES[version]}\n")
    (release / "bin/galley").chmod(0o755)
    (release / ".complete").write_text(version)


@pytest.fixture
def box(tmp_path: Path) -> Iterator[tuple[Releases, Edge, Health]]:
    app, data = tmp_path / "opt/galley", tmp_path / "var/lib/galley"
    init = ["edge", "init", "--data-dir", str(data), "--store-name", "Azul", "--owner-name", "Ana"]
    assert main([*init, "--owner-pin", "2468"]) == 0
    (data / "device.key").write_text("the box's key")
    for version in RELEASES:
        _make_release(app, version)
    releases = Releases(app, data)
    releases._switch("0.1.0")
    port = free_port()
    edge = Edge(app, data, port)
    health = Health(
        url=f"http://127.0.0.1:{port}/healthz", deadline_s=60, settle_s=0.5, every_s=0.1
    )
    edge.start()
    assert health.wait(edge)
    yield releases, edge, health
    edge.stop()


def _dump(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return "\n".join(conn.iterdump())


def _files(data: Path) -> dict[str, str]:
    """Every file of the data folder but the database and its backups, with its digest."""
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in data.rglob("*")
        if p.is_file() and not p.name.startswith("edge.db") and p.parent.name != "backups"
    }


def test_a_healthy_release_is_kept_with_its_migration(box) -> None:
    releases, edge, health = box
    files = _files(releases.data)
    releases.apply("0.2.0", edge, health)
    assert releases.current_version() == "0.2.0" and edge.starts == ["0.1.0", "0.2.0"]
    assert "loyalty_cards" in _dump(releases.database)
    assert "Azul" in _dump(releases.database)
    assert _files(releases.data) == files
    assert not releases.state.exists()
    assert [p.name.endswith("-before-0.1.0.db") for p in releases.backups.iterdir()] == [True]


@pytest.mark.parametrize("bad", ["0.3.0", "0.4.0"], ids=["crashes", "never-answers"])
def test_a_failing_release_is_undone_code_and_data(box, bad: str) -> None:
    releases, edge, health = box
    health.deadline_s = 3  # the release that hangs waits it out
    edge.stop()
    before, files = _dump(releases.database), _files(releases.data)
    edge.start()
    with pytest.raises(UpdateError, match=f"release {bad} did not become healthy; back on 0.1.0"):
        releases.apply(bad, edge, health)
    assert releases.current_version() == "0.1.0"
    assert edge.starts == ["0.1.0", "0.1.0", bad, "0.1.0"]
    assert health.wait(edge)  # the old release serves again
    edge.stop()
    assert _dump(releases.database) == before  # the migration of the failed release is gone
    assert _files(releases.data) == files
    assert not releases.state.exists()


class PowerCut(BaseException):
    pass


def test_an_update_cut_by_a_power_failure_is_undone_at_boot(box) -> None:
    releases, edge, health = box
    edge.stop()
    before = _dump(releases.database)

    class CutAfterMigrating(Edge):
        def start(self) -> None:
            subprocess.run(["sh", "-c", MIGRATE], env=edge.env, check=True)
            raise PowerCut

    with pytest.raises(PowerCut):
        releases.apply("0.2.0", CutAfterMigrating(releases.app, releases.data, 0), health)
    assert releases.current_version() == "0.2.0" and releases.state.exists()
    assert "loyalty_cards" in _dump(releases.database)
    assert releases.recover() is True  # galley-update-recover.service, at the next boot
    assert releases.current_version() == "0.1.0"
    assert _dump(releases.database) == before
    assert releases.recover() is False  # nothing left to undo


def _wheel(folder: Path, version: str) -> None:
    """A real wheel of a package named galley whose `galley` command prints its version."""
    info = f"galley-{version}.dist-info"
    files = {
        "galley_probe.py": f"def main():\n    print('galley {version}')\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: galley\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": "[console_scripts]\ngalley = galley_probe:main\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(folder / f"galley-{version}-py3-none-any.whl", "w") as wheel:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            wheel.writestr(name, text)


def test_install_makes_a_release_from_wheels_without_the_network(tmp_path: Path) -> None:
    releases = Releases(tmp_path / "opt/galley", tmp_path / "data")
    for version in ("1.0.0", "1.1.0"):
        wheels = tmp_path / f"wheels-{version}"
        wheels.mkdir()
        _wheel(wheels, version)
        assert releases.install(wheels) == version
        galley = releases.releases / version / "bin/galley"
        assert (
            subprocess.run([galley], capture_output=True, text=True).stdout == f"galley {version}\n"
        )
    assert releases.current_version() == "1.0.0"  # the first one; later ones wait for `apply`
    assert set(releases.installed()) == {"1.0.0", "1.1.0"}
    with pytest.raises(UpdateError, match="one galley wheel"):
        releases.install(tmp_path)
