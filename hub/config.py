"""Every setting of the hub, in one place, each documented.

A setting's environment variable is `GALLEY_HUB_` and its name in capitals; a flag of
`galley hub serve` (`--database-url`) overrides it, and it overrides the default below.
`tests/hub/test_settings.py` checks that the README lists each one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

PREFIX = "GALLEY_HUB_"

HELP = {
    "database_url": "Where the hub keeps its data: `sqlite:///PATH` (relative to the working"
    " folder; `sqlite:////abs/path`) or `postgresql://USER@HOST/DB` (a role granted"
    " galley_hub_app, not the tables' owner).",
    "migrate_url": "PostgreSQL only: a URL of the tables' owner, used to bring the schema up to"
    " date at start. Empty: the schema must be current already (`galley hub migrate`).",
    "host": "Address the hub listens on.",
    "port": "TCP port the hub listens on.",
    "workers": "Hub processes (uvicorn workers); each is stateless.",
    "pool_size": "Most PostgreSQL connections each process keeps.",
    "session_hours": "How long an owner's sign-in lasts, in hours.",
    "code_hours": "How long an enrolment code may be used, in hours.",
    "attempts_per_minute": "Enrolments and sign-ins one client address may try in a minute"
    " (counted in each process).",
    "log_level": "DEBUG, INFO, WARNING or ERROR.",
}


@dataclass(frozen=True)
class HubSettings:
    database_url: str = "sqlite:///var/hub/hub.db"
    migrate_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8100
    workers: int = 1
    pool_size: int = 8
    session_hours: int = 12
    code_hours: int = 24
    attempts_per_minute: int = 10
    log_level: str = "INFO"

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **given: Any) -> HubSettings:
        """Defaults, overridden by `GALLEY_HUB_*` variables, overridden by `given` (flags;
        a None is a flag not given)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            raw = given.get(setting.name)
            if raw is None:
                raw = environ.get(PREFIX + setting.name.upper())
            if raw is not None:
                values[setting.name] = int(raw) if isinstance(setting.default, int) else str(raw)
        return cls(**values)

    def environ(self) -> dict[str, str]:
        """These settings as environment variables, for worker processes to load again."""
        return {PREFIX + name.upper(): str(value) for name, value in asdict(self).items()}


def documented() -> list[tuple[str, str, Any]]:
    """(environment variable, help, default) of every setting, for the README and its test."""
    return [(PREFIX + f.name.upper(), HELP[f.name], f.default) for f in fields(HubSettings)]
