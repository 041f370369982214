// The POS, on a counter tablet or a PC: ring up a walk-in or a table from the category and item
// grid (or the search field, which a barcode scanner types into: an exact PLU or barcode adds
// the item at once), with the modifier dialog's rules, quantity, seat and note; send it to the
// kitchen or pay it at once; open checks by table; the order log by status (pay, reprint, cancel
// an unpaid order, refund a paid one); the shift and its drawer; printer alerts as they happen.
// Five items and cash take seven taps: five items, Pay, Exact.
//
// Shortcuts: / search · F2 pay · F4 checks · F6 shift · Esc closes a dialog.

import { Api } from "/ui/lib/api.js";
import { h } from "/ui/lib/element.js";
import { Live } from "/ui/lib/live.js";
import { formatDelta, formatMoney, knowDigits, minorDigits } from "/ui/lib/money.js";
import { toDecimalText } from "/ui/lib/typed-money.js";
import { showOverflow } from "/ui/lib/overflow.js";
import { lineCount } from "/ui/lib/order.js";
import { mountSignIn } from "/ui/lib/pinpad.js";
import { Device, Session } from "/ui/lib/session.js";
import { syncBadge } from "/ui/lib/syncbadge.js";
import { askReason, openModal, toast } from "./dialogs.js";
import { openPay } from "./pay.js";
import { drawShift } from "./shift.js";

const TOPICS = ["menu", "orders", "pos", "tables", "store", "printers"];
const CONN_LABEL = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", polling: "Live (polling)", offline: "Offline", stopped: "Offline" };
const VIEWS = [
  { id: "sale", title: "Sale", key: "" },
  { id: "checks", title: "Checks", key: "F4" },
  { id: "orders", title: "Orders", key: "" },
  { id: "shift", title: "Shift", key: "F6" },
];
const LOG = [
  { id: "open", title: "Open" },
  { id: "sent", title: "Sent" },
  { id: "closed", title: "Paid" },
  { id: "cancelled", title: "Voided" },
];

const root = document.getElementById("app");
const device = new Device();
const session = new Session("pos");
const api = new Api({ token: () => session.token, device: () => device.credential, onUnauthorized: (err) => ended(err) });
let app = null;

function ended(err) {
  if (!app) return;
  stop();
  session.clear();
  showSignIn(err && err.message ? err.message : "Your sign-in has ended.");
}

function stop() {
  if (!app) return;
  app.live.stop();
  app.badge.stop();
  document.removeEventListener("keydown", app.onKey);
  app = null;
}

function showSignIn(notice = "") {
  mountSignIn(root, {
    api, session, device,
    roles: ["owner", "manager", "cashier", "waiter"],
    title: "Galley POS",
    subtitle: notice || "Tap your name to sign in",
    onSignedIn: () => start(),
  });
}

async function start() {
  let me;
  let store;
  let menu;
  let floor;
  let health;
  try {
    me = await api.get("/api/me");
    if (!me.permissions.includes("payment.take")) {
      await session.signOut(api);
      showSignIn(`${me.name}: the till is for cashiers, waiters and managers.`);
      return;
    }
    [store, menu, floor, health] = await Promise.all([
      api.get("/api/store"), api.get("/api/menu"), api.get("/api/tables"), api.get("/healthz")]);
  } catch (err) {
    if (err.status === 401) return showSignIn(err.message);
    root.replaceChildren(h("div", { class: "boot" }, h("p", { class: "msg msg-error" }, `Could not load the till: ${err.message}`),
      h("button", { class: "btn", onclick: () => start() }, "Try again")));
    return;
  }
  knowDigits(store.currency, store.currency_digits);
  mount(me, store, menu, floor, health.last_seq);
}

function mount(me, store, menu, floor, since) {
  const conn = h("span", { class: "conn", "data-state": "connecting" }, CONN_LABEL.connecting);
  const shiftChip = h("button", { type: "button", class: "badge shift-chip", onclick: () => show("shift") }, "Shift…");
  const printerAlert = h("div", { class: "printer-alert", role: "alert", hidden: true });
  const lost = h("div", { class: "lost-box", role: "alert", hidden: true },
    "No connection to the box: what you see may be out of date, and sales can't be sent or paid until it answers.");
  const tabs = h("nav", { class: "pos-tabs", "aria-label": "Till" });
  const view = h("section", { class: "pos-view", id: "pos-view" });
  const ticket = h("aside", { class: "pos-ticket", "aria-label": "Sale" });
  const badge = syncBadge({ api, timeZone: store.timezone });
  root.replaceChildren(h("div", { class: "pos" },
    h("header", { class: "topbar pos-top" },
      h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "G"),
        h("span", { class: "brand-text" }, h("span", { class: "brand-app" }, "Galley POS"), h("span", { class: "brand-store" }, store.name))),
      h("span", { class: "spacer" }),
      shiftChip, badge.element, conn,
      h("span", { class: "who" }, h("span", { class: "who-name" }, me.name), h("span", { class: "badge badge-accent who-role" }, me.role)),
      h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: async () => {
        stop();
        await session.signOut(api);
        showSignIn("Signed out.");
      } }, "Sign out")),
    lost, printerAlert,
    h("div", { class: "pos-body" }, h("div", { class: "pos-main" }, tabs, view), ticket)));

  const ctx = {
    api, me, store,
    may: (permission) => me.permissions.includes(permission),
    money: (minor) => formatMoney(minor, store.currency),
    digits: minorDigits(store.currency),
    decimal: (minor) => toDecimalText(minor, store.currency),
    // An amount of `major` units as a person types it, for examples: 20.00, 20 in yen.
    example: (major) => toDecimalText(major * 10 ** ctx.digits, store.currency),
    setShift(shift) {
      shiftChip.replaceChildren(...(shift ? ["Shift open", h("span", { class: "shift-float" }, ` · float ${ctx.money(shift.float)}`)] : ["No shift open"]));
      shiftChip.classList.toggle("badge-ok", Boolean(shift));
      shiftChip.classList.toggle("badge-warn", !shift);
    },
  };
  const state = { view: "sale", category: null, sale: [], place: "", log: "open", menu, floor };
  const items = () => state.menu.categories.flatMap((c) => c.items);
  const groups = () => Object.fromEntries(state.menu.modifier_groups.map((g) => [g.id, g]));

  function show(id) {
    state.view = id;
    for (const button of tabs.children) button.setAttribute("aria-current", button.dataset.view === id ? "page" : "false");
    if (id === "sale") drawSale();
    else if (id === "checks") drawChecks();
    else if (id === "orders") drawOrders();
    else drawShift(view, ctx);
  }
  for (const v of VIEWS) {
    tabs.append(h("button", { type: "button", class: "pos-tab", "data-view": v.id, onclick: () => show(v.id) },
      v.title, v.key ? h("kbd", {}, v.key) : null));
  }

  // ---- the sale: grid, search, modifiers ----
  const search = h("input", { class: "input pos-search", type: "search", name: "search", "aria-label": "Search or scan", autocomplete: "off" });
  // the whole hint where it fits: a phone's field showed only part of it
  const roomy = matchMedia("(min-width: 700px)");
  const hint = () => { search.placeholder = roomy.matches ? "Search or scan · PLU, barcode, name  ( / )" : "Search or scan"; };
  hint();
  roomy.addEventListener("change", hint);
  search.addEventListener("input", () => drawGrid());
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const text = search.value.trim().toLowerCase();
    if (!text) return;
    const exact = items().find((i) => i.plu.toLowerCase() === text || i.barcode.toLowerCase() === text);
    const found = exact || matches()[0];
    if (found) {
      choose(found);
      search.value = "";
      drawGrid();
    } else toast(`Nothing is called or coded ${search.value}`, "error");
  });
  const grid = h("div", { class: "pos-grid", role: "list" });
  const nothing = h("p", { class: "empty muted", hidden: true }); // an empty menu, category or search
  const chips = showOverflow(h("div", { class: "pos-categories", role: "tablist", "aria-label": "Categories" }));

  function matches() {
    const text = search.value.trim().toLowerCase();
    const all = items().filter((i) => i.active);
    if (text) return all.filter((i) => i.name.toLowerCase().includes(text) || i.plu.toLowerCase() === text || i.barcode.toLowerCase() === text);
    const category = state.menu.categories.find((c) => c.id === state.category) || state.menu.categories[0];
    return category ? category.items.filter((i) => i.active) : [];
  }

  function drawSale() {
    if (!state.category && state.menu.categories.length) state.category = state.menu.categories[0].id;
    chips.replaceChildren(...state.menu.categories.map((c) => h("button", {
      type: "button", role: "tab", class: "pos-chip", "aria-selected": String(c.id === state.category),
      onclick: () => { state.category = c.id; search.value = ""; drawSale(); },
    }, c.name)));
    view.replaceChildren(h("div", { class: "pos-sale" }, search, chips, grid, nothing,
      h("p", { class: "small muted pos-keys" }, "Shortcuts: / search · F2 pay · F4 checks · F6 shift · Esc close")));
    drawGrid();
  }

  function drawGrid() {
    const found = matches();
    nothing.hidden = found.length > 0;
    nothing.textContent = search.value.trim() ? `Nothing on the menu matches “${search.value.trim()}”.`
      : state.menu.categories.length ? "Nothing on sale in this category."
        : "No items on the menu yet. A manager adds them on the admin page, under Menu.";
    grid.replaceChildren(...found.map((item) => h("button", {
      type: "button", role: "listitem", class: "pos-item", disabled: !item.available,
      "data-item": item.name, onclick: () => choose(item),
    },
    h("span", { class: "pos-item-name" }, item.name),
    h("span", { class: "pos-item-foot" }, h("span", { class: "num" }, ctx.money(item.price)),
      item.available ? (item.plu ? h("span", { class: "muted small" }, `#${item.plu}`) : null) : h("span", { class: "badge badge-danger" }, "Sold out")))));
  }

  function choose(item) {
    const its = item.modifier_group_ids.map((id) => groups()[id]).filter(Boolean);
    if (!its.length) return addLine({ item, modifiers: [], quantity: 1, seat: null, note: "" });
    return modifierDialog(item, its);
  }

  function modifierDialog(item, its, line = null) {
    const picked = new Map(its.map((g) => [g.id, new Set()]));
    if (line) for (const m of line.modifiers) picked.get(m.group_id)?.add(m.id);
    let quantity = line ? line.quantity : 1;
    const qty = h("output", { class: "num pos-qty" }, String(quantity));
    const seat = h("input", { class: "input input-sm", type: "number", min: "1", max: "99", name: "seat", value: line && line.seat ? String(line.seat) : "", "aria-label": "Seat" });
    const note = h("input", { class: "input", name: "note", maxlength: "140", value: line ? line.note : "", placeholder: "Note for the kitchen", "aria-label": "Note" });
    const add = h("button", { type: "button", class: "btn btn-primary" }, line ? "Update" : "Add");
    const sections = its.map((group) => {
      const rule = group.min_choices === group.max_choices ? `choose ${group.min_choices}` : `choose ${group.min_choices} to ${group.max_choices}`;
      return h("fieldset", { class: "pos-group", "data-group": group.name },
        h("legend", {}, group.name, " ", h("span", { class: "muted small" }, rule)),
        h("div", { class: "pos-choices" }, group.modifiers.map((m) => {
          const button = h("button", {
            type: "button", class: "pos-choice", disabled: !m.available, "aria-pressed": String(picked.get(group.id).has(m.id)),
            onclick: () => {
              const set = picked.get(group.id);
              if (set.has(m.id)) set.delete(m.id);
              else {
                if (group.max_choices === 1) set.clear();
                if (set.size < group.max_choices) set.add(m.id);
              }
              for (const b of button.parentElement.children) b.setAttribute("aria-pressed", String(set.has(b.dataset.id)));
              check();
            },
          }, m.name, m.price_delta ? h("span", { class: "muted small" }, ` ${formatDelta(m.price_delta, store.currency)}`) : null);
          button.dataset.id = m.id;
          return button;
        })));
    });
    function check() {
      add.disabled = its.some((g) => picked.get(g.id).size < g.min_choices || picked.get(g.id).size > g.max_choices);
    }
    check();
    const { close } = openModal({
      title: item.name,
      body: [...sections,
        h("div", { class: "row" },
          h("span", {}, "Quantity"),
          h("button", { type: "button", class: "btn btn-icon", "aria-label": "One less", onclick: () => { quantity = Math.max(1, quantity - 1); qty.value = String(quantity); } }, "−"),
          qty,
          h("button", { type: "button", class: "btn btn-icon", "aria-label": "One more", onclick: () => { quantity = Math.min(999, quantity + 1); qty.value = String(quantity); } }, "+"),
          h("label", { class: "row" }, h("span", {}, "Seat"), seat)),
        note],
      actions: [add],
    });
    add.addEventListener("click", () => {
      const chosen = its.flatMap((g) => g.modifiers.filter((m) => picked.get(g.id).has(m.id)).map((m) => ({ ...m, group_id: g.id })));
      const next = { item, modifiers: chosen, quantity, seat: seat.value ? Number(seat.value) : null, note: note.value.trim() };
      if (line) Object.assign(line, next);
      else state.sale.push(next);
      close();
      drawTicket();
    });
  }

  function addLine(line) {
    const same = state.sale.find((l) => l.item.id === line.item.id && !l.modifiers.length && !l.note && l.seat === line.seat);
    if (same && !line.modifiers.length) same.quantity += 1;
    else state.sale.push(line);
    drawTicket();
  }

  function unitPrice(line) {
    return line.item.price + line.modifiers.reduce((sum, m) => sum + m.price_delta, 0);
  }

  // ---- the ticket: the sale being rung up ----
  const place = h("select", { class: "select", name: "place", "aria-label": "Where" });
  function drawPlaces() {
    place.replaceChildren(h("option", { value: "" }, "Walk-in"),
      ...state.floor.flatMap((area) => area.tables.filter((t) => t.enabled).map((t) =>
        h("option", { value: t.id, selected: t.id === state.place }, `${area.name} · ${t.name}`))));
  }
  place.addEventListener("change", () => { state.place = place.value; });

  function drawTicket() {
    const total = state.sale.reduce((sum, line) => sum + unitPrice(line) * line.quantity, 0);
    const empty = !state.sale.length;
    ticket.replaceChildren(
      h("div", { class: "ticket-head" }, h("h2", {}, "Sale"), place),
      empty ? h("p", { class: "empty muted" }, "Tap items to ring them up.") : h("ul", { class: "ticket-lines" }, state.sale.map((line, index) =>
        h("li", { class: "ticket-line" },
          h("button", { type: "button", class: "ticket-line-main", onclick: () => editLine(line) },
            h("span", {}, h("strong", {}, `${line.quantity}× `), line.item.name,
              line.modifiers.length ? h("span", { class: "muted small ticket-mods" }, line.modifiers.map((m) => m.name).join(", ")) : null,
              line.seat ? h("span", { class: "badge" }, `Seat ${line.seat}`) : null,
              line.note ? h("span", { class: "muted small ticket-mods" }, `“${line.note}”`) : null),
            h("span", { class: "num" }, ctx.money(unitPrice(line) * line.quantity))),
          h("button", { type: "button", class: "btn btn-ghost btn-icon", "aria-label": `Remove ${line.item.name}`, onclick: () => { state.sale.splice(index, 1); drawTicket(); } }, "✕")))),
      h("div", { class: "ticket-foot" },
        h("div", { class: "ticket-total" }, h("span", {}, "Total"), h("strong", { class: "num" }, ctx.money(total))),
        h("p", { class: "small muted" }, "Tax and service as the box computes them show at Pay."),
        h("div", { class: "ticket-actions" },
          h("button", { type: "button", class: "btn", disabled: empty, onclick: () => ring(false) }, "Send"),
          h("button", { type: "button", class: "btn btn-primary btn-pay", disabled: empty, onclick: () => ring(true) }, "Pay ", h("kbd", {}, "F2")))));
  }

  function editLine(line) {
    modifierDialog(line.item, line.item.modifier_group_ids.map((id) => groups()[id]).filter(Boolean), line);
  }

  let ringing = false;
  async function ring(pay) {
    if (ringing || !state.sale.length) return;
    ringing = true;
    const body = {
      kind: state.place ? "table" : "counter",
      send: true,
      lines: state.sale.map((line) => ({
        item_id: line.item.id, quantity: line.quantity, modifier_ids: line.modifiers.map((m) => m.id),
        ...(line.seat ? { seat: line.seat } : {}), ...(line.note ? { note: line.note } : {}),
      })),
    };
    if (state.place) body.table_id = state.place;
    try {
      const order = await api.post("/api/orders", body);
      state.sale = [];
      drawTicket();
      if (pay) {
        const check = await api.post("/api/checks", { order_id: order.id });
        openPay(ctx, check.id, { onDone: () => search.focus() });
      } else toast(`Order #${order.number} sent`);
    } catch (err) {
      toast(err.message, "error");
    } finally {
      ringing = false;
    }
  }

  // ---- checks by table ----
  async function drawChecks() {
    const list = h("div", { class: "pos-checks" });
    const inUse = state.floor.flatMap((area) => area.tables.filter((t) => t.enabled));
    const tables = inUse.length ? h("div", { class: "pos-tables" }, inUse.map((t) =>
      h("button", { type: "button", class: "pos-table", onclick: () => openTable(t.id) }, t.name)))
      : h("p", { class: "empty muted" }, "No tables in use. A manager adds them on the admin page, under Tables.");
    view.replaceChildren(h("div", { class: "stack" }, h("h2", {}, "Open checks"), list, h("h3", {}, "A table's check"), tables));
    try {
      const checks = await api.get("/api/checks");
      list.replaceChildren(...(checks.length ? checks.map((c) => h("button", { type: "button", class: "card pos-check", onclick: () => openPay(ctx, c.id, { onDone: () => state.view === "checks" && drawChecks() }) },
        h("span", { class: "pos-check-label" }, c.label),
        h("span", { class: "muted small" }, `${lineCount(c.line_count)}${c.status === "split" ? " · split" : ""}`),
        c.due_back
          ? h("span", { class: "num pos-owed" }, `Owed back ${ctx.money(c.due_back)}`)
          : h("span", { class: "num" }, ctx.money(c.balance)))) : [h("p", { class: "empty muted" }, "No open checks.")]));
    } catch (err) {
      list.replaceChildren(h("p", { class: "msg msg-error" }, err.message));
    }
  }

  async function openTable(tableId) {
    try {
      const check = await api.post("/api/checks", { table_id: tableId });
      if (!check.lines.length) return toast("Nothing ordered at that table yet.");
      return openPay(ctx, check.id, { onDone: () => state.view === "checks" && drawChecks() });
    } catch (err) {
      return toast(err.message, "error");
    }
  }

  // ---- the order log ----
  async function drawOrders() {
    const list = h("div", { class: "pos-log" });
    const filters = showOverflow(h("div", { class: "pos-categories", role: "tablist" }, LOG.map((s) => h("button", {
      type: "button", role: "tab", class: "pos-chip", "aria-selected": String(state.log === s.id),
      onclick: () => { state.log = s.id; drawOrders(); },
    }, s.title))));
    view.replaceChildren(h("div", { class: "stack" }, filters, list));
    const status = state.log === "sent" ? "open" : state.log;
    try {
      let orders = await api.get(`/api/orders?status=${status}&limit=100`);
      if (state.log === "sent" || state.log === "open") {
        const details = await Promise.all(orders.map((o) => api.get(`/api/orders/${o.id}`)));
        const sent = (o) => o.lines.some((l) => l.state === "sent") && !o.lines.some((l) => l.state === "pending");
        orders = details.filter((o) => (state.log === "sent" ? sent(o) : !sent(o)));
      }
      list.replaceChildren(...(orders.length ? orders.map((o) => h("div", { class: "card pos-order" },
        h("span", { class: "pos-check-label" }, `#${o.number} ${o.table_name || "Counter"}`),
        h("span", { class: "muted small" }, `${lineCount(o.line_count)} · ${o.opened_by_name || ""}`),
        h("span", { class: "num" }, ctx.money(o.total)),
        h("span", { class: "row" },
          h("button", { type: "button", class: "btn btn-sm", onclick: async () => {
            try { await api.post(`/api/orders/${o.id}/print-bill`); toast("Bill printing"); } catch (err) { toast(err.message, "error"); }
          } }, "Reprint bill"),
          o.status === "open" ? h("button", { type: "button", class: "btn btn-sm", onclick: () => cancelOrder(o) }, "Cancel…") : null,
          o.status === "closed" ? h("button", { type: "button", class: "btn btn-sm", onclick: () => payOrder(o) }, "Refund…") : null,
          o.status === "open" ? h("button", { type: "button", class: "btn btn-sm btn-primary", onclick: () => payOrder(o) }, "Pay") : null))) : [h("p", { class: "empty muted" }, "No orders here.")]));
    } catch (err) {
      list.replaceChildren(h("p", { class: "msg msg-error" }, err.message));
    }
  }

  /** The order's check: to pay an open order, or to refund a paid one from its tenders. */
  async function payOrder(order) {
    try {
      const check = await api.post("/api/checks", { order_id: order.id });
      openPay(ctx, check.id, { onDone: () => state.view === "orders" && drawOrders() });
    } catch (err) {
      toast(err.message, "error");
    }
  }

  /** Void an unpaid order with a reason; once sent to the kitchen the box wants a manager. */
  function cancelOrder(order) {
    askReason(api, {
      title: `Cancel order #${order.number}`,
      why: "Cancelling an order the kitchen has needs a manager.",
      label: "Cancel order",
      send: (reason, approval) => api.post(`/api/orders/${order.id}/cancel`, approval ? { reason, approval } : { reason }),
      onDone: () => {
        toast(`Order #${order.number} cancelled`);
        if (state.view === "orders") drawOrders();
      },
    });
  }

  // ---- printers: alerts as they happen ----
  async function checkPrinters() {
    try {
      const printers = await api.get("/api/printers");
      const problems = printers.filter((p) => p.enabled && (p.online === false || p.paper_out || p.cover_open || p.failed > 0))
        .map((p) => `${p.name}: ${p.paper_out ? "out of paper" : p.cover_open ? "cover open" : p.online === false ? "offline" : `${p.failed} job(s) failed`}`);
      printerAlert.hidden = !problems.length;
      printerAlert.textContent = problems.length ? `Printer problem · ${problems.join(" · ")}` : "";
    } catch {
      // the next event tries again
    }
  }

  const live = new Live({
    api, token: () => session.token, topics: TOPICS, since,
    onState: (s) => {
      conn.dataset.state = s;
      conn.textContent = CONN_LABEL[s] || s;
      lost.hidden = s !== "offline";
    },
    onEvent: async (event) => {
      if (["printers", "printer_status", "print_jobs"].includes(event.entity)) checkPrinters();
      if (event.entity.startsWith("menu") || event.entity.startsWith("modifier")) {
        state.menu = await api.get("/api/menu");
        if (state.view === "sale") drawGrid();
      }
      if (event.entity === "checks" && state.view === "checks") drawChecks();
    },
    onUnauthorized: (err) => ended(err),
  });

  const onKey = (event) => {
    if (document.querySelector("dialog[open]")) return;
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      if (state.view !== "sale") show("sale");
      search.focus();
    } else if (event.key === "F2") {
      event.preventDefault();
      ring(true);
    } else if (event.key === "F4") {
      event.preventDefault();
      show("checks");
    } else if (event.key === "F6") {
      event.preventDefault();
      show("shift");
    }
  };
  document.addEventListener("keydown", onKey);
  app = { live, onKey, badge };
  drawPlaces();
  drawTicket();
  show("sale");
  live.start();
  checkPrinters();
  api.get("/api/shifts/current").then((answer) => ctx.setShift(answer.shift)).catch(() => {});
}

if (session.token) start();
else showSignIn();
