"""The edge's API description: what is its own (security schemes, tags, what each refusal means
here, the idempotency header), and `contract`, with which every handler declares what it takes
and answers; `service.openapi` makes /openapi.json from them."""

from __future__ import annotations

from edge.api import pages
from edge.api.idempotency import HEADER, KEY_SCHEMA, REPLAYED, guarded
from edge.domain import devices
from service import webhooks
from service.openapi import Api, Idempotency

# The area of each operation, by the first segment of its path (after /api/).
TAGS = {
    "": "system",
    "healthz": "system",
    "openapi.json": "system",
    "admin": "system",
    "kds": "system",
    "ui": "system",
    "ws": "feed",
    "menu": "menu",
    "tables": "tables",
    "areas": "tables",
    "orders": "orders",
    "order-lines": "orders",
    "staff": "staff",
    "sessions": "staff",
    "me": "staff",
    "devices": "staff",
    "store": "store",
    "printers": "printing",
    "print-jobs": "printing",
    "drawer": "printing",
    "events": "feed",
    "audit": "feed",
    "kitchen": "kitchen",
    "stations": "kitchen",
    "tickets": "kitchen",
    "ticket-items": "kitchen",
    "guest": "guest",
    "t": "guest",
    "floor": "floor",
    "drafts": "floor",
    "draft-lines": "floor",
    "table-sessions": "floor",
    "sync": "sync",
    "pos": "pos",
    "promo-codes": "pos",
    "checks": "pos",
    "check-discounts": "pos",
    "payments": "pos",
    "refunds": "pos",
    "shifts": "pos",
    "reports": "pos",
    "receipts": "pos",
    "pay-links": "pos",
    "pay": "pos",
}
TAG_NOTES = {
    "menu": "Tax rates, categories, items, modifier groups and modifiers; 86ing.",
    "tables": "Areas, tables and their QR codes.",
    "orders": "Orders taken by staff, their lines, sending them to the kitchen, voids.",
    "staff": "Paired devices, sign-in with a PIN on one, and the staff list.",
    "store": "The store's settings.",
    "printing": "Printers, the print queue, bills and the cash drawer.",
    "kitchen": "Stations, tickets on the kitchen's screens and printers, courses, expo.",
    "feed": "What changed: the event feed (websocket and polling) and the audit trail.",
    "guest": "A table's guests ordering from their phones (the table QR code): scan, join, the"
    " shared cart, send, call the waiter, ask for the bill, and their table's own feed.",
    "floor": "The waiter handheld: tables and their sessions, guests' drafts to check and"
    " confirm, alerts.",
    "sync": "Where the box stands with the hub; conflicts the hub's values won, rejected events.",
    "system": "Health, this description, and the static pages.",
    "pos": "Checks, splits, discounts, tenders and refunds, shifts and the drawer, X and Z"
    " reports, the POS rules and promo codes.",
}
REFUSALS = {
    400: "malformed: a body that is not a JSON object (or none), a bad query parameter, a bad"
    " Idempotency-Key, or a token in the URL (`?token=`: send it as `Authorization: Bearer`)",
    401: "not signed in, a sign-in that has ended (`reason` says why), a device that is not"
    " paired, or a wrong PIN",
    403: "the staff member's role may not do this; or (guests) a staff sign-in on a table"
    " guest's route (`guests_only`), or another table's line",
    404: "no such thing (or an id in the path that is not an id)",
    409: "the thing is in a state that refuses this",
    410: "`since` is further back than the feed replays (`resync`): reload, then follow from"
    " `last_seq`; or a table's guest session has ended: scan the table's QR code again",
    415: "a body sent as another Content-Type than application/json",
    422: "the request breaks a rule: `field` names the first bad field, `fields` each of them;"
    " or its Idempotency-Key was used for another request (`idempotency_key_reused`)",
    423: "locked out after too many wrong PINs; `retry_after` says for how many seconds",
    429: "too many tries from this address; `retry_after` says for how many seconds",
    503: "the database refused the write, or (pay at table) the payment provider cannot be"
    " reached; nothing was written; or (guests) the table takes no QR orders now: `reason` is"
    " closed (with today's `hours`), table_disabled or paused",
}

API = Api(
    title="Galley edge",
    security={
        "staff": {
            "type": "http",
            "scheme": "bearer",
            "description": "the token POST /api/sessions answers (a PIN sign-in)",
        },
        "device": {
            "type": "apiKey",
            "in": "header",
            "name": devices.HEADER,
            "description": "the credential POST /api/devices/pair answers (a paired staff device)",
        },
        "guest": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Galley-Guest",
            "description": "the guest token POST /api/guest/scan answers (a table's guest)",
        },
        "webhook": {
            "type": "apiKey",
            "in": "header",
            "name": webhooks.SIGNATURE,
            "description": "the payment provider's HMAC-SHA256 (hex) of Galley-Pay-Timestamp, a"
            " dot and the raw body, with one of the box's webhook secrets",
        },
    },
    default_security="staff",
    tags=TAGS,
    tag_notes=TAG_NOTES,
    refusals=REFUSALS,
    unavailable=frozenset({"POST", "PUT", "PATCH", "DELETE"}),
    idempotency=Idempotency(HEADER, KEY_SCHEMA, REPLAYED, guarded),
    files=tuple(pages.ASSETS),
)
contract = API.contract
