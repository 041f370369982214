"""The guest page as a phone on poor Wi-Fi gets it: a table's code opens it with the token
after `#` (never sent to a server), and what it paints with is under 30 KB; the menu comes
after, revalidated with its ETag."""

from __future__ import annotations

import re

from tests.edge.guest_helpers import qr_token

FIRST_PAINT_BYTES = 30 * 1024
_IMPORT = re.compile(r'^import .* from "([^"]+)";$', re.M)


async def test_a_tables_code_opens_the_guest_page_with_its_token_after_the_hash(quiet):
    app, client = quiet
    token = qr_token(app.state.box, "3")
    opened = await client.get(f"/t/{token}", follow_redirects=False)
    assert opened.status_code == 307
    assert opened.headers["location"] == f"/ui/guest/index.html#t={token}"


async def test_the_first_paint_is_under_30_kb_and_the_menu_revalidates(client):
    page = await client.get("/ui/guest/index.html")
    files = re.findall(r'(?:href|src)="(/ui/guest/[^"]+)"', page.text)
    assert files == ["/ui/guest/guest.css", "/ui/guest/guest.js"]
    sizes, waiting = {"/ui/guest/index.html": len(page.content)}, list(files)
    while waiting:  # the stylesheet, the script and the modules it imports (not import())
        path = waiting.pop()
        answer = await client.get(path)
        assert answer.status_code == 200, path
        sizes[path] = len(answer.content)
        waiting += [p for p in _IMPORT.findall(answer.text) if p not in sizes]
    assert "/ui/lib/live.js" not in sizes  # loaded once the menu is up
    assert sum(sizes.values()) < FIRST_PAINT_BYTES, sizes

    menu = await client.get("/api/menu")
    again = await client.get("/api/menu", headers={"If-None-Match": menu.headers["ETag"]})
    assert again.status_code == 304
