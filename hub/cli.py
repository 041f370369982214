"""`galley hub serve | migrate | create-owner`: the hub from the command line."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import sys
from dataclasses import fields

from hub.config import HubSettings
from service.settings import SettingError


def add_commands(parts: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `hub` and its commands to the `galley` parser."""
    hub = parts.add_parser("hub", help="the multi-tenant hub the stores sync with")
    commands = hub.add_subparsers(dest="command", required=True)
    for name, what in (
        ("serve", "run the hub (migrates SQLite, or PostgreSQL given GALLEY_HUB_MIGRATE_URL)"),
        ("migrate", "bring the hub's database schema up to date"),
        ("create-owner", "make a tenant and its owner, who then signs in over HTTP"),
    ):
        HubSettings.add_arguments(commands.add_parser(name, help=what))
    owner = commands.choices["create-owner"]
    owner.add_argument("--tenant", required=True, help="the tenant's name (a restaurant group)")
    owner.add_argument("--email", required=True, help="the owner signs in with it")
    owner.add_argument(
        "--password", help="10 to 200 characters; asked for (or made and shown) if omitted"
    )


def main(args: argparse.Namespace) -> int:
    given = {f.name: getattr(args, f.name, None) for f in fields(HubSettings)}
    try:
        settings = HubSettings.load(**given)
    except SettingError as exc:
        print(f"galley hub {args.command}: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    import psycopg

    try:
        if args.command == "serve":
            return serve(settings)
        if args.command == "migrate":
            from hub.storage import migrate

            print(f"The hub's database is at schema version {migrate(settings)}.")
            return 0
        return create_owner(settings, args.tenant, args.email, args.password)
    except (psycopg.Error, RuntimeError) as exc:  # a server not there, a right missing, a schema
        print(f"galley hub {args.command}: {str(exc).strip()}", file=sys.stderr)
        return 1


def create_owner(settings: HubSettings, tenant: str, email: str, password: str | None) -> int:
    from hub.domain import owners
    from hub.storage import open_storage
    from service.errors import GalleyError
    from sync import hashing

    made_up = None
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass(f"Password for {email}: ")
        else:
            password = made_up = secrets.token_urlsafe(12)
    try:
        owners.check_sign_up(tenant, email, password)
    except GalleyError as refusal:
        print(refusal.message, file=sys.stderr)
        return 2
    storage = open_storage(settings)
    try:
        made = storage.run_sync(owners.sign_up, tenant, email, hashing.hash_secret(password))
    except GalleyError as refusal:
        print(refusal.message, file=sys.stderr)
        return 1
    finally:
        storage.close()
    print(f"Tenant {tenant!r} ({made['tenant_id']}) and its owner {email} are made.")
    if made_up:
        print(f"Sign in with password {made_up} (POST /api/sessions).")
    return 0


def serve(settings: HubSettings) -> int:
    """Migrate if this process may, then serve with `settings.workers` processes, each of which
    builds the app from the environment (uvicorn's workers are new interpreters)."""
    import uvicorn

    from hub.storage import migrate, sqlite_path

    if sqlite_path(settings.database_url) is not None or settings.migrate_url:
        migrate(settings)
    os.environ.update(settings.environ())
    uvicorn.run(
        "hub.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
    )
    return 0
