"""Table sessions: scanning a table's QR code, who may order when, guest tokens, rate limits,
the automations; on the demo store over real HTTP, time moved with freezegun."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from edge.core.events import Event
from edge.core.permissions import Actor
from edge.domain import checks, payments, shifts, store, table_sessions
from edge.runtime import automations
from tests.clock import advance
from tests.conftest import sign_in
from tests.edge.guest_helpers import Phone, qr_token
from tests.edge.menu_helpers import item, menu

NOON = "2026-11-20 12:00:00"  # a Friday; the demo store opens 11:00-01:00 on Fridays


@pytest.fixture
async def box_and_client(quiet):
    app, client = quiet
    return app.state.box, client


async def test_the_first_phone_opens_the_session_the_next_join_it(box_and_client):
    box, client = box_and_client
    qr = qr_token(box, "3")
    with freeze_time(NOON, tick=True):
        first, second = Phone(client), Phone(client)
        opened = await first.scan(qr)
        assert opened.status_code == 201, opened.text
        joined = await second.scan(qr)
        assert joined.status_code == 200, joined.text
        assert joined.json()["session_id"] == opened.json()["session_id"]
        assert joined.json()["member_id"] != opened.json()["member_id"]
        again = await first.scan(qr)  # the same phone, holding its token: the same guest
        assert again.status_code == 200
        assert again.json()["member_id"] == opened.json()["member_id"]


async def test_forged_truncated_rotated_and_other_store_codes_are_refused(box_and_client):
    box, client = box_and_client
    owner = await sign_in(client, "owner")
    qr = qr_token(box, "3")
    table_id, version, signature = qr.split(".")
    other_store = table_sessions.tables.qr_token(b"another box's secret", table_id, 1, 1)
    forged = f"{table_id}.{version}.{'A' * len(signature)}"
    with freeze_time(NOON, tick=True):
        # a version of digits beyond ASCII ("²") passed str.isdigit() and int() failed: a 500
        odd = [f"{table_id}.{digits}.{signature}" for digits in ("²", "١")]
        # a signature with a letter beyond ASCII: hmac.compare_digest refuses such a str (a 500)
        odd.append(f"{table_id}.{version}.é{signature[1:]}")
        for bad in (forged, qr[:-3], f"{table_id}.{version}", other_store, "nonsense", *odd):
            answer = await Phone(client).scan(bad)
            assert answer.status_code == 403, (bad, answer.text)
            assert answer.json()["error"]["code"] == "bad_qr_token"
        rotated = await client.post(f"/api/tables/{table_id}/rotate-qr", headers=owner)
        assert rotated.status_code == 200, rotated.text
        assert (await Phone(client).scan(qr)).status_code == 403
        assert (await Phone(client).scan(qr_token(box, "3"))).status_code == 201


async def test_a_table_takes_a_hundred_phones_and_no_flood_of_made_up_guests(box_and_client):
    """Each scan without a held token made one more guest at the table, an event the box keeps
    and syncs: a phone on the Wi-Fi with a photo of the code made 6 a second all evening, at
    every table it had a photo of. A session takes 100 phones (far more than any table seats);
    the next is told to ask staff, and a phone already at the table still rejoins."""
    box, client = box_and_client
    qr = qr_token(box, "3")
    with freeze_time(NOON, tick=True) as frozen:
        first = Phone(client)
        assert (await first.scan(qr)).status_code == 201
        for n in range(1, table_sessions.MEMBERS_MAX):
            if n % 50 == 0:  # the address's 60 calls in 10 s
                advance(frozen, timedelta(seconds=11))
            assert (await Phone(client).scan(qr)).status_code == 200
        advance(frozen, timedelta(seconds=11))
        full = await Phone(client).scan(qr)
        assert full.status_code == 409, full.text
        assert full.json()["error"]["code"] == "table_full"
        assert (await first.scan(qr)).status_code == 200  # holding its token: the same guest
    members = box.read_now(lambda c: c.execute("SELECT COUNT(*) FROM session_members").fetchone())
    assert members[0] == table_sessions.MEMBERS_MAX


async def test_closed_hours_a_disabled_table_and_the_kill_switch_answer_503(box_and_client):
    box, client = box_and_client
    owner, waiter = await sign_in(client, "owner"), await sign_in(client, "waiter")
    qr = qr_token(box, "4")
    with freeze_time("2026-11-20 09:00:00", tick=True):  # Friday 09:00 in Lisbon: closed
        closed = await Phone(client).scan(qr)
        assert closed.status_code == 503, closed.text
        error = closed.json()["error"]
        assert error["reason"] == "closed" and error["hours"] == [["11:00", "01:00"]]
        assert "11:00-01:00" in error["message"]
    with freeze_time(NOON, tick=True):
        table_id = qr.split(".")[0]
        off = {"enabled": False}
        assert (
            await client.put(f"/api/floor/tables/{table_id}/ordering", headers=waiter, json=off)
        ).status_code == 200
        disabled = await Phone(client).scan(qr)
        assert disabled.status_code == 503
        assert disabled.json()["error"]["reason"] == "table_disabled"
        on = {"enabled": True}
        await client.put(f"/api/floor/tables/{table_id}/ordering", headers=waiter, json=on)
        switched = await client.patch("/api/store", headers=owner, json={"qr_kill_switch": True})
        assert switched.status_code == 200
        paused = await Phone(client).scan(qr)
        assert paused.status_code == 503 and paused.json()["error"]["reason"] == "paused"


async def test_a_phone_at_the_table_sees_why_it_cannot_send_and_hears_of_a_pause(box_and_client):
    """A phone holding its token saw the kill switch only when Send was refused: its table's
    view said nothing, and its feed carried no cue of the store's change. The view says why
    the table takes no orders now (with today's hours when closed), and the feed carries the
    store's change without its fields, a cue to read the table again."""
    box, client = box_and_client
    owner, waiter = await sign_in(client, "owner"), await sign_in(client, "waiter")
    qr = qr_token(box, "4")
    with freeze_time(NOON, tick=True):
        phone = Phone(client)
        assert (await phone.scan(qr)).status_code == 201
        assert (await phone.table())["not_ordering"] is None
        since = (await client.get("/healthz")).json()["last_seq"]
        switched = await client.patch("/api/store", headers=owner, json={"qr_kill_switch": True})
        assert switched.status_code == 200
        assert (await phone.table())["not_ordering"] == {"reason": "paused", "hours": []}
        polled = (await phone.call("GET", f"/api/guest/events?since={since}")).json()
        cue = [e for e in polled["events"] if e["entity"] == "store"]
        assert len(cue) == 1 and cue[0]["fields"] == {} and cue[0]["actor"] is None
        await client.patch("/api/store", headers=owner, json={"qr_kill_switch": False})
        table_id = qr.split(".")[0]
        off = {"enabled": False}
        await client.put(f"/api/floor/tables/{table_id}/ordering", headers=waiter, json=off)
        assert (await phone.table())["not_ordering"]["reason"] == "table_disabled"
        await client.put(
            f"/api/floor/tables/{table_id}/ordering", headers=waiter, json={"enabled": True}
        )
        evenings = {day: [["19:00", "23:00"]] for day in store.WEEKDAYS}
        await client.patch("/api/store", headers=owner, json={"opening_hours": evenings})
        closed = (await phone.table())["not_ordering"]
        assert closed == {"reason": "closed", "hours": [["19:00", "23:00"]]}


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-11-21 00:30:00", True),  # Friday's 11:00-01:00 runs past midnight
        ("2026-11-21 01:30:00", False),
        ("2026-11-22 00:30:00", True),  # Saturday's too
        ("2026-11-23 00:30:00", False),  # Sunday closes at 23:00
        ("2026-12-25 13:00:00", False),  # Christmas: a holiday with no hours
    ],
)
async def test_opening_hours_across_midnight(box_and_client, moment, is_open):
    box, client = box_and_client
    with freeze_time(moment, tick=True):
        answer = await Phone(client).scan(qr_token(box, "5"))
    assert (answer.status_code == 201) is is_open, answer.text


def test_opening_hours_across_a_daylight_saving_change():
    """Lisbon leaves summer time at 02:00 on 25 October 2026 (01:00 UTC): a Saturday night
    period 20:00-02:00 ends at 02:00 on the wall clock, which is 02:00 UTC after the change."""
    night = {
        "timezone": "Europe/Lisbon",
        "opening_hours": {"sat": [["20:00", "02:00"]]},
        "holidays": [],
    }
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    assert store.is_open(night, at("2026-10-24T19:30"))  # 20:30 summer time
    assert store.is_open(night, at("2026-10-25T00:30"))  # 01:30 summer time
    assert store.is_open(night, at("2026-10-25T01:30"))  # 01:30 again, winter time
    assert not store.is_open(night, at("2026-10-25T02:00"))  # 02:00 winter time
    assert not store.is_open(night, at("2026-10-24T18:30"))  # 19:30 summer time


async def test_an_idle_or_closed_session_is_gone_and_a_new_scan_starts_afresh(box_and_client):
    box, client = box_and_client
    waiter = await sign_in(client, "waiter")
    qr = qr_token(box, "6")
    with freeze_time(NOON, tick=True) as frozen:
        phone = Phone(client)
        first = (await phone.scan(qr)).json()
        assert (await phone.call("GET", "/api/guest/table")).status_code == 200
        advance(frozen, timedelta(minutes=table_sessions.IDLE_MINUTES, seconds=60))
        idle = await phone.call("GET", "/api/guest/table")
        assert idle.status_code == 410 and idle.json()["error"]["code"] == "session_closed"
        assert (await phone.scan(qr)).status_code == 410  # holding the old token
        fresh = await phone.scan(qr, keep=False)
        assert fresh.status_code == 201 and fresh.json()["session_id"] != first["session_id"]

        session = fresh.json()["session_id"]
        closed = await client.post(f"/api/table-sessions/{session}/close", headers=waiter)
        assert closed.status_code == 200, closed.text
        assert (await phone.call("GET", "/api/guest/table")).status_code == 410
        restored = await client.post(f"/api/table-sessions/{session}/restore", headers=waiter)
        assert restored.status_code == 200, restored.text
        assert (await phone.call("GET", "/api/guest/table")).status_code == 200


async def test_a_guest_token_works_only_on_its_own_guest_endpoints(box_and_client):
    box, client = box_and_client
    owner = await sign_in(client, "owner")
    with freeze_time(NOON, tick=True):
        here, there = Phone(client), Phone(client)
        await here.scan(qr_token(box, "7"))
        await there.scan(qr_token(box, "8"))
        prawns = item(await menu(client), "Garlic prawns")["id"]
        added = await there.add(prawns)
        assert added.status_code == 201, added.text
        their_line = added.json()["drafts"][0]["lines"][0]["id"]
        # a guest token as a staff sign-in, or in the staff header: not signed in
        bearer = {"Authorization": f"Bearer {here.token}"}
        for path in ("/api/orders", "/api/floor", "/api/drafts", "/api/me"):
            assert (await client.get(path, headers=bearer)).status_code == 401, path
        # another table's line
        taken = await here.call("DELETE", f"/api/guest/cart/{their_line}")
        assert taken.status_code == 403 and taken.json()["error"]["code"] == "not_your_table"
        changed = await here.call("PATCH", f"/api/guest/cart/{their_line}", {"quantity": 5})
        assert changed.status_code == 403
        # a staff sign-in is no guest
        staff = await client.get("/api/guest/table", headers=owner)
        assert staff.status_code == 403 and staff.json()["error"]["code"] == "guests_only"
        # a token signed by another box
        forged = {"X-Galley-Guest": f"{here.token.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAAAA"}
        assert (await client.get("/api/guest/table", headers=forged)).status_code == 401
        # a signature with a letter beyond ASCII (a header is Latin-1), held or sent: not a 500
        member, signature = here.token.split(".")
        odd = f"{member}.\xe9{signature[1:]}"
        header = {"X-Galley-Guest": odd.encode("latin-1")}
        sent = await client.get("/api/guest/table", headers=header)
        assert sent.status_code == 401, sent.text
        held = await client.post(
            "/api/guest/scan", json={"token": qr_token(box, "7"), "guest_token": odd}
        )
        assert held.status_code == 401, held.text


async def test_a_flooding_phone_gets_429_and_staff_calls_stay_fast(box_and_client):
    box, client = box_and_client
    waiter = await sign_in(client, "waiter")
    with freeze_time(NOON, tick=True):
        phone = Phone(client)
        await phone.scan(qr_token(box, "2"))
        answers = [(await phone.call("GET", "/api/guest/table")) for _ in range(100)]
        refused = [a for a in answers if a.status_code == 429]
        assert len(refused) >= 100 - 60
        assert 1 <= int(refused[0].headers["Retry-After"]) <= 10
        started = datetime.now()
        staff = await client.get("/api/floor", headers=waiter)
        assert staff.status_code == 200
        assert datetime.now() - started < timedelta(milliseconds=250)


async def test_idle_and_paid_sessions_close_and_guests_are_forgotten_a_day_later(box_and_client):
    box, client = box_and_client
    with freeze_time(NOON, tick=True) as frozen:
        phone = Phone(client)
        await phone.scan(qr_token(box, "1"))
        joined = await phone.call("POST", "/api/guest/join", {"nickname": "Ana"})
        assert joined.json()["members"][0] == {
            **joined.json()["members"][0],
            "nickname": "Ana",
            "is_host": True,
        }
        assert await box.write(table_sessions.close_idle) == 0
        advance(frozen, timedelta(minutes=table_sessions.IDLE_MINUTES, seconds=60))
        assert await box.write(table_sessions.close_idle) == 1
        assert (await phone.call("GET", "/api/guest/table")).status_code == 410
        advance(frozen, timedelta(hours=23))
        assert await box.write(table_sessions.purge_guests) == 0
        advance(frozen, timedelta(hours=1, seconds=60))
        assert await box.write(table_sessions.purge_guests) == 1
        names = box.read_now(lambda c: c.execute("SELECT nickname FROM session_members").fetchall())
        assert [row[0] for row in names] == [""]
        assert (await phone.call("GET", "/api/guest/table")).status_code == 401


async def test_a_paid_table_idle_ten_minutes_closes_and_every_phone_is_told(box_and_client):
    """Paid through the POS's own functions (a shift, the order's check, cash): the session
    closes once idle `PAID_IDLE_MINUTES`, not before, with the reason `paid`."""
    box, client = box_and_client
    owner = await sign_in(client, "owner")
    await client.patch("/api/store", headers=owner, json={"qr_mode": "direct"})
    prawns = item(await menu(client), "Garlic prawns")["id"]
    cashier = Actor("c1", "Carla", "cashier", "pos-1")
    with freeze_time(NOON, tick=True) as frozen:
        ana, rui = Phone(client), Phone(client)
        await ana.scan(qr_token(box, "2"))
        await rui.scan(qr_token(box, "2"))
        await ana.call("POST", "/api/guest/join", {"nickname": "Ana"})
        await ana.add(prawns)
        sent = await ana.call("POST", "/api/guest/send", **{"Idempotency-Key": "send-1"})
        assert sent.status_code == 200, sent.text
        order_id = sent.json()["order"]["id"]
        session_id = (await ana.table())["session_id"]
        advance(frozen, timedelta(minutes=30))
        await box.write(shifts.open_shift, cashier, {"float": 0})
        check = await box.write(checks.open_check, cashier, {"order_id": order_id})
        await box.write(payments.take, cashier, check["id"], {"method": "cash"})
        status = box.read_now(lambda c: c.execute("SELECT status FROM orders").fetchone()[0])
        assert status == "closed"  # paid: what the waiter's grid shows as Paid
        advance(frozen, timedelta(minutes=table_sessions.PAID_IDLE_MINUTES - 1))
        assert await box.write(table_sessions.close_idle) == 0  # paid, but not idle long enough
        advance(frozen, timedelta(minutes=1, seconds=1))
        assert await box.write(table_sessions.close_idle) == 1
        last = box.read_now(lambda c: Event.from_row(c.execute(_LAST_SESSION_EVENT).fetchone()))
        assert last.entity_id == session_id and last.actor == "system"
        assert last.fields["status"] == "closed" and last.fields["close_reason"] == "paid"
        assert box.guests.shows(session_id, last)  # in each phone's feed: the page says so
        for phone in (ana, rui):
            assert (await phone.call("GET", "/api/guest/table")).status_code == 410


_LAST_SESSION_EVENT = (
    "SELECT * FROM events WHERE entity = 'table_sessions' ORDER BY seq DESC LIMIT 1"
)


async def test_the_daily_pass_turns_at_four_and_a_table_gives_it_once(box_and_client):
    box, client = box_and_client
    owner, waiter = await sign_in(client, "owner"), await sign_in(client, "waiter")
    await client.patch("/api/store", headers=owner, json={"daily_pass": True})
    prawns = item(await menu(client), "Garlic prawns")["id"]
    rotate = table_sessions.rotate_pass
    with freeze_time("2026-11-20 03:59:00", tick=True) as frozen:  # Lisbon is on UTC in winter
        await box.write(rotate)
        assert _pass_day(box) == "2026-11-19"
        assert await box.write(rotate) is False  # the job again: nothing changes
        advance(frozen, timedelta(minutes=2))
        assert await box.write(rotate) is True
        assert _pass_day(box) == "2026-11-20"
        word = (await client.get("/api/floor", headers=waiter)).json()["daily_pass"]
        assert word.split("-")[1].isdigit()
        frozen.move_to("2026-11-21 00:30:00")  # past midnight: still the 20th's pass
        assert await box.write(rotate) is False
        assert (await client.get("/api/floor", headers=waiter)).json()["daily_pass"] == word
        frozen.move_to("2026-11-20 12:00:00")
        phone = Phone(client)
        await phone.scan(qr_token(box, "3"))
        await phone.add(prawns)
        assert (await phone.table())["pass_needed"] is True
        refused = await phone.call("POST", "/api/guest/send")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "pass_required"
        wrong = [await phone.call("POST", "/api/guest/pass", {"word": "nope"}) for _ in range(6)]
        assert [w.status_code for w in wrong] == [422] * 5 + [429]
        advance(frozen, timedelta(minutes=5, seconds=60))
        given = await phone.call(
            "POST", "/api/guest/pass", {"word": word.upper().replace("-", " ")}
        )
        assert given.status_code == 200 and given.json()["pass_needed"] is False
        assert (await phone.call("POST", "/api/guest/send")).status_code == 200


async def test_a_phone_holding_several_tables_codes_gets_no_more_tries_of_the_pass(
    box_and_client,
):
    """The pass is one word of 38 and a number of 90 (3,420), the same at every table; its 5
    tries in 5 minutes were counted per table only, so a phone on the Wi-Fi holding photos of
    20 tables' codes tried 100 passes in 5 minutes (all of them in under 3 hours). They are
    counted per phone too: its sixth, at another table, is a 429."""
    box, client = box_and_client
    owner = await sign_in(client, "owner")
    await client.patch("/api/store", headers=owner, json={"daily_pass": True})
    with freeze_time(NOON, tick=True):
        await box.write(table_sessions.rotate_pass)
        here, there = Phone(client), Phone(client)
        await here.scan(qr_token(box, "3"))
        await there.scan(qr_token(box, "4"))
        tries = [await here.call("POST", "/api/guest/pass", {"word": "nope-1"}) for _ in range(5)]
        assert [t.status_code for t in tries] == [422] * 5
        another = await there.call("POST", "/api/guest/pass", {"word": "nope-2"})
        assert another.status_code == 429, another.text


def _pass_day(box) -> str:
    return box.read_now(lambda c: c.execute("SELECT business_day FROM daily_passes").fetchone()[0])


async def test_a_box_off_at_four_makes_the_pass_when_it_starts(box_and_client):
    """The start-up run of the rotation job: the stored pass is of an earlier day."""
    box, _ = box_and_client
    with freeze_time("2026-11-20 12:00:00"):
        await box.write(table_sessions.rotate_pass)
    with freeze_time("2026-11-22 10:00:00"):  # off through two 04:00s
        assert await box.write(table_sessions.rotate_pass) is True
        assert _pass_day(box) == "2026-11-22"
        words = box.read_now(lambda c: c.execute("SELECT COUNT(*) FROM daily_passes").fetchone())
        assert words[0] == 1  # one row, changed each day


@pytest.mark.parametrize(
    ("after", "fires_utc", "just_before", "day_before"),
    [
        ("2026-03-28 12:00", "2026-03-29 03:00", "2026-03-29 02:59", "2026-03-28"),  # spring on
        ("2026-10-24 12:00", "2026-10-25 04:00", "2026-10-25 03:59", "2026-10-24"),  # back
    ],
)
def test_the_pass_turns_at_four_local_across_a_daylight_saving_change(
    after, fires_utc, just_before, day_before
):
    lisbon = {"timezone": "Europe/Lisbon"}
    at = datetime.fromisoformat(after).replace(tzinfo=UTC)
    fires = automations.pass_trigger("Europe/Lisbon").get_next_fire_time(None, at)
    assert fires.astimezone(UTC) == datetime.fromisoformat(fires_utc).replace(tzinfo=UTC)
    assert fires.hour == 4
    before = datetime.fromisoformat(just_before).replace(tzinfo=UTC)
    assert table_sessions.pass_day(lisbon, before) == day_before
    assert table_sessions.pass_day(lisbon, fires) == fires.date().isoformat()
