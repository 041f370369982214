"""`galley demo | edge serve | init | pair | enrol | export | printer emulate` (and `hub ...`)."""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from typing import Any

from edge.core.config import EdgeSettings
from hub import cli as hub_cli
from service.settings import SettingError, whole

# How long a pairing code made at the console works, in hours: `edge init`'s for the first
# device, and `edge pair`'s unless --hours says otherwise.
INIT_CODE_HOURS, PAIR_CODE_HOURS = 24, 1


def main(argv: list[str] | None = None) -> int:
    from galley import demo

    parser = argparse.ArgumentParser(prog="galley", description=__doc__)
    parts = parser.add_subparsers(dest="part", required=True)

    demo.add_arguments(
        parts.add_parser("demo", help="a demo store's edge, a printer emulator and a hub")
    )

    edge = parts.add_parser("edge", help="the store box")
    edge_cmds = edge.add_subparsers(dest="command", required=True)
    serve = edge_cmds.add_parser("serve", help="run the edge")
    EdgeSettings.add_arguments(serve)
    init = edge_cmds.add_parser("init", help="set up a new store on this box")
    EdgeSettings.add_arguments(init)
    init.add_argument("--store-name", required=True)
    init.add_argument("--owner-name", required=True)
    init.add_argument("--owner-pin", help="4-8 digits; a random one is made and shown if omitted")
    pair = edge_cmds.add_parser(
        "pair", help="print a one-time code that pairs a staff device (a tablet, a POS)"
    )
    EdgeSettings.add_arguments(pair)
    pair.add_argument("--name", default="", help="the device's name, e.g. 'Bar tablet'")
    pair.add_argument(
        "--hours",
        type=_code_hours,
        default=PAIR_CODE_HOURS,
        help=f"how long the code works, 1 to 72 (default {PAIR_CODE_HOURS})",
    )
    enrol = edge_cmds.add_parser(
        "enrol",
        help="bind this box to its store on the hub with a one-time code the owner made there;"
        " a box with no store (a replacement) takes the store's setup from the hub"
        " (exit 0 enrolled, 2 code refused, 3 hub unreachable, 4 not a hub's address)",
    )
    EdgeSettings.add_arguments(enrol)
    enrol.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example")
    enrol.add_argument("--code", required=True, help="the one-time code, e.g. ABCDE-FGHJK")
    export = edge_cmds.add_parser(
        "export", help="one table of the box's database as CSV or JSON (read-only, no secrets)"
    )
    EdgeSettings.add_arguments(export)
    export.add_argument("table", help="a table's name, e.g. orders, order_lines, events")
    export.add_argument(
        "--format",
        choices=("csv", "json"),
        default="csv",
        help="csv (a header line, then a line a row) or json (an array of objects); default csv",
    )
    export.add_argument("--output", help="a file to write (default: standard output)")

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
    command = "demo" if args.part == "demo" else f"edge {args.command}"
    try:
        settings = _settings(args, demo.DEFAULTS if args.part == "demo" else {})
    except SettingError as exc:
        print(f"galley {command}: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.part == "demo" or args.command != "export":  # export reads, never makes, the folder
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(
                f"galley {command}: the data folder {settings.data_dir} (--data-dir,"
                f" GALLEY_DATA_DIR) cannot be used: {exc.strerror}",
                file=sys.stderr,
            )
            return 1
    if args.part == "demo":
        return demo.run(
            settings, fresh=args.fresh, printer_port=args.printer_port, hub_port=args.hub_port
        )
    if args.command == "init":
        return _init(settings, args.store_name, args.owner_name, args.owner_pin)
    if args.command == "pair":
        return _pair(settings, args.name, args.hours)
    if args.command == "enrol":
        return _enrol(settings, args.hub, args.code)
    if args.command == "export":
        return _export(settings, args.table, args.format, args.output)
    return _serve(settings)


def _code_hours(raw: str) -> int:
    try:
        return whole(1, 72)(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be {exc}") from None


def _settings(args: argparse.Namespace, defaults: dict[str, Any]) -> EdgeSettings:
    """Flags over GALLEY_* variables over the command's defaults over the edge's."""
    names = EdgeSettings.__dataclass_fields__
    flags = {k: v for k, v in vars(args).items() if k in names}
    return EdgeSettings.load(defaults=defaults, **flags)


def _init(settings: EdgeSettings, store_name: str, owner_name: str, pin: str | None) -> int:
    from edge.domain.staff import hash_pin, pin_format
    from edge.setup.provision import has_store, set_up, write_once
    from service.errors import Invalid

    if has_store(settings.database):
        print(f"{settings.database} already holds a store; nothing changed.", file=sys.stderr)
        return 1
    pin = pin or f"{secrets.randbelow(10**6):06d}"
    try:
        pin_format("PIN", pin)
        write_once(settings.database, set_up, store_name, owner_name, hash_pin(pin))
    except Invalid as refused:  # a name too long, a PIN of 2 digits: nothing is set up
        print(f"galley edge init: {refused.message}", file=sys.stderr)
        return 2
    print(f"Store {store_name!r} is set up in {settings.database}.")
    print(f"Sign in as {owner_name} with PIN {pin} (change it on the admin page),")
    _print_code(settings, "", INIT_CODE_HOURS, "on the first device, once paired with code")
    return 0


def _pair(settings: EdgeSettings, name: str, hours: int) -> int:
    from edge.setup.provision import has_store

    if not has_store(settings.database):
        print(
            "This box has no store yet: set one up (`galley edge init`), or wait until it has"
            " come from the hub (`galley edge enrol`; /healthz says when).",
            file=sys.stderr,
        )
        return 1
    from service.errors import Invalid

    try:
        _print_code(settings, name, hours, f"Pair {name or 'a device'} with code")
    except Invalid as refused:  # a name another device in use has
        print(f"galley edge pair: {refused.message}", file=sys.stderr)
        return 1
    return 0


def _print_code(settings: EdgeSettings, name: str, hours: int, lead: str) -> None:
    from edge.setup.provision import pairing_code

    made = pairing_code(settings.database, name=name, hours=hours)
    print(f"{lead} {made['code']} (it works once, for {hours} hour{'s' * (hours > 1)}).")
    port = "" if settings.port == 80 else f":{settings.port}"
    print(f"On the device, open http://<this box's address>{port}/admin/ and enter it.")


def _enrol(settings: EdgeSettings, hub_url: str, code: str) -> int:
    from edge.setup import enrolment

    if not hub_url.startswith(("http://", "https://")):
        outcome = enrolment.not_a_hub(hub_url, "a hub's address starts with https:// or http://")
        print(outcome.message, file=sys.stderr)
        return outcome.status
    outcome = enrolment.enrol_now(settings, hub_url, code)
    print(outcome.message, file=sys.stdout if outcome.status == enrolment.ENROLLED else sys.stderr)
    return outcome.status


def _serve(settings: EdgeSettings) -> int:
    from edge.api.app import create_app
    from edge.runtime import server
    from edge.setup.provision import enrolled, has_store

    if not has_store(settings.database) and not enrolled(settings.database):
        print(
            "This box has no store yet: set up a new store (`galley edge init --store-name NAME"
            " --owner-name NAME`), or take a store's from the hub, replacing its box (`galley"
            " edge enrol --hub URL --code CODE`).",
            file=sys.stderr,
        )
        return 1
    started = server.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
    )
    return 0 if started else 1


def _export(settings: EdgeSettings, table: str, fmt: str, output: str | None) -> int:
    from edge.setup import export

    try:
        with export.reading(settings.database, table) as (columns, rows):
            if output is None:
                export.write(columns, rows, fmt, sys.stdout)
            else:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    count = export.write(columns, rows, fmt, out)
                print(f"{count} rows of {table} written to {output}.", file=sys.stderr)
    except export.Refused as exc:
        print(f"galley edge export: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
