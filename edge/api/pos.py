"""The POS: checks (open, split, merge, move, discounts, service charge), tenders and refunds,
shifts and the drawer, X and Z reports, and the POS rules and promo codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from edge.api.idempotency import answer, answered_meanwhile
from edge.api.openapi import contract
from edge.api.pay_at_table import provider, then_withdraw
from edge.api.printing import prints
from edge.api.writes import creator, updater
from edge.core.permissions import require
from edge.domain import (
    check_splits,
    checks,
    discounts,
    payments,
    pos_config,
    receipts,
    reports,
    shifts,
)
from edge.runtime import auth
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service import fields as f
from service.http import body, ok
from service.query import Query, day
from service.shapes import array

REPORTS = Query(day=day("business day"))


def _approved(form: f.Form) -> f.Form:
    """`form` with a manager's PIN as approval (`{"approval": {"staff_id", "pin"}}`)."""
    return f.Form({**form.fields, "approval": auth.APPROVAL}, required=form.required)


DISCOUNT = _approved(discounts.DISCOUNT)
SERVICE = _approved(checks.SERVICE)
REFUND = _approved(payments.REFUND)
MOVE = _approved(shifts.MOVE)


# ---- rules and promo codes ------------------------------------------------------------------


@contract(response=pos_config.SETTINGS_VIEW, refuses={403})
async def pos_settings(request: Request):
    """The store's POS rules: service charge, the discount limit, cash rounding."""
    require(await actor(request), "check.edit")
    return ok(await box_of(request).read(pos_config.current))


@contract(body=pos_config.SETTINGS, partial=True, response=pos_config.SETTINGS_VIEW, refuses={403})
async def update_pos_settings(request: Request):
    """Change the POS rules (a manager's)."""
    who = await actor(request)
    return ok(await box_of(request).write(pos_config.update, who, await body(request)))


@contract(response=array(pos_config.PROMO_VIEW), refuses={403})
async def list_promo_codes(request: Request):
    """Every promo code, with how many checks each is on."""
    require(await actor(request), "check.edit")
    return ok(await box_of(request).read(pos_config.list_promos))


# ---- checks ---------------------------------------------------------------------------------


@contract(response=array(checks.CHECK_LISTED), refuses={403})
async def list_checks(request: Request):
    """Open checks (and split ones with parts left to pay), oldest first."""
    require(await actor(request), "check.edit")
    return ok(await box_of(request).read(checks.list_open))


@contract(body=checks.OPEN, response=checks.CHECK_VIEW, refuses={403, 409}, idempotent=True)
async def open_check(request: Request):
    """The open check of a table or of an order (made when there is none), with every line
    ordered since."""
    who = await actor(request)
    return await answer(request, 200, checks.open_check, who, await body(request))


@contract(response=checks.CHECK_VIEW, refuses={403})
async def get_check(request: Request):
    """A check with its lines, discounts, taxes, service charge, payments and parts; computed,
    so reading it changes nothing."""
    require(await actor(request), "check.edit")
    return ok(await box_of(request).read(checks.get, request.path_params["check_id"]))


@contract(body=SERVICE, partial=True, response=checks.CHECK_VIEW, refuses={403, 409})
async def update_check(request: Request):
    """The check's own service charge (null: the store's rule): a manager's, or with a
    manager's PIN as approval."""
    who = await actor(request)
    data = SERVICE.clean(await body(request), partial=True)
    approver = await auth.sign_ins(request).approval(data, who, "discount.large")
    check_id = request.path_params["check_id"]
    return ok(await box_of(request).write(checks.set_service, who, check_id, data, approver))


def _check_action(fn: Callable[..., Any], form: f.Form, doc: str, status: int = 200):
    """POST handler for `fn(conn, actor, check_id, body)` -> the check."""

    @contract(
        body=form, status=status, response=checks.CHECK_VIEW, refuses={403, 409}, idempotent=True
    )
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        return await answer(request, status, fn, who, request.path_params["check_id"], data)

    handler.__name__ = handler.__qualname__ = f"{fn.__name__}_check"
    handler.__doc__ = doc
    return handler


@contract(
    body=DISCOUNT, status=201, response=checks.CHECK_VIEW, refuses={403, 409, 423}, idempotent=True
)
async def add_discount(request: Request):
    """A discount on the check or a line (percent or amount, with a reason), or a promo code;
    above the store's limit a manager's, or with a manager's PIN as approval."""
    who = await actor(request)
    data = DISCOUNT.clean(await body(request))
    approver = await auth.sign_ins(request).approval(data, who, "discount.large")
    check_id = request.path_params["check_id"]
    return await answer(request, 201, discounts.add_discount, who, check_id, data, approver)


@contract(response=checks.CHECK_VIEW, refuses={403, 409})
async def remove_discount(request: Request):
    """Take a discount off an open check; answers the check."""
    who = await actor(request)
    discount_id = request.path_params["discount_id"]
    return ok(await box_of(request).write(discounts.remove_discount, who, discount_id))


# ---- tenders and refunds --------------------------------------------------------------------


@contract(
    body=payments.TENDER, status=201, response=payments.TAKEN, refuses={403, 409}, idempotent=True
)
async def take_payment(request: Request):
    """A tender on a check (or a part of a split one): cash given (change worked out here) or
    the card terminal's amount and reference. Needs an open shift on this till. When the
    tenders cover the check it is paid, its receipt prints and its orders close."""
    who = await actor(request)
    data = await body(request)
    check_id = request.path_params["check_id"]
    return then_withdraw(request, await answer(request, 201, payments.take, who, check_id, data))


@contract(
    body=REFUND,
    status=201,
    response=payments.REFUNDED,
    refuses={403, 409, 423, 503},
    idempotent=True,
)
async def refund_payment(request: Request):
    """Give back all (no amount) or part of a tender, with a reason: a manager's, or with a
    manager's PIN. Needs an open shift on this till. A tender paid at the table is refunded by
    its provider (503 when it cannot be reached: nothing is recorded). Its slip prints on the
    till's receipt printer."""
    who = await actor(request)
    data = REFUND.clean(await body(request))
    approver = await auth.sign_ins(request).approval(data, who, "payment.refund")
    payment_id = request.path_params["payment_id"]
    # One refund at a time, from its plan to its record: two side by side (a double tap, a
    # retry with the same key) each asked the provider, which paid back twice what the box
    # recorded once; and a shift closed while the provider paid back left the refund without
    # the open shift its record needs, given back and never recorded.
    async with box_of(request).refunds:
        if (replayed := await answered_meanwhile(request)) is not None:
            return replayed
        plan = await box_of(request).read(payments.planned, who, payment_id, data, approver)
        if plan["method"] == "online":
            await provider(request).refund(plan["reference"], plan["amount"])
        return await answer(request, 201, payments.refund, who, payment_id, data, approver)


# ---- shifts ---------------------------------------------------------------------------------


@contract(response=shifts.CURRENT_VIEW, refuses={403})
async def current_shift(request: Request):
    """The open shift of this till, if any (what the drawer should hold is not shown: the
    count is blind)."""
    return ok(await box_of(request).read(shifts.mine, await actor(request)))


@contract(
    body=shifts.OPEN, status=201, response=shifts.SHIFT_VIEW, refuses={403, 409}, idempotent=True
)
async def open_shift(request: Request):
    """Open a shift on this till with its float."""
    who = await actor(request)
    return await answer(request, 201, shifts.open_shift, who, await body(request))


@contract(
    body=MOVE, status=201, response=shifts.SHIFT_VIEW, refuses={403, 409, 423}, idempotent=True
)
async def drawer_move(request: Request):
    """A pay-in, pay-out or skim with its reason, or a no-sale (a manager's, or with a
    manager's PIN): the drawer opens."""
    who = await actor(request)
    data = MOVE.clean(await body(request))
    approver = await auth.sign_ins(request).approval(data, who, "drawer.open")
    return await answer(request, 201, shifts.move, who, data, approver)


@contract(body=shifts.CLOSE, response=shifts.SHIFT_VIEW, refuses={403, 409}, idempotent=True)
async def close_shift(request: Request):
    """Close this till's shift with the cash counted by denomination; the answer shows what was
    expected and the difference. Waits for a refund on its way to its provider (Box.refunds)."""
    who = await actor(request)
    data = await body(request)
    async with box_of(request).refunds:
        return await answer(request, 200, shifts.close, who, data)


# ---- reports --------------------------------------------------------------------------------


@contract(
    body=reports.MAKE, status=201, response=reports.REPORT_VIEW, refuses={403, 409}, idempotent=True
)
async def make_report(request: Request):
    """An X report (any time, resets nothing) or the Z report that closes the business day
    (once); stored, and printed on the report printer."""
    who = await actor(request)
    return await answer(request, 201, reports.make, who, await body(request))


@contract(query=REPORTS, response=array(reports.REPORT_VIEW), refuses={403})
async def list_reports(request: Request):
    """The reports of a business day, or the last 50."""
    require(await actor(request), "reports.run")
    wanted = REPORTS.read(request)["day"]
    return ok(await box_of(request).read(reports.list_reports, wanted))


@contract(response=receipts.RECEIPT_VIEW, public=True)
async def digital_receipt(request: Request):
    """A paid check's receipt, for the guest who has its link (the QR code on the printed
    receipt): no sign-in; the unguessable token is the right to read it."""
    return ok(await box_of(request).read(receipts.digital, request.path_params["token"]))


routes = [
    Route("/api/pos/settings", pos_settings, methods=["GET"]),
    Route("/api/pos/settings", update_pos_settings, methods=["PATCH"]),
    Route("/api/promo-codes", list_promo_codes, methods=["GET"]),
    Route(
        "/api/promo-codes",
        creator(pos_config.create_promo, pos_config.PROMO, "Add a promo code."),
        methods=["POST"],
    ),
    Route(
        "/api/promo-codes/{promo_id:id}",
        updater(
            pos_config.update_promo,
            pos_config.PROMO,
            "Change a promo code.",
            "promo_id",
        ),
        methods=["PATCH"],
    ),
    Route("/api/checks", list_checks, methods=["GET"]),
    Route("/api/checks", open_check, methods=["POST"]),
    Route("/api/checks/{check_id:id}", get_check, methods=["GET"]),
    Route("/api/checks/{check_id:id}", update_check, methods=["PATCH"]),
    Route(
        "/api/checks/{check_id:id}/split",
        _check_action(
            check_splits.split,
            check_splits.SPLIT,
            "Split the check by items (`parts`), evenly (`ways`) or by seat; the parts always"
            " add up to the whole, a remainder cent to the first parts in turn.",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/checks/{check_id:id}/merge",
        _check_action(
            check_splits.merge,
            check_splits.MERGE,
            "Bring another open check's lines into this one.",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/checks/{check_id:id}/move",
        _check_action(
            check_splits.move,
            check_splits.MOVE,
            "Move lines to another open check; answers this one.",
        ),
        methods=["POST"],
    ),
    Route("/api/checks/{check_id:id}/discounts", add_discount, methods=["POST"]),
    Route("/api/check-discounts/{discount_id:id}", remove_discount, methods=["DELETE"]),
    Route("/api/checks/{check_id:id}/payments", take_payment, methods=["POST"]),
    Route("/api/payments/{payment_id:id}/refund", refund_payment, methods=["POST"]),
    Route("/api/shifts/current", current_shift, methods=["GET"]),
    Route("/api/shifts", open_shift, methods=["POST"]),
    Route("/api/shifts/current/moves", drawer_move, methods=["POST"]),
    Route("/api/shifts/current/close", close_shift, methods=["POST"]),
    Route("/api/reports", make_report, methods=["POST"]),
    Route("/api/reports", list_reports, methods=["GET"]),
    Route(
        "/api/reports/{report_id:id}/print",
        prints(
            reports.reprint_report,
            "Print a report again as it was made (its figures and time), under a REPRINT"
            " banner, on the report printer (else the caller's receipt printer); returns the"
            " job. Any day's, long after its first print job is forgotten.",
            "report_id",
        ),
        methods=["POST"],
    ),
    Route("/api/receipts/{token}", digital_receipt, methods=["GET"]),
]
