"""Every setting of the hub, in one place, each documented.

A setting's environment variable is `GALLEY_HUB_` and its name in capitals; a flag of
`galley hub ...` (`--database-url`) overrides it, and it overrides the default below, as
`service.settings` reads them; a value that makes no sense is refused naming the flag and the
variable (status 2). `tests/hub/test_settings.py` checks that the README lists each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.settings import Settings, level, setting, some_text, some_text_or_none, whole


@dataclass(frozen=True)
class HubSettings(Settings):
    database_url: str = setting(
        "sqlite:///var/hub/hub.db",
        "GALLEY_HUB_DATABASE_URL",
        "Where the hub keeps its data: `sqlite:///PATH` (relative to the working folder;"
        " `sqlite:////abs/path`) or `postgresql://USER@HOST/DB` (a role granted galley_hub_app,"
        " not the tables' owner).",
        some_text,
    )
    migrate_url: str = setting(
        "",
        "GALLEY_HUB_MIGRATE_URL",
        "PostgreSQL only: a URL of the tables' owner, used to bring the schema up to date at"
        " start. Empty: the schema must be current already (`galley hub migrate`).",
        some_text_or_none,
    )
    host: str = setting("127.0.0.1", "GALLEY_HUB_HOST", "Address the hub listens on.", some_text)
    port: int = setting(
        8100, "GALLEY_HUB_PORT", "TCP port the hub listens on (1 to 65535).", whole(1, 65535)
    )
    workers: int = setting(
        1,
        "GALLEY_HUB_WORKERS",
        "Hub processes (uvicorn workers), 1 to 64; each is stateless.",
        whole(1, 64),
    )
    pool_size: int = setting(
        8,
        "GALLEY_HUB_POOL_SIZE",
        "Most PostgreSQL connections each process keeps (1 to 1000).",
        whole(1, 1000),
    )
    session_hours: int = setting(
        12,
        "GALLEY_HUB_SESSION_HOURS",
        "How long an owner's sign-in lasts, in hours (1 to 720).",
        whole(1, 720),
    )
    code_hours: int = setting(
        24,
        "GALLEY_HUB_CODE_HOURS",
        "How long an enrolment code may be used, in hours (1 to 720).",
        whole(1, 720),
    )
    attempts_per_minute: int = setting(
        10,
        "GALLEY_HUB_ATTEMPTS_PER_MINUTE",
        "Enrolments and sign-ins one client address may try in a minute, 1 to 10000 (counted"
        " in each process).",
        whole(1, 10_000),
    )
    log_level: str = setting(
        "INFO", "GALLEY_HUB_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR.", level
    )
