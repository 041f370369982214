"""galley-first-boot: the store set up from the technician's setup file by the real
`galley edge init`, and enrolment's handling of `galley edge enrol`'s exit codes (0 enrolled,
2 refused for good, 3 hub unreachable: wait longer each time). `galley edge enrol` is the sync
work's and not here yet: a stand-in `galley` on PATH plays its documented contract."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from image.first_boot import Box, enrol, set_up_store
from tests.hub.kit import ROOT

SETUP = """\
# Written by the technician
store_name = Café Azul
owner_name = Ana Reis
owner_pin = 2468
hub = https://hub.galley.test
code = ABCDE-FGHJK
"""


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Box:
    (tmp_path / "boot").mkdir()
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    return Box(boot=tmp_path / "boot", data=tmp_path / "data", user=None)


def _store(box: Box) -> tuple[str, list[tuple[str, str]]]:
    with contextlib.closing(sqlite3.connect(box.data / "edge.db")) as conn:
        name = conn.execute("SELECT name FROM store").fetchone()[0]
        return name, conn.execute("SELECT name, role FROM staff").fetchall()


def test_store_is_set_up_from_the_setup_file_once(box: Box) -> None:
    box.setup_file.write_text(SETUP)
    assert set_up_store(box) == 0
    assert _store(box) == ("Café Azul", [("Ana Reis", "owner")])
    report = (box.boot / "galley-first-boot.txt").read_text()
    assert "PIN 2468" in report and "Change the owner's PIN" in report
    setup = box.setup_file.read_text()
    assert "2468" not in setup and "# owner_pin: used to set up the store" in setup
    assert "code = ABCDE-FGHJK" in setup  # the rest stays for enrolment
    assert set_up_store(box) == 0  # every boot: the store is there, nothing changes
    assert _store(box) == ("Café Azul", [("Ana Reis", "owner")])


def _code(text: str) -> str:
    """The last pairing code in a first-boot report."""
    return re.findall(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", text)[-1]


def test_each_boot_before_a_device_is_paired_writes_a_new_code_for_the_first_one(
    box: Box,
) -> None:
    """The code `edge init` made works for 24 hours, and a box without the `ssh` file has no
    console to make another: a technician who came back the next day was locked out."""
    box.setup_file.write_text(SETUP)
    assert set_up_store(box) == 0
    first = (box.boot / "galley-first-boot.txt").read_text()
    assert set_up_store(box) == 0  # the next boot, nobody paired yet
    again = (box.boot / "galley-first-boot.txt").read_text()
    assert "PIN 2468" in again  # what the first boot said stays
    assert "No device is paired yet" in again and _code(again) != _code(first)
    assert set_up_store(box) == 0  # one more boot: the report keeps one new code, the last
    last = (box.boot / "galley-first-boot.txt").read_text()
    assert last.count("No device is paired yet") == 1 and _code(last) != _code(again)
    with contextlib.closing(sqlite3.connect(box.data / "edge.db")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pairing_codes").fetchone()[0] == 3


def test_once_a_device_is_paired_a_boot_makes_no_code(box: Box) -> None:
    assert set_up_store(box) == 0
    with contextlib.closing(sqlite3.connect(box.data / "edge.db")) as conn, conn:
        conn.execute(
            "INSERT INTO devices (id, name, secret_hash, paired_by, paired_at)"
            " VALUES ('d1', 'Counter', 'x', 'system', '2026-01-01T00:00:00.000Z')"
        )
    report = (box.boot / "galley-first-boot.txt").read_text()
    assert set_up_store(box) == 0
    assert (box.boot / "galley-first-boot.txt").read_text() == report
    with contextlib.closing(sqlite3.connect(box.data / "edge.db")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pairing_codes").fetchone()[0] == 1


def test_without_a_setup_file_the_store_gets_defaults_and_a_random_pin(box: Box) -> None:
    assert set_up_store(box) == 0
    assert _store(box) == ("My store", [("Owner", "owner")])
    report = (box.boot / "galley-first-boot.txt").read_text()
    pin = report.split("with PIN ")[1].split()[0]
    assert pin.isdigit() and len(pin) == 6


def test_a_setup_file_galley_refuses_leaves_no_store_and_says_why_on_the_card(box: Box) -> None:
    """The technician reads the card, not the journal: a box without SSH said nothing."""
    box.setup_file.write_text("owner_pin = 12\n")
    assert set_up_store(box) != 0
    assert not box.has_store()
    report = (box.boot / "galley-first-boot.txt").read_text()
    assert "The store could not be set up" in report and "PIN must be 4 to 8 digits" in report
    assert "Traceback" not in report and "galley-setup.txt" in report
    box.setup_file.write_text("owner_pin = 2468\n")  # corrected, the box started again
    assert set_up_store(box) == 0
    report = (box.boot / "galley-first-boot.txt").read_text()
    assert "PIN 2468" in report and "could not be set up" not in report


def _stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *exits: int) -> Path:
    """A `galley` first on PATH that records its arguments and answers `exits` in turn."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    (tmp_path / "exits").write_text("".join(f"{code}\n" for code in exits))
    (bin_dir / "galley").write_text(
        "#!/bin/sh\n"
        f'echo "$GALLEY_DATA_DIR $*" >> "{calls}"\n'
        f'code=$(head -n 1 "{tmp_path}/exits"); sed -i 1d "{tmp_path}/exits"\n'
        'echo "enrol said $code"; exit "$code"\n'
    )
    (bin_dir / "galley").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


def test_enrol_waits_longer_each_time_the_hub_is_unreachable(
    box: Box, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box.setup_file.write_text(SETUP)
    calls = _stand_in(tmp_path, monkeypatch, 3, 3, 7, 0)
    waits: list[float] = []
    assert enrol(box, sleep=waits.append) == 0
    assert waits == [30, 60, 120]
    expected = f"{box.data} edge enrol --hub https://hub.galley.test --code ABCDE-FGHJK"
    assert calls.read_text().splitlines() == [expected] * 4
    setup = box.setup_file.read_text()
    assert "ABCDE-FGHJK" not in setup and "# code: used: the box is enrolled" in setup
    out = capsys.readouterr().out
    assert "(unreachable); trying again in 30 s" in out and "(exit 7)" in out


def test_enrol_waits_at_most_an_hour(box: Box, tmp_path: Path, monkeypatch) -> None:
    box.setup_file.write_text(SETUP)
    _stand_in(tmp_path, monkeypatch, *[3] * 9, 0)
    waits: list[float] = []
    assert enrol(box, sleep=waits.append) == 0
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_refused_code_stops_enrolment_for_good(
    box: Box, tmp_path: Path, monkeypatch, capsys
) -> None:
    box.setup_file.write_text(SETUP)
    calls = _stand_in(tmp_path, monkeypatch, 2)
    assert enrol(box, sleep=pytest.fail) == 0
    assert len(calls.read_text().splitlines()) == 1
    assert "# code: refused by the hub" in box.setup_file.read_text()
    assert "works on its own" in capsys.readouterr().err
    assert enrol(box, sleep=pytest.fail) == 0  # the next boot: no code, no call
    assert len(calls.read_text().splitlines()) == 1


def test_a_wrong_hub_address_keeps_the_code_and_says_so(
    box: Box, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Exit 4: what answered at `hub` is not a Galley hub. The code is good: it stays; the
    address is what the technician must fix, so the file says so and the box stops trying."""
    box.setup_file.write_text(SETUP)
    calls = _stand_in(tmp_path, monkeypatch, 4)
    assert enrol(box, sleep=pytest.fail) == 0
    assert len(calls.read_text().splitlines()) == 1
    setup = box.setup_file.read_text()
    assert "code = ABCDE-FGHJK" in setup
    assert "# hub: https://hub.galley.test is not a Galley hub" in setup
    assert "check the hub's address" in capsys.readouterr().err
    assert enrol(box, sleep=pytest.fail) == 0  # the next boot: no hub, no call
    assert len(calls.read_text().splitlines()) == 1


def test_without_hub_and_code_the_box_works_alone(box: Box, tmp_path: Path, monkeypatch) -> None:
    box.setup_file.write_text("store_name = Azul\nhub = https://hub.galley.test\n")
    calls = _stand_in(tmp_path, monkeypatch)
    assert enrol(box, sleep=pytest.fail) == 0
    assert not calls.exists()


def _unit_environment(name: str) -> dict[str, str]:
    unit = Path(__file__).parents[2] / "systemd" / name
    pairs = (
        word.partition("=")
        for line in unit.read_text().splitlines()
        if line.startswith("Environment=")
        for word in line.removeprefix("Environment=").split()
    )
    return {key: value for key, _, value in pairs}


def test_the_first_boot_report_names_the_address_the_edge_serves_at(
    box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    """galley-setup.service runs `galley edge init` with the edge unit's settings, so the
    pairing instructions it writes name the port galley-edge.service listens on (80)."""
    edge = _unit_environment("galley-edge.service")
    assert edge["GALLEY_EDGE_PORT"] == "80"
    for key, value in _unit_environment("galley-setup.service").items():
        monkeypatch.setenv(key, value)
    assert set_up_store(box) == 0
    report = (box.boot / "galley-first-boot.txt").read_text()
    assert "open http://<this box's address>/admin/ and enter it" in report


REPLACEMENT = "hub = https://hub.galley.test\ncode = ABCDE-FGHJK\n"


def test_a_replacement_box_makes_no_store_of_its_own_and_pairs_once_the_hubs_came(
    box: Box, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the hub and a code: the box replaces a store's box. Before, it was set up as a new
    store ("My store", an owner with a random PIN), which went up to the hub beside the
    store's own settings, owner and tax rate."""
    box.setup_file.write_text(REPLACEMENT)
    assert set_up_store(box) == 0
    assert not box.has_store()
    assert "takes the store's setup" in (box.boot / "galley-first-boot.txt").read_text()
    calls = _stand_in(tmp_path, monkeypatch, 0, 0)  # enrolled; then the pairing code

    def pulled(_seconds: float) -> None:  # the edge's first pull brings the store
        init = ["edge", "init", "--data-dir", str(box.data), "--store-name", "Azul",
                "--owner-name", "Ana"]  # fmt: skip
        subprocess.run([sys.executable, "-m", "galley.cli", *init], check=True, cwd=ROOT)

    assert enrol(box, sleep=pulled) == 0
    assert calls.read_text().splitlines()[1] == f"{box.data} edge pair --hours 24"
    report = (box.boot / "galley-first-boot.txt").read_text()
    assert "takes the store's setup" in report and "No device is paired yet" in report


def test_a_replacement_box_started_again_before_its_store_came_stays_one(box: Box) -> None:
    """Its code struck once used (or refused, or the hub's address): still no store of its
    own, whatever boot it is."""
    box.setup_file.write_text(REPLACEMENT)
    box.strike("code", "used: the box is enrolled with the hub")
    assert set_up_store(box) == 0
    box.strike("hub", "https://hub.galley.test is not a Galley hub")
    assert set_up_store(box) == 0
    assert not box.has_store()


def test_a_replacement_box_says_on_the_card_that_the_hub_cannot_be_reached(
    box: Box, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It cannot trade before its store has come: the technician reads why on the card."""
    box.setup_file.write_text(REPLACEMENT)
    assert set_up_store(box) == 0
    _stand_in(tmp_path, monkeypatch, 3, 2)
    assert enrol(box, sleep=lambda _seconds: None) == 0
    report = (box.boot / "galley-first-boot.txt").read_text()
    assert "The hub at https://hub.galley.test cannot be reached yet" in report
    assert "tries again in 30 s" in report
