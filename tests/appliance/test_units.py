"""The units, tmpfiles and sysusers files in systemd/ as systemd itself reads them:
`systemd-analyze verify` on every unit inside a root where the programs they start exist, and
the data folder made by systemd-tmpfiles for the user systemd-sysusers makes."""

from __future__ import annotations

import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).parents[2] / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


def _root_with(tmp_path: Path, units: list[Path]) -> Path:
    """A root holding this machine's system units, ours, and a stand-in for each program ours
    start (verify refuses a unit whose ExecStart is missing)."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in units:
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
        for program in re.findall(r"^Exec\w+=[-+!@:]*(\S+)", unit.read_text(), re.M):
            stand_in = root / program.lstrip("/")
            stand_in.parent.mkdir(parents=True, exist_ok=True)
            stand_in.write_text("#!/bin/sh\n")
            stand_in.chmod(0o755)
    return root


def _verify(root: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", f"/etc/systemd/system/{name}"],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("unit", SERVICES, ids=lambda unit: unit.name)
def test_unit_verifies(tmp_path: Path, unit: Path) -> None:
    root = _root_with(tmp_path, SERVICES)
    done = _verify(root, unit.name)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    broken = tmp_path / "galley-broken.service"
    broken.write_text("[Service]\nType=notfiy\nExecStart=/opt/galley/current/bin/galley\n")
    root = _root_with(tmp_path, [broken])
    assert "notfiy" in _verify(root, broken.name).stderr


def _directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            found.setdefault(key, []).append(value)
    return found


def test_edge_unit_is_a_watched_hardened_service() -> None:
    edge = _directives(UNITS / "galley-edge.service")
    assert edge["Type"] == ["notify"] and edge["Restart"] == ["always"]
    assert int(edge["WatchdogSec"][0]) > 0
    assert edge["User"] == ["galley"] and edge["SupplementaryGroups"] == ["lp dialout"]
    for setting in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert edge[setting] == ["yes"], setting
    assert edge["ProtectSystem"] == ["strict"]
    assert edge["ReadWritePaths"] == ["/var/lib/galley"]
    assert "GALLEY_DATA_DIR=/var/lib/galley" in edge["Environment"][0]
    assert set(edge["RestrictAddressFamilies"][0].split()) <= {
        "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK",
    }  # fmt: skip


def test_tmpfiles_make_the_data_folder_for_the_sysusers_user(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    sysusers = subprocess.run(
        ["systemd-sysusers", f"--root={root}", str(UNITS / "galley.sysusers")],
        capture_output=True,
        text=True,
    )
    assert sysusers.returncode == 0, sysusers.stderr
    tmpfiles = subprocess.run(
        ["systemd-tmpfiles", "--create", f"--root={root}", str(UNITS / "galley.tmpfiles")],
        capture_output=True,
        text=True,
    )
    assert tmpfiles.returncode == 0, tmpfiles.stderr
    passwd = (root / "etc/passwd").read_text().splitlines()
    galley = next(
        pwd.struct_passwd(line.split(":")) for line in passwd if line.startswith("galley:")
    )
    data = (root / "var/lib/galley").stat()
    assert (data.st_uid, data.st_mode & 0o777) == (int(galley.pw_uid), 0o750)
    assert galley.pw_dir == "/var/lib/galley"
