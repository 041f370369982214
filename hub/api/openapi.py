"""The hub's API description: what is its own (security schemes, tags, what each refusal means
here), and `contract`, with which every handler declares what it takes and answers;
`service.openapi` makes /openapi.json from them."""

from __future__ import annotations

from service.openapi import Api

API = Api(
    title="Galley hub",
    security={
        "owner": {
            "type": "http",
            "scheme": "bearer",
            "description": "the token POST /api/sessions answers",
        },
        "device": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Galley-Signature",
            "description": "Ed25519 over method, path, time, nonce and body digest (sync.signing),"
            " with X-Galley-Key, X-Galley-Timestamp and X-Galley-Nonce",
        },
    },
    default_security="owner",
    tags={
        "sync": "sync",
        "sessions": "owners",
        "owners": "owners",
        "stores": "stores",
        "refusals": "stores",
        "rows": "rows",
        "reports": "reports",
        "healthz": "system",
        "openapi.json": "system",
    },
    tag_notes={
        "sync": "What a store's box calls: enrol once, then push and pull, signed.",
        "owners": "An owner signs in and out, and changes their password.",
        "stores": "The tenant's stores, their enrolment codes and boxes, what each pushed, and"
        " the sync requests refused.",
        "rows": "Each store's synced rows: read them; edit hub-owned ones, in one store or many;"
        " remove one.",
        "reports": "Each store's business days as its box's Z report closed them, and the"
        " stores together.",
        "system": "Health and this description.",
    },
    refusals={
        400: "malformed: a body that is not what the route takes, a bad query parameter, or a"
        " token in the URL (`?token=`: send it as `Authorization: Bearer`)",
        401: "not signed in (or the sign-in ended); a sync request unsigned, stale, or signed by"
        " an unknown key",
        403: "a revoked key, a key of another store, or a row the hub does not edit or remove",
        404: "no such thing for this tenant (another tenant's thing is none of theirs)",
        409: "a replayed nonce, a gap in a box's pushes (`push_upto` says where to resume), a"
        " box restored from an older copy (`restored`: another event under a seq the hub has), a"
        " key enrolled already, a row another row of the store names (`in_use`)",
        410: "an enrolment code used or expired",
        415: "a body sent as another Content-Type than application/json",
        422: "the request breaks a rule: `field` names the bad field",
        429: "too many tries from this address; `retry_after` says for how many seconds",
        503: "the database did not answer; nothing was written",
    },
    unavailable=frozenset({"GET", "POST", "PATCH", "DELETE"}),
)
contract = API.contract
