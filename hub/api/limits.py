"""How often one client address may try something (enrol, sign in), counted in this process.

A sliding minute per address: an enrolment code has 50 bits and a password scrypt's cost, so
this only keeps a scanner from filling the refusal audit and the CPU. Behind a load balancer
each process counts its own share; run uvicorn with --proxy-headers so the address is the
client's, not the balancer's.
"""

from __future__ import annotations

from collections import deque

from hub.errors import TooMany
from sync.clock import utcnow

_WINDOW_S = 60.0
_KEEP = 10_000  # addresses remembered before the quiet ones are forgotten


class Attempts:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def count(self, address: str) -> None:
        """Count one attempt from `address`, or refuse it (429 with Retry-After)."""
        now = utcnow().timestamp()
        if len(self._seen) > _KEEP:
            self._seen = {a: t for a, t in self._seen.items() if t and t[-1] > now - _WINDOW_S}
        times = self._seen.setdefault(address, deque())
        while times and times[0] <= now - _WINDOW_S:
            times.popleft()
        if len(times) >= self.per_minute:
            wait = int(times[0] + _WINDOW_S - now) + 1
            raise TooMany(
                f"too many attempts from this address; try again in {wait} s", retry_after=wait
            )
        times.append(now)
