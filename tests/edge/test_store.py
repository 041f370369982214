"""Store settings, the business day and opening hours."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain import store
from tests.conftest import count

STORE = {
    "timezone": "Asia/Jakarta",
    "business_day_starts": "05:00",
    "opening_hours": {"fri": [["18:00", "02:00"]], "sat": [["10:00", "14:00"], ["18:00", "23:00"]]},
    "holidays": [{"date": "2026-12-25", "hours": [], "note": "closed"}],
}


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_business_day_follows_the_store_timezone_and_cutoff():
    # 2026-11-20 21:30 UTC is 04:30 on the 21st in Jakarta: before the 05:00 cut-off.
    assert store.business_day(STORE, at("2026-11-20T21:30:00")) == "2026-11-20"
    assert store.business_day(STORE, at("2026-11-20T22:30:00")) == "2026-11-21"


@given(
    timezone=st.sampled_from(["Europe/Lisbon", "America/New_York", "Asia/Kathmandu", "UTC"]),
    starts=st.sampled_from(["00:00", "02:30", "03:00", "05:00", "23:59"]),
    start=st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1)),
    steps=st.lists(st.integers(0, 3 * 3600), min_size=1, max_size=40),
)
def test_business_day_kept_per_minute_equals_the_full_computation(timezone, starts, start, steps):
    # Moments a few seconds to hours apart, across DST changes and day starts: the answer kept
    # for a minute must always be the one computed afresh.
    settings = {"timezone": timezone, "business_day_starts": starts}
    moment = start.replace(tzinfo=UTC)
    for seconds in steps:
        moment += timedelta(seconds=seconds)
        assert store.business_day(settings, moment) == store._business_day(timezone, starts, moment)


@pytest.mark.parametrize(
    ("utc", "open_"),
    [
        ("2026-11-20T11:30:00", True),  # Fri 18:30 Jakarta
        ("2026-11-20T18:30:00", True),  # Sat 01:30: Friday's late period
        ("2026-11-20T19:30:00", False),  # Sat 02:30
        ("2026-11-21T04:00:00", True),  # Sat 11:00
        ("2026-11-21T08:00:00", False),  # Sat 15:00
        ("2026-11-22T04:00:00", False),  # Sunday: no hours
        ("2026-12-25T12:00:00", False),  # a Friday, but a holiday
    ],
)
def test_opening_hours_with_late_periods_and_holidays(utc, open_):
    assert store.is_open(STORE, at(utc)) is open_


async def test_manager_changes_settings(client, manager):
    response = await client.patch(
        "/api/store",
        headers=manager,
        json={
            "name": "Harbour Kitchen Porto",
            "qr_kill_switch": True,
            "qr_mode": "direct",
            "opening_hours": {"mon": [["09:00", "17:00"]]},
            "guest_base_url": "http://10.0.0.5:8000/",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["qr_kill_switch"] is True and body["guest_base_url"] == "http://10.0.0.5:8000"
    assert (await client.get("/api/store", headers=manager)).json()["name"].endswith("Porto")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid"),
        ({"currency": "euro"}, "invalid"),
        # a folder of zones, a name longer than a file's may be, and a value that is no text
        # were a 500 (zoneinfo opens a file by the name; a dict is no key of the currencies)
        ({"timezone": "Europe"}, "invalid"),
        ({"timezone": "Europe/" + "x" * 300}, "invalid"),
        ({"timezone": ["Europe/Lisbon"]}, "invalid"),
        ({"currency": {"code": "EUR"}}, "invalid"),
        ({"currency": ["EUR"]}, "invalid"),
        ({"guest_base_url": "http://galley.local:8000"}, "mdns_name"),
        # the same name, fully qualified: a phone resolves it by mDNS all the same
        ({"guest_base_url": "http://galley.local.:8000"}, "mdns_name"),
        ({"guest_base_url": "http://GALLEY.LOCAL"}, "mdns_name"),
        ({"guest_base_url": "ftp://10.0.0.5"}, "invalid"),
        ({"guest_base_url": "http://[10.0.0.5"}, "invalid"),  # urlsplit raises on it
        ({"opening_hours": {"mon": [["9:00", "17:00"]]}}, "invalid"),
        ({"opening_hours": {"funday": []}}, "invalid"),
        # `$` let a newline after the time in, and `\d` other digits: stored, the day's start
        # then made every order a 500 (time.fromisoformat refuses them)
        ({"business_day_starts": "05:00\n"}, "invalid"),
        ({"business_day_starts": "0٥:00"}, "invalid"),
        ({"opening_hours": {"mon": [["11:00\n", "17:00"]]}}, "invalid"),
        ({"holidays": [{"date": "2026-13-45"}]}, "invalid"),
        ({"qr_kill_switch": "yes"}, "invalid"),
        ({"qr_mode": "sometimes"}, "invalid"),
        ({"qr_epoch": 9}, "unknown_field"),
    ],
)
async def test_bad_settings_are_refused_and_nothing_changes(
    client, settings, manager, change, code
):
    before = count(settings.database, "events")
    response = await client.patch("/api/store", headers=manager, json=change)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert count(settings.database, "events") == before


async def test_a_waiter_cannot_change_settings(client, waiter):
    response = await client.patch("/api/store", headers=waiter, json={"qr_kill_switch": True})
    assert response.status_code == 403


async def test_every_bad_setting_is_said_at_once_in_the_forms_words(client, settings, manager):
    before = count(settings.database, "events")
    response = await client.patch(
        "/api/store",
        headers=manager,
        json={
            "guest_base_url": "http://galley.local:8000",
            "currency": "ABC",
            "name": "",
            "opening_hours": {"mon": [["09:00", "09:00"]], "tue": [["", "17:00"]]},
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert list(error["fields"]) == ["name", "currency", "opening_hours", "guest_base_url"]
    assert error["fields"]["name"] == "Store name can't be empty."
    assert error["fields"]["currency"] == "Currency must be an ISO 4217 code such as EUR."
    assert error["fields"]["opening_hours"] == (
        "Opening hours on Monday: a period can't open and close at 09:00."
    )
    assert error["fields"]["guest_base_url"].startswith(
        "Guest base URL can't be a .local name: many phones cannot open those."
    )
    assert error["field"] == "name" and error["code"] == "invalid"
    assert count(settings.database, "events") == before


async def test_the_choices_are_the_boxs_time_zones_and_the_currencies_paper_knows(client, manager):
    choices = (await client.get("/api/store/choices", headers=manager)).json()
    assert "Europe/Lisbon" in choices["timezones"] and "UTC" in choices["timezones"]
    assert "US/Eastern" not in choices["timezones"]  # an old alias: the list offers Americas
    assert choices["timezones"] == sorted(choices["timezones"][:-1]) + ["UTC"]
    assert {"code": "EUR", "digits": 2} in choices["currencies"]
    assert {"code": "IDR", "digits": 0} in choices["currencies"]
    for zone in ("Asia/Kathmandu", "America/Argentina/Buenos_Aires"):
        answer = await client.patch("/api/store", headers=manager, json={"timezone": zone})
        assert answer.status_code == 200, answer.text
    for currency in ("JPY", "KWD", "EUR"):
        answer = await client.patch("/api/store", headers=manager, json={"currency": currency})
        assert answer.status_code == 200, answer.text
    assert (await client.get("/api/store/choices")).status_code == 401


async def test_a_change_answers_the_seq_of_the_event_it_wrote(client, manager):
    """The saving device knows its own event in the feed by it, so it never shows its own save
    as another device's change."""
    answer = (await client.patch("/api/store", headers=manager, json={"name": "Cais"})).json()
    assert answer["name"] == "Cais"
    feed = (await client.get(f"/api/events?since={answer['seq'] - 1}", headers=manager)).json()
    event = feed["events"][0]
    assert event["seq"] == answer["seq"] and event["entity"] == "store"
    assert event["fields"] == {"name": "Cais"}
    same = (await client.patch("/api/store", headers=manager, json={"name": "Cais"})).json()
    assert same["seq"] is None  # nothing changed, nothing written
