"""Sign-in with PINs, lockout that survives a restart, permissions and manager approval."""

from datetime import timedelta

import httpx
import pytest
from freezegun import freeze_time

from edge.api.app import create_app
from edge.domain import lockouts, staff
from service.errors import Invalid
from sync import hashing
from tests.clock import advance
from tests.conftest import PINS, count, device_header, sign_in, staff_id


async def attempt(client, role, pin, device="pos-1"):
    """A PIN typed for the demo staff member with `role` on the paired device `device`."""
    return await client.post(
        "/api/sessions",
        headers=await device_header(client, device),
        json={"staff_id": await staff_id(client, role), "pin": pin},
    )


async def test_sign_in_gives_a_token_that_names_the_staff_member(client):
    headers = await sign_in(client, "cashier")
    me = (await client.get("/api/me", headers=headers)).json()
    assert me["role"] == "cashier" and me["device"] == "test"
    assert "order.create" in me["permissions"] and "menu.edit" not in me["permissions"]


async def test_wrong_pin_is_refused_and_writes_no_session(client, settings):
    before = count(settings.database, "staff_sessions")
    response = await attempt(client, "waiter", "0000")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "wrong_pin"
    assert count(settings.database, "staff_sessions") == before


async def test_unknown_staff_and_malformed_sign_in_are_refused(client):
    paired = await device_header(client)
    unknown = await client.post(
        "/api/sessions",
        headers=paired,
        json={"staff_id": "01900000-0000-7000-8000-000000000000", "pin": "1234"},
    )
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "unknown_staff"
    waiter = await staff_id(client, "waiter")
    for extra in ({"device": "Till 9"}, {"remember_me": True}):  # the device is the paired one
        refused = await client.post(
            "/api/sessions", headers=paired, json={"staff_id": waiter, "pin": "4444", **extra}
        )
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_field"
    for _ in range(lockouts.LOCKOUT_AFTER):  # cannot be anyone's PIN: not counted as a guess
        short = await attempt(client, "waiter", "12")
        assert short.status_code == 422 and short.json()["error"]["field"] == "pin"
    assert (await attempt(client, "waiter", PINS["waiter"])).status_code == 201


async def test_a_pin_hash_cannot_be_sent_for_a_staff_member(client, settings, manager):
    """Only a PIN, hashed here: a client-made hash would store whatever it says."""
    waiter = await staff_id(client, "waiter")
    before = count(settings.database, "events")
    response = await client.patch(
        f"/api/staff/{waiter}", headers=manager, json={"pin_hash": "scrypt$1$1$1$AA$AA"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_field"
    assert count(settings.database, "events") == before
    assert (await attempt(client, "waiter", PINS["waiter"])).status_code == 201


async def test_five_wrong_pins_lock_out_with_backoff_that_survives_a_restart(settings):
    """Any attempt during a lockout counts, the right PIN too (it is not even checked): the
    lockout only grows by hammering."""
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
                codes = [(await attempt(client, "waiter", "9999")).status_code for _ in range(5)]
                assert codes == [401, 401, 401, 401, 423]
                locked = await attempt(client, "waiter", PINS["waiter"])  # even the right PIN
                assert locked.status_code == 423
                assert locked.json()["error"]["code"] == "locked_out"
                assert locked.json()["error"]["scope"] == "device"
                assert 31 <= int(locked.headers["Retry-After"]) <= 60  # the 6th: 60 s
                device = await device_header(client, "pos-1")

        # A restart (a new process on the same database) does not forget the lockout.
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
                client.headers.update(device)  # the same paired device as before
                seventh = await client.post(
                    "/api/sessions",
                    json={"staff_id": await staff_id(client, "waiter"), "pin": PINS["waiter"]},
                )
                assert seventh.status_code == 423
                assert 61 <= int(seventh.headers["Retry-After"]) <= 120
                advance(frozen, timedelta(seconds=121))
                assert (await attempt(client, "waiter", PINS["waiter"])).status_code == 201
                # A good sign-in starts the count again.
                again = [(await attempt(client, "waiter", "9999")).status_code for _ in range(4)]
                assert again == [401] * 4


def test_lockout_backoff_doubles_and_is_capped():
    seconds = [lockouts.backoff(n) for n in range(1, 13)]
    assert seconds == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]


def test_pins_are_stored_as_scrypt_hashes():
    stored = staff.hash_pin("4821")
    assert stored.startswith("scrypt$") and "4821" not in stored
    assert hashing.matches("4821", stored) and not hashing.matches("4822", stored)
    with pytest.raises(Invalid):
        staff.hash_pin("48a1")  # a PIN is checked before it is kept


async def test_a_waiter_may_not_edit_the_menu_and_nothing_is_written(client, settings, waiter):
    before = count(settings.database, "events")
    response = await client.post("/api/menu/categories", headers=waiter, json={"name": "Secret"})
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "a waiter may not do menu.edit",
        "permission": "menu.edit",
    }
    assert count(settings.database, "events") == before


async def test_no_token_and_a_forged_token_are_refused(client):
    assert (await client.get("/api/me")).status_code == 401
    forged = await client.get("/api/me", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "session_ended"


async def test_sign_out_ends_the_token(client):
    headers = await sign_in(client, "waiter")
    assert (await client.delete("/api/sessions/current", headers=headers)).status_code == 200
    assert (await client.get("/api/me", headers=headers)).status_code == 401


async def test_sessions_expire(client, settings):
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        headers = await sign_in(client, "waiter")
        assert (await client.get("/api/me", headers=headers)).status_code == 200
        advance(frozen, timedelta(hours=settings.session_hours, seconds=1))
        assert (await client.get("/api/me", headers=headers)).status_code == 401


async def test_manager_manages_staff_and_deactivation_ends_their_sessions(client, manager):
    created = await client.post(
        "/api/staff", headers=manager, json={"name": "Nina", "role": "waiter", "pin": "8080"}
    )
    assert created.status_code == 201
    nina = created.json()["id"]
    login = await client.post(
        "/api/sessions",
        headers=await device_header(client, "phone"),
        json={"staff_id": nina, "pin": "8080"},
    )
    nina_headers = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await client.get("/api/me", headers=nina_headers)).status_code == 200
    off = await client.patch(f"/api/staff/{nina}", headers=manager, json={"active": False})
    assert off.status_code == 200
    assert (await client.get("/api/me", headers=nina_headers)).status_code == 401
    roster = (await client.get("/api/staff/roster", headers=await device_header(client))).json()
    assert nina not in [m["id"] for m in roster]


async def test_a_manager_may_not_create_an_owner_or_use_a_bad_pin(client, manager):
    owner = await client.post(
        "/api/staff", headers=manager, json={"name": "Boss", "role": "owner", "pin": "1234"}
    )
    assert owner.status_code == 403
    bad_pin = await client.post(
        "/api/staff", headers=manager, json={"name": "Al", "role": "waiter", "pin": "12"}
    )
    assert bad_pin.status_code == 422 and bad_pin.json()["error"]["field"] == "pin"
    # a newline after the digits, or digits no keypad has, made a PIN no one could type
    for untypeable in ("1234\n", "١٢٣٤"):
        body = {"name": "Al", "role": "waiter", "pin": untypeable}
        odd = await client.post("/api/staff", headers=manager, json=body)
        assert odd.status_code == 422 and odd.json()["error"]["field"] == "pin", odd.text
    bad_role = await client.post(
        "/api/staff", headers=manager, json={"name": "Al", "role": "chef", "pin": "1234"}
    )
    assert bad_role.status_code == 422


@pytest.mark.parametrize("role", ["waiter", "kitchen", "cashier"])
async def test_floor_roles_cannot_read_the_audit_or_staff(client, role):
    headers = await sign_in(client, role)
    assert (await client.get("/api/audit", headers=headers)).status_code == 403
    assert (await client.get("/api/staff", headers=headers)).status_code == 403


async def test_a_manager_ends_a_lockout_and_the_right_pin_signs_in(client, settings, manager):
    for _ in range(5):
        await attempt(client, "cashier", "0000")
    assert (await attempt(client, "cashier", PINS["cashier"])).status_code == 423
    cashier = await staff_id(client, "cashier")
    listed = {m["id"]: m for m in (await client.get("/api/staff", headers=manager)).json()}
    assert listed[cashier]["failures"] == 6 and listed[cashier]["locked_until"]
    assert listed[cashier]["locked_devices"] == 1 and listed[cashier]["account_lock"] is None

    # Floor staff may not; an owner's lockout is the owner's to end; no such member is a 404.
    waiter = await sign_in(client, "waiter")
    owner = await staff_id(client, "owner")
    before = count(settings.database, "events")
    refused = [
        (await client.post(f"/api/staff/{cashier}/unlock", headers=waiter), 403),
        (await client.post(f"/api/staff/{owner}/unlock", headers=manager), 403),
        (
            await client.post(
                f"/api/staff/{'0' * 8}-0000-7000-8000-{'0' * 12}/unlock", headers=manager
            ),
            404,
        ),
        (await client.post(f"/api/staff/{cashier}/unlock"), 401),
    ]
    for answer, status in refused:
        assert answer.status_code == status, answer.text
        assert "error" in answer.json()
    assert count(settings.database, "events") == before

    answer = await client.post(f"/api/staff/{cashier}/unlock", headers=manager)
    assert answer.status_code == 200 and answer.json()["locked_until"] is None
    assert (await attempt(client, "cashier", PINS["cashier"])).status_code == 201
    # Unlocking someone who is not locked out writes nothing.
    before = count(settings.database, "events")
    assert (await client.post(f"/api/staff/{cashier}/unlock", headers=manager)).status_code == 200
    assert count(settings.database, "events") == before


async def test_two_active_staff_never_share_a_name(client, settings, manager):
    """The sign-in screen shows names only: two tiles saying "Walter Costa" cannot be told
    apart. A name taken and a bad PIN are said together."""
    before = count(settings.database, "events")
    taken = await client.post(
        "/api/staff", headers=manager, json={"name": " walter  COSTA", "role": "waiter", "pin": "1"}
    )
    assert taken.status_code == 422
    error = taken.json()["error"]
    assert error["code"] == "duplicate_name" and error["field"] == "name"
    assert error["fields"] == {
        "name": "Another active staff member is called walter  COSTA: add a surname or an"
        " initial, as the sign-in screen shows names only.",
        "pin": "PIN must be 4 to 8 digits.",
    }
    cashier = await staff_id(client, "cashier")
    renamed = await client.patch(
        f"/api/staff/{cashier}", headers=manager, json={"name": "Walter Costa"}
    )
    assert renamed.status_code == 422 and renamed.json()["error"]["field"] == "name"
    assert count(settings.database, "events") == before

    # Once Walter has left, a new Walter Costa may start; the old one cannot come back as well.
    walter = await staff_id(client, "waiter")
    await client.patch(f"/api/staff/{walter}", headers=manager, json={"active": False})
    again = await client.post(
        "/api/staff",
        headers=manager,
        json={"name": "Walter Costa", "role": "waiter", "pin": "4545"},
    )
    assert again.status_code == 201, again.text
    back = await client.patch(f"/api/staff/{walter}", headers=manager, json={"active": True})
    assert back.status_code == 422 and back.json()["error"]["code"] == "duplicate_name"
    # Other changes to someone who shares a name with a former colleague are not refused.
    role = await client.patch(f"/api/staff/{walter}", headers=manager, json={"role": "cashier"})
    assert role.status_code == 200
