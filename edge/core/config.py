"""Every setting of the edge, in one place, each documented.

Values come from flags first, then `GALLEY_*` environment variables, then the defaults below
(or a command's own, such as `galley demo`'s data folder), as `service.settings` reads them.
Each has the values that make sense (a port from 1 to 65535, a sign-in of 1 to 168 hours, ...):
any other is refused, naming the flag and the variable, and `galley edge serve` exits with that
message (status 2). `tests/edge/test_contract.py` checks that each one is in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.settings import (
    Settings,
    folder,
    level,
    setting,
    some_text,
    some_text_or_none,
    switch,
    whole,
)


@dataclass(frozen=True)
class EdgeSettings(Settings):
    data_dir: Path = setting(
        Path("var/edge"),
        "GALLEY_DATA_DIR",
        "Folder for the edge database (edge.db) and its WAL.",
        folder,
    )
    host: str = setting("0.0.0.0", "GALLEY_EDGE_HOST", "Address the edge listens on.", some_text)
    port: int = setting(
        8000, "GALLEY_EDGE_PORT", "TCP port the edge listens on (1 to 65535).", whole(1, 65535)
    )
    session_hours: int = setting(
        12,
        "GALLEY_SESSION_HOURS",
        "How long a staff sign-in on a device lasts, in hours (1 to 168).",
        whole(1, 168),
    )
    writer_max_batch: int = setting(
        256,
        "GALLEY_WRITER_MAX_BATCH",
        "Most writes committed together in one transaction (1 to 10000).",
        whole(1, 10_000),
    )
    feed_replay_limit: int = setting(
        10_000,
        "GALLEY_FEED_REPLAY_LIMIT",
        "Most events the feed replays to a client that resumes (`/ws` and `/api/events` with"
        " `since`); one further back is told to reload (10 to 10000000).",
        whole(10, 10_000_000),
    )
    keep_local_days: int = setting(
        14,
        "GALLEY_KEEP_LOCAL_DAYS",
        "Days the box keeps what never leaves it: print jobs once done (bytes included) and the"
        " events of local things (printing, printer status, sign-ins); 1 to 3650.",
        whole(1, 3650),
    )
    keep_synced_days: int = setting(
        90,
        "GALLEY_KEEP_SYNCED_DAYS",
        "Days the box keeps events that sync (orders, menu, staff ...) once the hub has them;"
        " a box not enrolled keeps them all. 1 to 3650.",
        whole(1, 3650),
    )
    log_level: str = setting("INFO", "GALLEY_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR.", level)
    print_workers: bool = setting(
        True,
        "GALLEY_PRINT_WORKERS",
        "Run a print worker thread per printer (off: jobs queue up and nothing prints).",
        switch,
    )

    sync_seconds: int = setting(
        3,
        "GALLEY_SYNC_SECONDS",
        "Seconds between two rounds of sync with the hub while it answers (1 to 3600).",
        whole(1, 3600),
    )
    pay_url: str = setting(
        "",
        "GALLEY_PAY_URL",
        "The payment provider's API for pay at table (empty: pay at table is off).",
        some_text_or_none,
    )
    pay_webhook_secrets: str = setting(
        "",
        "GALLEY_PAY_WEBHOOK_SECRETS",
        "The provider's webhook signing secrets, comma-separated: the current one first, then"
        " the one it replaced while a rotation overlaps.",
        some_text_or_none,
    )
    clock_sync_file: Path = setting(
        Path("/run/systemd/timesync/synchronized"),
        "GALLEY_CLOCK_SYNC_FILE",
        "The file systemd-timesyncd makes once NTP has set the clock: until it is there (and its"
        " folder is), the box says its clock is not trusted (`/healthz`, `/api/sync`) and a"
        " manager may give it their device's time (`POST /api/sync/clock`), which it drops once"
        " the file is there.",
        folder,
    )

    @property
    def database(self) -> Path:
        return self.data_dir / "edge.db"

    @property
    def device_key(self) -> Path:
        """The box's Ed25519 private key (mode 0600), made by `galley edge enrol`."""
        return self.data_dir / "device-key.pem"

    @property
    def device_key_next(self) -> Path:
        """A new key enrolling, until the hub takes it (`edge.setup.enrolment`)."""
        return self.data_dir / "device-key.next.pem"
