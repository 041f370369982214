"""`galley demo | edge serve | edge init | printer emulate`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import secrets
import socket
import sys
from pathlib import Path

from edge.config import EdgeSettings
from hub import cli as hub_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="galley", description=__doc__)
    parts = parser.add_subparsers(dest="part", required=True)

    demo = parts.add_parser("demo", help="the edge and a printer emulator with a demo store")
    EdgeSettings.add_arguments(demo)
    demo.add_argument("--fresh", action="store_true", help="start from an empty demo store")

    edge = parts.add_parser("edge", help="the store box")
    edge_cmds = edge.add_subparsers(dest="command", required=True)
    serve = edge_cmds.add_parser("serve", help="run the edge")
    EdgeSettings.add_arguments(serve)
    init = edge_cmds.add_parser("init", help="set up a new store on this box")
    EdgeSettings.add_arguments(init)
    init.add_argument("--store-name", required=True)
    init.add_argument("--owner-name", required=True)
    init.add_argument("--owner-pin", help="4-8 digits; a random one is made and shown if omitted")

    printer = parts.add_parser("printer", help="printers")
    printer_cmds = printer.add_subparsers(dest="command", required=True)
    printer_cmds.add_parser(
        "emulate", help="a TCP ESC/POS printer that shows what it prints", add_help=False
    )
    hub_cli.add_commands(parts)

    args, rest = parser.parse_known_args(argv)
    if args.part == "printer":
        from printers import emulator

        return emulator.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.part == "hub":
        return hub_cli.main(args)
    settings = _settings(args)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.part == "demo":
        return _demo(settings, fresh=args.fresh)
    if args.command == "init":
        return _init(settings, args.store_name, args.owner_name, args.owner_pin)
    return _serve(settings)


def _settings(args: argparse.Namespace) -> EdgeSettings:
    names = EdgeSettings.__dataclass_fields__
    overrides = {k: v for k, v in vars(args).items() if k in names}
    if args.part == "demo" and overrides.get("data_dir") is None:
        overrides["data_dir"] = "var/demo"
    return EdgeSettings.load(**overrides)


def _write(settings: EdgeSettings, fn, *fn_args):
    """Run one write on the box's writer outside a server (setup commands)."""
    from edge.box import prepare
    from edge.writer import Writer

    identity = prepare(settings.database)
    writer = Writer(settings.database, identity.node)
    try:
        return writer.run_sync(fn, *fn_args)
    finally:
        writer.close()


def _is_set_up(settings: EdgeSettings) -> bool:
    from edge import db
    from edge.box import prepare
    from edge.provision import is_set_up

    prepare(settings.database)
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        return is_set_up(conn)


def _init(settings: EdgeSettings, store_name: str, owner_name: str, pin: str | None) -> int:
    from edge.domain.staff import hash_pin
    from edge.provision import set_up

    if _is_set_up(settings):
        print(f"{settings.database} already holds a store; nothing changed.", file=sys.stderr)
        return 1
    pin = pin or f"{secrets.randbelow(10**6):06d}"
    _write(settings, set_up, store_name, owner_name, hash_pin(pin))
    print(f"Store {store_name!r} is set up in {settings.database}.")
    print(f"Sign in as {owner_name} with PIN {pin} (change it on the admin page).")
    return 0


def _serve(settings: EdgeSettings) -> int:
    from edge import server
    from edge.app import create_app

    if not _is_set_up(settings):
        print(
            "This box has no store yet: run `galley edge init --store-name NAME "
            "--owner-name NAME` first.",
            file=sys.stderr,
        )
        return 1
    server.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
    )
    return 0


def lan_address() -> str:
    """The address phones on the store's Wi-Fi can reach this machine at (never `.local`)."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
    return address


def _demo(settings: EdgeSettings, *, fresh: bool) -> int:
    from edge import demo, server
    from edge.app import create_app

    if fresh and settings.data_dir.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.database}{suffix}").unlink(missing_ok=True)
    if not _is_set_up(settings):
        print("Seeding the demo store ...")
        guest = f"http://{lan_address()}:{settings.port}"
        _write(settings, demo.seed, demo.pin_hashes(), guest)
    app = create_app(settings)
    base = f"http://127.0.0.1:{settings.port}"
    emulator = _start_emulator()
    print()
    print("Galley demo is running (Ctrl-C to stop)")
    print(f"  Admin (menu, tables, staff, settings): {base}/admin/")
    print(f"  API description:                      {base}/openapi.json")
    print(f"  Health:                               {base}/healthz")
    if emulator:
        print(f"  Printer emulator:                     tcp://127.0.0.1:{emulator}")
        print("    (the demo's receipt and kitchen printers print there)")
    print("  Staff PINs:")
    for name, role, pin in demo.STAFF:
        print(f"    {role:8} {name:16} {pin}")
    print()
    server.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


def _start_emulator(port: int = 9100) -> int | None:
    """The demo's printer: a real TCP ESC/POS printer that shows what it receives."""
    from printers.emulator import ThreadedEmulator

    try:
        ThreadedEmulator(host="127.0.0.1", port=port).start()
    except OSError as exc:
        print(f"  (printer emulator not started: port {port}: {exc.strerror})")
        return None
    return port


if __name__ == "__main__":
    sys.exit(main())
