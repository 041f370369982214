import os
import uuid
from datetime import datetime

from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.clock import HybridClock, Timestamp, iso, now_iso, parse_iso, utcnow
from sync.ids import is_uuid, uuid7


def test_uuid7_stays_ordered_when_the_clock_goes_back():
    later = uuid7()
    with freeze_time("2001-01-01"):
        assert uuid7() > later


def test_uuid7_is_version_7_and_time_ordered_even_when_the_clock_stands_still():
    with freeze_time("2031-01-01 12:00:00"):
        ids = [uuid7() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == int(parse_iso("2031-01-01T12:00:00Z").timestamp() * 1000)


def test_uuid7_follows_the_clock():
    with freeze_time("2031-01-01 12:00:00") as frozen:
        first = uuid7()
        frozen.tick(1)
        assert uuid7() > first
    assert is_uuid(first) and not is_uuid("not-an-id") and not is_uuid(42)


def test_is_uuid_takes_only_the_canonical_text_form():
    assert is_uuid("01A1FFD4-2C62-7381-96AA-6F6E763AF79E")
    assert not is_uuid("01a1ffd42c62738196aa6f6e763af79e")  # no dashes
    assert not is_uuid("01a1ffd4-2c62-7381-96aa-6f6e763af79g")
    assert not is_uuid("01a1ffd4-2c62-7381-96aa-6f6e763af79e\n")


def test_a_forked_child_draws_its_own_random_bits():
    uuid7()  # the parent's pool of random bytes is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send the random tail of its first id
        os.write(write, uuid7()[-12:].encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child_tail = os.read(read, 12).decode()
    os.close(read)
    os.close(write)
    assert child_tail != uuid7()[-12:]


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_now_iso_is_iso_of_utcnow(moment):
    with freeze_time(moment):
        assert now_iso() == iso(utcnow())


def test_iso_is_utc_with_milliseconds_and_z():
    moment = parse_iso("2026-01-02T05:04:05.678901+02:00")
    assert iso(moment) == "2026-01-02T03:04:05.678Z"


def test_hlc_never_goes_backwards_and_absorbs_remote_clocks():
    with freeze_time("2031-01-01 12:00:00") as frozen:
        clock = HybridClock("edge1")
        a, b = clock.tick(), clock.tick()
        assert a < b and a.ms == b.ms and b.counter == a.counter + 1
        frozen.move_to("2026-11-21 11:00:00")  # the wall clock jumps back an hour
        c = clock.tick()
        assert c > b
        remote = Timestamp(b.ms + 60_000, 7, "hub")
        d = clock.observe(remote)
        assert d > remote and d.ms == remote.ms and d.counter == 8
        assert str(d) > str(c)  # the text form sorts like the clock
        assert Timestamp.parse(str(d)) == d


def test_hlc_observes_events_received_together_each_after_all_of_them():
    with freeze_time("2031-01-01 12:00:00"):
        clock = HybridClock("hub")
        now = clock.tick()
        remote = [Timestamp(now.ms + 5000, 2, "box"), Timestamp(now.ms + 9000, 0, "box")]
        readings = clock.observe_all(remote)
        assert len(readings) == 2 and readings[0] < readings[1]
        assert readings[0] > max(remote)
        assert clock.tick() > readings[1]  # the clock counts on after the last one
        assert clock.observe_all([]) == []


def test_hlc_resumes_after_the_last_stored_reading():
    with freeze_time("2031-01-01 12:00:00"):
        last = Timestamp(int(utcnow().timestamp() * 1000) + 5000, 3, "edge1")
        assert HybridClock("edge1", last).tick() > last


def test_iso_is_utc_with_milliseconds():
    with freeze_time("2026-11-21 12:34:56.789"):
        assert iso(utcnow()) == "2026-11-21T12:34:56.789Z"
