"""Every refusal of a sync request, with its status, and its row in the refusal audit."""

import asyncio
import dataclasses
import re
from datetime import timedelta

import httpx
import orjson
import pytest
from freezegun import freeze_time

from hub.api.owners import FAILED_SIGN_INS, FAILED_WINDOW_S
from hub.api.sync import ENROLMENT, REFUSALS_PER_MINUTE
from hub.app import create_app
from sync.clock import utcnow
from sync.envelope import MAX_NODE
from sync.signing import DeviceKey, sign
from tests.hub.kit import (
    PASSWORD,
    Box,
    enrol,
    enrolled_box,
    new_code,
    new_owner,
    new_store,
    order_event,
)


@pytest.fixture
async def owner(hub, hub_storage):
    return await new_owner(hub, hub_storage)


@pytest.fixture
async def store(hub, owner):
    return await new_store(hub, owner)


@pytest.fixture
async def box(hub, owner, store):
    return await enrolled_box(hub, owner, store["id"])


async def _refusals(hub, owner):
    answer = await hub.get("/api/refusals", headers=owner.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["refusals"]


def _refused(answer, status, code):
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    return answer.json()["error"]


async def test_an_unsigned_push_is_refused_and_audited_without_its_tenant(hub, owner, box):
    body = box.batch([order_event(1)], after=0)
    _refused(await hub.post("/sync/v1/push", content=body), 401, "missing")
    assert await _refusals(hub, owner) == []  # no key named: no tenant's to read


async def test_a_bad_signature_a_stale_one_and_a_replay_are_refused_and_audited(
    hub, owner, store, box
):
    body = box.batch([order_event(1)], after=0)
    forged = sign(box.key, "POST", "/sync/v1/push", b"another body")
    _refused(await hub.post("/sync/v1/push", content=body, headers=forged), 401, "bad_signature")

    hour_ago = utcnow() - timedelta(hours=1)
    stale = _refused(await box.send("POST", "/sync/v1/push", body, now=hour_ago), 401, "stale")
    assert abs(stale["hub_time"] - utcnow().timestamp()) < 60  # a box corrects its clock by it

    headers = sign(box.key, "POST", "/sync/v1/push", body)
    assert (await hub.post("/sync/v1/push", content=body, headers=headers)).status_code == 200
    _refused(await hub.post("/sync/v1/push", content=body, headers=headers), 409, "replayed")

    audit = await _refusals(hub, owner)
    assert [r["code"] for r in audit] == ["replayed", "stale", "bad_signature"]
    assert {r["store_id"] for r in audit} == {store["id"]}
    assert {r["key_id"] for r in audit} == {box.key.key_id}
    assert {r["request"] for r in audit} == {"POST /sync/v1/push"}
    shown = orjson.dumps(audit).decode()
    assert headers["X-Galley-Nonce"] not in shown and headers["X-Galley-Signature"] not in shown


async def test_an_unknown_key_a_revoked_key_and_another_stores_key_are_refused(
    hub, owner, store, box
):
    stranger = Box(hub, DeviceKey.generate(), store["id"])
    _refused(await stranger.pull(), 401, "unknown_key")

    other_store = await new_store(hub, owner, "Other")
    other = await enrolled_box(hub, owner, other_store["id"])
    wrong = other.batch([order_event(1)], after=0, store_id=store["id"])
    _refused(await other.send("POST", "/sync/v1/push", wrong), 403, "wrong_store")

    revoked = await hub.post(
        f"/api/stores/{store['id']}/devices/{box.key.key_id}/revoke", headers=owner.headers
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    _refused(await box.pull(), 403, "revoked")
    _refused(await box.push([order_event(1)], after=0), 403, "revoked")

    audit = await _refusals(hub, owner)
    assert [(r["code"], r["store_id"]) for r in audit] == [
        ("revoked", store["id"]),
        ("revoked", store["id"]),
        ("wrong_store", other_store["id"]),
    ]  # the unknown key belongs to no tenant
    devices = await hub.get(f"/api/stores/{store['id']}/devices", headers=owner.headers)
    assert [d["revoked_at"] is not None for d in devices.json()["devices"]] == [True]


async def test_an_unknown_used_or_expired_code_is_refused_and_audited(hub, owner, store):
    _refused(await enrol(hub, "NOPE1-NOPE2", DeviceKey.generate()), 404, "unknown_code")
    code = await new_code(hub, owner, store["id"])
    first = await enrol(hub, code.lower(), DeviceKey.generate())  # typed in any case
    assert first.status_code == 201, first.text
    assert first.json()["store_id"] == store["id"]
    _refused(await enrol(hub, code, DeviceKey.generate()), 410, "code_used")

    late = await new_code(hub, owner, store["id"])
    with freeze_time(utcnow() + timedelta(hours=25), real_asyncio=True):
        _refused(await enrol(hub, late, DeviceKey.generate()), 410, "code_expired")
    assert [r["code"] for r in await _refusals(hub, owner)] == ["code_expired", "code_used"]
    assert code not in (await hub.get("/api/refusals", headers=owner.headers)).text


async def test_an_owner_lists_the_stores_codes_unseen_and_cancels_the_open_ones(hub, owner, store):
    """A code sent to a technician by mail may leak: the owner sees which codes of the store
    are open, used (by which key) or expired, never a code itself, and cancels the open ones,
    which then enrol nothing (410 `code_expired`). Before, a code made could only wait out its
    24 hours."""
    path = f"/api/stores/{store['id']}/enrolment-codes"
    used = await new_code(hub, owner, store["id"])
    key = DeviceKey.generate()
    assert (await enrol(hub, used, key)).status_code == 201
    late = await new_code(hub, owner, store["id"])
    with freeze_time(utcnow() + timedelta(hours=25), real_asyncio=True):
        signed = await hub.post("/api/sessions", json={"email": owner.email, "password": PASSWORD})
        owner = dataclasses.replace(
            owner, headers={"Authorization": f"Bearer {signed.json()['token']}"}
        )
        leaked = await new_code(hub, owner, store["id"])
        listed = await hub.get(path, headers=owner.headers)
        assert listed.status_code == 200, listed.text
        codes = listed.json()["codes"]
        assert (codes[0]["status"], codes[0]["used_by"]) == ("open", None)  # newest first
        assert sorted((c["status"], c["used_by"] or "") for c in codes[1:]) == [
            ("expired", ""),
            ("used", key.key_id),
        ]
        for code in (used, late, leaked):
            assert code not in listed.text and code.replace("-", "") not in listed.text
        cancelled = await hub.delete(path, headers=owner.headers)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json() == {"cancelled": 1}
        _refused(await enrol(hub, leaked, DeviceKey.generate()), 410, "code_expired")
        after = (await hub.get(path, headers=owner.headers)).json()["codes"]
        assert sorted(c["status"] for c in after) == ["expired", "expired", "used"]
        assert (await hub.delete(path, headers=owner.headers)).json() == {"cancelled": 0}
    devices = (await hub.get(f"/api/stores/{store['id']}/devices", headers=owner.headers)).json()
    assert [d["key_id"] for d in devices["devices"]] == [key.key_id]


async def test_a_key_enrols_once(hub, owner, store, box):
    code = await new_code(hub, owner, store["id"])
    _refused(await enrol(hub, code, box.key), 409, "key_enrolled")
    spec = (await hub.get("/openapi.json")).json()
    assert "409" in spec["paths"]["/sync/v1/enrol"]["post"]["responses"]  # as it answers
    assert (await enrol(hub, code, DeviceKey.generate())).status_code == 201  # code not used up


async def test_a_key_enrolled_with_several_codes_at_once_is_enrolled_once(hub, owner, store):
    """A box that sends its key with two codes at once (a retry, a second technician) is
    enrolled by one; each other is the 409 of a key enrolled already, never the database's
    error (a 503 on PostgreSQL), and its code stays unused."""
    for _ in range(5):
        key = DeviceKey.generate()
        codes = [await new_code(hub, owner, store["id"]) for _ in range(4)]
        answers = await asyncio.gather(*(enrol(hub, code, key) for code in codes))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201, 409, 409, 409], [answer.text for answer in answers]
        for code, answer in zip(codes, answers, strict=True):
            if answer.status_code == 409:
                assert answer.json()["error"]["code"] == "key_enrolled"
                assert (await enrol(hub, code, DeviceKey.generate())).status_code == 201


async def test_an_enrolment_is_small_and_its_node_name_short(hub, owner, store):
    """Anyone may send an enrolment: it is not read past the owner API's body size, and the
    node name an owner is shown is at most MAX_NODE characters; neither uses the code up."""
    code, key = await new_code(hub, owner, store["id"]), DeviceKey.generate()
    body = {"schema": 1, "code": code, "public_key_pem": key.public_pem()}
    long = await hub.post("/sync/v1/enrol", json={**body, "node": "n" * (MAX_NODE + 1)})
    _refused(long, 400, "bad_envelope")
    huge = await hub.post("/sync/v1/enrol", json={**body, "node": "n" * 300_000})
    _refused(huge, 400, "too_large")
    assert (await hub.post("/sync/v1/enrol", json={**body, "node": "box-1"})).status_code == 201


async def test_enrolment_is_rate_limited_per_address(hub_settings):
    app = create_app(dataclasses.replace(hub_settings, attempts_per_minute=3))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as hub:
            for _ in range(3):
                _refused(await enrol(hub, "WRONG-CODE1", DeviceKey.generate()), 404, "unknown_code")
            limited = await enrol(hub, "WRONG-CODE1", DeviceKey.generate())
            _refused(limited, 429, "too_many_attempts")
            assert 0 < int(limited.headers["Retry-After"]) <= 60
            with freeze_time(utcnow() + timedelta(seconds=61), real_asyncio=True):
                _refused(await enrol(hub, "WRONG-CODE1", DeviceKey.generate()), 404, "unknown_code")


async def test_an_accounts_wrong_passwords_are_limited_from_every_address(hub_app, owner):
    """A guesser spread over many addresses (each within its own limit) gets FAILED_SIGN_INS
    wrong passwords at one account, then a 429 even for the right one, until the oldest leaves
    the window; the same email in capitals is the same account; another account, and the
    owner's session already signed in, go on."""

    def client(n: int) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=hub_app, client=(f"127.0.{n // 250}.{n % 250}", 9))
        return httpx.AsyncClient(transport=transport, base_url="http://hub")

    async def sign_in(n: int, email: str, password: str) -> httpx.Response:
        async with client(n) as hub:
            return await hub.post("/api/sessions", json={"email": email, "password": password})

    for n in range(FAILED_SIGN_INS):
        email = owner.email.upper() if n % 2 else owner.email
        _refused(await sign_in(n, email, "guess"), 401, "wrong_credentials")
    limited = await sign_in(FAILED_SIGN_INS, owner.email, PASSWORD)
    _refused(limited, 429, "too_many_attempts")
    assert 0 < int(limited.headers["Retry-After"]) <= FAILED_WINDOW_S
    other = await sign_in(FAILED_SIGN_INS + 1, "someone-else@example.com", "guess")
    _refused(other, 401, "wrong_credentials")
    async with client(0) as hub:
        assert (await hub.get("/api/stores", headers=owner.headers)).status_code == 200
    with freeze_time(utcnow() + timedelta(seconds=FAILED_WINDOW_S + 1), real_asyncio=True):
        assert (await sign_in(FAILED_SIGN_INS + 2, owner.email, PASSWORD)).status_code == 201


async def test_refusals_recorded_per_address_are_limited(hub, owner, store, box):
    """Anyone may call the sync routes and each refusal recorded costs the hub a row: an address
    refused REFUSALS_PER_MINUTE times in a minute is refused alike but not recorded until the
    minute ends, then recorded again."""
    body = box.batch([order_event(1)], after=0)
    forged = sign(box.key, "POST", "/sync/v1/push", b"another body")

    async def refused(times):
        for _ in range(times):
            answer = await hub.post("/sync/v1/push", content=body, headers=forged)
            _refused(answer, 401, "bad_signature")

    await refused(REFUSALS_PER_MINUTE + 5)
    assert len(await _refusals(hub, owner)) == REFUSALS_PER_MINUTE
    with freeze_time(utcnow() + timedelta(seconds=61), real_asyncio=True):
        await refused(1)
    assert len(await _refusals(hub, owner)) == REFUSALS_PER_MINUTE + 1


async def test_bad_bodies_are_400s_in_the_error_shape(hub, box):
    assert (await box.send("POST", "/sync/v1/push", b"{not json")).status_code == 400
    future = orjson.dumps({"schema": 2, "store_id": box.store_id, "after": 0, "events": []})
    _refused(await box.send("POST", "/sync/v1/push", future), 400, "schema_unsupported")
    _refused(await box.send("GET", "/sync/v1/pull?cursor=-1"), 400, "bad_query")
    _refused(await hub.post("/sync/v1/enrol", content=b"[]"), 400, "bad_envelope")


async def test_a_body_sent_as_another_type_than_json_is_a_415(hub, owner, box):
    """As on the owners' routes: a batch or an enrolment sent as text or a form is refused
    before it is read, and the batch is not applied."""
    batch = box.batch([order_event(1)], 0)
    for media in ("text/plain", "application/x-www-form-urlencoded"):
        headers = {**sign(box.key, "POST", "/sync/v1/push", batch), "Content-Type": media}
        _refused(
            await hub.post("/sync/v1/push", content=batch, headers=headers),
            415,
            "unsupported_media_type",
        )
        typed = {"Content-Type": media}
        _refused(
            await hub.post("/sync/v1/enrol", content=b"{}", headers=typed),
            415,
            "unsupported_media_type",
        )
        _refused(
            await hub.post("/api/stores", content=b"{}", headers={**owner.headers, **typed}),
            415,
            "unsupported_media_type",
        )
    assert (await box.push([order_event(1)], 0)).status_code == 200  # seq 1 was not taken


async def test_numbers_no_database_holds_are_400s_and_write_nothing(hub, owner, store, box):
    """JSON's numbers have no bound, a database's integers do: a seq or a revision past 2**63 - 1
    is refused as malformed, never the database's error (a 500 on SQLite, a 503 on
    PostgreSQL)."""
    for changed in ({"seq": 2**63}, {"seq": 2**64 - 1}, {"base_rev": 2**63}):
        pushed = dataclasses.replace(order_event(1), **changed)
        _refused(await box.push([pushed], after=0), 400, "bad_envelope")
    stores = (await hub.get(f"/api/stores/{store['id']}", headers=owner.headers)).json()
    assert stores["push_upto"] == 0
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox", headers=owner.headers)
    assert inbox.json()["events"] == []


async def test_an_order_line_id_with_a_nul_is_rejected_not_a_database_error(hub, owner, box):
    """PostgreSQL's text cannot hold NUL: a line's id (a row's id on the hub) with one is the
    event's rejection, as a bad value, on both backends; the order is not half made."""
    order = order_event(1)
    order.fields["order_lines"][0]["id"] = "line\u0000"
    answer = await box.push([order], after=0)
    assert answer.status_code == 200, answer.text
    [verdict] = answer.json()["verdicts"]
    assert verdict["status"] == "rejected" and verdict["reason"]["code"] == "bad_value"
    for entity in ("orders", "order_lines"):
        listed = await hub.get(f"/api/stores/{box.store_id}/rows/{entity}", headers=owner.headers)
        assert listed.json()["rows"] == []


async def test_nul_characters_are_refused_before_any_database_sees_them(hub, owner):
    """PostgreSQL's text cannot hold NUL: a body carrying one is refused as such, never a 503
    from the database, on both backends."""
    name = await hub.post("/api/stores", json={"name": "Bar\u0000"}, headers=owner.headers)
    assert name.status_code == 422 and name.json()["error"]["field"] == "name"
    body = {"schema": 1, "code": "A\u0000", "public_key_pem": DeviceKey.generate().public_pem()}
    _refused(await hub.post("/sync/v1/enrol", json={**body, "node": "box"}), 400, "bad_envelope")
    assert (await hub.get("/api/stores", headers=owner.headers)).json()["stores"] == []
    after = await hub.get("/api/refusals?after=%00", headers=owner.headers)
    _refused(after, 400, "bad_query")


def test_the_enrolment_body_is_described_as_the_hub_reads_it():
    """Every key a box makes matches the documented pattern of `public_key_pem`."""
    pattern = re.compile(ENROLMENT["properties"]["public_key_pem"]["pattern"])
    assert all(pattern.search(DeviceKey.generate().public_pem()) for _ in range(200))
