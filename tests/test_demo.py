"""`galley demo`: where its QR codes and printers point, the PINs it shows, the tickets it
prints to its output, and the whole command run as a newcomer runs it.

Test traffic stays on 127.0.0.1: the LAN address the demo finds is checked for its form and
never connected to.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from edge.core import db
from edge.core.config import EdgeSettings
from edge.core.permissions import Actor
from edge.domain import hub_changes, staff, store
from edge.setup import demo
from edge.setup.provision import write_once
from galley import demo as command
from printers.documents import TestPage
from printers.profiles import TM_T20II
from printers.render import render
from printers.transports import NetworkTransport
from tests.conftest import credential, sign_in_body, signed_in

ROOT = Path(__file__).resolve().parents[1]
IPV4_URL = re.compile(r"^http://(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$")


def owner(path: Path) -> Actor:
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        row = conn.execute("SELECT id, name FROM staff WHERE role = 'owner'").fetchone()
    return Actor(row["id"], row["name"], "owner", "admin page")


def guest_base_url(path: Path) -> str:
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        return conn.execute("SELECT guest_base_url FROM store").fetchone()[0]


def printer_ports(path: Path) -> set[int]:
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        rows = conn.execute("SELECT json_extract(transport, '$.port') FROM printers")
        return {row[0] for row in rows}


# --- the machine's address ------------------------------------------------------------------


def test_lan_address_skips_loopback_and_link_local_and_falls_back_to_loopback():
    assert command.lan_address(["127.0.1.1", "169.254.7.7", "192.0.2.7"]) == "192.0.2.7"
    assert command.lan_address(["127.0.1.1"]) == "127.0.0.1"
    assert command.lan_address([]) == "127.0.0.1"


def _global_addresses() -> set[str]:
    """This machine's global IPv4 addresses as `ip` lists them (no packet sent)."""
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command to list this machine's addresses")
    listing = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
    return set(re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", listing))


def test_the_guest_url_is_this_machines_lan_address_and_port():
    address = command.network_address("0.0.0.0")
    url = f"http://{address or '127.0.0.1'}:8123"
    host, port = IPV4_URL.match(url).groups()  # type: ignore[union-attr]
    assert port == "8123" and ipaddress.ip_address(host).version == 4
    lan = _global_addresses()
    if lan:
        assert host in lan, f"{host} is not one of this machine's addresses {lan}"
    else:
        assert address is None  # no network: the demo says only this machine can open it


def test_listening_on_loopback_only_has_no_network_address():
    assert command.network_address("127.0.0.1") is None
    assert command.network_address("localhost") is None
    assert command.network_address("0.0.0.0", lan=lambda: "127.0.0.1") is None
    assert command.network_address("0.0.0.0", lan=lambda: "192.0.2.7") == "192.0.2.7"
    assert command.network_address("192.0.2.8") == "192.0.2.8"


# --- a seeded demo follows where it runs ----------------------------------------------------


def test_a_demo_moved_to_another_address_or_port_updates_its_own_guest_url(settings):
    seeded = guest_base_url(settings.database)  # set by the demo's seeding
    pointing = write_once(settings.database, demo.point_at, "http://192.0.2.7:8123", 9100)
    assert pointing.guest_base_url == "http://192.0.2.7:8123"
    assert pointing.replaced_url == seeded and not pointing.owners_url
    assert guest_base_url(settings.database) == "http://192.0.2.7:8123"
    again = write_once(settings.database, demo.point_at, "http://192.0.2.7:8123", 9100)
    assert again == demo.Pointing("http://192.0.2.7:8123")  # nothing to change


def test_the_owners_guest_url_stays_unless_it_is_loopback(settings):
    path = settings.database
    write_once(path, store.update, owner(path), {"guest_base_url": "http://menu.example:8000"})
    kept = write_once(path, demo.point_at, "http://192.0.2.7:8000", 9100)
    assert kept == demo.Pointing("http://menu.example:8000", owners_url=True)
    assert guest_base_url(path) == "http://menu.example:8000"

    write_once(path, store.update, owner(path), {"guest_base_url": "http://127.0.0.1:8000"})
    fixed = write_once(path, demo.point_at, "http://192.0.2.7:8000", 9100)
    assert fixed.replaced_url == "http://127.0.0.1:8000" and not fixed.owners_url
    assert guest_base_url(path) == "http://192.0.2.7:8000"


def test_the_demo_printers_follow_the_emulators_port(settings):
    assert printer_ports(settings.database) == {demo.EMULATOR_PORT}
    pointing = write_once(settings.database, demo.point_at, "http://192.0.2.7:8000", 9200)
    assert set(pointing.printers_moved) == {"Kitchen pass", "Counter receipt"}
    assert printer_ports(settings.database) == {9200}


def test_the_banner_shows_only_pins_that_still_sign_in(settings):
    path = settings.database
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        ids = {row["role"]: row["id"] for row in conn.execute("SELECT id, role FROM staff")}
    write_once(
        path, staff.update, owner(path), ids["manager"], {"pin_hash": staff.hash_pin("8642")}
    )
    write_once(path, staff.update, owner(path), ids["kitchen"], {"active": False})
    pointing = demo.Pointing("http://192.0.2.10:8000")
    banner = command.banner_text(settings, "192.0.2.10", pointing, 9100, "7KQM-3XWP")
    assert re.search(r"owner +Olivia Santos +1111\n", banner)
    assert re.search(r"manager +Marco Ferreira +changed on the admin page\n", banner)
    assert "2222" not in banner
    assert re.search(r"kitchen +Kim Oliveira +no longer on the staff\n", banner)
    assert re.search(r"Pairing code +7KQM-3XWP \(works once, for 12 hours", banner)
    assert "Anyone on this network with the pairing code can sign in" in banner
    assert "--host 127.0.0.1" in banner
    assert "http://192.0.2.10:8000/admin/" in banner and "http://127.0.0.1:8000/admin/" in banner
    assert "http://127.0.0.1:8000/kds/?station=BAR" in banner
    assert re.search(
        r"Expo \(readiness, fire, served\) +http://127\.0\.0\.1:8000/kds/\?view=expo\n", banner
    )
    assert "http://192.0.2.10:8000/kds/" in banner
    assert "http://192.0.2.10:8000/pos/" in banner and "http://127.0.0.1:8000/pos/" in banner
    assert re.search(r"Table 1's QR code opens +http://192\.0\.2\.10:8000/t/\S+\n", banner)

    assert "(a guest's phone on this network orders from it)" in banner


def test_a_demo_kept_to_this_machine_never_says_a_phone_orders_from_its_table_url(settings):
    pointing = demo.Pointing("http://127.0.0.1:8000")
    banner = command.banner_text(settings, None, pointing, 9100, "7KQM-3XWP")
    assert re.search(r"Table 1's QR code opens +http://\S+/t/\S+\n", banner)
    assert "phone on this network" not in banner
    assert "Only this machine can open the demo: phones cannot open the QR codes." in banner


# --- the demo's printer shows what it prints ------------------------------------------------


def test_the_demo_emulator_writes_each_printed_ticket_to_the_output_framed():
    out = io.StringIO()
    emulator = command.start_emulator(0, out)
    try:
        transport = NetworkTransport("127.0.0.1", emulator.port)
        try:
            transport.send(render(TestPage(lines=("Bacalhau à Brás",)), TM_T20II))
        finally:
            transport.close()
        emulator.wait_for_jobs(1)
    finally:
        emulator.stop()
    lines = out.getvalue().splitlines()
    assert re.match(r"┌─ printed \d\d:\d\d:\d\d \(job 1\) ─+┐$", lines[0])
    assert lines[-1] == "└" + "─" * 50 + "┘"  # 48 columns of paper and a space either side
    assert "│ Bacalhau à Brás" in out.getvalue()
    assert all(len(line) == 52 for line in lines)


def test_a_taken_printer_port_gives_the_emulator_a_free_one():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        out = io.StringIO()
        emulator = command.start_emulator(taken.getsockname()[1], out)
        try:
            assert emulator.port != taken.getsockname()[1]
            assert "is taken" in out.getvalue()
        finally:
            emulator.stop()


# --- the command as a newcomer runs it ------------------------------------------------------


def test_demo_defaults_to_var_demo_but_follows_galley_data_dir_and_the_flag(capsys):
    assert EdgeSettings.load({}, command.DEFAULTS).data_dir == Path("var/demo")
    from_env = EdgeSettings.load({"GALLEY_DATA_DIR": "/srv/demo"}, command.DEFAULTS)
    assert from_env.data_dir == Path("/srv/demo")
    flag = EdgeSettings.load({"GALLEY_DATA_DIR": "/srv/demo"}, command.DEFAULTS, data_dir="x")
    assert flag.data_dir == Path("x")
    from galley.cli import main

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "GALLEY_DATA_DIR, default var/demo" in text and "--printer-port" in text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Output:
    """The demo's standard output, read line by line (by a thread, so a wait has a deadline)."""

    def __init__(self, process: subprocess.Popen, seconds: float = 60) -> None:
        self.deadline = time.monotonic() + seconds
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))

    def until(self, pattern: str) -> list[str]:
        """Lines read up to and including the first that matches `pattern`."""
        start = len(self.lines)
        while (left := self.deadline - time.monotonic()) > 0:
            try:
                self.lines.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
            if re.search(pattern, self.lines[-1]):
                return self.lines[start:]
        raise AssertionError(f"no line like {pattern!r} in:\n" + "\n".join(self.lines))


def run_demo(tmp_path: Path, *options: str, **how) -> subprocess.Popen:
    """`galley demo` in a process of its own, kept to this machine, its data in `tmp_path`
    through GALLEY_DATA_DIR, its output read as text."""
    env = {
        **os.environ,
        "GALLEY_DATA_DIR": str(tmp_path / "demo"),
        "PYTHONPATH": str(ROOT),
        "PYTHONIOENCODING": "utf-8",
    }
    command = [sys.executable, "-m", "galley.cli", "demo", "--host", "127.0.0.1", *options]
    return subprocess.Popen(
        command, text=True, encoding="utf-8", env=env, cwd=tmp_path, stdout=subprocess.PIPE, **how
    )


def test_galley_demo_starts_says_where_and_prints_a_sent_order(tmp_path):
    port = _free_port()
    process = run_demo(
        tmp_path, "--port", str(port), "--printer-port", "0", stderr=subprocess.STDOUT
    )
    try:
        out = Output(process)
        banner = "\n".join(out.until(r"Only this machine can open the demo"))
        assert (tmp_path / "demo" / "edge.db").is_file()  # GALLEY_DATA_DIR, not var/demo
        assert not (tmp_path / "var").exists()
        assert f"http://127.0.0.1:{port}/admin/" in banner
        assert re.search(rf"Table QR codes point at +http://127\.0\.0\.1:{port} ", banner)
        assert "owner    Olivia Santos    1111" in banner
        assert "Warning" not in banner and "Traceback" not in banner
        _in_step_with_its_hub(tmp_path / "demo" / "edge.db", banner)

        code = re.search(r"Pairing code +(\w{4}-\w{4}) ", banner)
        assert code, banner
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            pair = {"code": code[1], "name": "Newcomer's laptop"}
            http.headers.update(credential(http.post("/api/devices/pair", json=pair)))
            roster = http.get("/api/staff/roster").json()
            http.headers.update(
                signed_in(http.post("/api/sessions", json=sign_in_body(roster, "waiter")))
            )
            menu = http.get("/api/menu").json()
            burrata = next(
                i["id"] for c in menu["categories"] for i in c["items"] if i["name"] == "Burrata"
            )
            order = http.post(
                "/api/orders",
                json={"kind": "counter", "send": True, "lines": [{"item_id": burrata}]},
            )
            assert order.status_code == 201, order.text
        ticket = [line for line in out.until(r"^└─+┘$") if line]
        assert re.match(r"┌─ printed .* \(job 1\)", ticket[0]), ticket
        assert any("1x Burrata" in line for line in ticket) and any(
            "KITCHEN" in line for line in ticket
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        finally:
            process.kill() if process.poll() is None else None
            process.stdout.close()
    assert process.returncode == 0


def test_a_demo_stopped_with_sigterm_stops_its_hub_too(tmp_path):
    """As systemd or `kill` stop it: the hub it started does not outlive it."""
    process = run_demo(tmp_path, "--port", str(_free_port()), "--printer-port", "0")
    try:
        banner = "\n".join(Output(process).until(r"Only this machine can open the demo"))
        hub = re.search(r"Hub +http://127\.0\.0\.1:(\d+)/", banner)
        assert hub, banner
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    finally:
        process.kill() if process.poll() is None else None
    assert process.returncode == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{hub[1]}/healthz", timeout=5)
    # closed last: a hub left running would hold the pipe, and closing it would wait for ever
    process.stdout.close()


def _in_step_with_its_hub(database: Path, banner: str) -> None:
    """The banner's hub holds the demo store, with the box's digest (it synced at start)."""
    store = re.search(r"This store on the hub +(http://127\.0\.0\.1:\d+)/api/stores/(\S+)", banner)
    owner = re.search(r"Owner sign-in +(\S+) / (\S+)", banner)
    assert store and owner, banner
    with httpx.Client(base_url=store[1], timeout=10) as hub:
        signed = hub.post("/api/sessions", json={"email": owner[1], "password": owner[2]})
        hub.headers["Authorization"] = f"Bearer {signed.json()['token']}"
        for _ in range(100):
            with contextlib.closing(db.connect(database, readonly=True)) as conn:
                ours = hub_changes.digest(conn)
            theirs = hub.get(f"/api/stores/{store[2]}/digest").json()
            if theirs["digest"] == ours["digest"]:
                return
            time.sleep(0.1)  # the box's first round is under way
    raise AssertionError(f"the demo store and its hub differ: {ours} {theirs}")


def test_a_taken_port_stops_the_demo_with_what_to_do(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = run_demo(tmp_path, "--port", str(port), "--printer-port", "0")
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"could not listen on port {port}" in out and "--port 8080" in out
    assert "Galley demo is running" not in out
