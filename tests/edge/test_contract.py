"""One JSON error shape everywhere, an OpenAPI entry for every route, every setting documented."""

from pathlib import Path

import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from edge.config import EdgeSettings, documented
from edge.domain import print_jobs
from tests.conftest import count

README = Path(__file__).resolve().parents[2] / "README.md"


def assert_error_shape(response):
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/nowhere", None),
        ("DELETE", "/api/menu", None),
        ("GET", "/api/me", None),
        ("POST", "/api/orders", b"{"),
        ("POST", "/api/orders", b"[]"),
        ("POST", "/api/sessions", b'{"staff_id": 1}'),
        ("PATCH", "/api/store", b'{"name": ""}'),
        ("GET", "/api/orders/not-an-id", None),
        ("GET", "/api/events?since=-1", None),
        ("GET", "/api/orders?status=paid", None),
        ("POST", "/api/printers/discover/network", b'{"subnet": 5}'),
        ("PATCH", "/api/menu/items/01900000-0000-7000-8000-000000000000", b'{"price": 1}'),
    ],
)
async def test_every_refusal_has_the_same_json_shape(client, manager, method, path, body):
    response = await client.request(
        method, path, content=body, headers=manager if path != "/api/me" else {}
    )
    assert_error_shape(response)


async def test_openapi_describes_every_route(app, client):
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    for route in app.routes:
        if isinstance(route, Route):
            for method in route.methods - {"HEAD"}:
                operation = spec["paths"][route.path][method.lower()]
                assert operation["summary"], f"{method} {route.path} has no description"
        elif isinstance(route, WebSocketRoute):
            assert spec["paths"][route.path]["get"]["x-websocket"] is True
        elif isinstance(route, Mount):
            assert route.path + "/{path}" in spec["paths"]


async def test_openapi_says_what_each_route_takes_and_answers(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    order = paths["/api/orders"]["post"]
    body = order["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["kind"] and body["additionalProperties"] is False
    line = body["properties"]["lines"]["items"]
    assert line["required"] == ["item_id"]
    assert line["properties"]["quantity"] == {"type": "integer", "minimum": 1, "maximum": 999}
    assert set(order["responses"]) == {"201", "4XX"}
    assert order["security"] == [{"staff": []}]
    assert "security" not in paths["/api/sessions"]["post"]
    assert "security" not in paths["/api/menu"]["get"]
    changes = [op for ops in paths.values() for method, op in ops.items() if method == "patch"]
    assert changes
    for change in changes:  # a change sends only what changes: nothing is required
        schema = change["requestBody"]["content"]["application/json"]["schema"]
        assert schema["properties"] and "required" not in schema, change["summary"]
    jobs = {p["name"]: p["schema"] for p in paths["/api/print-jobs"]["get"]["parameters"]}
    assert jobs["state"]["enum"] == list(print_jobs.STATES)
    assert jobs["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}


async def test_every_route_that_needs_a_sign_in_says_so(app, client):
    """Called without a token, a route answers 401 exactly when its description says it needs
    one: the description cannot drift from the handlers."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    someone = "01900000-0000-7000-8000-000000000000"
    for route in app.routes:
        if not isinstance(route, Route):
            continue
        url = route.path.format(**{name: someone for name in route.param_convertors})
        for method in route.methods - {"HEAD"}:
            needs_sign_in = "security" in paths[route.path][method.lower()]
            response = await client.request(method, url, json=None if method == "GET" else {})
            assert (response.status_code == 401) == needs_sign_in, (method, url, response.text)


async def test_a_manager_action_with_an_unknown_field_is_refused_and_writes_nothing(
    client, settings, manager
):
    before = count(settings.database, "events")
    response = await client.post(
        "/api/drawer/open", headers=manager, json={"reason": "float", "amount": 5000}
    )
    assert_error_shape(response)
    assert response.json()["error"]["code"] == "unknown_field"
    assert count(settings.database, "events") == before


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text()
    for env, help_text, _ in documented():
        assert f"`{env}`" in text, f"{env} is not in the README"
        assert help_text
    assert len(documented()) == len(EdgeSettings.__dataclass_fields__)


def test_settings_come_from_the_environment_and_flags():
    settings = EdgeSettings.load({"GALLEY_EDGE_PORT": "9000", "GALLEY_DATA_DIR": "/tmp/x"})
    assert settings.port == 9000 and settings.database == Path("/tmp/x/edge.db")
    assert EdgeSettings.load({"GALLEY_EDGE_PORT": "9000"}, port="9100").port == 9100


async def test_pages_are_served_and_revalidated(client):
    home = await client.get("/")
    assert home.status_code == 307 and home.headers["location"] == "/admin/"
    page = await client.get("/admin/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert page.headers["cache-control"] == "no-cache"
    module = await client.get("/ui/lib/api.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
