// A station's board: tickets not bumped, rushed first then in fire order, eight to a page, each
// a tile with its number, table, age (green, then amber and red at the store's thresholds) and
// its items by course with modifiers, notes and seats; a line voided after firing is struck
// through and still bumped, and the foot says which (with a chime). A bump bar is a keyboard with no mouse, so every action has its key,
// shown at the foot: digits select a tile, up and down walk its items (a long ticket scrolls to
// the one picked), Space marks that item done, S starts the tile, D makes it ready, M moves the
// item to another station, Enter bumps, R recalls the last bumped, left and right page. A key on
// a focused button (Tab) presses that button, and a redraw keeps the focus where it was. A tile's
// Move button sends one of its items to another station (both screens update from the feed).
// A ticket longer than its tile scrolls inside it, and the tile says how many of its items are
// out of sight ("+12 more"), so that no cook bumps a ticket having seen only its first lines.

import { h } from "/ui/lib/element.js";
import { ageOf, paintAges } from "./age.js";
import { forControls, keepingFocus, keyCap as key } from "./keys.js";

const PER_PAGE = 8;
const RANK = { NEW: 0, IN_PROGRESS: 1, READY: 2, BUMPED: 3 };
const KIND_LABEL = { ADD: "Add", COURSE: "Fired", MOVE: "Moved" };
const STATE_LABEL = { NEW: "New", IN_PROGRESS: "Cooking", READY: "Ready" };

function words(code) {
  return code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ");
}

/** Whether a ticket's or an order's label says its number already ("Counter #12"). */
export function saysNumber(label, number) {
  return label.endsWith(`#${number}`);
}

export function mountBoard(main, ctx) {
  const tickets = new Map(); // id -> ticket, with `items`
  let bumped = []; // newest first: what R recalls
  let page = 0;
  let selected = -1; // index on the page
  let current = null; // the id of the item the cursor is on, in the selected tile
  const scrolled = new Map(); // ticket id -> how far its items were scrolled: kept over redraws
  const canBump = ctx.me.permissions.includes("kitchen.bump");

  const grid = h("section", { class: "kds-grid", "aria-label": "Tickets", "aria-live": "polite" });
  const status = h("p", { class: "kds-status", role: "status" });
  const pager = h("span", { class: "kds-pager" });
  const keys = h("footer", { class: "kds-keys" },
    key("1–8", "select"), key("↑ ↓", "item"), key("Space", "done"), key("S", "start"),
    key("D", "ready"), key("M", "move"), key("Enter", "bump"), key("R", "recall"), key("← →", "page"),
    h("span", { class: "spacer" }), status, pager);
  main.replaceChildren(grid, keys);

  function mine(ticket) {
    return !ctx.station || ticket.station === ctx.station;
  }

  function ordered() {
    return [...tickets.values()].sort((a, b) =>
      (b.rush - a.rush) || a.fired_at.localeCompare(b.fired_at) || a.number - b.number
      || a.station.localeCompare(b.station));
  }

  function pages() {
    return Math.max(1, Math.ceil(tickets.size / PER_PAGE));
  }

  function render() {
    page = Math.min(page, pages() - 1);
    const shown = ordered().slice(page * PER_PAGE, (page + 1) * PER_PAGE);
    if (selected >= shown.length) selected = shown.length - 1;
    keepingFocus(grid, () => grid.replaceChildren(...shown.map((ticket, index) => tile(ticket, index))));
    for (const list of grid.querySelectorAll(".tile-items")) {
      list.scrollTop = scrolled.get(list.dataset.ticket) || 0;
    }
    grid.querySelector(".tile-item.is-current")?.scrollIntoView({ block: "nearest" });
    countHidden();
    if (!shown.length) {
      grid.append(h("div", { class: "kds-empty" },
        h("p", { class: "kds-empty-title" }, "All clear"),
        h("p", {}, ctx.station ? `No tickets for ${words(ctx.station)}.` : "No tickets.")));
    }
    pager.textContent = pages() > 1 ? `Page ${page + 1} of ${pages()}` : "";
    paintAges(grid);
  }

  function tile(ticket, index) {
    const head = h("header", { class: "tile-head" },
      h("span", { class: "tile-key", "aria-hidden": "true" }, String(index + 1)),
      h("span", { class: "tile-number" }, `#${ticket.number}`),
      h("span", { class: "tile-label" }, ticket.label),
      h("span", { class: "spacer" }),
      ageOf(ticket.fired_at, ctx.settings));
    const tags = h("div", { class: "tile-tags" },
      ticket.rush ? h("span", { class: "badge badge-danger" }, "Rush") : null,
      KIND_LABEL[ticket.kind] ? h("span", { class: "badge badge-info" }, KIND_LABEL[ticket.kind]) : null,
      !ctx.station ? h("span", { class: "badge" }, words(ticket.station)) : null,
      h("span", { class: `badge tile-state state-${ticket.state.toLowerCase()}` }, STATE_LABEL[ticket.state] || ticket.state),
      saysNumber(ticket.label, ticket.order_number)
        ? null : h("span", { class: "tile-order" }, `Order ${ticket.order_number}`));
    const body = h("ol", { class: "tile-items", "data-ticket": ticket.id });
    const more = h("button", {
      type: "button", class: "tile-more", hidden: true,
      onclick: (event) => { event.stopPropagation(); body.scrollBy({ top: body.clientHeight * 0.8 }); },
    });
    body.addEventListener("scroll", () => {
      scrolled.set(ticket.id, body.scrollTop);
      countHidden();
    }, { passive: true });
    let course = "";
    for (const item of ticket.items) {
      if (item.course !== course) {
        course = item.course;
        body.append(h("li", { class: "tile-course" }, words(course)));
      }
      body.append(itemRow(ticket, item));
    }
    const actions = canBump ? h("div", { class: "tile-actions" },
      ticket.state === "NEW" ? h("button", { type: "button", class: "btn btn-sm", onclick: (e) => { e.stopPropagation(); move(ticket, "IN_PROGRESS"); } }, "Start") : null,
      RANK[ticket.state] < RANK.READY ? h("button", { type: "button", class: "btn btn-sm", onclick: (e) => { e.stopPropagation(); move(ticket, "READY"); } }, "Ready") : null,
      movable(ticket).length && others(ticket).length
        ? h("button", { type: "button", class: "btn btn-sm tile-move", onclick: (e) => { e.stopPropagation(); chooseMove(ticket); } }, "Move")
        : null,
      h("button", { type: "button", class: "btn btn-sm btn-primary", onclick: (e) => { e.stopPropagation(); move(ticket, "BUMPED"); } }, "Bump")) : null;
    return h("article", {
      class: `tile${index === selected ? " is-selected" : ""}${ticket.rush ? " is-rush" : ""}`,
      "data-ticket": ticket.id, "data-station": ticket.station, "data-number": ticket.number,
      "aria-label": `Ticket ${ticket.number}, ${ticket.label}`,
      onclick: () => { selected = index; render(); },
    }, head, tags, ticket.note ? h("p", { class: "tile-note" }, ticket.note) : null, body, more, actions);
  }

  /** Each tile's "+N more": its items whose foot is below what its list shows. Counted again
   * once the line is shown, as it takes its height from the list. */
  function countHidden() {
    for (const list of grid.querySelectorAll(".tile-items")) {
      const hidden = () => {
        const bottom = list.getBoundingClientRect().bottom + 1;
        return [...list.querySelectorAll(".tile-item")]
          .filter((item) => item.getBoundingClientRect().bottom > bottom).length;
      };
      const more = list.nextElementSibling;
      more.hidden = hidden() === 0;
      more.textContent = `+${hidden()} more ↓`;
    }
  }

  function itemRow(ticket, item) {
    const done = RANK[item.state] >= RANK.READY;
    return h("li", {
      class: `tile-item${item.voided ? " is-voided" : ""}${done ? " is-done" : ""}${item.id === current ? " is-current" : ""}`,
      "data-item": item.id,
      onclick: canBump && !done ? (event) => { event.stopPropagation(); ready(item); } : null,
    },
    h("span", { class: "item-qty" }, `${item.quantity}×`),
    h("span", { class: "item-main" },
      h("span", { class: "item-name" }, item.name),
      item.voided ? h("span", { class: "badge badge-danger item-void" }, "Void") : null,
      item.seat ? h("span", { class: "item-seat" }, `Seat ${item.seat}`) : null,
      item.modifiers.length ? h("ul", { class: "item-mods" }, item.modifiers.map((m) => h("li", {}, m))) : null,
      item.note ? h("span", { class: "item-note" }, item.note) : null));
  }

  async function move(ticket, state) {
    status.textContent = "";
    try {
      const changed = await ctx.api.post(`/api/tickets/${ticket.id}/state`, { state });
      upsert(changed);
      render();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  async function ready(item) {
    status.textContent = "";
    try {
      upsert(await ctx.api.post(`/api/ticket-items/${item.id}/state`, { state: "READY" }));
      render();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  function movable(ticket) {
    return ticket.items.filter((item) => !item.voided && RANK[item.state] < RANK.BUMPED);
  }

  function others(ticket) {
    return ctx.stations.filter((s) => s.code !== ticket.station);
  }

  /** Pick one of the tile's items and the station it goes to; the box answers the new ticket
   * there, and its feed strikes the item off this one (on every screen showing it). */
  function chooseMove(ticket, itemId = null) {
    const items = movable(ticket);
    const checked = items.some((item) => item.id === itemId) ? itemId : items[0].id;
    const message = h("p", { class: "msg msg-error", role: "alert", hidden: true });
    const choices = h("fieldset", { class: "move-items" },
      h("legend", {}, "Item"),
      items.map((item) => h("label", { class: "move-item" },
        h("input", { type: "radio", name: "move-item", value: item.id, checked: item.id === checked }),
        h("span", {}, `${item.quantity}× ${item.name}`))));
    const targets = h("div", { class: "move-stations", role: "group", "aria-label": "To station" },
      others(ticket).map((station) => h("button", {
        type: "button", class: "btn btn-primary", "data-station": station.code,
        onclick: (event) => send(event.currentTarget, station.code),
      }, `To ${station.name}`)));
    const dialog = h("dialog", { class: "modal kds-move", "aria-label": `Move an item of ticket ${ticket.number}` },
      h("div", { class: "modal-form" },
        h("div", { class: "modal-head" }, h("h2", {}, `Move from #${ticket.number} · ${ticket.label}`)),
        h("div", { class: "modal-body" }, choices, targets, message),
        h("div", { class: "modal-foot" },
          h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, "Cancel"))));
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();

    async function send(button, station) {
      const picked = choices.querySelector("input:checked");
      button.disabled = true;
      message.hidden = true;
      try {
        const moved = await ctx.api.post(`/api/ticket-items/${picked.value}/move`, { station });
        ticket.items = ticket.items.filter((item) => item.id !== picked.value);
        upsert(moved);
        render();
        dialog.close();
      } catch (err) {
        message.textContent = err.message;
        message.hidden = false;
        button.disabled = false;
      }
    }
  }

  async function recall() {
    const last = bumped[0];
    if (!last) {
      status.textContent = "Nothing to recall.";
      return;
    }
    status.textContent = "";
    try {
      upsert(await ctx.api.post(`/api/tickets/${last.id}/recall`));
      render();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  /** A ticket as the box answered or sent it: on the board unless bumped (then recallable). */
  function upsert(ticket) {
    if (!mine(ticket)) return;
    bumped = bumped.filter((t) => t.id !== ticket.id);
    if (ticket.state === "BUMPED") {
      tickets.delete(ticket.id);
      bumped.unshift(ticket);
      bumped = bumped.slice(0, 20);
    } else {
      tickets.set(ticket.id, ticket);
    }
  }

  function onEvent(event) {
    if (event.entity === "tickets") {
      if (event.op === "create") {
        const fields = event.fields;
        const items = (fields.ticket_items || []).filter((item) => item.state !== "MOVED");
        const ticket = { id: event.entity_id, ...fields, items };
        delete ticket.ticket_items;
        if (!mine(ticket) || tickets.has(ticket.id)) return;
        upsert(ticket);
        ctx.sound.chime();
        render();
        return;
      }
      const known = tickets.get(event.entity_id) || bumped.find((t) => t.id === event.entity_id);
      if (known) {
        upsert({ ...known, ...event.fields });
        render();
      } else if (event.fields.state && event.fields.state !== "BUMPED") {
        fetchTicket(event.entity_id); // recalled elsewhere
      }
    } else if (event.entity === "ticket_items") {
      for (const ticket of [...tickets.values(), ...bumped]) {
        const index = ticket.items.findIndex((item) => item.id === event.entity_id);
        if (index < 0) continue;
        const item = { ...ticket.items[index], ...event.fields };
        if (item.voided && !ticket.items[index].voided) {
          // struck through in one tile of eight goes unseen: say it at the foot, and chime
          const which = saysNumber(ticket.label, ticket.number) ? ticket.label : `#${ticket.number} ${ticket.label}`;
          status.textContent = `Voided: ${item.quantity}× ${item.name} of ${which}`;
          ctx.sound.chime();
        }
        ticket.items = item.state === "MOVED"
          ? ticket.items.filter((_, i) => i !== index)
          : ticket.items.map((old, i) => (i === index ? item : old));
        render();
        return;
      }
    } else if (event.entity === "kitchen_settings") {
      render();
    }
  }

  async function fetchTicket(id) {
    try {
      upsert(await ctx.api.get(`/api/tickets/${id}`));
      render();
    } catch {
      // gone or unreachable: the next reload shows the board as it is
    }
  }

  function onKey(event) {
    if (forControls(event)) return;
    const shown = ordered().slice(page * PER_PAGE, (page + 1) * PER_PAGE);
    const ticket = shown[selected];
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (/^[1-8]$/.test(key)) {
      const index = Number(key) - 1;
      if (index < shown.length) [selected, current] = [index, null];
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      if (!shown.length) return;
      if (!ticket) [selected, current] = [0, null];
      const items = shown[selected].items;
      const at = items.findIndex((item) => item.id === current);
      const next = at < 0 ? 0 : Math.min(Math.max(at + (key === "ArrowDown" ? 1 : -1), 0), items.length - 1);
      current = items[next] ? items[next].id : null;
    } else if (["ArrowRight", "PageDown", "ArrowLeft", "PageUp"].includes(key)) {
      const step = key === "ArrowRight" || key === "PageDown" ? 1 : -1;
      page = Math.min(Math.max(page + step, 0), pages() - 1);
      [selected, current] = [-1, null];
    } else if (key === "r" && canBump) {
      recall();
    } else if (!canBump || !ticket) {
      return;
    } else if (key === "Enter") {
      move(ticket, "BUMPED");
    } else if (key === "s") {
      if (ticket.state === "NEW") move(ticket, "IN_PROGRESS");
    } else if (key === "d") {
      if (RANK[ticket.state] < RANK.READY) move(ticket, "READY");
    } else if (key === " ") {
      const item = ticket.items.find((it) => it.id === current);
      if (item && !item.voided && RANK[item.state] < RANK.READY) ready(item);
    } else if (key === "m") {
      if (movable(ticket).length && others(ticket).length) chooseMove(ticket, current);
    } else {
      return;
    }
    event.preventDefault();
    render();
  }

  document.addEventListener("keydown", onKey);
  const resized = new ResizeObserver(countHidden);
  resized.observe(grid);
  const ageTimer = setInterval(() => paintAges(grid), 1000);

  async function load() {
    const query = ctx.station ? `?station=${encodeURIComponent(ctx.station)}` : "";
    const board = await ctx.api.get(`/api/tickets${query}`);
    tickets.clear();
    for (const ticket of board.tickets) tickets.set(ticket.id, ticket);
    bumped = board.bumped;
    render();
    return board.last_seq;
  }

  return {
    load,
    onEvent,
    destroy() {
      document.removeEventListener("keydown", onKey);
      resized.disconnect();
      clearInterval(ageTimer);
    },
  };
}
