"""The sync waits while the tills keep the writer busy (`edge.runtime.pacing`), never for ever;
and the box's own orders coming back from the hub never reach the writer."""

import asyncio
import contextlib

import pytest

from edge.domain import hub_changes
from edge.runtime.pacing import Pacing
from sync.envelope import Change, Kept

WINDOW = 0.02


class Tills:
    """A writer's counters as the tills move them: `per_window` writes every window."""

    def __init__(self, per_window: int = 0, backlog: int = 0) -> None:
        self.writes, self.per_window, self.queued = 0, per_window, backlog

    async def run(self) -> None:
        while True:
            await asyncio.sleep(WINDOW / 4)
            self.writes += self.per_window // 4

    def pacing(self, longest_s: float = 5.0) -> Pacing:
        return Pacing(
            lambda: self.writes,
            lambda: self.queued,
            window_s=WINDOW,
            busy_per_s=50.0,  # 1 write a window
            longest_s=longest_s,
        )


@contextlib.asynccontextmanager
async def _running(tills: Tills):
    task = asyncio.create_task(tills.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _turn_takes(pacing: Pacing) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await pacing.turn()
    return loop.time() - start


async def test_a_calm_writer_gives_the_sync_its_turn_after_one_look_then_at_once():
    tills = Tills(per_window=0)
    pacing = tills.pacing()
    async with _running(tills):
        assert await _turn_takes(pacing) < 10 * WINDOW
        for _ in range(3):  # the sync's own writes between its batches are not the tills'
            pacing.own_write()
            tills.writes += 1
            assert await _turn_takes(pacing) < WINDOW / 2  # no look


async def test_a_rush_begun_since_the_last_batch_is_seen_at_once():
    tills = Tills(per_window=0)
    pacing = tills.pacing()
    async with _running(tills):
        await pacing.turn()
        tills.per_window = 40
        await asyncio.sleep(2 * WINDOW)  # the last batch's time, most of it calm
        turn = asyncio.create_task(pacing.turn())
        await asyncio.sleep(10 * WINDOW)
        assert not turn.done()
        tills.per_window = 0
        await asyncio.wait_for(turn, 20 * WINDOW)


async def test_a_rush_holds_the_sync_back_until_it_ends():
    tills = Tills(per_window=40)  # 2,000 writes a second
    async with _running(tills):
        turn = asyncio.create_task(tills.pacing().turn())
        await asyncio.sleep(10 * WINDOW)
        assert not turn.done()
        tills.per_window = 0  # the rush is over
        await asyncio.wait_for(turn, 20 * WINDOW)


async def test_writes_queued_for_a_stalled_writer_hold_the_sync_back_too():
    tills = Tills(per_window=0, backlog=3)  # no write goes through: the disk is slow
    async with _running(tills):
        turn = asyncio.create_task(tills.pacing().turn())
        await asyncio.sleep(10 * WINDOW)
        assert not turn.done()
        tills.queued = 0
        await asyncio.wait_for(turn, 20 * WINDOW)


async def test_a_rush_that_never_ends_still_lets_a_batch_through_now_and_then():
    tills = Tills(per_window=40)
    async with _running(tills):
        took = await _turn_takes(tills.pacing(longest_s=10 * WINDOW))
    assert 10 * WINDOW <= took < 30 * WINDOW


def _change(entity: str, source: str, kept: dict[str, Kept] | None = None) -> Change:
    return Change(
        cursor=1,
        id="0190a000-0000-7000-8000-000000000001",
        hlc="0000000000001-0000-box1",
        at="2026-01-01T00:00:00Z",
        entity=entity,
        entity_id="0190a000-0000-7000-8000-000000000002",
        op="create",
        fields={},
        rev=1,
        actor=None,
        source=source,  # type: ignore[arg-type]
        seq=1,
        kept=kept or {},
    )


@pytest.mark.parametrize(
    ("change", "echo"),
    [
        (_change("orders", "edge"), True),  # the store's own order, as the hub took it
        (_change("orders", "hub"), False),
        (_change("menu_items", "edge"), False),  # takes the hub's revision: written
        (
            _change(
                "orders",
                "edge",
                {"note": Kept(edge="a", hub="b", hub_actor=None, hub_at="2026-01-01T00:00:00Z")},
            ),
            False,
        ),
        (_change("no_such_entity", "edge"), False),  # refused and kept, by `apply`
    ],
)
def test_only_the_stores_own_rows_coming_back_unchanged_are_left_out(change, echo):
    assert hub_changes.echo(change) is echo
