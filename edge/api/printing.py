"""Printers, the print queue, and what staff print: kitchen tickets, bills, the drawer."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.api.writes import Handler, action
from edge.core.permissions import require, visible
from edge.domain import orders, print_queue, printouts, shifts
from edge.domain import store_printers as config
from edge.runtime import auth
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from printers import discovery
from service import fields as f
from service.errors import Invalid
from service.http import body, ok
from service.query import Query, one_of, whole, words
from service.shapes import COUNT, FLAG, array, nullable, shape, text

MAX_PREFIX_HOSTS = 256  # a /24: one shop's LAN
JOBS = Query(
    printer_id=words("a printer's id"),
    state=one_of(*print_queue.STATES),
    limit=whole(100, 1, 1000),
)
PREVIEW = Query(scale=whole(1, 1, 3))


def prints(fn: Callable[..., Any], doc: str, param: str) -> Handler:
    """An action on one thing that queues a print job of it and answers the job (201), or a
    409 when it cannot (no printer for it)."""
    return action(fn, doc, param, 201, response=print_queue.JOB_VIEW, refuses={409})


@f.accepts({"type": "string", "description": "an IPv4 network such as 192.168.1.0/24"})
def _subnet(key: str, value: Any) -> str:
    try:
        network = ipaddress.ip_network(value, strict=False) if isinstance(value, str) else None
    except ValueError:
        network = None
    if network is None:
        raise Invalid(f"{key} must be a network such as 192.168.1.0/24", field=key)
    if network.num_addresses > MAX_PREFIX_HOSTS:
        raise Invalid(f"{key} is larger than a /24", code="subnet_too_large", field=key)
    return str(network)


SCAN = f.Form({"subnet": _subnet, "port": f.integer(1, 65535)}, required=("subnet",))


# What `_found` answers for each printer: the dataclass's fields and the transport to configure.
_TRANSPORT = config.PRINTER.rules["transport"].schema
FOUND_USB = shape(
    "UsbPrinterFound",
    {
        "vendor_id": COUNT,
        "product_id": COUNT,
        "bus": nullable(COUNT),
        "address": nullable(COUNT),
        "vendor": text("Epson, Star Micronics, or empty"),
        "transport": _TRANSPORT,
    },
)
FOUND_ON_NETWORK = shape(
    "NetworkPrinterFound",
    {
        "host": text(),
        "port": COUNT,
        "answers_status": {**FLAG, "description": "it answered DLE EOT like a printer"},
        "transport": _TRANSPORT,
    },
)


@contract(response=array(config.PRINTER_LISTED), refuses={403})
async def list_printers(request: Request):
    """Every printer with its role, routing, last status and waiting/failed counts; where it is
    (its transport, and an error that names it) only to those who may edit printers."""
    who = await actor(request)
    require(who, "printers.view")
    printers = await box_of(request).read(config.list_printers)
    return ok([visible(who, "printers", printer) for printer in printers])


@contract(
    body=config.PRINTER, status=201, response=config.PRINTER_VIEW, refuses={403}, idempotent=True
)
async def create_printer(request: Request):
    """Add a printer: its role (receipt, kitchen, report), the stations a kitchen printer
    serves, the device whose receipts it prints, how it is reached, its paper profile and a
    backup printer."""
    who = await actor(request)
    data = await body(request)
    return await answer(request, 201, config.create, who, data)


@contract(body=config.PRINTER, partial=True, response=config.PRINTER_VIEW, refuses={403})
async def update_printer(request: Request):
    """Change any of the printer's settings (same fields as create)."""
    who = await actor(request)
    data = await body(request)
    printer_id = request.path_params["printer_id"]
    return ok(await box_of(request).write(config.update, who, printer_id, data))


@contract(query=JOBS, response=array(print_queue.JOB_VIEW), refuses={403})
async def list_jobs(request: Request):
    """Print jobs, newest first, without their bytes (nor, to those who may not edit printers,
    their last error, which names the printer's address)."""
    who = await actor(request)
    require(who, "printers.view")
    query = JOBS.read(request)
    jobs = await box_of(request).read(lambda conn: print_queue.list_jobs(conn, **query))
    return ok([visible(who, "print_jobs", job) for job in jobs])


@contract(query=PREVIEW, refuses={403})
async def preview_job(request: Request):
    """The job as a PNG picture of the paper, as its printer would print it now.

    Same permission as listing jobs. Decoded from the stored ESC/POS bytes, so it shows what
    the printer gets (a rerouted job: as rendered for its backup); `scale=2` for phones and
    tablets, whose screens have two or three pixels per CSS pixel."""
    require(await actor(request), "printers.view")
    job_id = request.path_params["job_id"]
    scale = PREVIEW.read(request)["scale"]
    png = await box_of(request).read(print_queue.preview, job_id, scale)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@contract(response=array(FOUND_USB), refuses={403})
async def discover_usb(request: Request):
    """USB devices that look like receipt printers, each with the transport to configure."""
    require(await actor(request), "printers.edit")
    return _found(await anyio.to_thread.run_sync(discovery.find_usb_printers))


@contract(body=SCAN, response=array(FOUND_ON_NETWORK), refuses={403})
async def discover_network(request: Request):
    """Hosts answering on the printer port (9100 unless given) in one LAN of at most a /24."""
    require(await actor(request), "printers.edit")
    scan = SCAN.clean(await body(request))
    subnet, port = scan["subnet"], scan.get("port", 9100)
    return _found(
        await anyio.to_thread.run_sync(lambda: discovery.probe_network(subnet, port, timeout=0.5))
    )


def _found(printers: Sequence[discovery.UsbPrinter | discovery.NetworkPrinter]) -> Response:
    """Discovered printers, each with the transport to configure it with."""
    return ok([{**asdict(p), "transport": p.config()} for p in printers])


@contract(
    body=auth.APPROVED,
    status=201,
    response=print_queue.JOB_VIEW,
    refuses={403, 409, 423},
    idempotent=True,
)
async def open_drawer(request: Request):
    """Open the cash drawer with no sale, with a reason: a manager, or with a manager's PIN, on
    a till with an open shift (409 `no_open_shift`); recorded as the shift's no-sale."""
    who = await actor(request)
    data = auth.APPROVED.clean(await body(request))
    approver = await auth.sign_ins(request).approval(data, who, "drawer.open")
    return await answer(request, 201, shifts.no_sale, who, data["reason"], approver)


routes = [
    Route("/api/printers", list_printers, methods=["GET"]),
    Route("/api/printers", create_printer, methods=["POST"]),
    Route("/api/printers/discover/usb", discover_usb, methods=["GET"]),
    Route("/api/printers/discover/network", discover_network, methods=["POST"]),
    Route("/api/printers/{printer_id:id}", update_printer, methods=["PATCH"]),
    Route(
        "/api/printers/{printer_id:id}/test",
        action(
            printouts.test_page,
            "Queue a test page on the printer; returns the job.",
            "printer_id",
            201,
            response=print_queue.JOB_VIEW,
        ),
        methods=["POST"],
        name="print_test_page",
    ),
    Route("/api/print-jobs", list_jobs, methods=["GET"]),
    Route("/api/print-jobs/{job_id:id}/preview.png", preview_job, methods=["GET"]),
    Route(
        "/api/print-jobs/{job_id:id}/retry",
        action(
            print_queue.retry,
            "A failed or long-waiting job goes back to the queue, due now.",
            "job_id",
            response=print_queue.JOB_VIEW,
            refuses={409},
        ),
        methods=["POST"],
        name="retry_print_job",
    ),
    Route(
        "/api/print-jobs/{job_id:id}/reprint",
        prints(
            print_queue.reprint,
            "The job's bytes again, as a new job under a REPRINT banner.",
            "job_id",
        ),
        methods=["POST"],
        name="reprint_print_job",
    ),
    Route(
        "/api/orders/{order_id:id}/send",
        action(
            orders.send,
            "Send the order's pending lines to the kitchen (tickets per station printer).",
            "order_id",
            response=orders.ORDER_VIEW,
            refuses={409},
        ),
        methods=["POST"],
        name="send_order",
    ),
    Route(
        "/api/orders/{order_id:id}/print-bill",
        prints(
            printouts.print_bill,
            "Queue the bill on the receipt printer of the caller's device; returns the job.",
            "order_id",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/refunds/{refund_id:id}/print-slip",
        prints(
            printouts.print_refund_slip,
            "Queue a refund's slip again, as a COPY, on the receipt printer of the caller's"
            " device; returns the job.",
            "refund_id",
        ),
        methods=["POST"],
    ),
    Route("/api/drawer/open", open_drawer, methods=["POST"]),
]
