"""`galley demo`: the edge with a seeded demo store, a printer emulator that shows what it
prints, and a hub the store is enrolled with and syncs with (`galley.demo_hub`), for a newcomer
to try everything on one machine.

The demo listens on every interface by default, because a table's QR code is opened by a phone
on the same network; so it says loudly that anyone there can sign in with the demo PINs, and
how to keep it to this machine (`--host 127.0.0.1`). The QR codes point at this machine's LAN
address, found without sending a packet anywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import ipaddress
import secrets
import socket
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from edge.core import db
from edge.core.config import EdgeSettings
from edge.core.identity import prepare
from edge.setup import demo
from edge.setup.provision import has_store, pairing_code, write_once
from galley import demo_hub, pay_sandbox
from printers.decoder import Job
from printers.emulator import ThreadedEmulator, framed

# `galley demo`'s own defaults: flags and GALLEY_* variables still come first.
DEFAULTS: dict[str, Any] = {"data_dir": Path("var/demo"), "log_level": "WARNING"}
CODE_HOURS = 12  # the pairing code each start prints works this long
# A UDP socket's connect() sends nothing: it only asks the kernel which source address its route
# to this address would use, that is the address of the interface towards the network. This
# one is a documentation address (TEST-NET-2): nobody owns it, and nothing is sent to it.
_ROUTE_PROBE = ("198.51.100.1", 9)
_EVERYWHERE = ("0.0.0.0", "::", "")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    EdgeSettings.add_arguments(parser, DEFAULTS)
    parser.add_argument("--fresh", action="store_true", help="start from an empty demo store")
    parser.add_argument(
        "--printer-port",
        type=int,
        default=demo.EMULATOR_PORT,
        help="TCP port of the printer emulator on 127.0.0.1 (default 9100; a free one if taken)",
    )
    parser.add_argument(
        "--hub-port",
        type=int,
        default=demo_hub.HUB_PORT,
        help="TCP port of the demo's hub on 127.0.0.1 (default 8100; a free one if taken)",
    )


def lan_address(candidates: Iterable[str] | None = None) -> str:
    """The IPv4 address phones on this machine's network reach it at: the first of
    `candidates` (by default: the source address of the route out, then the host name's
    addresses) that is neither loopback nor link-local; 127.0.0.1 only when there is none.
    Never a `.local` name: many Android phones cannot resolve mDNS."""
    for address in _address_candidates() if candidates is None else candidates:
        ip = ipaddress.ip_address(address)
        if ip.version == 4 and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
            return address
    return "127.0.0.1"


def _address_candidates() -> Iterable[str]:
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(_ROUTE_PROBE)
        yield probe.getsockname()[0]
    with contextlib.suppress(OSError):
        yield from socket.gethostbyname_ex(socket.gethostname())[2]


def network_address(host: str, lan: Callable[[], str] = lan_address) -> str | None:
    """The address other devices reach a server listening on `host` at, or None when it
    listens on this machine only (or this machine has no network)."""
    if host in _EVERYWHERE:
        host = lan()
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return None
    return None if host == "localhost" else host


def run(
    settings: EdgeSettings,
    *,
    fresh: bool,
    printer_port: int,
    hub_port: int = demo_hub.HUB_PORT,
    out: TextIO = sys.stdout,
) -> int:
    """Seed or update the demo store, start the emulator and the hub, say where everything is,
    serve."""
    from edge.api.app import create_app
    from edge.runtime import server

    if fresh:
        for path in (settings.database, settings.data_dir / "hub.db"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        settings.device_key.unlink(missing_ok=True)
        settings.device_key_next.unlink(missing_ok=True)
    emulator = start_emulator(printer_port, out)
    sandbox = contextlib.ExitStack()
    try:
        if not settings.pay_url:  # pay at table through the sandbox provider, on this machine
            secret = secrets.token_hex(16)
            provider = sandbox.enter_context(pay_sandbox.running(secret.encode()))
            settings = dataclasses.replace(
                settings, pay_url=provider.base_url, pay_webhook_secrets=secret
            )
        address = network_address(settings.host)
        guest_base_url = f"http://{address or '127.0.0.1'}:{settings.port}"
        if not has_store(settings.database):
            print("Seeding the demo store ...", file=out, flush=True)
            hashes = demo.pin_hashes()
            write_once(settings.database, demo.seed, hashes, guest_base_url, emulator.port)
        pointing = write_once(settings.database, demo.point_at, guest_base_url, emulator.port)
        code = pairing_code(settings.database, hours=CODE_HOURS)["code"]
        with demo_hub.running(settings, hub_port) as hub:
            banner = banner_text(settings, address, pointing, emulator.port, code, hub)
            started = server.run(
                create_app(settings),
                host=settings.host,
                port=settings.port,
                log_level="warning",
                on_started=lambda: print(banner, file=out, flush=True),
            )
    finally:
        sandbox.close()
        emulator.stop()
    if not started:
        print(
            f"The demo could not listen on port {settings.port} (see above): try another, e.g."
            f' --port 8080 (make run ARGS="--port 8080").',
            file=out,
        )
        return 1
    return 0


def start_emulator(port: int, out: TextIO) -> ThreadedEmulator:
    """The demo's printer: a real TCP ESC/POS printer on 127.0.0.1 that writes each job it
    prints to `out` as a framed ticket; on a free port if `port` is taken."""
    count = [0]

    def show(job: Job) -> None:
        count[0] += 1
        when = datetime.now().strftime("%H:%M:%S")
        state = "" if job.printed else ", NOT printed"
        out.write(framed(job, f"printed {when} (job {count[0]}{state})") + "\n")
        out.flush()

    emulator = ThreadedEmulator(host=demo.EMULATOR_HOST, port=port, on_job=show)
    try:
        return emulator.start()
    except OSError as exc:
        emulator.stop()
        print(f"Printer port {port} is taken ({exc.strerror}): using a free one.", file=out)
    return ThreadedEmulator(host=demo.EMULATOR_HOST, port=0, on_job=show).start()


def banner_text(
    settings: EdgeSettings,
    address: str | None,
    pointing: demo.Pointing,
    printer_port: int,
    code: str,
    hub: demo_hub.DemoHub | None = None,
) -> str:
    """What runs where, what the QR codes open and why, the pairing code a browser needs
    before anyone signs in on it, and only PINs that still sign in."""
    identity = prepare(settings.database)
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        pins = demo.pins(conn)
        table = demo.first_table_url(conn, identity.qr_secret)
    here = f"http://127.0.0.1:{settings.port}"
    lines = [
        "",
        "Galley demo is running (Ctrl-C to stop)",
        "",
        "  On this machine",
        _row("Admin (menu, tables, staff, settings)", f"{here}/admin/"),
        _row("Waiter handheld (orders, tables)", f"{here}/waiter/"),
        _row("POS (sales, checks, shifts, X/Z)", f"{here}/pos/"),
        _row("Kitchen screens (all, Kitchen, Bar)", f"{here}/kds/"),
        _row("", f"{here}/kds/?station=KITCHEN"),
        _row("", f"{here}/kds/?station=BAR"),
        _row("Expo (readiness, fire, served)", f"{here}/kds/?view=expo"),
        _row("API description", f"{here}/openapi.json"),
        _row("Health", f"{here}/healthz"),
    ]
    if address:
        lines += [
            "  On this network (phones, tablets)",
            _row("Admin", f"http://{address}:{settings.port}/admin/"),
            _row("Waiter handheld", f"http://{address}:{settings.port}/waiter/"),
            _row("POS", f"http://{address}:{settings.port}/pos/"),
            _row("Kitchen screens", f"http://{address}:{settings.port}/kds/"),
        ]
    lines += _guest_lines(pointing, address)
    if table:
        lines.append(_row(f"Table {table[0]}'s QR code opens", table[1]))
        if address:
            lines.append(_row("", "(a guest's phone on this network orders from it)"))
    if settings.pay_url:
        lines.append(_row("Pay at table (sandbox provider)", settings.pay_url))
    lines += [
        "  Printer emulator",
        _row("Receipt and kitchen printers", f"tcp://127.0.0.1:{printer_port}"),
        _row("", "each printed ticket appears below"),
    ]
    if pointing.printers_moved:
        lines.append(_row("Moved to this port", ", ".join(pointing.printers_moved)))
    if hub is not None:
        lines += [
            "  Hub (the owners' side; this store syncs with it every few seconds)",
            _row("Hub", f"{hub.url}/openapi.json"),
            _row("Owner sign-in", f"{hub.email} / {hub.password}"),
        ]
        if hub.store_id:
            lines.append(_row("This store on the hub", f"{hub.url}/api/stores/{hub.store_id}"))
        if hub.note:
            lines.append(_row("", hub.note))
    lines += [
        "  Pair a browser first (staff sign in on paired devices only)",
        _row("Pairing code", f"{code} (works once, for {CODE_HOURS} hours; each start"),
        _row("", "prints a new one; a manager makes more under Devices)"),
        "  Staff PINs",
    ]
    lines += [f"    {role:8} {name:16} {_pin_text(pin)}" for role, name, pin in pins]
    lines.append("")
    if address:
        lines += [
            "  !! Anyone on this network with the pairing code can sign in with these PINs.",
            '  !! To keep the demo to this machine: --host 127.0.0.1 (make run ARGS="--host',
            '  !! 127.0.0.1"); phones then cannot open the table QR codes.',
        ]
    else:
        lines.append("  Only this machine can open the demo: phones cannot open the QR codes.")
    return "\n".join([*lines, ""])


def _row(label: str, value: str) -> str:
    return f"    {label:38} {value}"


def _guest_lines(pointing: demo.Pointing, address: str | None) -> list[str]:
    url = pointing.guest_base_url
    if pointing.owners_url:
        return [_row("Table QR codes point at", f"{url} (set on the admin page; kept)")]
    why = "this machine's network address" if address else "this machine only"
    lines = [_row("Table QR codes point at", f"{url} ({why})")]
    if pointing.replaced_url:
        lines.append(_row("", f"(updated: it was {pointing.replaced_url})"))
    return lines


def _pin_text(pin: str) -> str:
    return {"changed": "changed on the admin page", "gone": "no longer on the staff"}.get(pin, pin)
