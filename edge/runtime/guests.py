"""The box's side of table guests: who a guest token stands for, how often a guest may call,
and which events a guest's feed carries.

Rate limits are counted in memory, per client address and per table session (a sliding window,
`service.attempts`), before any database work: a phone flooding the box gets 429 with
`Retry-After` for the price of a dictionary look-up, and staff calls never wait behind it.

A guest follows only its own session. The bus tells `Guests` every committed transaction before
any subscriber (`Bus.listen`), and it notes the session of each floor event then (`session_of`),
so each guest subscription's filter is a dictionary look-up, not a query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import HTTPConnection

from edge.core.events import Event, topic_of
from edge.domain import table_sessions
from edge.domain.table_sessions import Guest
from edge.runtime.realtime import Bus, Subscription
from service.attempts import Attempts
from service.errors import Forbidden, Unauthorized
from service.http import client_address
from sync.clock import utcnow

HEADER = "X-Galley-Guest"
WINDOW_S = 10
ADDRESS_CALLS = 60  # one phone: a page load and a busy minute of ordering fit easily
SESSION_CALLS = 150  # a table of phones together
PASS_TRIES, PASS_WINDOW_S = 5, 300  # daily passes a table, and a phone, may try
_SCOPE = "galley.guest"  # where a request's guest is kept once known
_REMEMBERED = 100_000  # ids whose session is known, before the oldest are forgotten

Read = Callable[..., Any]


class Guests:
    def __init__(self, read_now: Read, secret: bytes, bus: Bus) -> None:
        self._read_now = read_now
        self._secret = secret
        self._bus = bus
        self.by_address = Attempts(ADDRESS_CALLS, WINDOW_S)
        self.by_session = Attempts(SESSION_CALLS, WINDOW_S)
        self.pass_tries = Attempts(PASS_TRIES, PASS_WINDOW_S)
        self._session_of: dict[str, str | None] = {}  # floor row id -> its session
        bus.listen(self._on_events)

    def count(self, conn: HTTPConnection) -> None:
        """Count a guest call from the client's address, or refuse it (429)."""
        self.by_address.count(client_address(conn), "calls")

    def who(self, conn: HTTPConnection) -> Guest:
        """The guest the request's token stands for (401, 410), its call counted per address
        and per session (429), once per request. A read of a few microseconds, on the loop. A
        call with no guest token is refused before it counts: it costs the box nothing."""
        known = conn.scope.get(_SCOPE)
        if known is None:
            token = conn.headers.get(HEADER)
            if token is None and "authorization" in conn.headers:
                raise Forbidden("this is for a table's guests, not staff", code="guests_only")
            if not token:
                raise Unauthorized("scan the table's QR code first", code="guest_token_required")
            self.count(conn)
            known = conn.scope[_SCOPE] = self.resolve(token)
        return known

    def count_pass_try(self, conn: HTTPConnection, who: Guest) -> None:
        """Count a try of the daily pass, per table session and per client address, or refuse
        it (429): the pass is the same at every table, so a phone holding several tables'
        codes gets no more tries than one table."""
        self.pass_tries.count(who.session_id, "tries of the pass")
        self.pass_tries.count(client_address(conn), "tries of the pass")

    def resolve(self, token: str | None) -> Guest:
        who = self._read_now(table_sessions.guest, self._secret, token, utcnow())
        self.by_session.count(who.session_id, "calls from this table")
        return who

    def follow(self, session_id: str) -> Subscription:
        """A subscription to the session's own events (and the menu's, to see 86s live, and
        the store's, to see ordering paused or opening hours changed)."""
        topics = ("floor", "orders", "kitchen", "menu", "store")
        return self._bus.subscribe(topics, accepts=lambda event: self.shows(session_id, event))

    def shows(self, session_id: str, event: Event) -> bool:
        """Whether a guest of `session_id` is shown `event`: its own session's (its table's
        order, lines and kitchen tickets too), the menu's or the store settings'."""
        if _cue(event):
            return True
        topic = topic_of(event)
        return topic in ("floor", "orders", "kitchen") and self._session(event) == session_id

    def _session(self, event: Event) -> str | None:
        known = self._session_of.get(event.entity_id, "")
        if known != "":
            return known
        found = self._read_now(
            table_sessions.session_of, event.entity, event.entity_id, event.fields
        )
        self._remember(event.entity_id, found)
        return found

    def _remember(self, row_id: str, session_id: str | None) -> None:
        if len(self._session_of) > _REMEMBERED:
            self._session_of.clear()
        self._session_of[row_id] = session_id

    def _on_events(self, batch: list[Event]) -> None:
        for event in batch:
            if event.entity == "table_sessions" and event.fields.get("order_id"):
                self._remember(event.fields["order_id"], event.entity_id)  # its table's order
            if topic_of(event) != "floor" or event.op != "create":
                continue
            own = event.entity == "table_sessions"
            session = event.entity_id if own else event.fields.get("session_id")
            self._remember(event.entity_id, session)
            for line in event.fields.get("draft_lines", ()):
                self._remember(line["id"], session)


def shown_to_guest(event: Event) -> dict[str, Any]:
    """An event as a guest's feed sends it: its session's whole, the menu's and the store
    settings' without fields (a cue to fetch the menu again, which answers 304 when nothing a
    guest sees changed, and the table, which says whether it takes orders)."""
    data = event.to_json()
    if _cue(event):
        data["fields"] = {}
        data["actor"] = data["approver"] = None
    return data


def _cue(event: Event) -> bool:
    """Whether `event` goes to every guest, as a cue without its fields."""
    return topic_of(event) == "menu" or event.entity == "store"
