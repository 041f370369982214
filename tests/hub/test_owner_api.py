"""The owner's JSON API over real HTTP: sign-in, stores, codes, rows and edits, the one error
shape, /openapi.json and /healthz."""

from datetime import timedelta

import pytest
from freezegun import freeze_time
from starlette.routing import Route

from galley.cli import main
from hub.api.owners import FAILED_SIGN_INS
from service.openapi import terms_of
from sync.clock import utcnow
from sync.ids import uuid7
from tests.hub.kit import PASSWORD, enrolled_box, event, item_fields, new_owner, new_store


@pytest.fixture
async def owner(hub, hub_storage):
    return await new_owner(hub, hub_storage)


def _error(answer, status, code):
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    return error


async def test_sign_in_and_out(hub, owner):
    _error(await hub.get("/api/stores"), 401, "signed_out")
    wrong = await hub.post("/api/sessions", json={"email": owner.email, "password": "nope"})
    _error(wrong, 401, "wrong_credentials")
    nobody = await hub.post("/api/sessions", json={"email": "x@y.z", "password": PASSWORD})
    _error(nobody, 401, "wrong_credentials")
    signed = await hub.post(
        "/api/sessions", json={"email": owner.email.upper(), "password": PASSWORD}
    )
    assert signed.status_code == 201 and signed.json()["tenant"]["id"] == owner.tenant_id
    headers = {"Authorization": f"Bearer {signed.json()['token']}"}
    assert (await hub.get("/api/stores", headers=headers)).status_code == 200
    assert (await hub.delete("/api/sessions/current", headers=headers)).status_code == 200
    _error(await hub.get("/api/stores", headers=headers), 401, "signed_out")
    assert (await hub.get("/api/stores", headers=owner.headers)).status_code == 200


@pytest.mark.parametrize(
    ("email", "password", "why"),
    [
        ("{email}", "p" * 201, "Password must be text of 1 to 200 characters."),
        ("ana\u202e{email}", "correct horse battery", "Email can't hold control characters."),
    ],
)
async def test_create_owner_refuses_what_sign_in_would_refuse(
    hub, hub_settings, capsys, email, password, why
):
    """`galley hub create-owner` makes only owners who can sign in: a password or an email the
    sign-in refuses (too long, a control character in it) is refused there, and no account is
    made."""
    address = f"{uuid7()}@example.com"
    args = ["hub", "create-owner", "--database-url", hub_settings.database_url]
    typed = email.format(email=address)
    assert main([*args, "--tenant", "Azul", "--email", typed, "--password", password]) == 2
    assert capsys.readouterr().err.strip() == why
    longest = "p" * 200
    assert main([*args, "--tenant", "Azul", "--email", address, "--password", longest]) == 0
    signed = await hub.post("/api/sessions", json={"email": address, "password": longest})
    assert signed.status_code == 201, signed.text


async def test_a_password_change_ends_every_other_sign_in(hub, owner):
    """An owner whose password leaked changes it, and a sign-in someone else made with it (a
    stolen token) ends at once; this one goes on. Before, there was no way to change it:
    the thief's token lasted its 12 hours and the password forever."""
    path = "/api/owners/current/password"
    stolen = await hub.post("/api/sessions", json={"email": owner.email, "password": PASSWORD})
    thief = {"Authorization": f"Bearer {stolen.json()['token']}"}
    new = "a much longer passphrase"
    for body, status, code, field in [
        ({"current_password": "guess", "new_password": new}, 422, "wrong_password",
         "current_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, 422, "invalid", "new_password"),
        ({"current_password": PASSWORD}, 422, "missing_field", "new_password"),
    ]:  # fmt: skip
        refused = await hub.post(path, json=body, headers=owner.headers)
        assert _error(refused, status, code)["field"] == field
    assert (await hub.get("/api/stores", headers=thief)).status_code == 200  # nothing changed
    _error(await hub.post(path, json={"current_password": PASSWORD, "new_password": new}), 401,
           "signed_out")  # fmt: skip

    changed = await hub.post(
        path, json={"current_password": PASSWORD, "new_password": new}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"changed": True, "signed_out": 1}
    _error(await hub.get("/api/stores", headers=thief), 401, "signed_out")
    assert (await hub.get("/api/stores", headers=owner.headers)).status_code == 200
    old = await hub.post("/api/sessions", json={"email": owner.email, "password": PASSWORD})
    _error(old, 401, "wrong_credentials")
    again = await hub.post("/api/sessions", json={"email": owner.email, "password": new})
    assert again.status_code == 201, again.text


async def test_a_stolen_sign_in_cannot_guess_the_password_past_the_accounts_limit(hub, owner):
    """Wrong current passwords count with the account's wrong sign-ins (FAILED_SIGN_INS in
    FAILED_WINDOW_S): a stolen token is no way round the limit to learn the password."""
    path = "/api/owners/current/password"
    guess = {"current_password": "guess", "new_password": "a much longer passphrase"}
    for _ in range(FAILED_SIGN_INS):
        _error(await hub.post(path, json=guess, headers=owner.headers), 422, "wrong_password")
    right = {**guess, "current_password": PASSWORD}
    _error(await hub.post(path, json=right, headers=owner.headers), 429, "too_many_attempts")
    signing_in = await hub.post("/api/sessions", json={"email": owner.email, "password": PASSWORD})
    _error(signing_in, 429, "too_many_attempts")


async def test_a_sign_in_ends_when_it_expires(hub, hub_app, owner):
    hours = hub_app.state.settings.session_hours
    assert (await hub.get("/api/stores", headers=owner.headers)).status_code == 200
    with freeze_time(utcnow() + timedelta(hours=hours, seconds=1), real_asyncio=True):
        _error(await hub.get("/api/stores", headers=owner.headers), 401, "signed_out")
        _error(await hub.delete("/api/sessions/current", headers=owner.headers), 401, "signed_out")


async def test_stores_and_codes(hub, owner):
    _error(await hub.post("/api/stores", json={}, headers=owner.headers), 422, "missing_field")
    _error(
        await hub.post("/api/stores", json={"name": "A", "x": 1}, headers=owner.headers),
        422,
        "unknown_field",
    )
    bad = await hub.post("/api/stores", content=b"{", headers=owner.headers)
    _error(bad, 400, "malformed_json")
    north = await new_store(hub, owner, "North")
    south = await new_store(hub, owner, "South")
    listed = (await hub.get("/api/stores", headers=owner.headers)).json()["stores"]
    assert [s["name"] for s in listed] == ["North", "South"] and listed[0]["push_upto"] == 0
    one = await hub.get(f"/api/stores/{south['id']}", headers=owner.headers)
    assert one.json()["name"] == "South"
    code = await hub.post(f"/api/stores/{north['id']}/enrolment-codes", headers=owner.headers)
    assert code.status_code == 201
    assert len(code.json()["code"]) == 11 and code.json()["expires_at"] > north["created_at"]
    _error(await hub.get(f"/api/stores/{uuid7()}", headers=owner.headers), 404, "unknown_store")


async def test_a_store_is_renamed(hub, owner):
    """A store named with a typo ("Nroth") was named so for good: the hub had no way to
    change it. Its name changes; a blank one is a 422 and changes nothing."""
    store = await new_store(hub, owner, "Nroth")
    path = f"/api/stores/{store['id']}"
    renamed = await hub.patch(path, json={"name": " North "}, headers=owner.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {**store, "name": "North"}
    _error(await hub.patch(path, json={"name": "  "}, headers=owner.headers), 422, "invalid")
    _error(await hub.patch(path, json={}, headers=owner.headers), 422, "missing_field")
    assert (await hub.get(path, headers=owner.headers)).json()["name"] == "North"
    elsewhere = await hub.patch(f"/api/stores/{uuid7()}", json={"name": "X"}, headers=owner.headers)
    _error(elsewhere, 404, "unknown_store")


async def test_rows_are_listed_read_created_and_edited(hub, owner):
    store = await new_store(hub, owner)
    box = await enrolled_box(hub, owner, store["id"])
    staff_id, area, items = uuid7(), uuid7(), sorted(uuid7() for _ in range(3))
    events = [
        event(1, "staff", staff_id, "create",
              {"name": "Ana", "role": "manager", "pin_hash": "scrypt$secret"}),
        *[event(n + 2, "menu_items", i, "create", item_fields(f"Item {n}")) for n, i in
          enumerate(items)],
        event(5, "areas", area, "create", {"name": "Terrace"}),
    ]  # fmt: skip
    assert (await box.push(events, after=0)).status_code == 200
    base = f"/api/stores/{store['id']}/rows"
    page = (await hub.get(f"{base}/menu_items?limit=2", headers=owner.headers)).json()
    assert [r["id"] for r in page["rows"]] == items[:2] and page["next"] == items[1]
    rest = (await hub.get(f"{base}/menu_items?after={items[1]}", headers=owner.headers)).json()
    assert [r["id"] for r in rest["rows"]] == items[2:] and rest["next"] is None
    member = await hub.get(f"{base}/staff/{staff_id}", headers=owner.headers)
    assert member.json()["fields"]["pin_hash"] == "***"  # masked where shown
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox", headers=owner.headers)
    assert "scrypt$secret" not in inbox.text

    made = await hub.post(
        f"{base}/tables", json={"fields": {"area_id": area, "name": "T9"}}, headers=owner.headers
    )
    assert made.status_code == 201 and made.json()["fields"]["seats"] == 4  # its default
    edited = await hub.patch(
        f"{base}/menu_items/{items[0]}", json={"fields": {"available": 0}}, headers=owner.headers
    )
    assert edited.json()["fields"]["available"] is False  # brought to the protocol's form
    pulled = (await box.pull()).json()["changes"]
    assert [(c["source"], c["entity"], c["op"]) for c in pulled[-2:]] == [
        ("hub", "tables", "create"),
        ("hub", "menu_items", "update"),
    ]

    async def refused(method, path, body, status, code):
        answer = await hub.request(method, path, json=body, headers=owner.headers)
        return _error(answer, status, code)

    await refused("PATCH", f"{base}/menu_items/{items[0]}", {"fields": {"price": "x"}}, 422,
                  "bad_value")  # fmt: skip
    await refused("PATCH", f"{base}/menu_items/{items[0]}", {"fields": {"nope": 1}}, 422,
                  "unknown_field")  # fmt: skip
    await refused("PATCH", f"{base}/staff/{staff_id}", {"fields": {"pin_hash": "x"}}, 422,
                  "secret_field")  # fmt: skip
    await refused("PATCH", f"{base}/orders/{uuid7()}", {"fields": {"note": "x"}}, 403,
                  "store_owned")  # fmt: skip
    await refused(
        "PATCH", f"{base}/menu_items/{items[0]}", {"fields": {"price": 2**63}}, 422, "bad_value"
    )  # fmt: skip  (no box's SQLite holds it: its pull would stop)
    await refused("POST", f"{base}/tables", {"fields": {"area_id": uuid7(), "name": "T",
                  "seats": 2**64 - 1}}, 422, "bad_value")  # fmt: skip
    await refused("POST", f"{base}/store", {"fields": {"name": "Another"}}, 403, "one_row")
    assert (await hub.get(f"{base}/store", headers=owner.headers)).json()["rows"] == []
    await refused("GET", f"{base}/print_jobs", None, 404, "unknown_entity")
    await refused("PATCH", f"{base}/menu_items/{uuid7()}", {"fields": {"price": 1}}, 404,
                  "unknown_row")  # fmt: skip
    await refused("POST", f"{base}/tables", {"fields": {"name": "T"}}, 422, "missing_field")
    await refused("GET", f"{base}/menu_items?limit=0", None, 400, "bad_query")
    tables = (await hub.get(f"{base}/tables", headers=owner.headers)).json()["rows"]
    assert [table["fields"]["name"] for table in tables] == ["T9"]  # refused: none written
    item = (await hub.get(f"{base}/menu_items/{items[0]}", headers=owner.headers)).json()
    assert item["fields"]["price"] == 250 and item["rev"] == edited.json()["rev"]


async def test_unknown_paths_and_methods_answer_in_the_error_shape(hub, owner):
    _error(await hub.get("/nowhere"), 404, "not_found")
    slashed = await hub.get("/api/stores/", headers={**owner.headers, "Host": "elsewhere.example"})
    _error(slashed, 404, "not_found")  # not a redirect to the Host named
    _error(await hub.put("/api/stores"), 405, "method_not_allowed")


async def test_ids_in_paths_no_database_holds_are_not_found(hub, owner):
    """A store's id is a UUID the hub made; a row's or a key's is any text but NUL, which
    PostgreSQL's text cannot hold: anything else names nothing (404), never the database's
    refusal (a 503 on PostgreSQL), on both backends."""
    store = await new_store(hub, owner)
    box = await enrolled_box(hub, owner, store["id"])
    base = f"/api/stores/{store['id']}"
    for method, path in [
        ("GET", "/api/stores/%00"),
        ("GET", "/api/stores/not-a-store"),
        ("POST", "/api/stores/%00/enrolment-codes"),
        ("GET", f"/api/stores/{'a' * 5000}/inbox"),
        ("POST", f"{base}/devices/%00/revoke"),
        ("GET", f"{base}/rows/menu_items/%00"),
        ("PATCH", f"{base}/rows/menu_items/a%00b"),
    ]:
        _error(await hub.request(method, path, headers=owner.headers), 404, "not_found")
    devices = (await hub.get(f"{base}/devices", headers=owner.headers)).json()["devices"]
    assert [d["key_id"] for d in devices] == [box.key.key_id] and not devices[0]["revoked_at"]


async def test_a_token_in_the_url_is_a_documented_400_on_every_owner_route(hub, owner):
    """`?token=` is refused before anything is read (service.tokens.bearer), on every route an
    owner signs in to, so each of them says it may answer 400."""
    spec = (await hub.get("/openapi.json")).json()
    owners_routes = [
        (path, operation)
        for path, operations in spec["paths"].items()
        for operation in operations.values()
        if operation.get("security") == [{"owner": []}]
    ]
    assert len(owners_routes) > 10
    for path, operation in owners_routes:
        assert "400" in operation["responses"], path
    answer = await hub.get(f"/api/stores?token={owner.headers['Authorization'][7:]}")
    _error(answer, 400, "token_in_url")


async def test_health_and_the_api_description(hub, hub_app):
    health = await hub.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    spec = (await hub.get("/openapi.json")).json()
    routes = [r for r in hub_app.routes if isinstance(r, Route)]
    for route in routes:
        for method in route.methods - {"HEAD"}:
            operation = spec["paths"][route.path_format][method.lower()]
            assert operation["summary"] and operation["operationId"] == route.name
            answers = operation["responses"]
            refusals = [answer for status, answer in answers.items() if status >= "4"]
            assert refusals, route.path  # each refusal a route can give, in the one error shape
            for answer in refusals:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
            terms = terms_of(route)
            assert (terms.body is not None) == ("requestBody" in operation)
            assert ("security" in operation) == (terms.security is not None)
    push = spec["paths"]["/sync/v1/push"]["post"]
    assert push["security"] == [{"device": []}]
