"""The fault-injecting proxy the retry tests stand between a client and a real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.live import serve
from tests.proxy import Fault, FaultProxy

ANSWER = b"x" * 100_000  # several reads of the proxy's: a cut lands inside the answer


async def echo(request: Request) -> Response:
    """Counts what it was sent, for the tests to see what reached the server."""
    request.app.state.received.append(await request.body())
    return Response(ANSWER, media_type="text/plain")


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[bytes]]]:
    app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
    app.state.received = []
    with serve(app) as url:
        yield url, app.state.received


def test_a_connection_without_a_fault_passes_untouched(upstream):
    url, received = upstream
    with FaultProxy(url) as proxy, httpx.Client(base_url=proxy.url) as http:
        for n in range(3):
            response = http.post("/echo", content=f"hello {n}".encode())
            assert response.status_code == 200 and response.content == ANSWER
    assert received == [b"hello 0", b"hello 1", b"hello 2"]
    (kept_alive,) = proxy.connections
    assert kept_alive.forwarded == kept_alive.answered > 3 * len(ANSWER)
    assert not kept_alive.cut


def test_a_dropped_connection_reaches_nothing_and_the_next_one_passes(upstream):
    url, received = upstream
    with FaultProxy(url) as proxy, httpx.Client(base_url=proxy.url) as http:
        proxy.inject(Fault(drop=True))
        with pytest.raises(httpx.TransportError):
            http.post("/echo", content=b"lost")
        assert http.post("/echo", content=b"again").content == ANSWER
    assert received == [b"again"]
    dropped, passed = proxy.connections
    assert dropped.cut and dropped.sent == 0 and not passed.cut


def test_a_delayed_connection_arrives_whole(upstream):
    url, received = upstream
    with FaultProxy(url) as proxy, httpx.Client(base_url=proxy.url) as http:
        proxy.inject(Fault(delay=0.05))
        assert http.post("/echo", content=b"slow").content == ANSWER
    assert received == [b"slow"] and proxy.connections[0].fault.delay == 0.05


@pytest.mark.parametrize("after", [0, 20, 5000])
def test_a_cut_leaves_the_server_done_and_the_client_without_its_answer(upstream, after):
    """Before any byte (0), inside the status line (20), inside the body (5000): the server
    received the request and answered it whole; the client gets an error, never a short answer
    that looks whole."""
    url, received = upstream
    with FaultProxy(url) as proxy, httpx.Client(base_url=proxy.url) as http:
        proxy.inject(Fault(cut_answer_after=after))
        with pytest.raises(httpx.TransportError):
            http.post("/echo", content=b"order")
    assert received == [b"order"]
    (cut,) = proxy.connections
    assert cut.cut and cut.forwarded == after and cut.answered > after


def test_the_upstream_is_loopback_only():
    with pytest.raises(ValueError, match="loopback only"):
        FaultProxy("http://192.0.2.10:8000")
