"""In-process publish/subscribe of committed events, by topic.

The writer hands each committed transaction's events over; the bus moves them onto the event
loop, tells in-process listeners (caches), and queues them for each subscriber (websockets).
A subscriber that is `behind` (it has not started reading its backlog, or was too slow for its
queue) gets nothing queued: it reads from the `events` table, where every event is, up to the
last event published when it starts, while what comes after fills its queue, which it follows
from then on. So a long backlog or a slow client costs memory for none of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from edge.core.events import Event, topic_of
from edge.core.permissions import Actor
from service.errors import Forbidden, GalleyError, Invalid

log = logging.getLogger(__name__)

# Who may follow a topic: the permission it needs (None: anyone signed in). What a follower
# sees of each event is `permissions.seen`: the fields of its entity their role may see.
TOPICS: dict[str, str | None] = {
    "store": None,
    "menu": "menu.view",
    "tables": "tables.view",
    "orders": "order.view",
    "staff": "staff.view",
    "printers": "printers.view",
    "kitchen": "kitchen.view",
    "floor": "floor.serve",
    "sync": "sync.manage",
    "pos": "check.edit",
    "reports": "reports.run",
}
QUEUE_LIMIT = 2_000


def parse_topics(raw: str | None, actor: Actor) -> frozenset[str]:
    """Topics from `?topics=a,b` (all the actor may see when absent), checked against the role."""
    if not raw:
        return frozenset(t for t, perm in TOPICS.items() if perm is None or actor.can(perm))
    topics = frozenset(t.strip() for t in raw.split(",") if t.strip())
    unknown = topics - TOPICS.keys()
    if unknown:
        raise Invalid(f"unknown topic: {', '.join(sorted(unknown))}", code="unknown_topic")
    for topic in topics:
        permission = TOPICS[topic]
        if permission and not actor.can(permission):
            raise Forbidden(f"a {actor.role} may not follow {topic}", permission=permission)
    return topics


@dataclass(eq=False)
class Subscription:
    """A subscriber's queue. None in it means: read the `events` table, the queue fell
    `behind` (it is empty, and stays so until the subscriber starts reading the table), or no
    more events, the sign-in ended (`ended`: why, for the subscriber to say). A subscription
    starts behind: its subscriber reads its backlog first."""

    topics: frozenset[str]
    # Which of its topics' events it gets (None: all): a guest's, its own table's only.
    accepts: Callable[[Event], bool] | None = None
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    behind: bool = True
    ended: GalleyError | None = None


# Who is served first. Each queue's follower wakes in the order its queue was filled, and one
# send reaches hundreds of sockets: filling them all and sending took 7-10 ms of the loop's time
# (kds_latency: 20 kitchen screens and 200 sockets following orders, traced), so the last one
# served waits for all the others. The kitchen's screens come first (cooks wait on a ticket),
# then other staff screens, then the guests' phones (a subscription that filters by its
# table); in the order they subscribed within each.
KITCHEN_FIRST, STAFF, GUESTS = range(3)


def _rank(subscription: Subscription) -> int:
    if subscription.accepts is not None:
        return GUESTS
    return KITCHEN_FIRST if "kitchen" in subscription.topics else STAFF


class Bus:
    def __init__(self, loop: asyncio.AbstractEventLoop, last_seq: int) -> None:
        self.loop = loop
        self.last_seq = last_seq
        # by rank; each an insertion-ordered set
        self._subscriptions: tuple[dict[Subscription, None], ...] = ({}, {}, {})
        self._listeners: list[Callable[[list[Event]], None]] = []
        self._later: list[Callable[[list[Event]], None]] = []

    def listen(self, listener: Callable[[list[Event]], None]) -> None:
        """Call `listener(events)` on the loop for every committed transaction, before its
        followers get it (caches are current when they read)."""
        self._listeners.append(listener)

    def listen_later(self, listener: Callable[[list[Event]], None]) -> None:
        """The same, once the followers woken by the transaction have had their turn (their
        sends are out): for work that can wait a moment and would compete with them, such as
        waking the print workers, whose threads took the CPU and the interpreter's lock from
        the loop while it sent the tickets to the kitchen's screens (about 1.5 ms of a worker's
        CPU a ticket, measured)."""
        self._later.append(listener)

    def subscribe(
        self, topics: Iterable[str], accepts: Callable[[Event], bool] | None = None
    ) -> Subscription:
        subscription = Subscription(frozenset(topics), accepts)
        self._subscriptions[_rank(subscription)][subscription] = None
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions[_rank(subscription)].pop(subscription, None)

    def end(self, subscription: Subscription, why: GalleyError) -> None:
        """No more events for `subscription`, from now: not even the rest of this batch."""
        subscription.ended = why
        self.unsubscribe(subscription)
        subscription.queue.put_nowait(None)

    def from_writer(self, events: list[Event]) -> None:
        """Called by the writer's syncer once the events are on disk, in commit order."""
        self.loop.call_soon_threadsafe(self._dispatch, events)

    def _dispatch(self, events: list[Event]) -> None:
        self.last_seq = max(self.last_seq, events[-1].seq)
        _tell(self._listeners, events)
        topics = [topic_of(event) for event in events]
        kitchen, staff, guests = self._subscriptions
        self._fill_all(kitchen, events, topics)
        # The others once the kitchen's screens have sent: their wake-ups are queued now, and
        # the loop runs callbacks in order. Filling 200 guests' queues first held the kitchen's
        # sends for about a millisecond (kds_latency, traced). A follower's queue stays in commit
        # order (the next transaction's fill comes after this one), and one that caught up from
        # the table meanwhile skips what it has read (by seq).
        self.loop.call_soon(self._fill_later, (staff, guests), events, topics)

    def _fill_later(
        self, ranks: tuple[dict[Subscription, None], ...], events: list[Event], topics: list[str]
    ) -> None:
        for followers in ranks:
            self._fill_all(followers, events, topics)
        if self._later:
            # after the wake-ups of the followers just filled: the loop runs callbacks in order
            self.loop.call_soon(_tell, self._later, events)

    def _fill_all(
        self, followers: dict[Subscription, None], events: list[Event], topics: list[str]
    ) -> None:
        present = frozenset(topics)
        for subscription in followers:
            if subscription.behind or subscription.topics.isdisjoint(present):
                continue
            self._fill(subscription, events, topics)

    @staticmethod
    def _fill(subscription: Subscription, events: list[Event], topics: list[str]) -> None:
        for event, topic in zip(events, topics, strict=True):
            if topic not in subscription.topics:
                continue
            if subscription.accepts is not None and not subscription.accepts(event):
                continue
            if subscription.queue.qsize() >= QUEUE_LIMIT:
                log.info("a subscriber %d events behind reads the events table", QUEUE_LIMIT)
                subscription.behind = True
                while not subscription.queue.empty():
                    subscription.queue.get_nowait()
                subscription.queue.put_nowait(None)
                return
            subscription.queue.put_nowait(event)


def _tell(listeners: list[Callable[[list[Event]], None]], events: list[Event]) -> None:
    for listener in listeners:
        try:
            listener(events)
        except Exception:
            log.exception("event listener failed")
