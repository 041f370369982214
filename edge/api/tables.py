"""Areas, tables and their QR codes."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.api.writes import arranger, creator, updater
from edge.core.permissions import require
from edge.domain import print_queue, printouts, qrsheet, tables
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.errors import NotFound
from service.http import body, ok
from service.shapes import ID, array, shape

QR_ROTATED = shape("QrVersion", {"id": ID, "qr_version": tables.QR_VERSION})
ALL_QR_ROTATED = shape("QrEpoch", {"qr_epoch": {"type": "integer", "minimum": 1}})


@contract(response=array(tables.AREA_VIEW), refuses={403})
async def floor(request: Request):
    """Areas with their tables."""
    require(await actor(request), "tables.view")
    return ok(await box_of(request).read(tables.floor))


@contract(response=QR_ROTATED, refuses={403}, idempotent=True)
async def rotate_qr(request: Request):
    """Void this table's printed QR codes (print the new one)."""
    who = await actor(request)
    table_id = request.path_params["table_id"]
    return await answer(
        request,
        200,
        tables.rotate_qr,
        who,
        table_id,
        view=lambda version: {"id": table_id, "qr_version": version},
    )


@contract(response=ALL_QR_ROTATED, refuses={403}, idempotent=True)
async def rotate_all_qr(request: Request):
    """Void every printed QR code in the store (print a new sheet)."""
    who = await actor(request)
    return await answer(
        request, 200, tables.rotate_all_qr, who, view=lambda epoch: {"qr_epoch": epoch}
    )


@contract(refuses={403, 409})
async def table_qr(request: Request):
    """One table's QR card as SVG."""
    require(await actor(request), "tables.edit")
    box = box_of(request)
    settings, codes = await box.read(qrsheet.codes, box.identity.qr_secret)
    table_id = request.path_params["table_id"]
    found = [c for c in codes if c[0] == table_id]
    if not found:
        raise NotFound("no such table", id=table_id)
    return _svg(
        qrsheet.table_svg(settings["name"], found[0][1], found[0][2]), f"table-{found[0][1]}.svg"
    )


@contract(refuses={403, 409})
async def qr_sheet(request: Request):
    """Every enabled table's QR card on A4 pages, as SVG, ready to print and cut."""
    require(await actor(request), "tables.edit")
    box = box_of(request)
    settings, codes = await box.read(qrsheet.codes, box.identity.qr_secret)
    cards = [(name, url) for _, name, url, enabled in codes if enabled]
    return _svg(qrsheet.sheet_svg(settings["name"], cards), "table-qr-codes.svg")


@contract(
    body=printouts.TABLE_CARDS,
    status=201,
    response=array(print_queue.JOB_VIEW),
    refuses={403, 409},
    idempotent=True,
)
async def print_cards(request: Request):
    """Queue tables' QR cards on the printer, one job each: the tables `table_ids` names, else
    every table in use; returns the jobs."""
    who = await actor(request)
    data = await body(request)
    box = box_of(request)
    printer_id = request.path_params["printer_id"]
    return await answer(
        request, 201, printouts.table_cards, who, box.identity.qr_secret, printer_id, data
    )


def _svg(svg: str, filename: str) -> Response:
    """The file, named for a download. A header is Latin-1: a table's name in any script goes
    in `filename*` (RFC 6266), with a plain ASCII stand-in for the clients that lack it."""
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    named = f"inline; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"
    return Response(svg, media_type="image/svg+xml", headers={"Content-Disposition": named})


routes = [
    Route("/api/tables", floor, methods=["GET"]),
    Route(
        "/api/areas",
        creator(tables.create_area, tables.AREA, "Add an area of the floor."),
        methods=["POST"],
    ),
    Route(
        "/api/areas/order",
        arranger(tables.arrange_areas, "Put the areas in order (every area's id)."),
        methods=["PUT"],
    ),
    Route(
        "/api/areas/{area_id:id}/tables/order",
        arranger(
            tables.arrange_tables,
            "Put an area's tables in order (each of its tables' ids).",
            "area_id",
        ),
        methods=["PUT"],
    ),
    Route(
        "/api/areas/{area_id:id}",
        updater(tables.update_area, tables.AREA, "Rename or reorder an area.", "area_id"),
        methods=["PATCH"],
    ),
    Route(
        "/api/tables",
        creator(tables.create_table, tables.TABLE, "Add a table to an area."),
        methods=["POST"],
    ),
    Route("/api/tables/qr-sheet.svg", qr_sheet, methods=["GET"]),
    Route("/api/tables/rotate-qr", rotate_all_qr, methods=["POST"]),
    Route(
        "/api/tables/{table_id:id}",
        updater(
            tables.update_table,
            tables.TABLE,
            "Rename, move, resize, enable or disable a table.",
            "table_id",
        ),
        methods=["PATCH"],
    ),
    Route("/api/tables/{table_id:id}/qr.svg", table_qr, methods=["GET"]),
    Route("/api/tables/{table_id:id}/rotate-qr", rotate_qr, methods=["POST"]),
    Route("/api/printers/{printer_id:id}/table-cards", print_cards, methods=["POST"]),
]
