"""Server wins, field by field: the merge rule over random histories of edits on both sides."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import BadEvent
from sync.merge import HUB, FieldRev, Merge, check_delete, merge, revise

STORE = "store-1"
OTHER = "store-2"  # any source but this store counts as "someone else"
FIELDS = ("name", "price", "available")


def test_a_field_changed_on_both_sides_since_the_base_keeps_the_hubs_value():
    current = {"name": "Soup", "price": 500}
    revs = {"name": FieldRev(2, HUB), "price": FieldRev(7, HUB)}
    result = merge(current, revs, {"name": "Broth", "price": 450}, base_rev=5, source=STORE)
    assert result == Merge(apply={"name": "Broth"}, kept={"price": (450, 500)})


def test_the_edges_own_earlier_edit_is_no_conflict():
    current = {"price": 450}
    revs = {"price": FieldRev(7, STORE)}  # this store's own push, after its base of 5
    assert merge(current, revs, {"price": 400}, 5, STORE) == Merge(apply={"price": 400})
    assert merge(current, revs, {"price": 400}, 5, OTHER) == Merge(kept={"price": (400, 450)})


def test_the_same_value_on_both_sides_is_neither_written_nor_a_conflict():
    revs = {"price": FieldRev(7, HUB)}
    assert merge({"price": 450}, revs, {"price": 450}, 5, STORE) == Merge()
    assert merge({"available": True}, {}, {"available": 1}, 5, STORE) == Merge(
        apply={"available": 1}
    )


def test_a_change_at_the_base_itself_is_one_the_edge_had_seen():
    assert merge({"price": 500}, {"price": FieldRev(5, HUB)}, {"price": 450}, 5, STORE).apply


def test_a_create_of_a_row_the_hub_has_merges_from_base_zero():
    current = {"name": "Soup", "price": 500, "available": True}
    revs = {name: FieldRev(3, HUB) for name in current}
    created = {"name": "Soup", "price": 450, "available": True}
    assert merge(current, revs, created, 0, STORE) == Merge(kept={"price": (450, 500)})


def test_a_delete_applies_only_if_nobody_else_changed_the_row_since_the_base():
    revs = {"name": FieldRev(4, HUB), "price": FieldRev(9, STORE)}
    check_delete(revs, 5, STORE)  # only this store changed it since: the delete applies
    check_delete(revs, 4, STORE)
    with pytest.raises(BadEvent) as refused:
        check_delete({**revs, "available": FieldRev(6, HUB)}, 5, STORE)
    assert refused.value.code == "changed_on_hub"
    assert "(available)" in refused.value.message


def test_revise_stamps_the_fields_a_change_wrote():
    revs = {"name": FieldRev(2, HUB)}
    assert revise(revs, ["price"], 8, STORE) == {
        "name": FieldRev(2, HUB),
        "price": FieldRev(8, STORE),
    }
    assert revs == {"name": FieldRev(2, HUB)}
    assert FieldRev(*[8, STORE]) == (8, STORE)  # as stored in JSON


# ---- random histories ----------------------------------------------------------------------

VALUES = st.integers(0, 3)  # few values: the same value on both sides happens often
EDITS = st.dictionaries(st.sampled_from(FIELDS), VALUES, min_size=1, max_size=3)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("hub"), EDITS),
        st.tuples(st.just("other"), EDITS),
        st.tuples(st.just("edge"), EDITS),
        st.tuples(st.just("push")),
        st.tuples(st.just("sync")),
    ),
    max_size=40,
)


class Hub:
    """One row on the hub: its values, its field revisions, and every change ever made to it."""

    def __init__(self):
        self.values = dict.fromkeys(FIELDS, 0)
        self.cursor = 1
        self.rev = 1
        self.field_revs = {name: FieldRev(1, HUB) for name in FIELDS}
        self.log = [(1, name, HUB) for name in FIELDS]  # (cursor, field, source)

    def write(self, fields, source):
        if not fields:
            return
        self.cursor += 1
        self.rev = self.cursor
        self.values.update(fields)
        self.field_revs = revise(self.field_revs, fields, self.cursor, source)
        self.log += [(self.cursor, name, source) for name in fields]

    def edit(self, fields, source):
        """An owner's edit on the hub (or another source's): only what really changes."""
        self.write({k: v for k, v in fields.items() if v != self.values[k]}, source)

    def changed_since(self, name, base_rev, source):
        return any(c > base_rev and f == name and s != source for c, f, s in self.log)


class Edge:
    def __init__(self, hub):
        self.values = dict(hub.values)
        self.hub_rev = hub.rev
        self.outbox = []  # (fields, base_rev)


def _push(hub, edge, kept_log):
    for fields, base_rev in edge.outbox:
        before = dict(hub.values)
        result = merge(hub.values, hub.field_revs, fields, base_rev, STORE)
        # The rule, from the history itself rather than the bookkeeping merge reads.
        for name, value in fields.items():
            if value == before[name]:
                assert name not in result.apply and name not in result.kept
            elif hub.changed_since(name, base_rev, STORE):
                assert result.kept[name] == (value, before[name])  # both sides: the hub's stands
            else:
                assert result.apply[name] == value  # one side: the edge's value
        assert result.apply.keys() | result.kept.keys() <= fields.keys()
        assert not result.apply.keys() & result.kept.keys()
        # Deterministic: the same answer whatever order the fields and revisions come in.
        shuffled = list(fields.items())
        random.Random(len(kept_log)).shuffle(shuffled)
        revs = dict(reversed(list(hub.field_revs.items())))
        assert merge(dict(before), revs, dict(shuffled), base_rev, STORE) == result
        hub.write(result.apply, STORE)
        kept_log.extend(result.kept.items())
        untouched = {k: v for k, v in before.items() if k not in result.apply}
        assert {k: hub.values[k] for k in untouched} == untouched
    edge.outbox.clear()


@settings(max_examples=400, deadline=None)
@given(STEPS)
def test_any_history_of_edits_on_both_sides_merges_by_the_rule_and_converges(steps):
    hub = Hub()
    edge = Edge(hub)
    kept_log = []
    for step in steps:
        if step[0] == "hub":
            hub.edit(step[1], HUB)
        elif step[0] == "other":
            hub.edit(step[1], OTHER)
        elif step[0] == "edge":
            edge.values.update(step[1])
            edge.outbox.append((dict(step[1]), edge.hub_rev))
        else:
            _push(hub, edge, kept_log)
            if step[0] == "sync":  # push, then pull: the edge takes the hub's row and revision
                edge.values, edge.hub_rev = dict(hub.values), hub.rev
    _push(hub, edge, kept_log)
    edge.values, edge.hub_rev = dict(hub.values), hub.rev
    assert edge.values == hub.values
    # Every overruled value of the edge was reported, with the hub's value that stood.
    for _name, (edge_value, hub_value) in kept_log:
        assert edge_value != hub_value


REVS = st.dictionaries(
    st.sampled_from(FIELDS),
    st.builds(FieldRev, st.integers(0, 10), st.sampled_from([HUB, STORE, OTHER])),
)


@settings(max_examples=300, deadline=None)
@given(REVS, st.integers(0, 10))
def test_a_delete_is_refused_exactly_when_another_source_changed_a_field_since_the_base(revs, base):
    others = [name for name, rev in revs.items() if rev.rev > base and rev.source != STORE]
    if others:
        with pytest.raises(BadEvent, match="changed on the hub"):
            check_delete(revs, base, STORE)
    else:
        check_delete(revs, base, STORE)
