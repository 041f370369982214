"""How often one client address may try something, counted in this process.

A sliding window per address. The hub counts enrolments and owners' sign-ins with it, a box the
pairing of staff devices: what is tried there (a code, a password) is far too long to find by
trying, so this only keeps a scanner from filling the logs and the CPU. Counted in memory: a
restart starts every address again, which costs a guesser nothing it could use. Behind a load
balancer each process counts its own share; run uvicorn with --proxy-headers so that the address
is the client's, not the balancer's.

The hub also counts each owner account's wrong passwords, from whatever address
(`hub.api.owners`): guessers spread over many addresses get no more tries at one account.
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
        times, wait = self._window(address)
        if not wait:
            times.append(utcnow().timestamp())
        return wait

    def blocked(self, key: str) -> int:
        """How many seconds until `key` may try again (0: now), counting nothing: for what is
        counted only when it fails (an account's wrong passwords)."""
        return self._window(key)[1]

    def _window(self, key: str) -> tuple[deque[float], int]:
        now = utcnow().timestamp()
        window = self.seconds
        if len(self._seen) > _KEEP:
            self._seen = {a: t for a, t in self._seen.items() if t and t[-1] > now - window}
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - window:
            times.popleft()
        return times, int(times[0] + window - now) + 1 if len(times) >= self.most else 0

    def count(self, address: str, what: str = "attempts") -> None:
        """Count one attempt from `address`, or refuse it: a 429 that says when to try again."""
        wait = self.wait(address)
        if wait:
            raise TooMany(
                f"too many {what} from this address; try again in {wait} s", retry_after=wait
            )
