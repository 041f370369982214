"""The box's sync with the hub: push what the store did, then pull what the hub has, in a loop.

One asyncio task in the edge process, started with the box and idle until the box is enrolled
(`galley edge enrol` may run beside a serving box: each round reads `sync_state` again). A round:

1. **Push** the outbox: the box's own events of synced entities after the push cursor, up to the
   last seq on disk (`Bus.last_seq`: never an event a power cut could still take back), in
   batches of at most 500, signed, two on their way at once (the hub applies one while the next
   waits there: measured, the hub stood idle 1.4 of 7.4 s of sync_reconcile between batches,
   0.15 s with two). The hub's verdicts go through the writer in one write with the cursor
   (`sync_inbox.record_push`), in the batches' order: conflicts for what it merged, rejections
   for what it refused; a 409 `gap` moves the cursor back to the hub's. An answer lost on the
   way (a cut after the hub committed) is harmless: the batch is sent again and acknowledged
   as it was.
2. **Pull** the hub's changes after the pull cursor, page by page, and apply them through
   `commit(origin="hub")` in writes of at most 100 changes, each moving the cursor with it
   (`hub_changes.apply`), so an order taken meanwhile waits for one small write, not a page.

Each batch and each page first waits for a calm moment (`edge.runtime.pacing`): while the
tills keep the writer busy, the sync holds back (30 s per batch at most), so a rush is not
slowed by it. The hub leaves the box's own orders out of the pull (`hub.domain.feed`): they
would change nothing here.

Then it sleeps `sync_seconds` while the hub answers; when it does not, the wait doubles from
1 s up to 5 minutes, each wait a random 50-100 % of that (jitter: boxes that lost the same link
do not come back in step). Nothing here runs on the event loop for long: the outbox is read and
the batch encoded in a worker thread, answers are parsed in one, writes go to the writer thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx

from edge.core import events, identity
from edge.core.config import EdgeSettings
from edge.domain import hub_changes, sync_inbox
from edge.runtime.hub_client import HubClient, HubRefused, HubUnreachable
from edge.runtime.pacing import Pacing
from sync.clock import now_iso
from sync.envelope import MAX_BODY_BYTES, MAX_EVENTS, PushBatch, PushedEvent, PushResult
from sync.signing import DeviceKey

log = logging.getLogger(__name__)
T = TypeVar("T")

# A push's body stops before 4 MB (the hub reads up to 16 MB): 500 orders fit in far less, so
# only unusually large events make a batch shorter. One event larger than the cap goes alone;
# one the hub could never read (over MAX_BODY_BYTES) is kept as a rejection, never retried.
BATCH_BYTES = 4 * 1024 * 1024
# Pushes on their way to the hub at once: two keep it busy (one applied while the next waits
# there); more would only queue at the hub.
IN_FLIGHT = 2
APPLY_CHUNK = 100  # hub changes applied per write: an order waits for one such write at most
FIRST_BACKOFF_S, LONGEST_BACKOFF_S = 1.0, 300.0
Read = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Status:
    """Where the box stands with the hub, as `GET /api/sync` tells it (with the counts)."""

    state: str = "not_enrolled"  # not_enrolled, connecting, online, offline, refused
    last_success: str | None = None
    last_error: str | None = None  # as the hub or the link said it: for the technician
    problem: str | None = None  # what it means to a manager, and what to do (`problem`)


class SyncService:
    def __init__(
        self,
        settings: EdgeSettings,
        read: Read,
        write: Read,
        last_seq: Callable[[], int],
        pacing: Pacing,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`pacing` (the box's writer's) makes each batch wait while the tills are busy."""
        self.settings = settings
        self._read = read
        self._write_now = write
        self._pacing = pacing
        self._last_seq = last_seq
        self._transport = transport
        self.status = Status()
        # Set by the box: it holds no store yet and takes the store's setup from the hub
        # (`identity.awaiting_setup`): closed to trade until a whole pull brought it.
        self.awaiting_setup = False
        self.set_up = asyncio.Event()  # set once the box has its store (at once for most)
        self._task: asyncio.Task[None] | None = None
        self._client: HubClient | None = None
        self._key_id: str | None = None
        self._wake = asyncio.Event()
        self._one_round = asyncio.Lock()  # the loop's round and one a test asks for
        self.batch_bytes = BATCH_BYTES
        self.body_limit = MAX_BODY_BYTES

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="galley-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    def wake(self) -> None:
        """Start the next round now (a test, or a manager who wants to see it go)."""
        self._wake.set()

    async def _run(self) -> None:
        backoff = FIRST_BACKOFF_S
        while True:
            try:
                synced = await self.round()
            except Exception as error:  # noqa: BLE001 (a bug too must not end sync for good)
                if not isinstance(error, HubUnreachable | HubRefused):
                    log.exception("sync round failed")
                wait = backoff * random.uniform(0.5, 1.0)
                backoff = min(backoff * 2, LONGEST_BACKOFF_S)
            else:
                backoff = FIRST_BACKOFF_S
                # not enrolled: look again in a second (`galley edge enrol` may run meanwhile)
                wait = float(self.settings.sync_seconds) if synced is not None else 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()

    async def round(self) -> bool | None:
        """One push then pull; None when the box is not enrolled (nothing to do)."""
        async with self._one_round:
            try:
                return await self._round()
            except Exception as error:
                state = "refused" if isinstance(error, HubRefused) else "offline"
                self.status = replace(
                    self.status,
                    state=state,
                    last_error=str(error) or repr(error),
                    problem=problem(error),
                )
                log.info("sync: %s", error)
                raise

    async def _round(self) -> bool | None:
        state = await self._read(identity.sync_state)
        client = await self._client_for(state)
        if client is None:
            self.status = Status()
            return None
        if self.status.state == "not_enrolled":
            self.status = replace(self.status, state="connecting")
        assert state.store_id is not None
        await self._push(client, state.store_id)
        await self._pull(client)
        if self.awaiting_setup and await self._write(identity.setup_arrived):
            self.awaiting_setup = False
            self.set_up.set()
        self.status = replace(
            self.status, state="online", last_success=now_iso(), last_error=None, problem=None
        )
        return True

    async def _client_for(self, state: identity.SyncState) -> HubClient | None:
        if not state.enrolled or not state.hub_url:
            return None
        if self._client is None or self._key_id != state.key_id:
            key = _load_key(self.settings.device_key)
            if key is None or key.key_id != state.key_id:
                raise HubRefused(0, "no_key", "the box's device key is missing: enrol again", {})
            if self._client is not None:  # enrolled again: a new key, maybe another hub
                await self._client.close()
            self._client = HubClient(state.hub_url, key, transport=self._transport)
            self._key_id = state.key_id
        return self._client

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        self._pacing.own_write()
        return await self._write_now(fn, *args)

    async def _push(self, client: HubClient, store_id: str) -> None:
        """Batch after batch, IN_FLIGHT of them on their way at once: while the hub applies one,
        the next is already there (it waits its turn at the hub, not a round trip), the one
        after is read and encoded, and the verdicts of the one before are written. Answers are
        taken in order; the first that is no success ends the batches still on their way, their
        answers unread (whatever of them the hub applied, it acknowledges when they come again:
        from the push cursor, which only answers read in order move)."""
        sent: deque[tuple[Batch, asyncio.Future[PushResult]]] = deque()
        recording: asyncio.Future[None] | None = None
        batch = await self._next(store_id, None)
        try:
            while batch is not None or sent:
                if batch is not None and len(sent) < IN_FLIGHT:
                    if batch.too_large is None:
                        await self._pacing.turn()
                        sent.append((batch, asyncio.ensure_future(client.push(batch.body))))
                        # the next batch starts where the hub's cursor is once it took this one
                        after = batch.events[-1].seq
                        batch = await self._next(store_id, after) if batch.more else None
                        continue
                    if not sent:  # kept as a rejection once every batch before it is answered
                        await _finished(recording)
                        recording = None
                        await self._write(
                            sync_inbox.record_too_large, batch.too_large, self.body_limit
                        )
                        batch = await self._next(store_id, None)
                        continue
                pushed, answer = sent.popleft()
                try:
                    result = await answer
                except HubRefused as refused:
                    upto = refused.details.get("push_upto")
                    if refused.code != "gap" or not isinstance(upto, int):
                        raise
                    await _stopped(sent)
                    await _finished(recording)
                    recording = None
                    log.warning("sync: the hub holds up to seq %s; pushing from there", upto)
                    await self._write(identity.pushed, upto)
                    batch = await self._next(store_id, None)
                    continue
                await _finished(recording)
                recording = asyncio.ensure_future(
                    self._write(sync_inbox.record_push, pushed.events, result, result.upto)
                )
        finally:
            await _stopped(sent)
            await _finished(recording)

    async def _next(self, store_id: str, after: int | None) -> Batch | None:
        """The next batch after `after` (None: after the push cursor), up to what is on disk."""
        return await self._read(
            _next_batch, store_id, self._last_seq(), self.batch_bytes, self.body_limit, after
        )

    async def _pull(self, client: HubClient) -> None:
        while True:
            await self._pacing.turn()
            state = await self._read(identity.sync_state)
            page = await client.pull(state.pull_cursor, MAX_EVENTS)
            changes = page.changes
            for start in range(0, len(changes), APPLY_CHUNK):
                chunk = changes[start : start + APPLY_CHUNK]
                cursor = chunk[-1].cursor if start + APPLY_CHUNK < len(changes) else page.cursor
                await self._write(hub_changes.apply, chunk, cursor)
            if not changes and page.cursor > state.pull_cursor:
                await self._write(hub_changes.apply, [], page.cursor)
            if not page.has_more:
                return

    def setup(self) -> dict[str, Any]:
        """Whether the box trades, or what it waits for: a replacement box waits for its
        store's setup from the hub, and says why it has not come."""
        if not self.awaiting_setup:
            return {"state": "ready", "message": None}
        if self.status.state == "not_enrolled":
            why = (
                "This box holds no store yet. Enrol it with the hub (`galley edge enrol --hub URL"
                " --code CODE`) to take a store's setup from there, or set up a new store"
                " (`galley edge init`)."
            )
        elif self.status.state in ("offline", "refused"):
            why = (
                "Waiting for the store's setup from the hub, which has not answered: "
                f"{self.status.last_error}. The box tries again by itself."
            )
        elif self.status.state == "online":
            why = (
                "The hub holds no settings for this store yet (no box of it has synced): set"
                " this box up as a new store instead."
            )
        else:
            why = "Waiting for the store's setup from the hub."
        return {"state": "waiting_for_hub", "message": why}

    @property
    def hub_offset_s(self) -> float:
        """The hub's clock minus the box's, once a stale refusal told it (else 0)."""
        return self._client.clock_offset_s if self._client is not None else 0.0

    def clock_moved(self, by_ms: int) -> None:
        """The box's clock moved `by_ms` (a manager gave it the time): the hub's, as it told
        it, is that much less ahead."""
        if self._client is not None:
            self._client.clock_offset_s -= by_ms / 1000

    async def status_json(self) -> dict[str, Any]:
        """Where the box stands, with the counts a manager cares about."""
        state, counts = await self._read(_counts, self._last_seq())
        return {
            "enrolled": state.enrolled,
            "hub_url": state.hub_url,
            "state": self.status.state if state.enrolled else "not_enrolled",
            "last_success": self.status.last_success,
            "last_error": self.status.last_error,
            "problem": self.status.problem,
            **counts,
        }


# What a manager is told of a round the hub refused, by the refusal's code: the box's key is no
# longer good (revoked, unknown, another store's, lost here), its clock is off, or it speaks
# another version of the protocol. Any other refusal is the technician's.
_REENROL = (
    "The hub no longer accepts this box's key. Ask your technician to enrol the box again"
    " with a new code from the hub."
)
_REFUSED = {
    "revoked": _REENROL,
    "unknown_key": _REENROL,
    "wrong_store": _REENROL,
    "no_key": _REENROL,
    "stale": "The box's clock is more than 5 minutes off the hub's: set the box's date and"
    " time, or ask your technician.",
    "schema_unsupported": "The hub runs another version of Galley than this box: ask your"
    " technician to update the box.",
    "restored": "This box runs on an older copy of the store than the hub holds (restored from"
    " a backup, or a copy of its card): the hub holds changes this box lost, and takes none of"
    " this box's new ones in their place. Tell your technician.",
}
_STORE_GOES_ON = "The store works as ever: its changes wait here and go up once the hub takes them."


def problem(error: Exception) -> str:
    """A failed round as a manager reads it on the Sync page: what is wrong, what to do, and
    that nothing is lost meanwhile (`last_error` keeps what the hub or the link said)."""
    if isinstance(error, HubRefused):
        what = _REFUSED.get(
            error.code, f"The hub refused the box's changes ({error.code}): tell your technician."
        )
    elif isinstance(error, HubUnreachable):
        what = "The hub does not answer: the internet may be down, or the hub."
    else:
        what = "Sync stopped on an error of the box's: tell your technician."
    return f"{what} {_STORE_GOES_ON}"


def _load_key(path: Path) -> DeviceKey | None:
    return DeviceKey.load(path) if path.exists() else None


@dataclass(frozen=True)
class Batch:
    """The next push: its events and body, and whether more wait after it; or an event too
    large for any push (`too_large`), to be kept as a rejection instead."""

    events: list[PushedEvent]
    body: bytes
    more: bool
    too_large: PushedEvent | None = None


async def _stopped(sent: deque[tuple[Batch, asyncio.Future[PushResult]]]) -> None:
    """Stop the pushes still on their way, their answers unread."""
    for _, answer in sent:
        answer.cancel()
    await asyncio.gather(*(answer for _, answer in sent), return_exceptions=True)
    sent.clear()


async def _finished(recording: asyncio.Future[None] | None) -> None:
    """Wait for a write begun before (None: none is), its error raised here."""
    if recording is not None:
        await recording


def _next_batch(
    conn: sqlite3.Connection,
    store_id: str,
    upto: int,
    max_bytes: int = BATCH_BYTES,
    body_limit: int = MAX_BODY_BYTES,
    after: int | None = None,
) -> Batch | None:
    """The next batch to push (read in a worker thread), at most MAX_EVENTS events and
    `max_bytes` of body (one larger event alone), of the events after `after` (None: after the
    push cursor); None when the hub has everything on disk.

    An event kept as too large stays after the push cursor (the cursor is the hub's): it is
    left out of every batch, whose `after` still is the hub's cursor. The hub takes a batch
    whose first seq is beyond `after` + 1 (seqs of local events never reach it either)."""
    if after is None:
        after = identity.sync_state(conn).push_cursor
    found = events.outbox(conn, after, upto, MAX_EVENTS)
    skipped = sync_inbox.too_large_seqs(conn, after)
    pushed = [_pushed(event) for event in found if event.seq not in skipped]
    if not pushed:
        return None
    batch, body = PushBatch.fitted(store_id, after, pushed, max_bytes)
    if len(body) > body_limit:
        return Batch([], b"", True, too_large=batch.events[0])
    more = len(found) == MAX_EVENTS or len(batch.events) < len(pushed)
    return Batch(batch.events, body, more)


def _pushed(event: events.Event) -> PushedEvent:
    fields = event.fields
    if event.entity == "staff" and fields.get("pin_hash") == "***":
        # Events recorded before secrets were masked where shown (not where stored) hold "***"
        # for a PIN's hash: never send that as a hash (it would lock the person out on the hub
        # and every box). The field is left out; the hub keeps the hash it has.
        fields = {k: v for k, v in fields.items() if k != "pin_hash"}
    return PushedEvent(
        seq=event.seq,
        id=event.id,
        hlc=event.hlc,
        at=event.at,
        entity=event.entity,
        entity_id=event.entity_id,
        op=event.op,  # type: ignore[arg-type]
        fields=fields,
        base_rev=event.base_rev,
        actor=event.actor,
        approver=event.approver,
    )


def _counts(conn: sqlite3.Connection, upto: int) -> tuple[identity.SyncState, dict[str, int]]:
    state = identity.sync_state(conn)
    waiting = 0
    if state.enrolled:  # an event too large to push waits no more: it is a rejection
        kept = sync_inbox.too_large_seqs(conn, state.push_cursor)
        waiting = events.waiting(conn, state.push_cursor, upto) - len(kept)
    return state, {"waiting": waiting, **sync_inbox.counts(conn)}
