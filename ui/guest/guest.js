// A table's QR code opens this (its token after `#t=`): the live menu, one cart for the table,
// the table's own feed (loaded after the first paint). The menu revalidates with its ETag: a
// service worker needs HTTPS, which a box's LAN address has not.

import { Api, idempotencyKey } from "/ui/lib/api.js";
import { h } from "/ui/lib/element.js";
import { formatMoney, knowDigits } from "/ui/lib/money.js";

const app = document.getElementById("app");
const view = h("div", { class: "view" }); // the menu and the bar, drawn again on each update
const conn = document.getElementById("conn");
const qr = new URLSearchParams(location.hash.slice(1)).get("t") || "";
const tableKey = `galley.guest.${qr.split(".")[0]}`;
const kept = {
  get: () => { try { return localStorage.getItem(tableKey); } catch { return null; } },
  set: (v) => { try { localStorage[v ? "setItem" : "removeItem"](tableKey, v); } catch { /* in memory */ } },
};
let token = kept.get();
const api = new Api({ headers: () => (token ? { "X-Galley-Guest": token } : {}) });
const state = { menu: null, table: null, cartOpen: false, sheet: null, live: null, sendKey: null, error: "" };
// In the digits the box keeps amounts in, which a browser's own idea of the currency may
// not be (HUF: 0 in the browser, 2 on the box).
const money = (minor) => {
  if (state.table) knowDigits(state.table.currency, state.table.currency_digits);
  return formatMoney(minor, state.table ? state.table.currency : "EUR");
};

// What the table's own events are about; any other is the menu's.
const TABLE_ENTITIES = ["table_sessions", "session_members", "drafts", "draft_lines", "orders", "order_lines", "tickets"];
// A call that got no answer: in the guest's words, with what to do.
const UNREACHABLE = "Your phone cannot reach the restaurant right now. Check that it is on the restaurant's Wi-Fi, then try again.";
const said = (err) => (err.status ? err.message : UNREACHABLE);
const KEPT = "Your order is kept here: send it later, or ask a member of staff.";
const ASK = "Please ask a member of staff.";
const REASONS = {
  closed: "We are closed right now.",
  table_disabled: "This table is not taking orders from phones right now.",
  paused: "Ordering from phones is paused right now.",
};

function panel(title, text, action) {
  app.replaceChildren(h("div", { class: "panel", role: "alert" }, h("h2", {}, title), h("p", {}, text), action));
}

async function scan(fresh = false) {
  if (!qr) return panel("Scan the code on your table", "Open this page by scanning the QR code on your table.");
  if (fresh) { token = null; kept.set(null); }
  try {
    await join();
    state.error = "";
    await start();
  } catch (err) {
    refused(err);
  }
}

async function join() {
  try {
    const joined = await api.post("/api/guest/scan", { token: qr, ...(token ? { guest_token: token } : {}) });
    token = joined.guest_token;
    kept.set(token);
  } catch (err) { // not ordering: a phone at the table sees its cart
    if (err.status !== 503 || !token) throw err;
  }
}

function refused(err) {
  if (err.status === 410) {
    if (state.live) state.live.stop();
    state.table = state.sheet = state.sheetNode = null; // nothing more to draw of this table
    return panel("This table's session has ended", "Thank you for visiting. Starting again opens a new order.",
      h("button", { class: "primary wide", onclick: () => scan(true) }, "Start again"));
  }
  if (err.status === 503) return panel("Sorry", `${notOrdering(err.details)} ${ASK}`);
  if (err.status === 403 || err.status === 401) {
    return panel("This code does not work any more", "Please ask a member of staff for help.");
  }
  if (err.status === 429) return showError("Too many taps at once: please try again in a moment.");
  return showError(said(err));
}

/** Why the table takes no orders (a 503's or the view's `not_ordering`). */
function notOrdering({ reason, hours }) {
  const open = hours?.length ? ` Today we are open ${hours.map(([a, b]) => `${a}–${b}`).join(", ")}.` : "";
  return REASONS[reason] + open;
}

function notOrderingLine() {
  const why = state.table.not_ordering, open = cart();
  return why && h("p", { class: "status wait", role: "status" }, `${notOrdering(why)} ${open && open.lines.length ? KEPT : ASK}`);
}

function showError(message) {
  state.error = message;
  if (state.menu && state.table) return render();
  // Nothing drawn yet (the first calls went unanswered): said, with a way to try again.
  return panel("The menu did not load", message,
    h("button", { class: "primary wide", onclick: () => { panel("One moment", "Loading the menu…"); scan(); } }, "Try again"));
}

async function loadMenu() {
  const response = await fetch("/api/menu", { cache: "no-cache", headers: { Accept: "application/json" } });
  if (response.ok) state.menu = await response.json();
}

async function loadTable() {
  try {
    state.table = await api.get("/api/guest/table");
    render();
  } catch (err) {
    refused(err);
  }
}

async function start() {
  const health = await api.get("/healthz");
  await Promise.all([loadMenu(), loadTable()]);
  render();
  follow(health.last_seq);
  loadSheets();
}

let pending = null;
function soon(fn) {
  clearTimeout(pending);
  pending = setTimeout(fn, 60);
}

async function follow(since) {
  const { Live } = await import("/ui/lib/live.js");
  state.live = new Live({
    api, since, token: () => token, path: "/api/guest/ws", pollPath: "/api/guest/events",
    onEvent: (event) => soon(async () => {
      if (!TABLE_ENTITIES.includes(event.entity)) await loadMenu(); // a menu change
      await loadTable();
      render();
    }),
    onState: (s) => {
      const up = s === "live" || s === "polling";
      conn.textContent = up ? "Live" : s === "offline" ? "Offline" : s === "stopped" ? "" : "Reconnecting…";
      conn.className = up ? "conn" : "conn off";
    },
    onRefused: (err) => { if (err.status === 410 || err.code === "session_closed") refused({ status: 410 }); return false; },
    onResync: async (err) => { // the session ended (4410), or the feed will not replay that far
      if (err.code !== "resync") { refused({ status: 410 }); throw err; }
      const { last_seq: seq } = await api.get("/healthz");
      await loadTable();
      return seq;
    },
  });
  state.live.start();
}

function cart() {
  const drafts = state.table ? state.table.drafts : [];
  const last = drafts[drafts.length - 1];
  return last && !["confirmed", "rejected"].includes(last.status) ? last : null;
}

function render() {
  const { menu, table } = state;
  if (!menu || !table) return;
  document.getElementById("store").textContent = table.store_name;
  document.getElementById("table").textContent = `Table ${table.table_name}`;
  const cats = menu.categories.filter((c) => c.items.length);
  const focused = built && (built.focusKey() || state.opener); // kept over the redraw
  view.replaceChildren(...[
    state.error ? h("p", { class: "error", role: "alert" }, state.error) : null,
    notOrderingLine(),
    statusLine(),
    h("nav", { class: "tabs", "aria-label": "Menu sections" },
      cats.map((c) => h("a", { href: `#cat-${c.id}`, dir: "auto", onclick: toSection }, c.name))),
    cats.map((c) => h("section", { class: "cat", id: `cat-${c.id}`, "aria-labelledby": `h-${c.id}` },
      h("h2", { id: `h-${c.id}`, dir: "auto" }, c.name),
      c.items.map(dish))),
    bar(),
  ].flat().filter(Boolean));
  if (view.parentNode !== app) app.replaceChildren(view);
  // A live update draws the order again, but never under a guest's typing, and never the
  // add sheet (its choices and name are the guest's until they add or close).
  const typing = state.sheetNode && state.sheetNode.contains(document.activeElement)
    && document.activeElement.tagName === "INPUT";
  if (state.sheet && (!state.sheetNode || (state.sheetLive && !typing))) state.sheetNode = state.sheet();
  // The sheet shown stays in the page across redraws: taken out even for a moment, it loses
  // the focus, and with it the phone's keyboard and what the guest types next.
  const shown = state.sheet ? state.sheetNode : null;
  for (const old of app.querySelectorAll(":scope > .sheet")) if (old !== shown) old.remove();
  if (shown && shown.parentNode !== app) app.append(shown);
  if (focused && !shown) {
    built.focusBack(app, focused);
    state.opener = null;
  }
}

/** A section tab scrolls to its section; the address keeps the table's code (`#t=`), which a
 * reload, or a phone waking the page, needs. */
function toSection(event) {
  event.preventDefault();
  document.getElementById(event.currentTarget.getAttribute("href").slice(1)).scrollIntoView();
}

function statusLine() {
  const drafts = state.table.drafts;
  const last = drafts[drafts.length - 1];
  const order = state.table.order;
  if (!last) return null;
  if (last.status === "rejected") return h("p", { class: "status no" }, `Not accepted: ${last.reject_reason}`);
  if (["submitted", "updated", "in_review"].includes(last.status)) {
    return h("p", { class: "status wait" }, last.status === "in_review" ? "A waiter is checking your order…" : "Sent: waiting for a waiter to confirm.");
  }
  if (order) {
    const progress = { cooking: " · Cooking", ready: " · Ready", served: " · Served" }[order.progress] || "";
    return h("p", { class: "status ok" }, `Order #${order.number} confirmed${progress}`);
  }
  return null;
}

function dish(item) {
  const out = !item.available;
  return h("article", { class: `dish${out ? " out" : ""}` },
    h("div", {}, h("h3", { dir: "auto" }, item.name), item.description ? h("p", { dir: "auto" }, item.description) : null,
      h("p", { class: "price" }, money(item.price))),
    out ? h("span", { class: "out-badge" }, "Sold out")
      : h("button", { class: "primary", "aria-label": `Add ${item.name}`, "data-focus": `add-${item.id}`, onclick: () => openSheet("addSheet", item) }, "Add"));
}

function bar() {
  const open = cart();
  const count = open ? open.lines.reduce((n, l) => n + l.quantity, 0) : 0;
  const said = count ? `Your order (${count}) · ${money(open.total)}` : "Your order";
  return h("div", { class: "bar" }, h("div", { class: "row" },
    h("button", { class: "primary order", "aria-label": said, "data-focus": "order", onclick: () => openSheet("cartSheet") },
      h("span", {}, count ? `Your order (${count})` : "Your order"), count ? h("span", {}, money(open.total)) : null),
    h("button", { onclick: () => act("/api/guest/call-waiter"), disabled: state.table.waiter_called },
      state.table.waiter_called ? "Waiter called" : "Call waiter")));
}

// The add and cart sheets (and their keys) are not needed to paint the menu: loaded after it.
let sheets = null;
let built = null;
const loadSheets = () => (sheets ||= import("/ui/guest/sheets.js").then((m) => (built = m)));

async function openSheet(name, ...args) {
  await loadSheets();
  state.opener = built.focusKey(); // focused again at close
  state.sheet = () => built[name](page, ...args);
  state.sheetNode = null;
  state.sheetLive = name === "cartSheet";
  state.error = "";
  render();
  built.focusIn(state.sheetNode);
}

function closeSheet() {
  state.sheet = state.sheetNode = null;
  render();
}

function sheet(title, ...body) {
  return h("div", { class: "sheet", onclick: (e) => { if (e.target === e.currentTarget) closeSheet(); },
    onkeydown: built.sheetKeys(closeSheet) },
  h("div", { role: "dialog", "aria-modal": "true", "aria-label": title },
    h("header", {}, h("h2", { dir: "auto" }, title), h("button", { "aria-label": "Close", onclick: closeSheet }, "✕")),
    state.error ? h("p", { class: "error", role: "alert" }, state.error) : null,
    ...body));
}

const SOLD_OUT = ["item_unavailable", "modifier_unavailable"];

async function send() {
  state.sendKey ||= idempotencyKey(); // the same key until the box answers: never two orders
  try {
    state.table = await api.post("/api/guest/send", undefined, { headers: { "Idempotency-Key": state.sendKey } });
    state.sendKey = null;
    state.error = "";
    render();
  } catch (err) {
    if (err.status && err.status !== 0) state.sendKey = null;
    if (err.status === 410) refused(err);
    else if (err.status === 503) showError(`${notOrdering(err.details)} ${KEPT}`);
    else if (SOLD_OUT.includes(err.code)) showError(`${err.message}: take it out of the order, then send it again.`);
    else showError(said(err));
  }
}

async function act(path, method = "POST", body) {
  try {
    state.table = await api.request(method, path, { body });
    state.error = "";
    render();
  } catch (err) {
    if (err.status === 410 || err.status === 503) refused(err); else showError(said(err));
  }
}

// What sheets.js draws with.
const page = { state, api, money, sheet, closeSheet, render, refused, said, statusLine, notOrderingLine, send, act, cart };

scan();
