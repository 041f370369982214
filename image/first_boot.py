#!/usr/bin/python3
"""galley-first-boot: set up the store and enrol the box from the technician's setup file.

A technician writes /boot/firmware/galley-setup.txt on a laptop before the first boot (the boot
partition is FAT, readable everywhere); every line is `key = value`, `#` starts a comment:

    store_name = Café Azul      the store's name (default "My store", changed on the admin page)
    owner_name = Ana Reis       who signs in first, as the owner (default "Owner")
    owner_pin = 2468            4-8 digits (default: a random one, written down, see below)
    hub = https://hub.example   the hub to enrol with, and the one-time code the owner made
    code = ABCDE-FGHJK          there for this store; without both the box works alone

A box that replaces a store's box (its card died) gets only `hub` and `code` (a new code for
that store): no store_name, owner_name or owner_pin. It makes no store of its own: enrolled, it
takes the store's setup from the hub (settings, menu, staff and their PINs, tables, printers)
and opens for trade once that has come.

`store` (galley-setup.service, every boot, before the edge): when the box holds no store, runs
`galley edge init` with those names and writes what it printed (the owner's PIN, a first pairing
code) to the journal and to /boot/firmware/galley-first-boot.txt; the PIN is struck from the
setup file. Until a device is paired, each boot adds a new code for the first one (24 hours) to
that report (a replacement box: once its setup has come from the hub). `enrol`
(galley-enrol.service, once the network is up): runs `galley edge enrol` until the hub
answers: exit 0 enrolled (a replacement box then waits up to 10 minutes for its store's setup
and writes a code for its first device to the report), 2 refused for good (a wrong, used or
expired code: the file says so and it stops), 3 hub unreachable (waits 30 s, then twice as
long each time up to an hour, and tries again; the store takes orders meanwhile), 4 not a
hub's address (the `hub` line is struck, saying so, and it stops; the code stays). A used code
is struck from the file. Standard library only: it runs with Debian's python3, as root, and runs
`galley` as the galley user so that every file it makes is the edge's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BOOT = Path("/boot/firmware")
DATA = Path("/var/lib/galley")
RELEASE_BIN = "/opt/galley/current/bin"
SETUP_FILE = "galley-setup.txt"
REPORT_FILE = "galley-first-boot.txt"
NEW_CODE = "\nNo device is paired yet: a new code for the first device"
ENROLLED, REFUSED, UNREACHABLE, NOT_A_HUB = 0, 2, 3, 4
FIRST_WAIT_S, LONGEST_WAIT_S = 30.0, 3600.0
STORE_LOOK_S, STORE_LOOKS = 5.0, 120  # a replacement box waits up to 10 minutes for its store
REPLACEMENT = (
    "Galley box replacing a store's box: it takes the store's setup (settings, menu, staff and"
    " their PINs, tables, printers) from the hub once enrolled, and opens for trade then.\n"
    "A code to pair the first device follows here once the setup has come.\n"
)


class Box:
    def __init__(self, boot: Path = BOOT, data: Path = DATA, user: str | None = "galley") -> None:
        self.boot = boot
        self.data = data
        self.user = user
        self.setup_file = boot / SETUP_FILE

    def setup_text(self) -> str:
        """The setup file as written (empty when there is none)."""
        if not self.setup_file.exists():
            return ""
        return self.setup_file.read_text(encoding="utf-8-sig")

    def setup(self) -> dict[str, str]:
        """The setup file's keys and values (none when there is no file)."""
        values = {}
        for line in self.setup_text().splitlines():
            key, sep, value = line.split("#", 1)[0].partition("=")
            if sep and key.strip():
                values[key.strip().lower()] = value.strip()
        return values

    def has_store(self) -> bool:
        try:
            conn = sqlite3.connect(f"file:{self.data / 'edge.db'}?mode=ro", uri=True)
        except sqlite3.Error:
            return False
        try:
            return conn.execute("SELECT 1 FROM store LIMIT 1").fetchone() is not None
        except sqlite3.Error:
            return False
        finally:
            conn.close()

    def has_device(self) -> bool:
        """Whether a staff device is paired with the store (and not revoked)."""
        conn = sqlite3.connect(f"file:{self.data / 'edge.db'}?mode=ro", uri=True)
        try:
            query = "SELECT 1 FROM devices WHERE revoked_at IS NULL LIMIT 1"
            return conn.execute(query).fetchone() is not None
        finally:
            conn.close()

    def galley(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`galley ARGS` as the edge's user, on its data folder."""
        path = f"{os.environ.get('PATH', '')}:{RELEASE_BIN}"
        command = shutil.which("galley", path=path) or f"{RELEASE_BIN}/galley"
        env = {**os.environ, "GALLEY_DATA_DIR": str(self.data)}
        return subprocess.run(
            [command, *args], env=env, capture_output=True, text=True, user=self.user,
            group=self.user, extra_groups=[] if self.user else None, check=False,
        )  # fmt: skip

    def strike(self, key: str, why: str) -> None:
        """Replace the `key = ...` line of the setup file with a comment saying why."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = []
        for line in self.setup_file.read_text(encoding="utf-8-sig").splitlines():
            name = line.split("#", 1)[0].partition("=")[0].strip().lower()
            lines.append(f"# {key}: {why} ({stamp})" if name == key else line)
        partial = self.setup_file.with_name(SETUP_FILE + ".partial")
        partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(partial, self.setup_file)


def set_up_store(box: Box) -> int:
    if box.has_store():
        return pair_first_device(box)
    setup = box.setup()
    if is_replacement(box):
        (box.boot / REPORT_FILE).write_text(REPLACEMENT, encoding="utf-8")
        print(REPLACEMENT, end="", flush=True)
        return 0
    args = ["edge", "init", "--store-name", setup.get("store_name") or "My store"]
    args += ["--owner-name", setup.get("owner_name") or "Owner"]
    if setup.get("owner_pin"):
        args += ["--owner-pin", setup["owner_pin"]]
    done = box.galley(*args)
    print(done.stdout + done.stderr, end="", flush=True)
    if done.returncode != 0:
        (box.boot / REPORT_FILE).write_text(
            f"The store could not be set up: {done.stderr.strip()}\n\nCorrect {SETUP_FILE} on"
            " this card (a laptop shows it on the drive GALLEY-BOOT), then start the box again.\n",
            encoding="utf-8",
        )
        return done.returncode
    (box.boot / REPORT_FILE).write_text(
        "Galley box set up. Change the owner's PIN on the admin page once signed in.\n\n"
        + done.stdout,
        encoding="utf-8",
    )
    if "owner_pin" in setup:
        box.strike("owner_pin", "used to set up the store, then removed from this file")
    return 0


def is_replacement(box: Box) -> bool:
    """Whether the box replaces a store's box, whose setup it takes from the hub: its setup
    file names the hub and a code and no store of its own (no store_name, owner_name or
    owner_pin). A `hub` or `code` line struck since (used, refused, a wrong address) still
    says so: a box started again before its store came must not become a new store."""
    setup = box.setup()
    if any(key in setup for key in ("store_name", "owner_name", "owner_pin")):
        return False
    struck = {key for key in ("hub", "code") if f"\n# {key}: " in f"\n{box.setup_text()}"}
    return bool(("hub" in setup or "hub" in struck) and ("code" in setup or "code" in struck))


def wait_for_store(box: Box, sleep: Callable[[float], None]) -> bool:
    """Whether the store's setup came from the hub (the edge's first pull, once enrolled)."""
    for _ in range(STORE_LOOKS):
        if box.has_store():
            return True
        sleep(STORE_LOOK_S)
    return box.has_store()


def pair_first_device(box: Box) -> int:
    """A store no device is paired with yet gets a new code for the first one at each boot: the
    one `edge init` made works for 24 hours, and a box without the `ssh` file has no console to
    make another. The report keeps what the first boot wrote and the latest code."""
    if box.has_device():
        return 0
    done = box.galley("edge", "pair", "--hours", "24")
    print(done.stdout + done.stderr, end="", flush=True)
    if done.returncode != 0:
        return done.returncode
    report = box.boot / REPORT_FILE
    kept = report.read_text(encoding="utf-8").split(NEW_CODE)[0] if report.exists() else ""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report.write_text(f"{kept}{NEW_CODE} (this boot, {stamp}):\n{done.stdout}", encoding="utf-8")
    return 0


def enrol(box: Box, sleep: Callable[[float], None] = time.sleep) -> int:
    setup = box.setup()
    if not (setup.get("hub") and setup.get("code")):
        print("No hub and code in the setup file: the box works on its own.")
        return 0
    wait = FIRST_WAIT_S
    while True:
        done = box.galley("edge", "enrol", "--hub", setup["hub"], "--code", setup["code"])
        print(done.stdout + done.stderr, end="", flush=True)
        if done.returncode == ENROLLED:
            box.strike("code", "used: the box is enrolled with the hub")
            if box.has_store() or not is_replacement(box):
                return 0
            if wait_for_store(box, sleep):  # a replacement box: a code for its first device
                return pair_first_device(box)
            print("The store's setup has not come from the hub yet: the box waits for it (see"
                  " http://<this box's address>/healthz).", file=sys.stderr)  # fmt: skip
            return 0
        if done.returncode == REFUSED:
            box.strike("code", "refused by the hub (wrong, used or expired): ask for a new one")
            print("The hub refused the code; the box works on its own.", file=sys.stderr)
            return 0
        if done.returncode == NOT_A_HUB:
            box.strike("hub", f"{setup['hub']} is not a Galley hub: check the hub's address")
            print("No hub at that address (check the hub's address); the code is kept and the"
                  " box works on its own.", file=sys.stderr)  # fmt: skip
            return 0
        why = "unreachable" if done.returncode == UNREACHABLE else f"exit {done.returncode}"
        print(f"Enrolment not done ({why}); trying again in {wait:.0f} s.", flush=True)
        if is_replacement(box) and not box.has_store():  # it cannot trade: say so on the card
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            (box.boot / REPORT_FILE).write_text(
                f"{REPLACEMENT}\nThe hub at {setup['hub']} cannot be reached yet ({stamp}):"
                f" the box tries again in {wait:.0f} s, by itself. Check its network.\n",
                encoding="utf-8",
            )
        sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT_S)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="galley-first-boot", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("store", "enrol"))
    args = parser.parse_args(argv)
    box = Box()
    return set_up_store(box) if args.command == "store" else enrol(box)


if __name__ == "__main__":
    sys.exit(main())
