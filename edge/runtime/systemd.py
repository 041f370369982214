"""Telling systemd how the edge is doing: ready, still alive, stopping (sd_notify, no library).

`galley-edge.service` is `Type=notify` with `WatchdogSec=`. systemd counts the box as started
only once it says READY=1, sent after uvicorn listens, so `systemctl start` returning means the
box answers. It restarts the box when the WATCHDOG=1 keep-alives stop. They are sent from the
event loop itself, at half the interval systemd asks for: a loop blocked by a runaway handler
stops them and the box is restarted, which is the point (a thread would keep sending while the
loop that serves the tills is stuck). STOPPING=1 says a stop is on purpose while the writer
flushes.

The protocol is one datagram per message to the unix socket named by $NOTIFY_SOCKET (a leading
`@` means Linux's abstract namespace). Without it (tests, the demo) every call does nothing, and
a lost datagram is logged, never raised: the box serves whether or not systemd hears it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.address = _address(environ.get("NOTIFY_SOCKET", ""))
        self.keep_alive_s = _keep_alive_interval(environ)
        self._socket: socket.socket | None = None
        self._keep_alive: asyncio.Task[None] | None = None

    def notify(self, message: str) -> bool:
        """Send one message (`READY=1`, `STATUS=...`); whether it left."""
        if self.address is None:
            return False
        if self._socket is None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        try:
            self._socket.sendto(message.encode(), self.address)
        except OSError as error:
            log.warning("systemd did not get %r: %s", message.split("=")[0], error)
            return False
        return True

    def ready(self) -> None:
        """Call on the event loop once the server listens: READY=1, then the keep-alives."""
        self.notify("READY=1\nSTATUS=Serving")
        if self.keep_alive_s is not None and self._keep_alive is None:
            self._keep_alive = asyncio.get_running_loop().create_task(self._keep_alive_loop())

    def stopping(self) -> None:
        if self._keep_alive is not None:
            self._keep_alive.cancel()
            self._keep_alive = None
        self.notify("STOPPING=1\nSTATUS=Stopping")
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def _keep_alive_loop(self) -> None:
        assert self.keep_alive_s is not None
        while True:
            self.notify("WATCHDOG=1")
            await asyncio.sleep(self.keep_alive_s)


def _address(value: str) -> str | bytes | None:
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    return value if value.startswith("/") else None


def _keep_alive_interval(environ: Mapping[str, str]) -> float | None:
    """Half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises, when the watchdog is this
    process's ($WATCHDOG_PID, when set, names the process it is meant for)."""
    pid = environ.get("WATCHDOG_PID")
    if pid is not None and pid != str(os.getpid()):
        return None
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2 / 1_000_000 if usec > 0 else None
