"""Paired staff devices, and the limits on guessing PINs: per staff member and device, and
across devices with the managers alerted. Time moves with freezegun."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from edge.core import db
from edge.core.events import commit
from edge.core.permissions import SYSTEM
from edge.domain import devices, lockouts
from edge.setup.provision import pairing_code
from service.errors import Invalid
from service.tokens import token_hash
from tests.clock import advance
from tests.conftest import (
    PINS,
    count,
    device_header,
    pairing,
    sign_in,
    sign_in_body,
    signed_in,
    staff_id,
)
from tests.edge.menu_helpers import item, menu

NOBODY = "01900000-0000-7000-8000-000000000000"


async def pin(client, role, typed, device="Till 1"):
    """The PIN `typed` for the demo staff member with `role`, on the paired device `device`."""
    return await client.post(
        "/api/sessions",
        headers=await device_header(client, device),
        json={"staff_id": await staff_id(client, role), "pin": typed},
    )


def rows(settings, sql, *args):
    conn = db.connect(settings.database, readonly=True)
    try:
        return [dict(row) for row in conn.execute(sql, args)]
    finally:
        conn.close()


# ---- a guest on the Wi-Fi -------------------------------------------------------------------


async def test_a_guest_reads_no_roster_signs_nobody_in_and_locks_nobody_out(client, settings):
    owner = await staff_id(client, "owner")  # an id a guest could have learnt somehow
    for headers in ({}, {devices.HEADER: "made-up"}, {devices.HEADER: ""}):
        roster = await client.get("/api/staff/roster", headers=headers)
        assert roster.status_code == 401
        assert roster.json()["error"]["code"] == "device_not_paired"
    for _ in range(3 * lockouts.LOCKOUT_AFTER):
        guess = await client.post("/api/sessions", json={"staff_id": owner, "pin": "0000"})
        assert guess.status_code == 401 and guess.json()["error"]["code"] == "device_not_paired"
    right = await client.post("/api/sessions", json={"staff_id": owner, "pin": PINS["owner"]})
    assert right.status_code == 401  # not even the right PIN, from a device nobody paired
    assert count(settings.database, "pin_failures") == 0
    assert (await pin(client, "owner", PINS["owner"])).status_code == 201  # nobody locked out


# ---- pairing ----------------------------------------------------------------------------------


async def test_a_code_pairs_one_device_once_and_the_box_keeps_only_hashes(client, settings):
    made = pairing("Bar tablet")
    answer = await client.post("/api/devices/pair", json=made)
    assert answer.status_code == 201
    paired = answer.json()
    assert paired["device"]["name"] == "Bar tablet"
    key = paired["credential"]
    assert len(key) >= 43  # 32 random bytes
    stored = rows(settings, "SELECT * FROM devices")
    assert [d["secret_hash"] for d in stored] == [token_hash(key)]
    events = rows(
        settings, "SELECT fields FROM events WHERE entity IN ('devices', 'pairing_codes')"
    )
    text = " ".join(e["fields"] for e in events)
    assert key not in text and made["code"].replace("-", "") not in text
    assert token_hash(key) in text  # kept whole, never leaves the box; shown masked (test_secrets)
    roster = await client.get("/api/staff/roster", headers={devices.HEADER: key})
    assert roster.status_code == 200 and {m["role"] for m in roster.json()} >= {"owner"}

    again = await client.post("/api/devices/pair", json={**made, "name": "Stolen"})
    assert again.status_code == 422
    assert again.json()["error"] == {
        "code": "spent_pairing_code",
        "message": "Pairing code has been used: ask a manager for a new one.",
        "field": "code",
    }
    wrong = await client.post("/api/devices/pair", json={"code": "AAAA-AAAA", "name": "X"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_pairing_code"
    typo = await client.post("/api/devices/pair", json={"code": "0000-1111", "name": "X"})
    assert typo.status_code == 422 and typo.json()["error"]["field"] == "code"
    assert count(settings.database, "devices") == 1


async def test_a_code_is_typed_any_way_and_may_name_the_device(client, settings):
    made = pairing_code_for(settings, "Kitchen screen")
    typed = f" {made[:2].lower()} {made[2:]} "
    answer = await client.post("/api/devices/pair", json={"code": typed})
    assert answer.status_code == 201, answer.text
    assert answer.json()["device"]["name"] == "Kitchen screen"  # the name the code was made for
    unnamed = await client.post("/api/devices/pair", json={"code": pairing_code_for(settings)})
    assert unnamed.status_code == 422 and unnamed.json()["error"]["field"] == "name"


def pairing_code_for(settings, name=""):
    """A code made at the box's console, for a device called `name` (if given)."""
    return pairing_code(settings.database, name=name)["code"]


async def test_a_managers_code_expires_in_ten_minutes(client, settings, manager):
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        made_at = datetime(2026, 11, 21, 12, tzinfo=UTC)
        made = await client.post(
            "/api/devices/pairing-codes", headers=manager, json={"name": "Terrace phone"}
        )
        assert made.status_code == 201, made.text
        code = made.json()
        # the clock ticks (the handler's await needs it): ten minutes from whenever it answered
        expires = datetime.fromisoformat(code["expires_at"].replace("Z", "+00:00"))
        assert timedelta(minutes=10) <= expires - made_at < timedelta(minutes=10, seconds=30)
        assert len(code["code"]) == 9 and code["code"][4] == "-"
        advance(frozen, timedelta(minutes=10, seconds=1))
        late = await client.post("/api/devices/pair", json={"code": code["code"]})
        assert late.status_code == 422
        assert late.json()["error"]["message"] == (
            "Pairing code has expired: ask a manager for a new one."
        )


@pytest.mark.parametrize("change", [{"active": False}, {"role": "waiter"}])
async def test_a_code_made_by_a_manager_since_deactivated_or_demoted_pairs_nothing(
    client, manager, change
):
    """A manager's code outlived the manager: deactivated or made a waiter, their unused code
    still paired a device. It is refused as a spent one; the box's console's and another
    manager's codes still pair."""
    code = (await client.post("/api/devices/pairing-codes", headers=manager, json={})).json()
    owner = await sign_in(client, "owner", device="Office")
    changed = await client.patch(
        f"/api/staff/{await staff_id(client, 'manager')}", headers=owner, json=change
    )
    assert changed.status_code == 200, changed.text
    refused = await client.post("/api/devices/pair", json={"code": code["code"], "name": "Bar"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "spent_pairing_code"
    assert (await client.post("/api/devices/pair", json=pairing("Bar"))).status_code == 201
    owners = (await client.post("/api/devices/pairing-codes", headers=owner, json={})).json()
    again = await client.post("/api/devices/pair", json={"code": owners["code"], "name": "Deck"})
    assert again.status_code == 201, again.text


async def test_pairing_tries_are_limited_per_address(client, settings):
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        for _ in range(10):
            guess = await client.post("/api/devices/pair", json={"code": "AAAA-AAAA", "name": "X"})
            assert guess.status_code == 422
        refused = await client.post("/api/devices/pair", json=pairing("Real tablet"))
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_attempts"
        assert 1 <= int(refused.headers["Retry-After"]) <= 600
        advance(frozen, timedelta(minutes=10, seconds=1))
        assert (
            await client.post("/api/devices/pair", json=pairing("Real tablet"))
        ).status_code == 201


async def test_managers_list_rename_and_revoke_devices(client, settings, manager):
    """Revoking a device ends its sign-ins at once; its credential reads no roster after."""
    waiter = await sign_in(client, "waiter", device="Terrace phone")
    assert (
        await client.post("/api/devices/pairing-codes", headers=waiter, json={})
    ).status_code == 403
    assert (await client.get("/api/devices", headers=waiter)).status_code == 403

    listed = (await client.get("/api/devices", headers=manager)).json()
    by_name = {d["name"]: d for d in listed}
    assert set(by_name) == {"test", "Terrace phone"}
    assert by_name["test"]["current"] and not by_name["Terrace phone"]["current"]
    phone = by_name["Terrace phone"]
    assert phone["paired_by"] is None and phone["last_sign_in_at"] and phone["revoked_at"] is None

    renamed = await client.patch(
        f"/api/devices/{phone['id']}", headers=manager, json={"name": "Terrace phone 2"}
    )
    assert renamed.status_code == 200
    me = (await client.get("/api/me", headers=waiter)).json()
    assert me["device"] == "Terrace phone 2"  # the name is the pairing's, as it is now
    assert (
        await client.patch(f"/api/devices/{NOBODY}", headers=manager, json={"name": "X"})
    ).status_code == 404

    mine = by_name["test"]["id"]
    self_revoke = await client.post(f"/api/devices/{mine}/revoke", headers=manager)
    assert self_revoke.status_code == 409 and self_revoke.json()["error"]["code"] == "self_revoke"

    revoked = await client.post(f"/api/devices/{phone['id']}/revoke", headers=manager)
    assert revoked.status_code == 200 and revoked.json() == {"id": phone["id"], "revoked": True}
    gone = await client.get("/api/me", headers=waiter)
    assert gone.status_code == 401
    assert gone.json()["error"] == {
        "code": "device_revoked",
        "message": "Your sign-in was ended: this device was unpaired from the box.",
        "reason": "device_revoked",
    }
    roster = await client.get(
        "/api/staff/roster", headers=await device_header(client, "Terrace phone")
    )
    assert roster.status_code == 401 and roster.json()["error"]["code"] == "device_revoked"
    after = {d["id"]: d for d in (await client.get("/api/devices", headers=manager)).json()}
    assert after[phone["id"]]["revoked_by"] == "Marco Ferreira"
    trail = (await client.get("/api/audit?entity=devices", headers=manager)).json()["events"]
    assert [(e["op"], e["actor_name"]) for e in trail][:2] == [
        ("update", "Marco Ferreira"),
        ("update", "Marco Ferreira"),
    ]


# ---- a device's name is its till ---------------------------------------------------------


async def device_ids(client, manager):
    return {d["name"]: d["id"] for d in (await client.get("/api/devices", headers=manager)).json()}


async def pair_as(client, settings, name):
    """Pair a device called exactly `name` (the `pairing` helper numbers a name in use)."""
    return await client.post(
        "/api/devices/pair", json={"code": pairing_code_for(settings), "name": name}
    )


async def test_no_two_devices_in_use_share_a_name_in_any_case(client, settings, manager):
    """A shift and its cash drawer belong to a device's name: two tablets of one name would take
    money into one drawer."""
    code = pairing_code_for(settings, name="bar")  # made while no device had the name
    assert (await pair_as(client, settings, "Bar")).status_code == 201
    for name in ("Bar", "bar", "BAR", None):  # None: the code's own name
        body = {"code": code} if name is None else {"code": code, "name": name}
        refused = await client.post("/api/devices/pair", json=body)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["field"]) == ("device_name_taken", "name")
        assert error["message"].startswith("Another device in use is called Bar.")
    assert count(settings.database, "devices") == 2  # the manager's and Bar
    terrace = await client.post("/api/devices/pair", json={"code": code, "name": "Terrace"})
    assert terrace.status_code == 201  # the code was not spent by the refusals

    codes = count(settings.database, "pairing_codes")
    made = await client.post("/api/devices/pairing-codes", headers=manager, json={"name": "bar"})
    assert made.status_code == 422 and made.json()["error"]["code"] == "device_name_taken"
    assert count(settings.database, "pairing_codes") == codes  # no code made
    with pytest.raises(Invalid, match="Another device in use is called Bar"):
        pairing_code_for(settings, name="BAR")  # nor at the box's console

    listed = await device_ids(client, manager)
    taken = await client.patch(
        f"/api/devices/{listed['Terrace']}", headers=manager, json={"name": "bar "}
    )
    assert taken.status_code == 422 and taken.json()["error"]["code"] == "device_name_taken"
    own = await client.patch(f"/api/devices/{listed['Bar']}", headers=manager, json={"name": "BAR"})
    assert own.status_code == 200  # its own name, in another case
    names = {d["name"] for d in (await client.get("/api/devices", headers=manager)).json()}
    assert names == {"test", "BAR", "Terrace"}
    accented = await client.patch(
        f"/api/devices/{listed['Terrace']}", headers=manager, json={"name": "Été"}
    )
    assert accented.status_code == 200
    refused = await pair_as(client, settings, "ÉTÉ")  # any case, beyond ASCII too
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "device_name_taken"


async def test_a_new_tablet_given_an_unpaired_ones_name_carries_on_its_open_shift(
    client, settings, manager
):
    cashier = await sign_in(client, "cashier", device="Bar")
    opened = await client.post("/api/shifts", json={"float": 10_000}, headers=cashier)
    assert opened.status_code == 201, opened.text
    listed = await device_ids(client, manager)
    assert (await pair_as(client, settings, "Bar")).status_code == 422  # the old one is in use
    revoked = await client.post(f"/api/devices/{listed['Bar']}/revoke", headers=manager)
    assert revoked.status_code == 200

    replacement = await pair_as(client, settings, "Bar")
    assert replacement.status_code == 201, replacement.text
    paired = {devices.HEADER: replacement.json()["credential"]}
    roster = (await client.get("/api/staff/roster", headers=paired)).json()
    again = signed_in(
        await client.post("/api/sessions", headers=paired, json=sign_in_body(roster, "cashier"))
    )
    current = (await client.get("/api/shifts/current", headers={**paired, **again})).json()
    assert current["shift"]["id"] == opened.json()["id"]
    assert current["shift"]["float"] == 10_000


async def test_a_device_with_a_shift_open_is_renamed_only_once_the_shift_is_closed(client, manager):
    """A shift belongs to its till's name: renamed under it, the drawer would be left open with
    no device to close it, and the day's Z report refused for it."""
    cashier = await sign_in(client, "cashier", device="Bar")
    opened = await client.post("/api/shifts", json={"float": 10_000}, headers=cashier)
    assert opened.status_code == 201, opened.text
    bar = (await device_ids(client, manager))["Bar"]
    for name in ("Front bar", "BAR"):
        refused = await client.patch(f"/api/devices/{bar}", headers=manager, json={"name": name})
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "shift_open"
        assert refused.json()["error"]["message"].startswith("Bar has a shift open: close it")
    assert set(await device_ids(client, manager)) == {"test", "Bar"}  # renamed neither way
    same = await client.patch(f"/api/devices/{bar}", headers=manager, json={"name": "Bar"})
    assert same.status_code == 200  # no change of name
    closed = await client.post(
        "/api/shifts/current/close", json={"counted": {"10000": 1}}, headers=cashier
    )
    assert closed.status_code == 200, closed.text
    renamed = await client.patch(f"/api/devices/{bar}", headers=manager, json={"name": "Front bar"})
    assert renamed.status_code == 200
    assert "Front bar" in await device_ids(client, manager)


async def test_two_devices_named_alike_before_the_rule_open_no_till_until_one_is_renamed(
    app, client, manager
):
    """A box upgraded with two devices in use of one name: neither opens a shift on that shared
    drawer until a manager renames one."""
    cashier = await sign_in(client, "cashier", device="Bar")
    await sign_in(client, "waiter", device="Terrace")
    ids = await device_ids(client, manager)
    await app.state.box.write(  # as pairing let it be before
        lambda conn: commit(conn, SYSTEM.id, "devices", ids["Terrace"], "update", {"name": "bar"})
    )
    refused = await client.post("/api/shifts", json={"float": 10_000}, headers=cashier)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "device_name_shared"
    assert error["message"].startswith("Another device in use is also called Bar: rename one")
    assert (await client.get("/api/shifts/current", headers=cashier)).json()["shift"] is None
    renamed = await client.patch(
        f"/api/devices/{ids['Terrace']}", headers=manager, json={"name": "Terrace"}
    )
    assert renamed.status_code == 200
    opened = await client.post("/api/shifts", json={"float": 10_000}, headers=cashier)
    assert opened.status_code == 201 and opened.json()["device"] == "Bar"


async def test_a_sign_in_from_before_devices_were_paired_lets_nobody_in(app, client):
    """Tokens made by a box before this upgrade carry no device: they are refused."""
    token = "from-an-older-box"
    owner = await staff_id(client, "owner")
    old = {"staff_id": owner, "device": "admin-7f3k", "created_at": "2026-01-01T00:00:00.000Z",
           "expires_at": "2999-01-01T00:00:00.000Z"}  # fmt: skip
    await app.state.box.write(
        lambda conn: commit(conn, SYSTEM.id, "staff_sessions", token_hash(token), "create", old)
    )
    refused = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["reason"] == "device_not_paired"


# ---- guessing PINs --------------------------------------------------------------------------


async def test_wrong_pins_lock_that_staff_member_on_that_device_only(client):
    codes = [(await pin(client, "owner", "9999", "Till 1")).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 423]
    assert (await pin(client, "owner", PINS["owner"], "Till 1")).status_code == 423
    # The owner signs in on another device, and someone else on this one.
    assert (await pin(client, "owner", PINS["owner"], "Office laptop")).status_code == 201
    assert (await pin(client, "cashier", PINS["cashier"], "Till 1")).status_code == 201


async def test_attempts_during_a_lockout_extend_it_and_a_right_pin_after_clears_it(client):
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        for _ in range(5):
            await pin(client, "waiter", "9999")
        waits = []
        for typed in ("9999", PINS["waiter"], "1234"):  # any attempt counts, unchecked
            during = await pin(client, "waiter", typed)
            assert during.status_code == 423
            waits.append(int(during.headers["Retry-After"]))
        assert [w > limit for w, limit in zip(waits, (30, 60, 120), strict=True)] == [True] * 3
        assert waits[-1] <= 240
        advance(frozen, timedelta(seconds=300))
        assert (await pin(client, "waiter", PINS["waiter"])).status_code == 201
        # cleared: four wrong in a row are four 401s again
        assert [(await pin(client, "waiter", "9999")).status_code for _ in range(4)] == [401] * 4


async def test_guessing_on_several_devices_locks_the_account_and_alerts_managers(client, manager):
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        start = (await client.get("/healthz")).json()["last_seq"]
        tills = [f"Till {n}" for n in range(1, 5)]
        for till in tills:  # 4 devices x 5 wrong PINs: 20 within the hour
            answers = [(await pin(client, "cashier", "0000", till)).status_code for _ in range(5)]
            assert answers == [401, 401, 401, 401, 423]
        elsewhere = await pin(client, "cashier", PINS["cashier"], "Back office")
        assert elsewhere.status_code == 423, elsewhere.text
        error = elsewhere.json()["error"]
        assert error["scope"] == "account"
        assert "after 20 wrong tries on 4 devices" in error["message"]
        assert 3000 < int(elsewhere.headers["Retry-After"]) <= 3600

        cashier = await staff_id(client, "cashier")
        listed = {m["id"]: m for m in (await client.get("/api/staff", headers=manager)).json()}
        lock = listed[cashier]["account_lock"]
        assert lock["failures"] == 20 and lock["devices"] == 4
        assert lock["locked_until"].startswith("2026-11-21T13:00:")
        feed = (await client.get(f"/api/events?since={start}&topics=staff", headers=manager)).json()
        alerts = [e for e in feed["events"] if e["entity"] == "pin_lockouts"]
        assert [(a["entity_id"], a["fields"]["devices"]) for a in alerts] == [(cashier, 4)]

        # The Unlock ends it everywhere, the devices' lockouts too.
        unlocked = await client.post(f"/api/staff/{cashier}/unlock", headers=manager)
        assert unlocked.status_code == 200 and unlocked.json()["account_lock"] is None
        assert (await pin(client, "cashier", PINS["cashier"], "Till 1")).status_code == 201

        # Left alone, an account lock ends after its hour.
        for till in tills:
            for _ in range(5):
                await pin(client, "cashier", "0000", till)
        assert (await pin(client, "cashier", PINS["cashier"], "Back office")).status_code == 423
        advance(frozen, timedelta(hours=1, minutes=5))
        assert (await pin(client, "cashier", PINS["cashier"], "Back office")).status_code == 201


async def test_one_device_alone_never_locks_the_account(app, client, settings):
    """However many wrong PINs one device records, the lock stays on that device."""
    box = app.state.box
    cashier = await staff_id(client, "cashier")
    (till,) = rows(settings, "SELECT id FROM devices")  # the device the helpers paired
    for _ in range(2 * lockouts.ACCOUNT_AFTER):
        await box.write(lockouts.record_wrong_pin, cashier, till["id"])
    state = (await box.read(lockouts.of_staff))[cashier]
    assert state["failures"] == 2 * lockouts.ACCOUNT_AFTER and state["locked_devices"] == 1
    assert state["account_lock"] is None and count(settings.database, "pin_lockouts") == 0


async def test_approvals_count_wrong_pins_on_the_asking_device(client, settings):
    """A cashier typing guesses of a manager's PIN locks the manager out on that till only:
    the manager still signs in on their own device."""
    till = await sign_in(client, "cashier", device="Till 1")
    manager = await staff_id(client, "manager")

    async def drawer(typed):
        body = {"reason": "change", "approval": {"staff_id": manager, "pin": typed}}
        return await client.post("/api/drawer/open", headers=till, json=body)

    # 403, not 401: a 401 is the end of the cashier's own sign-in, which every page signs out on
    assert [(await drawer("0000")).status_code for _ in range(5)] == [403, 403, 403, 403, 423]
    assert (await drawer("0000")).json()["error"]["code"] == "locked_out"
    assert (await drawer(PINS["manager"])).status_code == 423  # locked on this till
    assert (await client.get("/api/me", headers=till)).status_code == 200
    office = await client.post(
        "/api/sessions",
        headers=await device_header(client, "Office"),
        json={"staff_id": manager, "pin": PINS["manager"]},
    )
    assert office.status_code == 201


async def test_an_approval_by_a_deactivated_manager_is_refused_and_the_cashier_stays(client):
    """A manager deactivated since (their PIN still known to the till) approves nothing: 403
    `unknown_staff`, no drawer opens, and the cashier's own sign-in stands."""
    boss = await sign_in(client, "owner", device="Office")
    till = await sign_in(client, "cashier", device="Till 1")
    manager = await staff_id(client, "manager")
    gone = await client.patch(f"/api/staff/{manager}", headers=boss, json={"active": False})
    assert gone.status_code == 200, gone.text
    body = {"reason": "change", "approval": {"staff_id": manager, "pin": PINS["manager"]}}
    refused = await client.post("/api/drawer/open", headers=till, json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "unknown_staff"
    assert (await client.get("/api/me", headers=till)).status_code == 200


async def test_a_right_approval_clears_that_devices_count(client):
    till = await sign_in(client, "waiter", device="Till 1")
    manager = await staff_id(client, "manager")
    cola = item(await menu(client), "Cola")["id"]
    for _ in range(4):
        await pin(client, "manager", "0000", "Till 1")
    order = await client.post(
        "/api/orders", headers=till, json={"kind": "counter", "lines": [{"item_id": cola}]}
    )
    line = order.json()["lines"][0]["id"]
    approved = await client.post(
        f"/api/order-lines/{line}/void",
        headers=till,
        json={"reason": "spilt", "approval": {"staff_id": manager, "pin": PINS["manager"]}},
    )
    assert approved.status_code == 200, approved.text
    assert [(await pin(client, "manager", "0000", "Till 1")).status_code for _ in range(4)] == [
        401
    ] * 4


@pytest.mark.parametrize("field", ["code", "name"])
async def test_a_pairing_body_is_checked_like_any_form(client, field):
    body = {"code": "7KQM-3XWP", "name": "Bar", field: 5}
    refused = await client.post("/api/devices/pair", json=body)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == field
