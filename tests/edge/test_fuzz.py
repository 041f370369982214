"""Schemathesis over the edge's OpenAPI description, signed in as the owner of the demo store:
requests made from the description, valid and not, each answered with no server error, a
documented status, and a body its documented schema accepts.

Loopback only: the box runs on 127.0.0.1 without print workers (a printer a request configures
is never dialled), and network discovery, which scans the subnet it is given, is left out: a
generated 10.0.0.0/24 would probe a private network. Left out too: signing out, which would end
the session every other request is made with, and the websockets (the feed and a guest's),
which the fuzzer cannot speak.
The fuzzer's device is paired as any other (a code from the console, then `/api/devices/pair`),
and pairing, open to anyone, answers 429 after 10 tries from one address: documented, expected.
How many cases, and which: tests/fuzz.py.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator

import httpx
import pytest

from edge.api.app import create_app
from edge.api.openapi import API
from edge.core.config import EdgeSettings
from tests.conftest import credential, pairing, sign_in_body, signed_in
from tests.fuzz import fuzzed
from tests.live import serve

NOT_FUZZED = ["discover_network", "sign_out", "live", "guest_live"]
SPEC = API.describe(create_app(EdgeSettings(print_workers=False)).routes)  # what /openapi.json says
schema, OWNER = fuzzed(SPEC)  # OWNER: the owner's bearer token and the device's credential


@pytest.fixture(scope="module")
def box(tmp_path_factory, demo_template) -> Iterator[str]:
    """The demo box on a loopback port, for every operation, with the owner signed in."""
    data = tmp_path_factory.mktemp("fuzzed")
    shutil.copy(demo_template, data / "edge.db")
    app = create_app(dataclasses.replace(EdgeSettings(data_dir=data), print_workers=False))
    with serve(app) as base:
        assert httpx.get(f"{base}/openapi.json").json() == SPEC
        paired = credential(
            httpx.post(f"{base}/api/devices/pair", json=pairing("Fuzzer", data / "edge.db"))
        )
        roster = httpx.get(f"{base}/api/staff/roster", headers=paired).json()
        signed = httpx.post(
            f"{base}/api/sessions", headers=paired, json=sign_in_body(roster, "owner")
        )
        OWNER.update({**paired, **signed_in(signed)})
        yield base


@schema.exclude(operation_id=NOT_FUZZED).parametrize()
def test_no_answer_strays_from_the_description(case, box):
    assert box.startswith("http://127.0.0.1:")
    case.call_and_validate(base_url=box)
