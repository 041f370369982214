"""Handlers made from a domain function, for the many plain create/update endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from edge.api.http import actor, body, box_of, ok
from edge.api.openapi import contract
from edge.domain.fields import Form
from edge.domain.positions import ORDER


def creator(fn: Callable[..., str], form: Form, doc: str, *path: str) -> Callable[[Request], Any]:
    """POST handler: `fn(conn, actor, *path params, body)` -> {"id": new id}, 201; the body is
    described by `form`, which `fn` checks it with."""

    @contract(body=form, status=201)
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        args = [request.path_params[p] for p in path]
        new_id = await box_of(request).write(fn, who, *args, data)
        return ok({"id": new_id}, 201)

    handler.__doc__ = doc
    return handler


def updater(fn: Callable[..., Any], form: Form, doc: str, param: str) -> Callable[[Request], Any]:
    """PATCH handler: `fn(conn, actor, id, body)` -> {"id": id}; the body is any of `form`."""

    @contract(body=form, partial=True)
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        await box_of(request).write(fn, who, request.path_params[param], data)
        return ok({"id": request.path_params[param]})

    handler.__doc__ = doc
    return handler


def arranger(fn: Callable[..., Any], doc: str, *path: str) -> Callable[[Request], Any]:
    """PUT handler: `fn(conn, actor, *path params, {"ids": [...]})` puts those rows in that
    order -> {"ids": [...]}."""

    @contract(body=ORDER)
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        args = [request.path_params[p] for p in path]
        await box_of(request).write(fn, who, *args, data)
        return ok({"ids": data["ids"]})

    handler.__doc__ = doc
    return handler


def action(
    fn: Callable[..., Any], doc: str, param: str, status: int = 200
) -> Callable[[Request], Any]:
    """Handler for an action on one thing in the path: `fn(conn, actor, id)` -> its JSON."""

    @contract(status=status)
    async def handler(request: Request):
        who = await actor(request)
        return ok(await box_of(request).write(fn, who, request.path_params[param]), status)

    handler.__doc__ = doc
    return handler
