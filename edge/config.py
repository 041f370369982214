"""Every setting of the edge, in one place, each documented.

Values come from flags first, then `GALLEY_*` environment variables, then the defaults below
(or a command's own, such as `galley demo`'s data folder). Each has the values that make sense
(a port from 1 to 65535, a sign-in of 1 to 168 hours, ...): `load` refuses any other, naming the
flag and the variable, and `galley edge serve` exits with that message (status 2).
`tests/edge/test_contract.py` checks that each one is in the README.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
# A setting's value as given (text from a flag or a variable, or a command's own default) ->
# the value, or ValueError saying what the setting takes ("a whole number from 1 to 168").
Read = Callable[[Any], Any]


class SettingError(ValueError):
    """A setting given a value that makes no sense; the message names its flag and variable."""


def whole(low: int, high: int) -> Read:
    def read(raw: Any) -> int:
        wanted = f"a whole number from {low} to {high}"
        if isinstance(raw, bool):
            raise ValueError(wanted)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(wanted) from None
        if not low <= value <= high:
            raise ValueError(wanted)
        return value

    return read


def level(raw: Any) -> str:
    value = str(raw).strip().upper()
    if value not in LOG_LEVELS:
        raise ValueError(f"one of {', '.join(LOG_LEVELS)}")
    return value


def switch(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value not in _TRUE + _FALSE:
        raise ValueError(f"on or off ({', '.join(_TRUE)}; {', '.join(_FALSE)})")
    return value in _TRUE


def some_text(raw: Any) -> str:
    value = str(raw).strip()
    if not value or any(c.isspace() for c in value):
        raise ValueError("an address or name, without spaces")
    return value


def folder(raw: Any) -> Path:
    if not str(raw).strip():
        raise ValueError("a folder's path")
    return Path(raw)


def _setting(default: Any, env: str, help: str, read: Read) -> Any:
    return field(default=default, metadata={"env": env, "help": help, "read": read})


@dataclass(frozen=True)
class EdgeSettings:
    data_dir: Path = _setting(
        Path("var/edge"),
        "GALLEY_DATA_DIR",
        "Folder for the edge database (edge.db) and its WAL.",
        folder,
    )
    host: str = _setting("0.0.0.0", "GALLEY_EDGE_HOST", "Address the edge listens on.", some_text)
    port: int = _setting(
        8000, "GALLEY_EDGE_PORT", "TCP port the edge listens on (1 to 65535).", whole(1, 65535)
    )
    session_hours: int = _setting(
        12,
        "GALLEY_SESSION_HOURS",
        "How long a staff sign-in on a device lasts, in hours (1 to 168).",
        whole(1, 168),
    )
    writer_max_batch: int = _setting(
        256,
        "GALLEY_WRITER_MAX_BATCH",
        "Most writes committed together in one transaction (1 to 10000).",
        whole(1, 10_000),
    )
    log_level: str = _setting("INFO", "GALLEY_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR.", level)
    print_workers: bool = _setting(
        True,
        "GALLEY_PRINT_WORKERS",
        "Run a print worker thread per printer (off: jobs queue up and nothing prints).",
        switch,
    )

    @property
    def database(self) -> Path:
        return self.data_dir / "edge.db"

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> EdgeSettings:
        """Flags (`overrides`, None for a flag not given) over the environment over `defaults`
        (a command's own) over the defaults above; a value that makes no sense is a
        SettingError that names the flag and the variable, and what they take."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            given = overrides.get(f.name)
            raw = environ.get(f.metadata["env"]) if given is None else given
            if raw is None:
                raw = (defaults or {}).get(f.name, f.default)
            try:
                values[f.name] = f.metadata["read"](raw)
            except ValueError as exc:
                flag = "--" + f.name.replace("_", "-")
                raise SettingError(
                    f"{flag} ({f.metadata['env']}) must be {exc}; it is {str(raw)!r}"
                ) from None
        return cls(**values)

    @classmethod
    def add_arguments(
        cls, parser: argparse.ArgumentParser, defaults: Mapping[str, Any] | None = None
    ) -> None:
        """A flag per setting; its help names the variable and the default this command uses."""
        defaults = defaults or {}
        for f in fields(cls):
            default = defaults.get(f.name, f.default)
            parser.add_argument(
                "--" + f.name.replace("_", "-"),
                dest=f.name,
                default=None,
                help=f"{f.metadata['help']} [{f.metadata['env']}, default {default}]",
            )


def documented() -> list[tuple[str, str, Any]]:
    """(environment variable, help, default) of every setting, for the docs and their test."""
    return [(f.metadata["env"], f.metadata["help"], f.default) for f in fields(EdgeSettings)]
