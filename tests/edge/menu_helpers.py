"""Picking items out of the demo menu for tests."""


async def menu(client):
    return (await client.get("/api/menu")).json()


def item(menu_json, name):
    return next(i for c in menu_json["categories"] for i in c["items"] if i["name"] == name)


def modifier(menu_json, group_name, modifier_name):
    group = next(g for g in menu_json["modifier_groups"] if g["name"] == group_name)
    return next(m for m in group["modifiers"] if m["name"] == modifier_name)


def table_id(floor, name):
    return next(t["id"] for a in floor for t in a["tables"] if t["name"] == name)
