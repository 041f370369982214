"""How often one client address may try something (enrol, sign in), counted in this process.

A sliding minute per address: an enrolment code has 50 bits and a password scrypt's cost, so
this only keeps a scanner from filling the refusal audit and the CPU. Behind a load balancer
each process counts its own share; run uvicorn with --proxy-headers so the address is the
client's, not the balancer's.
"""

from __future__ import annotations

from hub.errors import TooMany
from sync import attempts


class Attempts(attempts.Attempts):
    def __init__(self, per_minute: int) -> None:
        super().__init__(per_minute, 60.0)

    def count(self, address: str) -> None:
        """Count one attempt from `address`, or refuse it (429 with Retry-After)."""
        wait = self.wait(address)
        if wait:
            raise TooMany(
                f"too many attempts from this address; try again in {wait} s", retry_after=wait
            )
