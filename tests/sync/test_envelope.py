"""The bodies of push, pull and enrol: what they write, and every way a body can be wrong."""

import copy
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.clock import Timestamp, iso
from sync.envelope import (
    MAX_EVENTS,
    Enrolled,
    Enrolment,
    Kept,
    PullPage,
    PushBatch,
    PushedEvent,
    PushResult,
)
from sync.errors import BadEnvelope, Reason
from sync.signing import DeviceKey

STORE = "01890a5d-ac96-774b-bcce-b302099a8057"
EVENT = "01890a5d-ac96-774b-bcce-b302099a8058"
HUB_EVENT = "01890a5d-ac96-774b-bcce-b302099a8059"
HLC = "1767225600000-0000-node1"
AT = "2026-01-01T00:00:00.000Z"


def _event(seq, **changes):
    event = {
        "seq": seq,
        "id": EVENT,
        "hlc": HLC,
        "at": AT,
        "entity": "menu_items",
        "entity_id": "01890a5d-ac96-774b-bcce-b302099a8060",
        "op": "update",
        "fields": {"price": 450},
        "base_rev": 3,
        "actor": "staff-1",
        "approver": None,
    }
    return {**event, **changes}


def _batch(**changes):
    return {
        "schema": 1,
        "store_id": STORE,
        "after": 10,
        "events": [_event(11), _event(14)],
        **changes,
    }


def _change(cursor, **changes):
    change = {
        "cursor": cursor,
        "id": HUB_EVENT,
        "hlc": HLC,
        "at": AT,
        "entity": "menu_items",
        "entity_id": "01890a5d-ac96-774b-bcce-b302099a8060",
        "op": "update",
        "fields": {"price": 500},
        "rev": cursor,
        "actor": "owner@hub",
        "source": "hub",
        "seq": None,
        "kept": {},
    }
    return {**change, **changes}


KEPT = {"price": {"edge": 450, "hub": 500, "hub_actor": "owner@hub", "hub_at": AT}}
VERDICTS = [
    {"seq": 11, "event_id": EVENT, "status": "applied", "rev": 20, "kept": {}, "reason": None},
    {"seq": 12, "event_id": EVENT, "status": "merged", "rev": 21, "kept": KEPT, "reason": None},
    {
        "seq": 14,
        "event_id": EVENT,
        "status": "rejected",
        "rev": None,
        "kept": {},
        "reason": {"code": "local_entity", "message": "a print job stays on the box"},
    },
]


def test_a_push_batch_reads_what_it_writes():
    body = _batch()
    batch = PushBatch.from_bytes(orjson.dumps(body))
    assert batch.store_id == STORE and batch.after == 10
    assert [event.seq for event in batch.events] == [11, 14]
    assert batch.events[0] == PushedEvent(**{k: v for k, v in _event(11).items()})
    assert batch.to_json() == body
    assert PushBatch.from_bytes(batch.to_bytes()) == batch


def test_a_push_result_reads_what_it_writes():
    body = {"schema": 1, "upto": 14, "verdicts": VERDICTS}
    result = PushResult.from_json(body)
    merged, rejected = result.verdicts[1], result.verdicts[2]
    assert merged.kept == {"price": Kept(450, 500, "owner@hub", AT)}
    assert rejected.reason == Reason("local_entity", "a print job stays on the box")
    assert result.to_json() == body
    assert PushResult.from_bytes(result.to_bytes()) == result


def test_a_pull_page_reads_what_it_writes():
    body = {
        "schema": 1,
        "cursor": 31,
        "has_more": False,
        "changes": [_change(30), _change(31, source="edge", seq=12, kept=KEPT, actor=None)],
    }
    page = PullPage.from_json(body)
    assert page.changes[1].kept["price"].hub == 500 and page.changes[1].seq == 12
    assert page.to_json() == body
    assert PullPage.from_bytes(page.to_bytes()) == page
    empty = {"schema": 1, "cursor": 31, "has_more": False, "changes": []}
    assert PullPage.from_json(empty).to_json() == empty


def test_enrolment_bodies_read_what_they_write():
    key = DeviceKey.generate()
    asked = Enrolment(code="ABCD-EFGH", public_key_pem=key.public_pem(), node="box-1")
    assert Enrolment.from_bytes(asked.to_bytes()) == asked
    answer = Enrolled(tenant_id=STORE, store_id=STORE, store_name="Café Azul", key_id=key.key_id)
    assert Enrolled.from_bytes(answer.to_bytes()) == answer
    assert answer.to_json()["schema"] == 1


# ---- what is refused -----------------------------------------------------------------------


def _refused(record, body, *words, code="bad_envelope"):
    with pytest.raises(BadEnvelope) as refused:
        if isinstance(body, bytes):
            record.from_bytes(body)
        else:
            record.from_json(body)
    assert refused.value.code == code
    for word in words:
        assert word in refused.value.message
    return refused.value


def _without(body, key):
    body = copy.deepcopy(body)
    del body[key]
    return body


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", ["not JSON"]),
        ([], ["the body should be an object"]),
        (_without(_batch(), "schema"), ["schema is missing"]),
        (_batch(schema="1"), ["schema should be the number 1"]),
        (_batch(schema=True), ["schema should be the number 1"]),
        (_without(_batch(), "store_id"), ["store_id is missing"]),
        (_batch(store_id="store-1"), ["store_id should be a UUID"]),
        (_batch(after=-1), ["after should be a whole number of at least 0"]),
        (_batch(after="10"), ["after should be a whole number"]),
        (_batch(events={}), ["events should be a list"]),
        (_batch(events=[_event(11), "x"]), ["events[1] should be an object"]),
        (_batch(events=[_without(_event(11), "hlc")]), ["events[0].hlc is missing"]),
        (_batch(events=[_event(11, colour="red")]), ["events[0].colour is not a field"]),
        (_batch(surplus=1), ["surplus is not a field"]),
        (_batch(events=[_event(0)]), ["events[0].seq should be a whole number of at least 1"]),
        (_batch(events=[_event(11.0)]), ["events[0].seq should be a whole number"]),
        (_batch(events=[_event(2**63)]), ["events[0].seq should be", "at most 2**63 - 1"]),
        (_batch(events=[_event(11, id="e-1")]), ["events[0].id should be a UUID"]),
        (_batch(events=[_event(11, hlc="yesterday")]), ["events[0].hlc should be a hybrid clock"]),
        (
            _batch(events=[_event(11, at="2026-01-01 00:00:00")]),
            ["events[0].at should be a UTC time"],
        ),
        (_batch(events=[_event(11, at="2026-02-30T00:00:00.000Z")]), ["a time that exists"]),
        (_batch(events=[_event(11, entity="")]), ["events[0].entity should be text"]),
        (_batch(events=[_event(11, entity_id=5)]), ["events[0].entity_id should be text"]),
        (
            _batch(events=[_event(11, op="upsert")]),
            ["events[0].op should be one of create, update"],
        ),
        (_batch(events=[_event(11, fields=[])]), ["events[0].fields should be an object"]),
        (
            _batch(events=[_event(11, base_rev=None)]),
            ["events[0].base_rev should be a whole number"],
        ),
        (_batch(events=[_event(11, actor=7)]), ["events[0].actor should be text"]),
        (
            _batch(events=[_event(14), _event(11)]),
            ["events should be sorted by seq", "11 after 14"],
        ),
        (_batch(events=[_event(11), _event(11)]), ["sorted by seq, each once"]),
        (_batch(events=[_event(10), _event(11)]), ["events[0].seq should be after 10"]),
    ],
)
def test_a_malformed_push_batch_is_refused_with_a_reason_that_names_the_place(body, words):
    _refused(PushBatch, body, *words)


def test_an_unknown_schema_is_refused_as_unsupported_before_anything_else():
    error = _refused(
        PushBatch, {"schema": 2, "whatever": True}, "schema 2", code="schema_unsupported"
    )
    assert error.reason.code == "schema_unsupported"
    _refused(PullPage, {"schema": 0}, code="schema_unsupported")


def test_at_most_500_events_in_a_batch():
    events = [_event(seq) for seq in range(11, 11 + MAX_EVENTS)]
    assert len(PushBatch.from_json(_batch(events=events)).events) == MAX_EVENTS
    too_many = [*events, _event(11 + MAX_EVENTS)]
    _refused(PushBatch, _batch(events=too_many), "events should be a list of at most 500")


@pytest.mark.parametrize(
    ("verdicts", "words"),
    [
        ([{**VERDICTS[0], "status": "done"}], ["verdicts[0].status should be one of"]),
        ([{**VERDICTS[0], "kept": KEPT}], ["verdicts[0].kept should be fields for a merged"]),
        ([{**VERDICTS[1], "kept": {}}], ["verdicts[0].kept should be fields for a merged"]),
        ([{**VERDICTS[2], "reason": None}], ["verdicts[0].reason should be given for a rejected"]),
        ([{**VERDICTS[0], "reason": VERDICTS[2]["reason"]}], ["reason should be given"]),
        ([{**VERDICTS[2], "reason": {"code": "x"}}], ["verdicts[0].reason.message is missing"]),
        (
            [{**VERDICTS[1], "kept": {"price": {**KEPT["price"], "hub_at": "now"}}}],
            ["kept.price.hub_at"],
        ),
        ([{**VERDICTS[0], "rev": 0}], ["verdicts[0].rev should be a whole number of at least 1"]),
        # an applied one, as nearly all are, is read by plain checks first: each still refused
        ([{**VERDICTS[0], "rev": True}], ["verdicts[0].rev should be a whole number"]),
        ([{**VERDICTS[0], "seq": 0}], ["verdicts[0].seq should be a whole number of at least 1"]),
        ([{**VERDICTS[0], "event_id": "e-1"}], ["verdicts[0].event_id should be a UUID"]),
        ([{**VERDICTS[0], "kept": []}], ["verdicts[0].kept should be an object"]),
        ([VERDICTS[1], VERDICTS[0]], ["verdicts should be sorted by seq"]),
    ],
)
def test_a_malformed_push_result_is_refused(verdicts, words):
    _refused(PushResult, {"schema": 1, "upto": 14, "verdicts": verdicts}, *words)


@pytest.mark.parametrize(
    ("changes", "cursor", "words"),
    [
        ([_change(30, source="edge")], 30, ["changes[0].seq should be the pushed seq"]),
        ([_change(30, seq=4)], 30, ["changes[0].seq should be the pushed seq"]),
        ([_change(30, source="store")], 30, ["changes[0].source should be one of hub, edge"]),
        ([_change(31), _change(30)], 31, ["changes should be sorted by cursor"]),
        ([_change(30)], 29, ["cursor should be at least the last change's cursor (30)"]),
        ([_change(30, rev=0)], 30, ["changes[0].rev should be a whole number of at least 1"]),
    ],
)
def test_a_malformed_pull_page_is_refused(changes, cursor, words):
    _refused(
        PullPage, {"schema": 1, "cursor": cursor, "has_more": True, "changes": changes}, *words
    )


def test_a_malformed_enrolment_is_refused():
    good = Enrolment("ABCD", DeviceKey.generate().public_pem(), "box-1").to_json()
    _refused(Enrolment, {**good, "code": ""}, "code should be text")
    _refused(Enrolment, {**good, "node": "box\u0000"}, "node should be text (without NUL")
    _refused(
        Enrolment, {**good, "public_key_pem": "-----BEGIN PUBLIC KEY-----"}, "Ed25519 public key"
    )
    _refused(
        Enrolled,
        {"schema": 1, "tenant_id": STORE, "store_id": STORE, "store_name": "A", "key_id": "xyz"},
        "key_id",
    )


# ---- any batch -----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
IDS = st.uuids(version=4).map(str)
TEXTS = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=20
)
HLCS = st.builds(
    lambda ms, counter, node: str(Timestamp(ms, counter, node)),
    st.integers(10**12, 10**13 - 1),
    st.integers(0, 0xFFFF),
    st.text("abcdef0123456789-", min_size=1, max_size=12),
)
ATS = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)).map(iso)


@st.composite
def batches(draw):
    after = draw(st.integers(0, 10**9))
    gaps = draw(st.lists(st.integers(1, 5), max_size=30))
    seqs = [after + sum(gaps[: index + 1]) for index in range(len(gaps))]
    events = [
        PushedEvent(
            seq=seq,
            id=draw(IDS),
            hlc=draw(HLCS),
            at=draw(ATS),
            entity=draw(TEXTS),
            entity_id=draw(TEXTS),
            op=draw(st.sampled_from(["create", "update", "delete"])),
            fields=draw(st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5)),
            base_rev=draw(st.integers(0, 10**9)),
            actor=draw(st.none() | TEXTS),
            approver=draw(st.none() | TEXTS),
        )
        for seq in seqs
    ]
    return PushBatch(store_id=draw(IDS), after=after, events=events)


@settings(max_examples=150, deadline=None)
@given(batches())
def test_any_batch_goes_over_the_wire_and_back_unchanged(batch):
    assert PushBatch.from_bytes(batch.to_bytes()) == batch
