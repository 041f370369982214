"""How often one client address may try something, counted in this process.

A sliding window per address. The hub counts enrolments and owners' sign-ins with it, a box the
pairing of staff devices: what is tried there (a code, a password) is far too long to find by
trying, so this only keeps a scanner from filling the logs and the CPU. Counted in memory: a
restart starts every address again, which costs a guesser nothing it could use. Behind a load
balancer each process counts its own share; run uvicorn with --proxy-headers so that the address
is the client's, not the balancer's.
"""

from __future__ import annotations

from collections import deque

from service.errors import TooMany
from sync.clock import utcnow

_KEEP = 10_000  # addresses remembered before the quiet ones are forgotten


class Attempts:
    def __init__(self, most: int, seconds: float) -> None:
        self.most = most
        self.seconds = seconds
        self._seen: dict[str, deque[float]] = {}

    def wait(self, address: str) -> int:
        """Count one attempt from `address` and answer 0; or, when it made `most` in the last
        `seconds`, count nothing and answer how many seconds until it may try again."""
        now = utcnow().timestamp()
        window = self.seconds
        if len(self._seen) > _KEEP:
            self._seen = {a: t for a, t in self._seen.items() if t and t[-1] > now - window}
        times = self._seen.setdefault(address, deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= self.most:
            return int(times[0] + window - now) + 1
        times.append(now)
        return 0

    def count(self, address: str, what: str = "attempts") -> None:
        """Count one attempt from `address`, or refuse it: a 429 that says when to try again."""
        wait = self.wait(address)
        if wait:
            raise TooMany(
                f"too many {what} from this address; try again in {wait} s", retry_after=wait
            )
