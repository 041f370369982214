"""Finding a request's route among the edge's 150 without trying each in turn.

Starlette's router tries the routes in order, a regular expression each, until one fits: a
checkout's payment is the 26th route, a guest's order the 123rd, and trying them took a fifth
of the app's time on the event loop in the checkout benchmark (cProfile). `IndexedRouter`
tries only the routes that could fit: those that answer the request's method and whose fixed
start fits the request's first two path segments (`/api/checks`), kept in their order. The
first of those that fits is the route Starlette finds, since every route it skips cannot fit;
when none does (a 404, a 405, a redirect to the path with or without its slash), Starlette's
own search runs, as it would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

Key = tuple[str, str]  # (method, first segment or first two segments of the path)


def _segments(path: str) -> tuple[str, str]:
    """The path's first segment and its first two ("/api", "/api/checks"), as far as it has
    them. A final newline is left out: a route's pattern ends in `$`, which fits before one."""
    path = path.removesuffix("\n")
    first = path.find("/", 1)
    if first < 0:
        return path, path
    second = path.find("/", first + 1)
    return path[:first], path if second < 0 else path[:second]


def _fixed(route: BaseRoute) -> tuple[int, str] | None:
    """What every HTTP path `route` fits starts with: (2, its first two segments) or (1, its
    first segment); None when that is not known (any path may fit)."""
    if not isinstance(route, Route | Mount):
        return None
    if "{" not in route.path_format:  # fits this one path only
        return 2, _segments(route.path_format)[1]
    start = route.path_format.split("{", 1)[0]
    slashes = start.count("/")
    if slashes >= 3:
        return 2, _segments(start)[1]
    if slashes == 2:
        return 1, _segments(start)[0]
    return None


def _answers(route: BaseRoute, method: str) -> bool:
    """Whether `route` may fit an HTTP request with `method` (a websocket route never does)."""
    if isinstance(route, Route):
        return route.methods is None or method in route.methods
    return isinstance(route, Mount)


class IndexedRouter(Router):
    """Starlette's router, trying only the routes that could fit an HTTP request (see the module
    docstring). The index is made on the first request, and again if routes are added."""

    def __init__(self, routes: Sequence[BaseRoute], **options: Any) -> None:
        super().__init__(routes, **options)
        self._indexed = -1  # how many routes the index was made of
        self._by_two: dict[Key, list[BaseRoute]] = {}
        self._by_one: dict[Key, list[BaseRoute]] = {}
        self._unknown: dict[str, list[BaseRoute]] = {}  # by method: routes any path may fit
        self._methods: set[str] = set()  # those the routes name

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.find(scope) if scope["type"] == "http" else None
        if found is None:
            await super().app(scope, receive, send)
            return
        route, child_scope = found
        scope.setdefault("router", self)
        scope["route"] = route
        scope.update(child_scope)
        await route.handle(scope, receive, send)

    def find(self, scope: Scope) -> tuple[BaseRoute, Scope] | None:
        """The first route that fits the HTTP request fully (path and method), and what it adds
        to the scope; None when none does."""
        if self._indexed != len(self.routes):
            self._index()
        method = scope["method"] if scope["method"] in self._methods else ""
        one, two = _segments(get_route_path(scope))
        tried = self._by_two.get((method, two))
        if tried is None:
            tried = self._by_one.get((method, one))
            if tried is None:
                tried = self._unknown[method]
        for route in tried:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return route, child_scope
        return None

    def _index(self) -> None:
        fixed = [(route, _fixed(route)) for route in self.routes]
        # and "": a method no route names, which only mounts and routes of any method answer
        methods = {
            m for route in self.routes if isinstance(route, Route) for m in route.methods or ()
        } | {""}
        starts = {start for _, start in fixed if start is not None}

        def tried(method: str, *starts: tuple[int, str] | None) -> list[BaseRoute]:
            return [route for route, start in fixed if start in starts and _answers(route, method)]

        self._by_two = {
            (method, two): tried(method, None, (1, _segments(two)[0]), (2, two))
            for method in methods
            for level, two in starts
            if level == 2
        }
        self._by_one = {
            (method, one): tried(method, None, (1, one))
            for method in methods
            for level, one in starts
            if level == 1
        }
        self._unknown = {method: tried(method, None) for method in methods}
        self._methods = methods
        self._indexed = len(self.routes)
