"""A box whose storage is full (SQLite's SQLITE_FULL): staff hear so in plain words, nothing is
half-written, and the box takes orders again once there is room."""

from tests.conftest import count, sign_in


def _room(app, pages: int | None) -> None:
    """Give the writer's database no room to grow (as a full card does), or room again. SQLite's
    own `max_page_count` makes every write that needs a new page fail with SQLITE_FULL."""
    writer = app.state.box.writer
    limit = "(SELECT page_count FROM pragma_page_count())" if pages is None else str(pages)
    size = writer.run_sync(lambda conn: conn.execute(f"SELECT {limit}").fetchone()[0])
    writer.run_sync(lambda conn: conn.execute(f"PRAGMA max_page_count = {size}").fetchone())


async def test_a_full_disk_refuses_the_order_in_plain_words_and_the_box_recovers(
    app, client, settings
):
    waiter = await sign_in(client, "waiter")
    before = count(settings.database, "orders"), count(settings.database, "events")
    _room(app, None)
    note = {"kind": "counter", "note": "x" * 200, "lines": []}
    refused = None
    for _ in range(400):  # until the pages the file has are used up
        answer = await client.post("/api/orders", headers=waiter, json=note)
        if answer.status_code != 201:
            refused = answer
            break
    assert refused is not None
    assert refused.status_code == 503
    error = refused.json()["error"]
    assert error["code"] == "disk_full"
    assert "storage is full" in error["message"] and "savepoint" not in error["message"]
    taken = count(settings.database, "orders") - before[0]
    assert count(settings.database, "events") - before[1] == taken  # no order without its event

    _room(app, 1_073_741_823)
    again = await client.post("/api/orders", headers=waiter, json=note)
    assert again.status_code == 201, again.text
    assert again.json()["number"] == taken + 1
    assert (await client.get("/healthz")).status_code == 200
