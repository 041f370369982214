"""The indexed router finds, for every request, the route Starlette's search finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match, Mount, Route, Router

from edge.api.app import create_app
from edge.api.routing import IndexedRouter
from edge.core.config import EdgeSettings
from sync.ids import uuid7

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _starlette_finds(routes: list[BaseRoute], scope: dict[str, Any]) -> Any:
    """The route Starlette's router answers a request with when one fits fully (and what it
    adds to the scope), else None."""
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            return route, child_scope
    return None


def _paths(routes: list[BaseRoute]) -> list[str]:
    """Each route's path with its parameters filled, and near misses of it."""
    ident = str(uuid7())
    paths = ["/", "", "//", "/nope", "/api", "/api/", "/api/nope", "/t", "/admin", "/admin/x/y"]
    for route in routes:
        if not isinstance(route, Route | Mount):
            continue
        path = route.path_format
        for name in route.param_convertors:
            path = path.replace("{" + name + "}", ident if name.endswith("id") else "a-token")
        parent = path.rsplit("/", 1)[0]
        paths += [path, path + "/", path + "\n", path + "/x", parent, parent + "/nope"]
        paths.append(path.replace(ident, "not-an-id"))
    return paths


def test_every_request_finds_the_route_starlette_finds(tmp_path: Path) -> None:
    app = create_app(EdgeSettings(data_dir=tmp_path))
    router = app.router
    assert isinstance(router, IndexedRouter)
    for path in _paths(router.routes):
        for method in METHODS:
            scope = _scope(method, path)
            assert router.find(scope) == _starlette_finds(router.routes, scope), (method, path)


async def _hello(request: Any) -> PlainTextResponse:
    return PlainTextResponse("hello")


def test_routes_added_after_a_request_are_found() -> None:
    router = IndexedRouter([Route("/api/a", _hello, methods=["GET"])])
    assert router.find(_scope("GET", "/api/b")) is None
    router.routes.append(Route("/api/b", _hello, methods=["GET"]))
    found = router.find(_scope("GET", "/api/b"))
    assert found is not None and found[0] is router.routes[1]


def test_a_plain_router_and_the_indexed_one_agree_on_misses() -> None:
    """Mounts, any-method routes and paths without a fixed start are tried for every path."""
    routes: list[BaseRoute] = [
        Route("/{anything}", _hello),  # no fixed segment
        Route("/x/{a}/{b}", _hello, methods=["POST"]),
        Mount("/static", routes=[Route("/{name}", _hello)]),
    ]
    router, plain = IndexedRouter(routes), Router(routes)
    for path in ("/a", "/x/1/2", "/x/1", "/static/f", "/static", "/q/w/e"):
        for method in METHODS:
            scope = _scope(method, path)
            assert router.find(scope) == _starlette_finds(plain.routes, scope), (method, path)
