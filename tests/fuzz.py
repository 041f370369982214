"""What the edge's and the hub's fuzz tests share: Schemathesis's settings, and the auth hook that
puts a signed-in caller's headers on every case but those that test missing or wrong ones.
`GALLEY_FUZZ_EXAMPLES` sets the examples per operation (`make bench` runs more); the cases are
the same each run unless `GALLEY_FUZZ_SEED` picks others."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

EXAMPLES = int(os.environ.get("GALLEY_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("GALLEY_FUZZ_SEED")
CONFIG = {
    "generation": {"max-examples": EXAMPLES, "database": "none", "deterministic": SEED is None},
    "phases": {"stateful": {"enabled": False}},
    # A request the schema allows may still break a rule no schema can say (an id in the body
    # that names nothing, a name already taken, a feed position the box no longer replays or
    # never reached): a documented 4xx. Never a 400 or a 5xx.
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429"]
        }
    },
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    **({"seed": int(SEED)} if SEED else {}),
}


def fuzzed(spec: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """The schema to parametrize tests over, and the headers its auth hook puts on each case,
    which the caller's fixture fills once it has signed in."""
    schema = schemathesis.openapi.from_dict(spec, config=SchemathesisConfig.from_dict(CONFIG))
    headers: dict[str, str] = {}

    @schema.auth(refresh_interval=None)
    class SignedIn:
        def get(self, case, context):
            return headers

        def set(self, case, given, context):
            case.headers = {**(case.headers or {}), **given}

    return schema, headers
