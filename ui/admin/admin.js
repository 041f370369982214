// The manager's page: pair the device (once), sign in, then menu, orders, tables, staff,
// devices, settings, the kitchen, printers, sync and the audit trail, kept current by the live
// feed; the header's sync badge says how the box stands with the hub. Banners over
// every section say when a printer cannot print and when someone's PIN is locked on every
// device. A sign-in the box ends (sign-out elsewhere, a new role or PIN, the device revoked)
// brings back the sign-in screen, saying why.

import { Api } from "/ui/lib/api.js";
import { Live } from "/ui/lib/live.js";
import { formatMoney, knowDigits } from "/ui/lib/money.js";
import { showOverflow } from "/ui/lib/overflow.js";
import { mountSignIn } from "/ui/lib/pinpad.js";
import { Device, Session } from "/ui/lib/session.js";
import { syncBadge } from "/ui/lib/syncbadge.js";
import { h, toast } from "./dom.js";
import audit from "./audit.js";
import devices from "./devices.js";
import kitchen from "./kitchen.js";
import { watchLockouts } from "./lockouts.js";
import menu from "./menu.js";
import orders from "./orders.js";
import printers, { watchPrinters } from "./printers.js";
import settings from "./settings.js";
import staff from "./staff.js";
import sync, { CHANGES as SYNC_CHANGES } from "./sync.js";
import tables from "./tables.js";

const SECTIONS = [menu, orders, tables, staff, devices, settings, kitchen, printers, sync, audit];
// What a section needs (the box's permission names, as `/api/me` lists them): a signed-in
// role sees the sections it may use, and each section hides the buttons it may not.
const NEEDS = {
  menu: "menu.edit",
  orders: "order.view",
  tables: "tables.edit",
  staff: "staff.view",
  devices: "devices.edit",
  settings: "settings.edit",
  kitchen: "kitchen.edit",
  printers: "printers.view",
  sync: "sync.manage",
  audit: "audit.view",
};
// What the sections follow live.
const TOPICS = ["menu", "tables", "staff", "store", "orders", "kitchen", "sync"];
const CONN_LABEL = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  polling: "Live (polling)",
  offline: "Offline",
  stopped: "Offline",
};

const root = document.getElementById("app");
const device = new Device();
const session = new Session("admin");
const api = new Api({ token: () => session.token, device: () => device.credential, onUnauthorized: (err) => ended(err) });

let app = null; // the running shell: {live, section, ...}

/** The box ended this sign-in (`err` says why, as it answered a call or closed the feed). */
function ended(err) {
  if (!app) return;
  stopApp();
  session.clear();
  showSignIn(why(err));
}

function why(err) {
  const text = err && err.message ? err.message : "Your sign-in has ended. Please sign in again.";
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function stopApp() {
  if (!app) return;
  app.live.stop();
  app.ctx.sync.stop();
  app.ctx.printers.stop();
  app.ctx.lockouts.stop();
  if (app.current && app.current.destroy) app.current.destroy();
  window.removeEventListener("hashchange", app.onHash);
  app = null;
}

function showSignIn(notice) {
  mountSignIn(root, {
    api,
    session,
    device,
    roles: ["owner", "manager"],
    title: "Galley manager",
    subtitle: notice || "Tap your name to sign in",
    onSignedIn: () => start(),
  });
}

async function start() {
  let me;
  try {
    me = await api.get("/api/me");
  } catch (err) {
    session.clear();
    showSignIn(err.status === 401 ? why(err) : "");
    return;
  }
  if (!me.permissions.includes("menu.edit")) {
    await session.signOut(api);
    showSignIn(`${me.name}: this page is for managers and owners.`);
    return;
  }
  root.replaceChildren(h("p", { class: "boot muted" }, "Loading the store…"));
  let health;
  let store;
  try {
    [health, store] = await Promise.all([api.get("/healthz"), api.get("/api/store")]);
    knowDigits(store.currency, store.currency_digits);
  } catch (err) {
    root.replaceChildren(h("div", { class: "boot" },
      h("p", { class: "msg msg-error" }, `Could not load the store: ${err.message}`),
      h("button", { class: "btn", onclick: () => start() }, "Try again")));
    return;
  }
  mountShell(me, store, health.last_seq);
}

function mountShell(me, store, since) {
  const conn = h("span", { class: "conn", "data-state": "connecting", title: "Live updates" }, CONN_LABEL.connecting);
  const storeName = h("span", { class: "brand-store" }, store.name);
  const main = h("main", { class: "content", id: "content", tabindex: "-1" });
  const printerAlert = h("div", { class: "printer-alert", role: "alert", hidden: true });
  const lockAlert = h("div", { class: "lock-alert", role: "alert", hidden: true });
  const may = (permission) => me.permissions.includes(permission);
  const badge = syncBadge({ api, timeZone: store.timezone, href: may("sync.manage") ? "#/sync" : null });
  const sections = SECTIONS.filter((section) => may(NEEDS[section.id]));
  const links = sections.map((section) =>
    h("a", { href: `#/${section.id}`, class: "nav-link", "data-section": section.id },
      h("span", { class: "nav-icon", "aria-hidden": "true" }, icon(section.icon)),
      h("span", {}, section.title)));
  const signOut = h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: async () => {
    stopApp();
    await session.signOut(api);
    showSignIn("Signed out.");
  } }, "Sign out");

  root.replaceChildren(h("div", { class: "shell" },
    h("header", { class: "topbar" },
      h("div", { class: "brand" },
        h("span", { class: "brand-mark", "aria-hidden": "true" }, "G"),
        h("span", { class: "brand-text" }, h("span", { class: "brand-app" }, "Galley"), storeName)),
      h("span", { class: "spacer" }),
      badge.element,
      conn,
      h("span", { class: "who" },
        h("span", { class: "who-name" }, me.name),
        h("span", { class: "badge badge-accent who-role" }, me.role)),
      signOut),
    h("div", { class: "alerts" }, printerAlert, lockAlert),
    showOverflow(h("nav", { class: "sidenav", "aria-label": "Sections" }, links)),
    main));

  const ctx = {
    api,
    me,
    may,
    store,
    money: (minor) => formatMoney(minor, ctx.store.currency),
    toast,
    go: (id) => { location.hash = `#/${id}`; },
    async refreshStore() {
      ctx.store = await api.get("/api/store");
      knowDigits(ctx.store.currency, ctx.store.currency_digits);
      storeName.textContent = ctx.store.name;
      return ctx.store;
    },
  };

  ctx.sync = badge;
  ctx.printers = watchPrinters(ctx, printerAlert);
  ctx.lockouts = watchLockouts(ctx, lockAlert);
  // The printers topic only exists on a box with printing; an older box refuses it, and then
  // the printer list is asked for every 10 s instead.
  const followPrinters = may("printers.view");
  const topics = followPrinters ? [...TOPICS, "printers"] : [...TOPICS];
  ctx.printers.setLive(followPrinters);

  const live = new Live({
    api,
    token: () => session.token,
    topics,
    since,
    onState: (state) => {
      conn.dataset.state = state;
      conn.textContent = CONN_LABEL[state] || state;
      document.body.dataset.live = state;
    },
    onEvent: async (event) => {
      if (event.entity === "store") {
        try { await ctx.refreshStore(); } catch { /* the next event or reload will catch up */ }
      }
      ctx.printers.onEvent(event);
      ctx.lockouts.onEvent(event);
      if (SYNC_CHANGES.has(event.entity)) ctx.sync.refresh(); // the badge: conflicts, the box's clock
      if (app && app.current && app.current.onEvent) app.current.onEvent(event);
    },
    onRefused: (error) => {
      if (error && ["unknown_topic", "forbidden"].includes(error.code) && live.topics.includes("printers")) {
        live.topics = live.topics.filter((topic) => topic !== "printers");
        ctx.printers.setLive(false);
        return true;
      }
      return false;
    },
    onUnauthorized: (err) => ended(err),
    // Away too long for the box to replay what was missed: read everything again, then follow.
    onResync: async () => {
      const health = await api.get("/healthz");
      await ctx.refreshStore();
      await Promise.all([ctx.printers.refresh(), ctx.lockouts.refresh()]);
      show();
      return health.last_seq;
    },
  });

  app = { live, current: null, onHash: null, sections, links, main, ctx };
  app.onHash = () => show();
  window.addEventListener("hashchange", app.onHash);
  show();
  live.start();
  ctx.printers.refresh().catch(() => { /* the banner waits for the next refresh */ });
  ctx.lockouts.refresh().catch(() => { /* the banner waits for the next change */ });
}

function show() {
  if (!app) return;
  const id = (location.hash.match(/^#\/([\w-]+)/) || [])[1];
  const section = app.sections.find((s) => s.id === id) || app.sections[0];
  if (app.current && app.current.destroy) app.current.destroy();
  for (const link of app.links) {
    const active = link.dataset.section === section.id;
    link.classList.toggle("active", active);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${section.title} · Galley`;
  app.main.replaceChildren();
  // Each section opens at its top, not where the last one was scrolled to.
  window.scrollTo({ top: 0 });
  app.current = section.mount(app.main, app.ctx) || null;
}

const ICONS = {
  menu: "M4 6h16M4 12h16M4 18h10",
  orders: "M6 3h12v18l-3-2-3 2-3-2-3 2zM9 8h6M9 12h6M9 16h3",
  tables: "M3 9h18M6 9v9M18 9v9M8 5h8",
  staff: "M16 19v-1a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v1M10 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6M20 19v-1a3 3 0 0 0-2-2.8M15 4.2a3 3 0 0 1 0 5.6",
  devices: "M7 3h10a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zM11 18h2",
  settings: "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6M4 12h2M18 12h2M12 4v2M12 18v2M6.3 6.3l1.4 1.4M16.3 16.3l1.4 1.4M6.3 17.7l1.4-1.4M16.3 7.7l1.4-1.4",
  printers: "M7 9V4h10v5M7 17H5a2 2 0 0 1-2-2v-4a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v4a2 2 0 0 1-2 2h-2M7 14h10v6H7z",
  sync: "M4 12a8 8 0 0 1 14-5.3L20 9M20 4v5h-5M20 12a8 8 0 0 1-14 5.3L4 15M4 20v-5h5",
  audit: "M9 5h10M9 12h10M9 19h10M5 5h.01M5 12h.01M5 19h.01",
  kitchen: "M7 21h10M7 17h10v4H7zM7 17v-3.5A4 4 0 1 1 9.5 6a3 3 0 0 1 5 0A4 4 0 1 1 17 13.5V17",
};

function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name] || ICONS.menu);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}

if (session.token) start();
else showSignIn();
