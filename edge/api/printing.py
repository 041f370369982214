"""Printers, the print queue, and what staff print: kitchen tickets, bills, the drawer."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import asdict

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge import auth
from edge.api.http import actor, body, box_of, ok, query_int
from edge.api.writes import action
from edge.domain import orders, print_jobs, printing
from edge.domain import printers_config as config
from edge.errors import Invalid
from edge.permissions import require
from printers import discovery

MAX_PREFIX_HOSTS = 256  # a /24: one shop's LAN


async def list_printers(request: Request):
    """Every printer with its role, routing, transport, last status and waiting/failed counts."""
    require(await actor(request), "printers.view")
    return ok(await box_of(request).read(config.list_printers))


async def create_printer(request: Request):
    """Add a printer: {name, role: receipt|kitchen|report, stations?: [KITCHEN, BAR],
    device?, transport: {kind: network|usb|serial|file, ...}, profile?, backup_printer_id?,
    enabled?}."""
    who = await actor(request)
    data = await body(request)
    return ok(await box_of(request).write(config.create, who, data), 201)


async def update_printer(request: Request):
    """Change any of the printer's settings (same fields as create)."""
    who = await actor(request)
    data = await body(request)
    printer_id = request.path_params["printer_id"]
    return ok(await box_of(request).write(config.update, who, printer_id, data))


async def list_jobs(request: Request):
    """Print jobs, newest first, without their bytes: ?printer_id=&state=&limit=100."""
    require(await actor(request), "printers.view")
    params = request.query_params
    state = params.get("state")
    if state is not None and state not in print_jobs.STATES:
        raise Invalid(f"state must be one of {', '.join(print_jobs.STATES)}", code="bad_query")
    limit = query_int(request, "limit", 100, 1, 1000)
    return ok(
        await box_of(request).read(
            lambda conn: print_jobs.list_jobs(
                conn, printer_id=params.get("printer_id"), state=state, limit=limit
            )
        )
    )


async def preview_job(request: Request):
    """The job as a PNG picture of the paper, as its printer would print it now: ?scale=1..3.

    Same permission as listing jobs. Decoded from the stored ESC/POS bytes, so it shows what
    the printer gets (a rerouted job: as rendered for its backup); `scale=2` for phones and
    tablets, whose screens have two or three pixels per CSS pixel."""
    require(await actor(request), "printers.view")
    job_id = request.path_params["job_id"]
    scale = query_int(request, "scale", 1, 1, 3)
    png = await box_of(request).read(print_jobs.preview, job_id, scale)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


async def discover_usb(request: Request):
    """USB devices that look like receipt printers, each with the transport to configure."""
    require(await actor(request), "printers.edit")
    return _found(await anyio.to_thread.run_sync(discovery.find_usb_printers))


async def discover_network(request: Request):
    """Hosts answering on the printer port in one LAN: {subnet: "192.168.1.0/24", port?}."""
    require(await actor(request), "printers.edit")
    data = await body(request)
    subnet, port = data.get("subnet"), data.get("port", 9100)
    try:
        network = ipaddress.ip_network(subnet, strict=False)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise Invalid("subnet must be a network such as 192.168.1.0/24", field="subnet") from exc
    if network.num_addresses > MAX_PREFIX_HOSTS:
        raise Invalid("subnet is larger than a /24", code="subnet_too_large", field="subnet")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise Invalid("port must be 1..65535", field="port")
    return _found(
        await anyio.to_thread.run_sync(
            lambda: discovery.probe_network(str(network), port, timeout=0.5)
        )
    )


def _found(printers: Sequence[discovery.UsbPrinter | discovery.NetworkPrinter]) -> Response:
    """Discovered printers, each with the transport to configure it with."""
    return ok([{**asdict(p), "transport": p.config()} for p in printers])


async def open_drawer(request: Request):
    """Open the cash drawer (no sale): {reason, approval?: {staff_id, pin}}."""
    who = await actor(request)
    data = await body(request)
    box = box_of(request)
    approver = await auth.approval(box, data, who.device)
    return ok(await box.write(printing.open_drawer, who, data.get("reason"), approver), 201)


routes = [
    Route("/api/printers", list_printers, methods=["GET"]),
    Route("/api/printers", create_printer, methods=["POST"]),
    Route("/api/printers/discover/usb", discover_usb, methods=["GET"]),
    Route("/api/printers/discover/network", discover_network, methods=["POST"]),
    Route("/api/printers/{printer_id}", update_printer, methods=["PATCH"]),
    Route(
        "/api/printers/{printer_id}/test",
        action(
            printing.test_page,
            "Queue a test page on the printer; returns the job.",
            "printer_id",
            201,
        ),
        methods=["POST"],
    ),
    Route("/api/print-jobs", list_jobs, methods=["GET"]),
    Route("/api/print-jobs/{job_id}/preview.png", preview_job, methods=["GET"]),
    Route(
        "/api/print-jobs/{job_id}/retry",
        action(
            print_jobs.retry,
            "A failed or long-waiting job goes back to the queue, due now.",
            "job_id",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/print-jobs/{job_id}/reprint",
        action(
            print_jobs.reprint,
            "The job's bytes again, as a new job under a REPRINT banner.",
            "job_id",
            201,
        ),
        methods=["POST"],
    ),
    Route(
        "/api/orders/{order_id}/send",
        action(
            orders.send,
            "Send the order's pending lines to the kitchen (tickets per station printer).",
            "order_id",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/orders/{order_id}/print-bill",
        action(
            printing.print_bill,
            "Queue the bill on the receipt printer of the caller's device; returns the job.",
            "order_id",
            201,
        ),
        methods=["POST"],
    ),
    Route("/api/drawer/open", open_drawer, methods=["POST"]),
]
