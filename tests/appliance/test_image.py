"""The appliance image, built for amd64 from Debian's packages and this checkout's wheel, then
used as a technician would: the edge started inside its root with the data on its own mount,
and the whole disk booted in QEMU (the network restricted to forwards on 127.0.0.1), checked
over SSH switched on by a file on the boot partition. The booted box takes an order while its
hub is down, enrols with the hub (`galley hub serve` on this machine) once it is up, and the
order reaches the hub; then its watchdog is made to fire and its power is cut.

Slow (minutes) and root only: `make image-test` runs it (GALLEY_IMAGE_TEST=1), `make test` not.
GALLEY_IMAGE_REUSE=1 uses a root and disk already built in build/image/ instead of building.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.config import HubSettings
from tests.appliance.notify_socket import Listener, free_port
from tests.hub.kit import HubProcess
from tests.integration.hubs import ServedHub, new_owner, signed_in

REPO = Path(__file__).parents[2]
BUILD = REPO / "build" / "image"
ROOT = BUILD / "amd64"
DISK = BUILD / "amd64.img"
UNITS = ["galley-firstboot", "galley-update-recover", "galley-setup", "galley-edge", "galley-enrol"]
SETUP = "store_name = Café Azul\nowner_name = Ana Reis\nowner_pin = 2468\nbox_id = azul\n"
# The hub as the box sees it: an address of QEMU's user network whose connections QEMU hands to
# `socat`, which connects to the hub on this machine's 127.0.0.1 (see Machine).
HUB_IN_GUEST = "10.0.2.100:8100"

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(
        os.environ.get("GALLEY_IMAGE_TEST") != "1", reason="slow: run with make image-test"
    ),
]


def say(line: str) -> None:
    """Lines for the summary of `make image-test` (shown with -s)."""
    print(f"[image] {line}", flush=True)


def run(*command: str | Path, **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], check=True, text=True, **options)


@pytest.fixture(scope="module")
def rootfs() -> Path:
    if os.environ.get("GALLEY_IMAGE_REUSE") == "1" and DISK.exists():
        return ROOT
    for what in ("rootfs", "disk"):
        started = time.monotonic()
        run(REPO / "image/build.sh", what, "amd64", ROOT)
        say(f"build.sh {what}: {time.monotonic() - started:.0f} s")
    return ROOT


def test_sizes(rootfs: Path) -> None:
    used = run(
        "du", "-sm", "--exclude=./data", ".", cwd=rootfs, capture_output=True
    ).stdout.split()[0]
    data = run("du", "-sm", rootfs / "data", capture_output=True).stdout.split()[0]
    say(f"root filesystem {used} MiB, data partition contents {data} MiB")
    say(f"disk image {DISK.stat().st_size // 2**20} MiB ({DISK})")


def test_units_are_enabled(rootfs: Path) -> None:
    for unit in [
        *UNITS,
        "systemd-networkd",
        "systemd-timesyncd",
        "fake-hwclock",
        "avahi-daemon",
        "ssh",
    ]:
        state = subprocess.run(
            ["systemctl", f"--root={rootfs}", "is-enabled", unit], capture_output=True, text=True
        ).stdout.strip()
        assert state == "enabled", unit
    assert (rootfs / "opt/galley").readlink() == Path("/data/app")
    assert (rootfs / "data/app/current").readlink().parent == Path("releases")


@contextlib.contextmanager
def mounted(rootfs: Path, tmp_path: Path) -> Iterator[None]:
    """The data partition as a loop-mounted ext4 image at /data, bound at /var/lib/galley as
    the image's fstab does; a boot partition with a setup file; /dev and /proc."""
    data = tmp_path / "data.img"
    run("mkfs.ext4", "-q", "-L", "GALLEY-DATA", "-d", rootfs / "data", data, "1G")
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot/galley-setup.txt").write_text(SETUP)
    mounts = [
        ("-o", "loop", data, rootfs / "data"),
        ("--bind", rootfs / "data/galley", rootfs / "var/lib/galley"),
        ("--bind", tmp_path / "boot", rootfs / "boot/firmware"),
        ("--bind", "/dev", rootfs / "dev"),
        ("-t", "proc", "proc", rootfs / "proc"),
        ("-t", "tmpfs", "tmpfs", rootfs / "tmp"),
    ]
    done: list[Path] = []
    try:
        for *options, target in mounts:
            run("mount", *options, target)
            done.append(target)
        yield
    finally:
        for target in reversed(done):
            run("umount", target)


def test_edge_serves_in_the_root_with_its_data_on_the_data_mount(
    rootfs: Path, tmp_path: Path
) -> None:
    port = free_port()
    listener = Listener(f"@galley-image-{port}")  # abstract: reaches through the chroot
    with mounted(rootfs, tmp_path):
        setup = run("chroot", rootfs, "/usr/local/sbin/galley-first-boot", "store")
        assert setup.returncode == 0
        assert "PIN 2468" in (tmp_path / "boot/galley-first-boot.txt").read_text()
        edge = subprocess.Popen(
            ["chroot", "--userspec=galley:galley", "--groups=lp,dialout", rootfs, "env",
             "GALLEY_DATA_DIR=/var/lib/galley", "GALLEY_EDGE_HOST=127.0.0.1",
             f"GALLEY_EDGE_PORT={port}", f"NOTIFY_SOCKET={listener.address}",
             "/opt/galley/current/bin/galley", "edge", "serve"],
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            assert listener.next(timeout=120)[1] == "READY=1\nSTATUS=Serving"
            health = httpx.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status_code == 200, health.text
            say(f"edge in the chroot: GET /healthz -> {health.status_code} {health.json()}")
            database = rootfs / "var/lib/galley/edge.db"
            assert database.stat().st_dev == (rootfs / "data").stat().st_dev
            assert database.stat().st_dev != rootfs.stat().st_dev
            passwd = (rootfs / "etc/passwd").read_text().splitlines()
            galley = next(int(line.split(":")[2]) for line in passwd if line.startswith("galley:"))
            assert database.stat().st_uid == galley
        finally:
            edge.send_signal(signal.SIGTERM)
            edge.wait(30)
            listener.close()


class Machine:
    """The disk booted by QEMU with UEFI firmware, on QEMU's user network (slirp) restricted to
    forwards on this machine's 127.0.0.1: nothing else gets in or out. KVM when it works here,
    else software emulation (this machine's nested KVM fails inside the firmware).

    In: `hostfwd` listens on 127.0.0.1 here and hands each connection to the box's port 80 (the
    edge) or 22 (SSH). Out: only to the hub. Unrestricted, slirp connects a guest's connection
    to its gateway 10.0.2.2 from a socket of this machine to 127.0.0.1 (its "host loopback"),
    but it then also connects anything else the guest dials to the internet. Restricted, it
    drops every connection of the guest's but a `guestfwd`'s, and refuses a guestfwd on the
    gateway's own address, so the hub gets an address of its own on the guest's network
    (HUB_IN_GUEST): each connection to it starts `socat`, which joins it to a connection to
    127.0.0.1:`hub_port` here. Both ends on this machine are loopback."""

    def __init__(self, disk: Path, tmp_path: Path, hub_port: int) -> None:
        self.disk, self.tmp_path, self.hub_port = disk, tmp_path, hub_port
        self.http, self.ssh_port = free_port(), free_port()
        self.key = tmp_path / "key"
        self.console = tmp_path / "console.log"
        self.errors = tmp_path / "qemu.err"
        self.accel = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, accel: str) -> None:
        self.accel = accel
        vars_file = self.tmp_path / "OVMF_VARS.fd"
        shutil.copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars_file)
        forwards = ",".join(
            [
                *(
                    f"hostfwd=tcp:127.0.0.1:{port}-:{guest}"
                    for port, guest in ((self.http, 80), (self.ssh_port, 22))
                ),
                f"guestfwd=tcp:{HUB_IN_GUEST}-cmd:socat -lf {self.tmp_path / 'socat.log'}"
                f" - TCP:127.0.0.1:{self.hub_port}",
            ]
        )
        with open(self.errors, "w") as errors:
            self.process = subprocess.Popen(
                ["qemu-system-x86_64", "-machine", f"q35,accel={accel}", "-m", "1024",
                 "-smp", "2", "-display", "none",
                 "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                 "-drive", f"if=pflash,format=raw,file={vars_file}",
                 "-drive", f"file={self.disk},format=raw,if=virtio",
                 "-nic", f"user,model=virtio-net-pci,restrict=on,{forwards}",
                 "-serial", f"file:{self.console}"],
                stdout=subprocess.DEVNULL, stderr=errors,
            )  # fmt: skip

    def boot(self, accel: str = "") -> float:
        """Power on; seconds until GET /healthz answers 200."""
        started = time.monotonic()
        if accel == "kvm" or (not accel and os.access("/dev/kvm", os.W_OK)):
            self.start("kvm")
            try:  # the firmware writes to the console within seconds when KVM works
                self.wait_for(
                    "firmware output",
                    lambda: self.console.exists() and self.console.stat().st_size > 0,
                    60,
                )
                self.wait_for("GET /healthz", self.healthy, 300)
                return time.monotonic() - started
            except AssertionError:
                self.stop()
                why = "fails" if "KVM internal error" in self.errors.read_text() else "hangs"
                say(f"KVM does not boot it here (the firmware {why} under it): emulation")
                started = time.monotonic()
        self.start("tcg")
        self.wait_for("GET /healthz", self.healthy, 1800)
        return time.monotonic() - started

    def wait_for(self, what: str, check: Callable[[], bool], within_s: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < within_s:
            assert self.process is not None
            if self.process.poll() is not None:
                errors = self.errors.read_text()[:300]
                raise AssertionError(f"QEMU stopped: {errors}\n{self.tail()}")
            if check():
                return time.monotonic() - started
            time.sleep(2)  # a real machine booting: there is no clock to move
        raise AssertionError(f"no {what} within {within_s} s; console:\n{self.tail()}")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.http}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def ssh(self, command: str, check: bool = True) -> str:
        return subprocess.run(
            ["ssh", "-i", self.key, "-p", str(self.ssh_port), "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "root@127.0.0.1", command],
            capture_output=True, text=True, check=check,
        ).stdout.strip()  # fmt: skip

    def tail(self) -> str:
        text = self.console.read_text(errors="replace") if self.console.exists() else ""
        return "\n".join(text.splitlines()[-40:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def _boot_partition_offset(disk: Path) -> int:
    table = json.loads(run("sfdisk", "--json", disk, capture_output=True).stdout)
    return table["partitiontable"]["partitions"][0]["start"] * 512


@contextlib.contextmanager
def serving(hub: HubProcess, email: str) -> Iterator[ServedHub]:
    """The hub serving (on the port the box's forward points at) until the block ends, its
    owner signed in."""
    hub.start()
    try:
        with httpx.Client(base_url=hub.url, timeout=30) as http:
            yield ServedHub(hub.url, http, signed_in(http, email))
    finally:
        hub.stop()


def _take_an_order(machine: Machine, pairing_code: str) -> dict[str, Any]:
    """What the first tablet does, through the box's HTTP API: pair with the code from
    galley-first-boot.txt, sign in as the owner, add a dish, send an order for it."""
    with httpx.Client(base_url=f"http://127.0.0.1:{machine.http}", timeout=60) as http:
        paired = http.post("/api/devices/pair", json={"code": pairing_code, "name": "Tablet"})
        assert paired.status_code == 201, paired.text
        http.headers["X-Galley-Device"] = paired.json()["credential"]
        owner = next(m for m in http.get("/api/staff/roster").json() if m["role"] == "owner")
        session = http.post("/api/sessions", json={"staff_id": owner["id"], "pin": "2468"})
        assert session.status_code == 201, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['token']}"
        menu = http.get("/api/menu/all").json()
        category = http.post("/api/menu/categories", json={"name": "Sandes"}).json()["id"]
        dish = {"category_id": category, "name": "Bifana", "price": 450}
        made = http.post(
            "/api/menu/items", json={**dish, "tax_rate_id": menu["tax_rates"][0]["id"]}
        )
        assert made.status_code == 201, made.text
        order = http.post(
            "/api/orders",
            json={"kind": "counter", "send": True, "lines": [{"item_id": made.json()["id"]}]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert order.status_code == 201, order.text
        return order.json()


# The box's digest of its synced rows (edge.domain.hub_changes.digest), read in the box.
BOX_DIGEST = (
    "runuser -u galley -- /opt/galley/current/bin/python -c 'import json;"
    " from edge.core import db; from edge.domain import hub_changes;"
    ' print(json.dumps(hub_changes.digest(db.connect("/var/lib/galley/edge.db", readonly=True))))\''
)


def test_disk_boots_in_qemu_enrols_survives_a_stuck_edge_and_a_power_cut(
    rootfs: Path, tmp_path: Path
) -> None:
    # The hub, on SQLite on this machine: the owner makes the store and a code for its box.
    hub = HubProcess(HubSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}"))
    email = new_owner(hub.settings)
    with serving(hub, email) as served:
        store = served.store("Café Azul")
        code = served.code(store["id"])

    disk = tmp_path / "card.img"
    shutil.copy(DISK, disk)
    run("truncate", "-s", "+1G", disk)  # a bigger card: first boot grows the data partition
    run("sfdisk", "--relocate", "gpt-bak-std", disk, capture_output=True)
    key = tmp_path / "key"
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    setup = f"{SETUP}hub = http://{HUB_IN_GUEST}\ncode = {code}\n"
    (tmp_path / "galley-setup.txt").write_text(setup)
    shutil.copy(f"{key}.pub", tmp_path / "ssh")  # SSH on, with this key
    image = f"{disk}@@{_boot_partition_offset(disk)}"
    mtools = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    for name in ("galley-setup.txt", "ssh"):
        run("mcopy", "-i", image, tmp_path / name, f"::/{name}", env=mtools)

    machine = Machine(disk, tmp_path, hub.port)
    try:
        took = machine.boot()
        say(f"QEMU ({machine.accel}): power on to GET /healthz 200 in {took:.0f} s")
        machine.wait_for("SSH", lambda: _ssh_answers(machine), 60)
        assert machine.ssh("hostname") == "galley-azul"
        assert machine.ssh("findmnt -no OPTIONS /").startswith("ro,")
        assert machine.ssh("findmnt -no SOURCE /var/lib/galley") == "/dev/vda3[/galley]"
        states = machine.ssh(f"systemctl is-active {' '.join(UNITS[1:4])} avahi-daemon ssh")
        assert set(states.split()) == {"active"}, states
        first_boot = machine.ssh("cat /boot/firmware/galley-first-boot.txt")
        assert "PIN 2468" in first_boot
        data_mb = int(machine.ssh("df -BM --output=size /data | tail -1").rstrip("M"))
        assert data_mb > 1024, data_mb
        for line in machine.ssh("lsblk -rno NAME,LABEL,SIZE,MOUNTPOINTS /dev/vda").splitlines():
            say(f"in the box: {line}")
        say(f"data partition grown to {data_mb} MiB; hostname galley-azul; units active")

        # The hub is down: the store works alone, and the enrolment waits for the hub.
        pairing = re.search(r"paired with code (\w{4}-\w{4})", first_boot)
        assert pairing, first_boot
        order = _take_an_order(machine, pairing[1])
        machine.wait_for(
            "the enrolment to wait for the hub",
            lambda: "trying again" in machine.ssh("journalctl -u galley-enrol --no-pager"),
            300,
        )
        say(f"no hub: order #{order['number']} taken; the enrolment waits for the hub")

        # The hub is up: the box enrols by itself, and the order taken alone reaches the hub.
        with serving(hub, email) as served:
            devices = f"/api/stores/{store['id']}/devices"
            took = machine.wait_for(
                "the box's enrolment", lambda: bool(served.get(devices)["devices"]), 600
            )
            query = (
                "sqlite3 /var/lib/galley/edge.db 'SELECT store_id, key_id, hub_url FROM sync_state'"
            )
            store_id, key_id, hub_url = machine.ssh(query).split("|")
            assert (store_id, hub_url) == (store["id"], f"http://{HUB_IN_GUEST}")
            [device] = served.get(devices)["devices"]
            assert (device["key_id"], device["revoked_at"]) == (key_id, None)
            assert "# code: used" in machine.ssh("cat /boot/firmware/galley-setup.txt")
            say(f"hub up: the box enrolled {took:.0f} s later, key {key_id} bound to the store")

            def in_step() -> bool:
                theirs = served.digest(store["id"])
                ours = json.loads(machine.ssh(BOX_DIGEST))
                return ours == {"digest": theirs["digest"], "rows": theirs["rows"]}

            took = machine.wait_for("the box's rows on the hub", in_step, 300)
            row = served.get(f"/api/stores/{store['id']}/rows/orders/{order['id']}")
            assert (row["fields"]["number"], row["fields"]["total"]) == (1, 450)
            theirs = served.digest(store["id"])
            say(
                f"synced {took:.0f} s later: hub and box digests equal ({theirs['rows']} rows),"
                f" order #{row['fields']['number']} on the hub"
            )

        assert machine.ssh("systemctl show -p WatchdogUSec --value galley-edge") == "30s"
        # A stuck event loop: stop the edge's process; systemd's watchdog must restart it.
        machine.ssh("kill -STOP $(systemctl show -p MainPID --value galley-edge)")
        took = machine.wait_for(
            "a watchdog restart",
            lambda: machine.ssh("systemctl show -p NRestarts --value galley-edge") == "1",
            120,
        )
        assert "Watchdog timeout" in machine.ssh("journalctl -u galley-edge --no-pager")
        machine.wait_for("GET /healthz after the restart", machine.healthy, 120)
        say(f"watchdog: a stopped edge was restarted {took:.0f} s after it stopped answering")

        # A power cut while the edge runs: the box comes back as it was, its database whole.
        machine_id = machine.ssh("cat /etc/machine-id")
        machine.stop()
        took = machine.boot(machine.accel)
        machine.wait_for("SSH", lambda: _ssh_answers(machine), 60)
        assert machine.ssh("cat /etc/machine-id") == machine_id
        assert machine.ssh("hostname") == "galley-azul"
        check = "sqlite3 /var/lib/galley/edge.db 'PRAGMA integrity_check' 'SELECT name FROM store'"
        assert machine.ssh(check).splitlines() == ["ok", "Café Azul"]
        say(f"power cut: back in {took:.0f} s, same name and machine id, database intact")

        # SSH off once its file is gone from the boot partition.
        machine.ssh("rm /boot/firmware/ssh && systemctl restart ssh", check=False)
        assert not _ssh_answers(machine)
        say("SSH: on with /boot/firmware/ssh, off without it")
    finally:
        machine.stop()


def _ssh_answers(machine: Machine) -> bool:
    try:
        return machine.ssh("true") == ""
    except subprocess.CalledProcessError:
        return False
