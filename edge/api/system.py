"""Health and the API description."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from edge.api.http import box_of, ok


async def healthz(request: Request):
    """Liveness for systemd and the load balancer: is the writer alive, how far is the log."""
    box = box_of(request)
    alive = box.writer.alive
    return ok(
        {"status": "ok" if alive else "writer_down", "last_seq": box.bus.last_seq},
        200 if alive else 503,
    )


async def openapi(request: Request):
    """This description."""
    return ok(describe(request.app.routes))


def describe(routes: list[BaseRoute]) -> dict[str, Any]:
    """OpenAPI 3.1 for every HTTP and websocket route, from the handlers' docstrings."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Route):
            methods = sorted((route.methods or set()) - {"HEAD"})
            doc = (route.endpoint.__doc__ or route.name).strip()
            for method in methods:
                paths.setdefault(route.path, {})[method.lower()] = _operation(route, doc)
        elif isinstance(route, WebSocketRoute):
            doc = (route.endpoint.__doc__ or route.name).strip()
            paths.setdefault(route.path, {})["get"] = {
                **_operation(route, doc),
                "x-websocket": True,
                "responses": {"101": {"description": "switching to the websocket protocol"}},
            }
        elif isinstance(route, Mount):
            paths.setdefault(route.path + "/{path}", {})["get"] = {
                "summary": f"static pages under {route.path}/",
                "parameters": [_path_param("path")],
                "responses": {"200": {"description": "a file"}},
            }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Galley edge", "version": "1"},
        "components": {
            "securitySchemes": {"staff": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                }
            },
        },
        "paths": paths,
    }


# Routes that answer with a file rather than JSON, by the extension their path ends in.
FILE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}


def _operation(route: Route | WebSocketRoute, doc: str) -> dict[str, Any]:
    summary, _, description = doc.partition("\n")
    media = next((t for ext, t in FILE_TYPES.items() if route.path.endswith(ext)), None)
    answer = (
        {"description": "JSON"}
        if media is None
        else {"description": f"a {media} file", "content": {media: {}}}
    )
    error = {
        "description": "refused",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return {
        "summary": summary.strip(),
        "description": " ".join(description.split()),
        "parameters": [_path_param(name) for name in route.param_convertors],
        "responses": {"200": answer, "4XX": error},
    }


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
