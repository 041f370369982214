"""A tenant's stores: making them, codes to enrol a box, the boxes, and what each pushed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from hub.api.http import as_owner
from hub.api.openapi import contract
from hub.domain import feed, refusals, stores
from hub.storage.tx import Tx
from service import fields as f
from service.http import body, ok
from service.query import Query, instant, one_of, whole, words

STORE = f.Form({"name": f.text(80)}, required=("name",))
INBOX = Query(
    after=whole(0, high=2**62),
    limit=whole(100, 1, 500),
    status=one_of("applied", "merged", "rejected"),
    node=words("one box's events only: its node (each box numbers its events itself)"),
)
REFUSALS = Query(after=words("the last refusal's id seen"), limit=whole(100, 1, 500))


def _listed(tx: Tx):
    return {"stores": tx.stores()}


@contract()
async def list_stores(request: Request):
    """The tenant's stores, by name, each with how far its pushes have come (push_upto)."""
    return ok(await as_owner(request, _listed))


@contract(body=STORE, status=201)
async def create_store(request: Request):
    """A new store; enrol its box with an enrolment code."""
    values = STORE.clean(await body(request))
    return ok(await as_owner(request, stores.new_store, values["name"]), 201)


@contract()
async def get_store(request: Request):
    """One store."""
    return ok(await as_owner(request, stores.found, request.path_params["store_id"]))


@contract(body=STORE)
async def rename_store(request: Request):
    """A new name for the store on the hub (a typo mended); the name its box prints is the
    `store` row's (`PATCH .../rows/store/{row_id}`)."""
    values = STORE.clean(await body(request))
    store_id = request.path_params["store_id"]
    return ok(await as_owner(request, stores.rename, store_id, values["name"]))


@contract(status=201)
async def create_code(request: Request):
    """A one-time code that enrols one box for this store (`galley edge enrol`); shown once,
    valid for GALLEY_HUB_CODE_HOURS."""
    hours = request.app.state.settings.code_hours
    code = await as_owner(request, stores.new_code, request.path_params["store_id"], hours)
    return ok(code, 201)


@contract()
async def list_codes(request: Request):
    """The store's enrolment codes, newest first: `status` open, used (`used_by`: the key) or
    expired; never a code itself."""
    found = await as_owner(request, stores.codes, request.path_params["store_id"])
    return ok({"codes": found})


@contract()
async def cancel_codes(request: Request):
    """End every open enrolment code of the store now (one may have leaked): a box that tries
    one is refused as for an expired code (410)."""
    return ok(await as_owner(request, stores.cancel_codes, request.path_params["store_id"]))


@contract()
async def list_devices(request: Request):
    """The boxes enrolled for this store, revoked ones too."""
    found = await as_owner(request, stores.devices, request.path_params["store_id"])
    return ok({"devices": found})


@contract()
async def revoke_device(request: Request):
    """Refuse this box's key from now on (a lost or replaced box); it enrols again with a new
    code and a new key."""
    params = request.path_params
    return ok(await as_owner(request, stores.revoke, params["store_id"], params["key_id"]))


@contract(query=INBOX)
async def inbox(request: Request):
    """Every event the store pushed, from seq `after` on, with the hub's verdict (applied,
    merged: which fields kept the hub's value, rejected: why) and the node of the box that
    pushed it (`node`: that box's only); secrets masked."""
    q = INBOX.read(request)
    store_id = request.path_params["store_id"]
    entries = await as_owner(
        request, feed.inbox, store_id, q["after"], q["limit"], q["status"], q["node"] or None
    )
    return ok({"events": entries})


DIGEST = Query(
    tickets_before=instant(
        "the box's `tickets_before`: the kitchen tickets fired before it are left out (the box"
        " may have pruned them)"
    )
)


@contract(query=DIGEST)
async def digest(request: Request):
    """The digest of the store's synced rows on the hub (sync.canonical.store_digest): the
    same as the box's when the two hold the same store, asked with the box's `tickets_before`."""
    q = DIGEST.read(request)
    store_id = request.path_params["store_id"]
    return ok(await as_owner(request, feed.digest, store_id, q["tickets_before"]))


@contract(query=REFUSALS)
async def list_refusals(request: Request):
    """Sync requests the hub refused for the tenant's stores, newest first: which key, what,
    why, from where (no secrets). Page with `after` = the last id seen."""
    q = REFUSALS.read(request)
    listed = await as_owner(request, refusals.listed, q["after"] or "", q["limit"])
    return ok({"refusals": listed})


routes = [
    Route("/api/stores", list_stores, methods=["GET"]),
    Route("/api/stores", create_store, methods=["POST"]),
    Route("/api/stores/{store_id:id}", get_store, methods=["GET"]),
    Route("/api/stores/{store_id:id}", rename_store, methods=["PATCH"]),
    Route("/api/stores/{store_id:id}/enrolment-codes", create_code, methods=["POST"]),
    Route("/api/stores/{store_id:id}/enrolment-codes", list_codes, methods=["GET"]),
    Route("/api/stores/{store_id:id}/enrolment-codes", cancel_codes, methods=["DELETE"]),
    Route("/api/stores/{store_id:id}/devices", list_devices, methods=["GET"]),
    Route(
        "/api/stores/{store_id:id}/devices/{key_id:text}/revoke", revoke_device, methods=["POST"]
    ),
    Route("/api/stores/{store_id:id}/inbox", inbox, methods=["GET"]),
    Route("/api/stores/{store_id:id}/digest", digest, methods=["GET"]),
    Route("/api/refusals", list_refusals, methods=["GET"]),
]
