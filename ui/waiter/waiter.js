// The waiter handheld: guests' drafts to check (newest first, with their age; take one, change
// its lines, confirm it to the kitchen or reject it with a reason) and the tables grid (each
// table's state and timers, guests' calls and bill requests, close, restore, QR ordering off
// and on, and for managers the store-wide kill switch). Kept current by the live feed; a clear
// banner says when the handheld has lost the box.

import { Api } from "/ui/lib/api.js";
import { choicePicker, groupsOf } from "/ui/lib/choices.js";
import { h } from "/ui/lib/element.js";
import { Live } from "/ui/lib/live.js";
import { formatMoney, knowDigits } from "/ui/lib/money.js";
import { mountSignIn } from "/ui/lib/pinpad.js";
import { Device, Session } from "/ui/lib/session.js";
import { focusBack, focusIn, focusKey, sheetKeys } from "/ui/lib/sheet.js";
import { syncBadge } from "/ui/lib/syncbadge.js";

const root = document.getElementById("app");
const device = new Device();
const session = new Session("waiter");
const api = new Api({ token: () => session.token, device: () => device.credential, onUnauthorized: (err) => ended(err) });
const STATE_WORDS = { free: "Free", seated: "Seated", ordered: "Order to check", kitchen: "With the kitchen", bill: "Bill asked", paid: "Paid" };
const CONN = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", polling: "Live (polling)", offline: "Offline", stopped: "Offline" };
const ui = { me: null, store: null, live: null, tab: "drafts", drafts: [], floor: null, menu: null, open: null, opener: null, reason: "", choicesOpen: null, dish: null, adding: null, error: "" };

function ended(err) {
  if (ui.live) ui.live.stop();
  if (ui.badge) ui.badge.stop();
  ui.live = null;
  session.clear();
  signIn(err && err.message ? err.message : "");
}

function signIn(notice = "") {
  mountSignIn(root, { api, session, device, roles: ["owner", "manager", "cashier", "waiter"], title: "Galley waiter",
    subtitle: notice || "Tap your name to sign in", onSignedIn: start });
}

const money = (minor) => formatMoney(minor, ui.store ? ui.store.currency : "EUR");
const minutes = (iso) => Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
const ago = (iso) => (iso ? (minutes(iso) < 1 ? "just now" : `${minutes(iso)} min ago`) : "");

async function start() {
  try {
    ui.me = await api.get("/api/me");
    if (!ui.me.permissions.includes("floor.serve")) {
      await session.signOut(api);
      return signIn(`${ui.me.name}: this page is for the floor staff.`);
    }
    const [health, store, menu] = await Promise.all([api.get("/healthz"), api.get("/api/store"), api.get("/api/menu")]);
    ui.store = store;
    ui.menu = menu;
    knowDigits(store.currency, store.currency_digits);
    ui.badge = syncBadge({ api, timeZone: store.timezone }); // how the box stands with the hub
    await refresh();
    ui.live = new Live({
      api, since: health.last_seq, token: () => session.token, topics: ["floor", "orders", "tables", "store"],
      onEvent: (event) => { if (event.entity === "store") ui.store = { ...ui.store, ...event.fields }; later(refresh); },
      onState: (state) => { ui.conn = state; render(); },
      onUnauthorized: ended,
    });
    ui.live.start();
    setInterval(render, 30000); // ages and timers
  } catch (err) {
    root.replaceChildren(h("p", { class: "boot msg msg-error" }, `Could not load: ${err.message}`));
  }
}

let timer = null;
function later(fn) {
  clearTimeout(timer);
  timer = setTimeout(fn, 80);
}

async function refresh() {
  const [drafts, floor] = await Promise.all([api.get("/api/drafts"), api.get("/api/floor")]);
  ui.drafts = drafts;
  ui.floor = floor;
  if (ui.open && ui.open.kind === "draft") {
    try { ui.open.draft = await api.get(`/api/drafts/${ui.open.draft.id}`); } catch { ui.open = null; }
  }
  render();
}

// One action at a time: a second tap while the first is on its way (a double tap on Confirm)
// is ignored, not sent to the box to be refused.
let acting = false;
async function act(fn) {
  if (acting) return;
  acting = true;
  try {
    ui.error = "";
    await fn();
    await refresh();
  } catch (err) {
    ui.error = err.message;
    render();
  } finally {
    acting = false;
  }
}

// ---- drawing ---------------------------------------------------------------------------

function render() {
  if (!ui.floor) return;
  const focused = focusKey() || ui.opener; // found again once drawn anew
  if (!ui.open) ui.reason = ""; // a sheet closed (rejected, confirmed): its reason goes with it
  const alerts = ui.floor.tables.filter((t) => t.waiter_called_at || t.bill_asked_at).length;
  const offline = ui.conn === "offline";
  root.replaceChildren(...[
    h("header", { class: "w-top" },
      h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "G"),
        h("span", { class: "brand-text" }, h("span", { class: "brand-app" }, "Galley waiter"),
          h("span", { class: "brand-store" }, h("span", { class: "w-store" }, ui.store.name),
            h("span", { class: "w-who" }, ui.me.name)))),
      h("span", { class: "spacer" }),
      ui.badge.element,
      h("span", { class: "conn", "data-state": ui.conn || "connecting" }, CONN[ui.conn || "connecting"]),
      h("button", { class: "btn btn-ghost btn-sm", onclick: async () => { if (ui.live) ui.live.stop(); if (ui.badge) ui.badge.stop(); await session.signOut(api); signIn("Signed out."); } }, "Sign out")),
    offline ? h("div", { class: "lost-box", role: "alert" }, "No connection to the box: what you see may be out of date.") : null,
    ui.store.qr_kill_switch ? h("div", { class: "msg msg-warn", role: "status" }, "QR ordering is paused for the whole store.") : null,
    ui.floor.daily_pass ? h("p", { class: "w-pass" }, "Today's pass for guests: ", h("strong", {}, ui.floor.daily_pass)) : null,
    h("nav", { class: "w-tabs", role: "tablist" },
      tab("drafts", `Orders to check (${ui.drafts.length})`),
      tab("tables", alerts ? `Tables · ${alerts} calling` : "Tables")),
    h("main", { class: "w-main" }, ui.error ? h("p", { class: "msg msg-error", role: "alert" }, ui.error) : null,
      ui.tab === "drafts" ? draftsList() : tablesGrid()),
    ui.open ? (ui.open.kind === "draft" ? draftSheet(ui.open.draft) : tableSheet(ui.open.table)) : null,
  ].filter(Boolean));
  const open = root.querySelector(".w-sheet");
  focusBack(root, focused);
  if (open) return focusIn(open);
  ui.opener = null;
}

// A new store's floor: said, not left blank (the manager adds tables on the admin page).
const NO_TABLES = "No tables yet. A manager adds them on the admin page, under Tables.";

function tab(id, label) {
  return h("button", { role: "tab", "aria-selected": String(ui.tab === id), "data-focus": `tab-${id}`, onclick: () => { ui.tab = id; show(null); } }, label);
}

function draftsList() {
  if (!ui.drafts.length) return h("p", { class: "empty muted" }, "No orders waiting. New ones appear here.");
  return ui.drafts.map((d) => h("button", { class: "w-draft", "data-focus": `draft-${d.id}`, onclick: () => show({ kind: "draft", draft: d }) },
    h("h2", {}, `Table ${d.table_name}`, badge(d.status)),
    h("span", { dir: "auto" }, d.lines.map((l) => `${l.quantity}× ${l.name}`).join(", ")),
    h("span", { class: "muted" }, `Sent ${ago(d.submitted_at)} · ${money(d.total)}`)));
}

function badge(status) {
  const words = { submitted: ["New", "badge-warn"], updated: ["Changed since", "badge-info"], in_review: ["Being checked", "badge-accent"] };
  const [text, kind] = words[status] || [status, ""];
  return h("span", { class: `badge ${kind}` }, text);
}

/** A draft's or a table's sheet opened, or none: a refusal said about the last one goes; the
 * focus goes back to what opened it. */
function show(open) {
  if (!open && ui.open) ui.opener = ui.open.kind === "draft" ? `draft-${ui.open.draft.id}` : `table-${ui.open.table}`;
  ui.open = open;
  ui.reason = "";
  ui.error = "";
  render();
}

function sheet(title, ...body) {
  return h("div", { class: "w-sheet", onclick: (e) => { if (e.target === e.currentTarget) show(null); }, onkeydown: sheetKeys(() => show(null)) },
    h("div", { role: "dialog", "aria-modal": "true", "aria-label": title },
      h("header", {}, h("h2", {}, title), h("button", { class: "btn btn-sm", "aria-label": "Close", onclick: () => show(null) }, "Close")),
      ui.error ? h("p", { class: "msg msg-error", role: "alert" }, ui.error) : null,
      ...body));
}

function draftSheet(d) {
  const mine = d.status === "in_review" && d.locked_by === ui.me.id;
  const path = `/api/drafts/${d.id}`;
  // What the waiter types is kept in `ui.reason`, as the dish picked: a live redraw (any
  // table's change) draws the field anew.
  const reason = h("input", { class: "input", id: "reason", maxlength: "140", placeholder: "Why (the guests see it)",
    value: ui.reason, "data-focus": "reason", oninput: (e) => { ui.reason = e.target.value; } });
  // The dish picked is kept in `ui.dish`: a live redraw (a guest's change) draws the select anew.
  const dish = h("select", { class: "select", id: "dish", "aria-label": "Dish to add", onchange: (e) => { ui.dish = e.target.value; } },
    ui.menu.categories.flatMap((c) => c.items.filter((i) => i.available)
      .map((i) => h("option", { value: i.id, selected: ui.dish === i.id }, `${i.name} · ${money(i.price)}`))));
  const addDish = () => {
    const item = itemOf(dish.value);
    if (!groupsOf(item, ui.menu).length) return act(() => api.post(`${path}/lines`, { item_id: item.id }));
    ui.adding = { draft: d.id, item_id: item.id, chosen: [] };
    render();
  };
  return sheet(`Table ${d.table_name}`,
    h("p", { class: "muted" }, `Sent ${ago(d.submitted_at)}`, d.status === "in_review" && !mine ? ` · ${d.locked_by_name} is checking it` : ""),
    d.lines.map((l) => h("div", { class: "w-line" },
      h("div", {}, h("strong", { dir: "auto" }, `${l.quantity}× ${l.name}`),
        l.modifiers.length ? h("div", { class: "muted small", dir: "auto" }, l.modifiers.map((m) => m.name).join(", ")) : null,
        l.note ? h("div", { class: "small", dir: "auto" }, `“${l.note}”`) : null,
        h("div", { class: "muted small" }, l.added_by ? `by ${l.added_by}` : "added by staff"),
        mine ? h("div", { class: "row" },
          h("button", { class: "btn btn-sm", "aria-label": `One less ${l.name}`, onclick: () => act(() => (l.quantity > 1 ? api.patch(`/api/draft-lines/${l.id}`, { quantity: l.quantity - 1 }) : api.delete(`/api/draft-lines/${l.id}`))) }, "−"),
          h("button", { class: "btn btn-sm", "aria-label": `One more ${l.name}`, onclick: () => act(() => api.patch(`/api/draft-lines/${l.id}`, { quantity: l.quantity + 1 })) }, "+"),
          h("button", { class: "btn btn-sm btn-danger", onclick: () => act(() => api.delete(`/api/draft-lines/${l.id}`)) }, "Remove")) : null,
        mine ? choices(l) : null),
      h("span", { class: "num" }, money(l.amount)))),
    h("p", { class: "row row-between" }, h("strong", {}, "Total"), h("strong", {}, money(d.total))),
    mine ? [
      ui.adding && ui.adding.draft === d.id ? adding(path)
        : h("div", { class: "row" }, dish, h("button", { class: "btn", onclick: addDish }, "Add")),
      h("div", { class: "w-actions" },
        h("button", { class: "btn btn-primary", onclick: () => act(async () => { await api.post(`${path}/confirm`); ui.open = null; }) }, "Confirm and send")),
      h("label", { class: "field", for: "reason" }, "Reject"), reason,
      h("button", { class: "btn btn-danger", onclick: () => act(async () => { await api.post(`${path}/reject`, { reason: reason.value }); ui.open = null; }) }, "Reject order"),
    ] : h("button", { class: "btn btn-primary btn-block", onclick: () => act(() => api.post(`${path}/lock`)) }, "Check this order"));
}

const itemOf = (id) => ui.menu.categories.flatMap((c) => c.items).find((i) => i.id === id);
const LOOK = { fieldset: "stack-sm", legend: "small muted", label: "check" };

/** A dish being added with its choices: within each group's min and max, Add waits until every
 * group has its min. What is ticked lives in `ui.adding`, so a live redraw keeps it. */
function adding(path) {
  const item = itemOf(ui.adding.item_id);
  const picker = choicePicker(groupsOf(item, ui.menu), { currency: ui.store.currency, chosen: ui.adding.chosen, name: "add-", look: LOOK,
    onChange: (ids) => { ui.adding.chosen = ids; add.disabled = !picker.complete(); } });
  const add = h("button", { class: "btn btn-primary", type: "submit" }, `Add ${item.name}`);
  add.disabled = !picker.complete();
  const form = h("form", { class: "stack-sm", "aria-label": `Choices for ${item.name}`, onsubmit: (e) => {
    e.preventDefault();
    const body = { item_id: item.id, modifier_ids: picker.ids() };
    act(async () => { await api.post(`${path}/lines`, body); ui.adding = null; });
  } },
  h("strong", {}, `${item.name} · ${money(item.price)}`), picker.nodes,
  h("div", { class: "row" }, add, h("button", { class: "btn", type: "button", onclick: () => { ui.adding = null; render(); } }, "Cancel")));
  return form;
}

/** A line's choices, to change while checking the draft: each group of its dish, within the
 * group's min and max (the box checks them and prices the line again). */
function choices(line) {
  const groups = groupsOf(itemOf(line.item_id), ui.menu);
  if (!groups.length) return null;
  const picker = choicePicker(groups, { currency: ui.store.currency, chosen: line.modifiers.map((m) => m.id), name: `${line.id}-`, look: LOOK });
  const form = h("form", { class: "stack-sm", onsubmit: (e) => {
    e.preventDefault();
    act(() => api.patch(`/api/draft-lines/${line.id}`, { modifier_ids: picker.ids() }));
  } },
  picker.nodes,
  h("button", { class: "btn btn-sm", type: "submit" }, "Save choices"));
  // A redraw (a guest's or another waiter's change) keeps the choices open that were open.
  return h("details", { open: ui.choicesOpen === line.id, ontoggle: (e) => {
    if (e.target.open) ui.choicesOpen = line.id;
    else if (ui.choicesOpen === line.id) ui.choicesOpen = null;
  } }, h("summary", {}, "Change choices"), form);
}

function tablesGrid() {
  if (!ui.floor.tables.length) return h("p", { class: "empty muted" }, NO_TABLES);
  return h("div", { class: "w-grid" }, ui.floor.tables.map((t) => h("button", {
    class: "w-table", "data-state": t.state, "data-amber": String(t.unpaid_too_long), "data-enabled": String(t.enabled),
    "aria-label": `Table ${t.name}: ${STATE_WORDS[t.state]}`, "data-focus": `table-${t.id}`, onclick: () => show({ kind: "table", table: t.id }) },
  h("strong", {}, t.name),
  h("span", {}, STATE_WORDS[t.state]),
  t.seated_at ? h("small", {}, `Seated ${minutes(t.seated_at)} min`) : null,
  t.last_order_at ? h("small", {}, `Last order ${ago(t.last_order_at)}`) : null,
  t.waiter_called_at ? h("span", { class: "w-alert" }, "Calling you") : null,
  t.bill_asked_at ? h("span", { class: "w-alert" }, "Wants the bill") : null,
  t.enabled ? null : h("small", {}, "QR ordering off"))));
}

function tableSheet(id) {
  const t = ui.floor.tables.find((x) => x.id === id);
  if (!t) return null;
  const sessionPath = (what) => `/api/table-sessions/${t.session_id}/${what}`;
  const manager = ui.me.permissions.includes("settings.edit");
  return sheet(`Table ${t.name}`,
    h("p", {}, STATE_WORDS[t.state], t.guests ? ` · ${t.guests} guest${t.guests > 1 ? "s" : ""}` : "",
      t.order_number ? ` · order #${t.order_number}` : ""),
    t.unpaid_too_long ? h("p", { class: "msg msg-warn" }, "Open and unpaid for over an hour.") : null,
    h("div", { class: "w-actions" },
      t.waiter_called_at || t.bill_asked_at ? h("button", { class: "btn btn-primary", onclick: () => act(() => api.post(sessionPath("acknowledge"))) }, "Seen") : null,
      t.session_id ? h("button", { class: "btn", onclick: () => act(() => api.post(sessionPath("close"))) }, "Close table") : null,
      !t.session_id && t.closed_session_id ? h("button", { class: "btn", onclick: () => act(() => api.post(`/api/table-sessions/${t.closed_session_id}/restore`)) }, "Restore last session") : null,
      h("button", { class: "btn", onclick: () => act(() => api.put(`/api/floor/tables/${t.id}/ordering`, { enabled: !t.enabled })) },
        t.enabled ? "Turn QR ordering off" : "Turn QR ordering on"),
      manager ? h("button", { class: "btn btn-danger", onclick: () => act(async () => { ui.store = await api.patch("/api/store", { qr_kill_switch: !ui.store.qr_kill_switch }); }) },
        ui.store.qr_kill_switch ? "Resume QR ordering (all tables)" : "Pause QR ordering (all tables)") : null,
      manager ? h("button", { class: "btn", onclick: () => act(async () => { ui.store = await api.patch("/api/store", { daily_pass: !ui.store.daily_pass }); }) },
        ui.store.daily_pass ? "Stop asking guests for the pass" : "Ask guests for the daily pass") : null));
}

if (session.token) start(); else signIn();
