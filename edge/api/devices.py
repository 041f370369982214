"""Pairing staff devices with the box, and the managers' list of them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge.api.openapi import contract
from edge.api.writes import action, updater
from edge.domain import devices
from edge.runtime.auth import actor, sign_ins
from edge.runtime.box import box_of
from service.http import body, client_address, ok
from service.shapes import array


@contract(body=devices.PAIR, status=201, public=True, response=devices.PAIRED, refuses={429})
async def pair_device(request: Request):
    """Pair this device with the one-time code a manager made: answers the device credential,
    this once, to send as `X-Galley-Device` on the roster and sign-in. Open to anyone on the
    network, so each client address may try 10 times in 10 minutes (429 then)."""
    paired = await sign_ins(request).pair(client_address(request), await body(request))
    return ok(paired, 201)


@contract(body=devices.NEW_CODE, status=201, response=devices.PAIRING_CODE, refuses={403})
async def make_pairing_code(request: Request):
    """A one-time pairing code for a new device, valid 10 minutes (managers); optionally
    naming the device. The code is answered this once: the box keeps its hash only."""
    who = await actor(request)
    values = await body(request)
    code = devices.fresh_code()
    made = await box_of(request).write(devices.make_code, who, code, values, devices.CODE_MINUTES)
    return ok(made, 201)


@contract(response=array(devices.DEVICE_VIEW), refuses={403})
async def list_devices(request: Request):
    """Every paired device (managers): name, who paired it and when, last sign-in, revoked."""
    return ok(await box_of(request).read(devices.list_devices, await actor(request)))


routes = [
    Route("/api/devices/pair", pair_device, methods=["POST"]),
    Route("/api/devices/pairing-codes", make_pairing_code, methods=["POST"]),
    Route("/api/devices", list_devices, methods=["GET"]),
    Route(
        "/api/devices/{device_id:id}",
        updater(devices.rename, devices.CHANGE, "Rename a paired device.", "device_id"),
        methods=["PATCH"],
        name="rename_device",
    ),
    Route(
        "/api/devices/{device_id:id}/revoke",
        action(
            devices.revoke,
            "Revoke a paired device: its sign-ins end at once, its open sockets close, and it"
            " must be paired again with a new code (not the device you are using).",
            "device_id",
            response=devices.REVOKED,
            refuses={409},
        ),
        methods=["POST"],
        name="revoke_device",
    ),
]
