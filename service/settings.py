"""Settings, read one way in both apps: flags first, then `GALLEY_*` environment variables, then
a command's own defaults (`galley demo`'s data folder), then the defaults declared with each.

An app declares its settings as a frozen dataclass subclassing `Settings`, each field made by
`setting(default, variable, help, read)`. `read` takes the value as given (text from a flag or a
variable, or a default) and answers the value, or raises ValueError saying what the setting
takes ("a whole number from 1 to 168"); `load` turns that into a SettingError naming the flag
and the variable, which each command prints before it exits with status 2. `documented` lists
every setting for the README, and a test of each app holds the two together.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
# A setting's value as given -> the value, or ValueError saying what the setting takes.
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
    """An address, a name or a URL: something, without spaces."""
    value = str(raw).strip()
    if not value or any(c.isspace() for c in value):
        raise ValueError("an address or name, without spaces")
    return value


def some_text_or_none(raw: Any) -> str:
    """The same, or empty: a setting that may be left unset."""
    return some_text(raw) if str(raw).strip() else ""


def folder(raw: Any) -> Path:
    if not str(raw).strip():
        raise ValueError("a folder's path")
    return Path(raw)


def setting(default: Any, env: str, help: str, read: Read) -> Any:
    """One setting: its default, its environment variable, what it is for, how it is read."""
    return dataclasses.field(default=default, metadata={"env": env, "help": help, "read": read})


class Settings:
    """What every app's settings can do; subclassed by a frozen dataclass of `setting`s."""

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> Self:
        """Flags (`overrides`, None for a flag not given) over the environment over `defaults`
        (a command's own) over the declared defaults; a value that makes no sense is a
        SettingError that names the flag and the variable, and what they take."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            given = overrides.get(f.name)
            raw = environ.get(f.metadata["env"]) if given is None else given
            if raw is None:
                raw = (defaults or {}).get(f.name, f.default)
            try:
                values[f.name] = f.metadata["read"](raw)
            except ValueError as exc:
                raise SettingError(
                    f"{_flag(f.name)} ({f.metadata['env']}) must be {exc}; it is {str(raw)!r}"
                ) from None
        return cls(**values)

    @classmethod
    def add_arguments(
        cls, parser: argparse.ArgumentParser, defaults: Mapping[str, Any] | None = None
    ) -> None:
        """A flag per setting; its help names the variable and the default this command uses."""
        defaults = defaults or {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            default = defaults.get(f.name, f.default)
            parser.add_argument(
                _flag(f.name),
                dest=f.name,
                default=None,
                help=f"{f.metadata['help']} [{f.metadata['env']}, default {default}]",
            )

    @classmethod
    def documented(cls) -> list[tuple[str, str, Any]]:
        """(environment variable, help, default) of every setting, for the docs and their test."""
        return [
            (f.metadata["env"], f.metadata["help"], f.default)
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        ]

    def environ(self) -> dict[str, str]:
        """These settings as environment variables, for a process to load them again."""
        return {
            f.metadata["env"]: str(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        }


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")
