"""Every setting of the edge, in one place, each documented.

Values come from flags first, then `GALLEY_*` environment variables, then the defaults below
(or a command's own, such as `galley demo`'s data folder). `tests/edge/test_contract.py` checks
that each one is in the README.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _setting(default: Any, env: str, help: str) -> Any:
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class EdgeSettings:
    data_dir: Path = _setting(
        Path("var/edge"), "GALLEY_DATA_DIR", "Folder for the edge database (edge.db) and its WAL."
    )
    host: str = _setting("0.0.0.0", "GALLEY_EDGE_HOST", "Address the edge listens on.")
    port: int = _setting(8000, "GALLEY_EDGE_PORT", "TCP port the edge listens on.")
    session_hours: int = _setting(
        12, "GALLEY_SESSION_HOURS", "How long a staff sign-in on a device lasts, in hours."
    )
    writer_max_batch: int = _setting(
        256, "GALLEY_WRITER_MAX_BATCH", "Most writes committed together in one transaction."
    )
    log_level: str = _setting("INFO", "GALLEY_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR.")
    print_workers: bool = _setting(
        True,
        "GALLEY_PRINT_WORKERS",
        "Run a print worker thread per printer (off: jobs queue up and nothing prints).",
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
        (a command's own) over the defaults above."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = dict(defaults or {})
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None:
                values[f.name] = _convert(f.default, raw)
        settings = cls(**values)
        given = {
            k: _convert(getattr(settings, k), v) for k, v in overrides.items() if v is not None
        }
        return replace(settings, **given)

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


def _convert(default: Any, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, Path):
        return Path(raw)
    return raw
