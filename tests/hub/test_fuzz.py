"""Schemathesis over the hub's OpenAPI description, on SQLite and on PostgreSQL, signed in as an
owner with one store: requests made from the description, valid and not, each answered with no
server error, a documented status, and a body its documented schema accepts.

The hub runs in its own process on 127.0.0.1 only. Left out: signing out, which would end the
session every other request is made with. The sync routes are fuzzed unsigned (and the fuzzer's
signatures are nonsense): each must be a documented refusal, never a server error.
How many cases, and which: tests/fuzz.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.api.openapi import API
from hub.app import create_app
from hub.config import HubSettings
from tests.fuzz import fuzzed
from tests.integration.hubs import served_hub

SPEC = API.describe(create_app(HubSettings(database_url="sqlite:///unused.db")).routes)
schema, OWNER = fuzzed(SPEC)  # OWNER: the owner's bearer token


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A hub (`galley hub serve`) on a loopback port with an owner signed in and one store."""
    if request.param == "sqlite":
        database = f"sqlite:///{tmp_path_factory.mktemp('fuzzed') / 'hub.db'}"
    else:
        database = request.getfixturevalue("pg_urls")[1]
    with served_hub(HubSettings(database_url=database), "Fuzzed") as hub:
        assert hub.http.get("/openapi.json").json() == SPEC
        OWNER.clear()
        OWNER.update(hub.headers)
        hub.store("Fuzzed")
        yield hub.url


@schema.exclude(operation_id=["sign_out"]).parametrize()
def test_no_answer_strays_from_the_description(case, hub_url):
    assert hub_url.startswith("http://127.0.0.1:")
    case.call_and_validate(base_url=hub_url)
