from tests.conftest import sign_in


async def test_health_and_menu(client):
    assert (await client.get("/healthz")).json()["status"] == "ok"
    menu = (await client.get("/api/menu")).json()
    assert sum(len(c["items"]) for c in menu["categories"]) >= 30


async def test_order_roundtrip(client):
    headers = await sign_in(client, "waiter")
    menu = (await client.get("/api/menu")).json()
    item = next(i for c in menu["categories"] for i in c["items"] if not i["modifier_group_ids"])
    response = await client.post(
        "/api/orders",
        headers=headers,
        json={"kind": "counter", "lines": [{"item_id": item["id"], "quantity": 2}]},
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["number"] == 1 and order["total"] == 2 * item["price"]
