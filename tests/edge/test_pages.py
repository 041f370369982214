"""What the box serves to browsers: only the pages' files, each with its Content-Type, and the
security headers on every answer, the API's and its refusals included."""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from edge.api.pages import ASSETS, Pages, is_asset, ui_dir

ROOT = Path(__file__).resolve().parents[2]
HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


def ui_files() -> list[str]:
    return sorted(str(path.relative_to(ui_dir())) for path in ui_dir().rglob("*") if path.is_file())


async def test_every_page_file_is_served_with_its_type_and_nothing_else(client):
    """Each file under ui/ answers at /ui/ (and the admin's at /admin/ too) exactly when it is a
    page's file, with the Content-Type of its kind; any other (ui/__init__.py, byte code) is the
    404 of a path that does not exist, so an answer says nothing of what the box holds."""
    nowhere = await client.get("/ui/no-such-file.py")
    assert nowhere.status_code == 404
    files = ui_files()
    assert "__init__.py" in files and not all(map(is_asset, files))
    for name in files:
        urls = [f"/ui/{name}"] + ([f"/{name}"] if name.startswith("admin/") else [])
        for url in urls:
            response = await client.get(url)
            if is_asset(name):
                assert response.status_code == 200, url
                assert response.headers["content-type"] == ASSETS[Path(name).suffix], url
                assert response.headers["cache-control"] == "no-cache"
            else:
                assert (response.status_code, response.json()) == (404, nowhere.json()), url
    assert (await client.get("/admin/")).headers["content-type"] == ASSETS[".html"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A page folder holding what must never leave it, beside a page's file."""
    for name in ("app.js", "notes.md", "tool.py", ".env.js", ".git/config", "data.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "secret.py").write_text("KEY = 1")
    (tmp_path / "looks-like.js").symlink_to(tmp_path / "secret.py")
    return tmp_path


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("app.js", 200),
        ("notes.md", 404),
        ("tool.py", 404),
        (".env.js", 404),  # a hidden file, whatever its name ends with
        (".git/config", 404),
        ("data.json", 404),
        ("looks-like.js", 404),  # a link to a file that is not a page's
        ("", 404),  # no listing of a folder
    ],
)
async def test_a_page_folder_serves_only_its_pages_files(folder: Path, path: str, status: int):
    app = Starlette(routes=[Mount("/p", Pages(directory=folder))])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:
        assert (await http.get(f"/p/{path}")).status_code == status


def test_the_package_carries_every_kind_of_page_file():
    """A wheel holds the ui/ files that pyproject.toml names: the same kinds the box serves."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["ui"]
    assert sorted(globs) == sorted(f"**/*{suffix}" for suffix in ASSETS)


async def answers_of_every_kind(app, client) -> dict[str, httpx.Response]:
    """A page, a page's file, JSON, a refusal of each kind, a not-modified and a server error."""

    async def boom(request):
        raise RuntimeError("a handler that fails")

    app.router.routes.append(Route("/boom", boom))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as failing:
        server_error = await failing.get("/boom")
    script = await client.get("/ui/lib/api.js")
    return {
        "page": await client.get("/admin/"),
        "script": script,
        "not modified": await client.get(
            "/ui/lib/api.js", headers={"If-None-Match": script.headers["etag"]}
        ),
        "redirect": await client.get("/"),
        "json": await client.get("/healthz"),
        "not found": await client.get("/ui/__init__.py"),
        "unknown route": await client.get("/api/nothing"),
        "unauthorized": await client.get("/api/me"),
        "bad json": await client.post("/api/devices/pair", content=b"{"),
        "method not allowed": await client.post("/admin/index.html"),
        "server error": server_error,
    }


async def test_every_answer_carries_the_security_headers(app, client):
    answers = await answers_of_every_kind(app, client)
    statuses = {kind: response.status_code for kind, response in answers.items()}
    assert statuses == {
        "page": 200,
        "script": 200,
        "not modified": 304,
        "redirect": 307,
        "json": 200,
        "not found": 404,
        "unknown route": 404,
        "unauthorized": 401,
        "bad json": 400,
        "method not allowed": 405,
        "server error": 500,
    }
    for kind, response in answers.items():
        missing = [name for name in HEADERS if name not in response.headers]
        assert not missing, (kind, missing)
        assert response.headers["x-content-type-options"] == "nosniff", kind
        assert response.headers["referrer-policy"] == "same-origin", kind
    assert answers["server error"].json()["error"]["code"] == "internal"


async def test_the_policy_runs_only_the_boxs_own_scripts_and_styles(client):
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in (await client.get("/admin/")).headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["style-src"] == "'self'"  # no style attribute, no <style>
    assert policy["connect-src"] == "'self' ws://edge"  # the API and the live feed
    assert policy["img-src"] == "'self' data: blob:"  # the icon, job previews
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"


@pytest.mark.parametrize(
    ("host", "scheme", "websocket"),
    [
        ("192.0.2.10:8000", "http", " ws://192.0.2.10:8000"),
        ("box.example:8443", "https", " wss://box.example:8443"),
        ("[2001:db8::1]:8000", "http", " ws://[2001:db8::1]:8000"),
        ("evil; script-src *", "http", ""),  # not a host: only 'self'
    ],
)
async def test_the_live_feed_is_allowed_on_the_host_the_page_came_from(
    app, host: str, scheme: str, websocket: str
):
    """Safari before 15.4 does not count a same-host websocket as 'self': it is named."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://edge") as http:
        response = await http.get("/admin/", headers={"Host": host})
    policy = response.headers["content-security-policy"]
    assert f"connect-src 'self'{websocket};" in policy


@pytest.mark.parametrize("page", sorted(p.parent.name for p in ui_dir().glob("*/index.html")))
def test_every_page_names_its_icon(page: str):
    """A page that names no icon has the browser ask the box for /favicon.ico, a 404 written
    in red in its console (the guest's digital receipt did, seen opening a year-old one)."""
    html = (ui_dir() / page / "index.html").read_text()
    assert '<link rel="icon" href="data:' in html
