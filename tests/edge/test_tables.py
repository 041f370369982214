"""Areas, tables, signed QR tokens and the printable sheet."""

import xml.etree.ElementTree as ET

from edge.core import db
from edge.domain import tables
from tests.conftest import count
from tests.edge.menu_helpers import table_id
from tests.edge.test_hub_changes import _from_hub

SVG = "{http://www.w3.org/2000/svg}"


async def test_floor_has_two_areas_and_twelve_tables(client, waiter):
    floor = (await client.get("/api/tables", headers=waiter)).json()
    assert [a["name"] for a in floor] == ["Dining room", "Terrace"]
    assert sum(len(a["tables"]) for a in floor) == 12


async def test_qr_sheet_is_svg_with_every_enabled_table(client, manager):
    floor = (await client.get("/api/tables", headers=manager)).json()
    await client.patch(
        f"/api/tables/{table_id(floor, 'T4')}", headers=manager, json={"enabled": False}
    )
    sheet = await client.get("/api/tables/qr-sheet.svg", headers=manager)
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "image/svg+xml"
    texts = [t.text for t in ET.fromstring(sheet.text).iter(f"{SVG}text")]
    assert "Table 1" in texts and "Table T4" not in texts
    assert len(list(ET.fromstring(sheet.text).iter(f"{SVG}path"))) == 11  # one code a table


async def test_qr_token_verifies_and_rotation_voids_old_codes(client, settings, manager):
    floor = (await client.get("/api/tables", headers=manager)).json()
    t1 = table_id(floor, "1")
    conn = db.connect(settings.database, readonly=True)
    secret = bytes.fromhex(
        conn.execute("SELECT value FROM box WHERE name='qr_secret'").fetchone()[0]
    )
    token = tables.qr_token(secret, t1, 1, 1)
    assert tables.check_qr_token(conn, secret, token)["id"] == t1

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "nonsense", f"{t1}.1", tables.qr_token(b"other secret", t1, 1, 1)):
        try:
            tables.check_qr_token(conn, secret, bad)
        except Exception as exc:  # noqa: BLE001 - the refusal is what we test
            assert getattr(exc, "code", "") == "bad_qr_token"
        else:
            raise AssertionError(f"{bad} was accepted")

    rotated = await client.post(f"/api/tables/{t1}/rotate-qr", headers=manager)
    assert rotated.json()["qr_version"] == 2
    try:
        tables.check_qr_token(conn, secret, token)
        raise AssertionError("an old QR code still works")
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", "") == "bad_qr_token"
    new = tables.qr_token(secret, t1, 2, 1)
    assert tables.check_qr_token(conn, secret, new)["id"] == t1
    await client.post("/api/tables/rotate-qr", headers=manager)
    try:
        tables.check_qr_token(conn, secret, new)
        raise AssertionError("store-wide rotation left a code valid")
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", "") == "bad_qr_token"


async def test_one_table_qr_points_at_the_guest_base_url(client, manager):
    floor = (await client.get("/api/tables", headers=manager)).json()
    svg = await client.get(f"/api/tables/{table_id(floor, '3')}/qr.svg", headers=manager)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    card = ET.fromstring(svg.text)  # well-formed: browsers refuse a redefined attribute
    assert "Table 3" in [t.text for t in card.iter(f"{SVG}text")]
    assert len(list(card.iter(f"{SVG}path"))) == 1  # tests/e2e/test_qr_codes.py scans it


async def test_names_from_the_hub_with_control_characters_keep_the_sheet_svg(app, client, manager):
    """The hub takes any text for a table's or the store's name; the box refuses control
    characters, but applies what the hub sends. One (a vertical tab pasted from a spreadsheet)
    made the sheet XML no browser opens: none of its codes could be printed or scanned."""
    floor = (await client.get("/api/tables", headers=manager)).json()
    t3 = table_id(floor, "3")

    def from_hub(conn):
        _from_hub(conn, "tables", t3, "update", {"name": "Patio\x0b3\x1b"}, 7)
        store = conn.execute("SELECT id FROM store").fetchone()[0]
        _from_hub(conn, "store", store, "update", {"name": "Harbour\x00 Kitchen"}, 7)

    await app.state.box.write(from_hub)
    for path in ("/api/tables/qr-sheet.svg", f"/api/tables/{t3}/qr.svg"):
        svg = await client.get(path, headers=manager)
        assert svg.status_code == 200, svg.text
        texts = [t.text for t in ET.fromstring(svg.text).iter(f"{SVG}text")]
        assert "Patio 3" in texts and "Harbour Kitchen" in texts


async def test_a_table_card_downloads_whatever_the_tables_name(client, manager):
    """A table's card is a file named after the table; a name outside Latin-1 ("北京 1") made
    the header that names the file fail: a 500 instead of the card."""
    floor = (await client.get("/api/tables", headers=manager)).json()
    t3 = table_id(floor, "3")
    renamed = await client.patch(f"/api/tables/{t3}", headers=manager, json={"name": '北京 "1"'})
    assert renamed.status_code == 200, renamed.text
    svg = await client.get(f"/api/tables/{t3}/qr.svg", headers=manager)
    assert svg.status_code == 200, svg.text
    named = "filename*=UTF-8''table-%E5%8C%97%E4%BA%AC%20%221%22.svg"
    assert svg.headers["content-disposition"] == f'inline; filename="table-____1_.svg"; {named}'
    assert '北京 "1"' in [t.text for t in ET.fromstring(svg.text).iter(f"{SVG}text")]


async def test_no_sheet_without_a_guest_base_url(client, manager):
    await client.patch("/api/store", headers=manager, json={"guest_base_url": ""})
    refused = await client.get("/api/tables/qr-sheet.svg", headers=manager)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "guest_base_url_missing"


async def test_table_names_are_unique_and_areas_must_exist(client, manager):
    floor = (await client.get("/api/tables", headers=manager)).json()
    area = floor[0]["id"]
    dup = await client.post("/api/tables", headers=manager, json={"area_id": area, "name": "1"})
    assert dup.status_code == 422 and dup.json()["error"]["code"] == "duplicate_name"
    assert dup.json()["error"]["fields"] == {"name": "There is already a table 1."}
    nowhere = await client.post(
        "/api/tables",
        headers=manager,
        json={"area_id": "01900000-0000-7000-8000-000000000000", "name": "99"},
    )
    assert nowhere.status_code == 422
    made = await client.post(
        "/api/tables", headers=manager, json={"area_id": area, "name": "9", "seats": 6}
    )
    assert made.status_code == 201
    waiter_tries = await client.post("/api/areas", headers={}, json={"name": "Bar"})
    assert waiter_tries.status_code == 401


async def test_areas_and_tables_are_arranged_and_the_floor_follows(client, settings, manager):
    floor = (await client.get("/api/tables", headers=manager)).json()
    areas = [a["id"] for a in floor][::-1]
    assert (
        await client.put("/api/areas/order", headers=manager, json={"ids": areas})
    ).status_code == 200
    dining = next(a for a in floor if a["name"] == "Dining room")
    tables_ids = [t["id"] for t in dining["tables"]]
    swapped = [tables_ids[1], tables_ids[0], *tables_ids[2:]]
    answer = await client.put(
        f"/api/areas/{dining['id']}/tables/order", headers=manager, json={"ids": swapped}
    )
    assert answer.status_code == 200
    after = (await client.get("/api/tables", headers=manager)).json()
    assert [a["id"] for a in after] == areas
    assert [t["id"] for t in next(a for a in after if a["id"] == dining["id"])["tables"]] == swapped
    # A list without the table another device just added is refused.
    await client.post(
        "/api/tables", headers=manager, json={"area_id": dining["id"], "name": "99", "seats": 2}
    )
    stale = await client.put(
        f"/api/areas/{dining['id']}/tables/order", headers=manager, json={"ids": swapped}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_list"


async def test_a_table_moved_to_another_area_goes_to_its_end(client, manager):
    floor = (await client.get("/api/tables", headers=manager)).json()
    dining, terrace = floor
    moved = dining["tables"][0]["id"]
    await client.patch(f"/api/tables/{moved}", headers=manager, json={"area_id": terrace["id"]})
    after = (await client.get("/api/tables", headers=manager)).json()
    assert [t["id"] for t in after[1]["tables"]] == [t["id"] for t in terrace["tables"]] + [moved]


async def test_a_table_has_at_least_one_seat(client, settings, manager):
    floor = (await client.get("/api/tables", headers=manager)).json()
    area = floor[0]["id"]
    before = count(settings.database, "events")
    # Two problems at once: the name is taken and nobody can sit at the table.
    made = await client.post(
        "/api/tables", headers=manager, json={"area_id": area, "name": "1", "seats": 0}
    )
    assert made.status_code == 422
    assert made.json()["error"]["fields"] == {
        "name": "There is already a table 1.",
        "seats": "Seats must be at least 1.",
    }
    changed = await client.patch(
        f"/api/tables/{table_id(floor, '2')}", headers=manager, json={"seats": 0}
    )
    assert changed.status_code == 422
    assert changed.json()["error"] == {
        "code": "invalid",
        "message": "Seats must be at least 1.",
        "field": "seats",
        "fields": {"seats": "Seats must be at least 1."},
    }
    assert count(settings.database, "events") == before
