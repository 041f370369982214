"""Handlers made from a domain function, for the many plain create/update endpoints.

Creators and actions create or send something: they honour an `Idempotency-Key` (a retry gets
the first answer), as `edge.api.idempotency` says."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from starlette.requests import Request

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.domain.positions import ORDER
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.fields import Form
from service.http import body, ok
from service.shapes import ID, array, shape

# What creators and updaters answer, and arrangers.
ID_VIEW = shape("Id", {"id": ID}, description="the id of the thing made or changed")
ARRANGED = shape("Arranged", {"ids": array(ID, "in their new order")})
Handler = Callable[[Request], Any]


def creator(
    fn: Callable[..., str], form: Form, doc: str, *path: str, refuses: Collection[int] = ()
) -> Handler:
    """POST handler: `fn(conn, actor, *path params, body)` -> {"id": new id}, 201; the body is
    described by `form`, which `fn` checks it with."""

    @contract(body=form, status=201, response=ID_VIEW, refuses={403, *refuses}, idempotent=True)
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        args = [request.path_params[p] for p in path]
        return await answer(request, 201, fn, who, *args, data, view=identified)

    return _named(handler, fn, doc)


def updater(
    fn: Callable[..., Any], form: Form, doc: str, param: str, *, refuses: Collection[int] = ()
) -> Handler:
    """PATCH handler: `fn(conn, actor, id, body)` -> {"id": id}; the body is any of `form`."""

    @contract(body=form, partial=True, response=ID_VIEW, refuses={403, *refuses})
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        await box_of(request).write(fn, who, request.path_params[param], data)
        return ok({"id": request.path_params[param]})

    return _named(handler, fn, doc)


def arranger(fn: Callable[..., Any], doc: str, *path: str) -> Handler:
    """PUT handler: `fn(conn, actor, *path params, {"ids": [...]})` puts those rows in that
    order -> {"ids": [...]}; a list that is not the current rows is a 409."""

    @contract(body=ORDER, response=ARRANGED, refuses={403, 409})
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        args = [request.path_params[p] for p in path]
        await box_of(request).write(fn, who, *args, data)
        return ok({"ids": data["ids"]})

    return _named(handler, fn, doc)


def action(
    fn: Callable[..., Any],
    doc: str,
    param: str,
    status: int = 200,
    *,
    response: Any,
    refuses: Collection[int] = (),
) -> Handler:
    """Handler for an action on one thing in the path: `fn(conn, actor, id)` -> its JSON, of
    the shape `response`."""

    @contract(status=status, response=response, refuses={403, *refuses}, idempotent=True)
    async def handler(request: Request):
        who = await actor(request)
        return await answer(request, status, fn, who, request.path_params[param])

    return _named(handler, fn, doc)


def identified(new_id: str) -> dict[str, str]:
    """What a creator answers: the new thing's id."""
    return {"id": new_id}


def _named(handler: Handler, fn: Callable[..., Any], doc: str) -> Handler:
    """The handler under the domain function's name (the route's name and its operationId)."""
    handler.__name__ = handler.__qualname__ = fn.__name__
    handler.__doc__ = doc
    return handler
