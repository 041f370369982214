// The kitchen's wall screen (KDS) and expo: pair the screen once, sign in, then the board of
// one station (?station=BAR), of all, or expo (?view=expo), kept current by the live feed's
// `kitchen` topic. A dropped feed resumes after the last event it saw (?since=), so every
// ticket fired meanwhile arrives once and in order; a reload reads the board again from the box.

import { Api } from "/ui/lib/api.js";
import { h } from "/ui/lib/element.js";
import { Live } from "/ui/lib/live.js";
import { mountSignIn } from "/ui/lib/pinpad.js";
import { Device, Session } from "/ui/lib/session.js";
import { syncBadge } from "/ui/lib/syncbadge.js";
import { mountBoard } from "./board.js";
import { mountExpo } from "./expo.js";

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
const session = new Session("kds");
const api = new Api({ token: () => session.token, device: () => device.credential, onUnauthorized: (err) => ended(err) });
const params = new URLSearchParams(location.search);
const view = params.get("view") === "expo" ? "expo" : "board";
const station = (params.get("station") || "").toUpperCase();

let app = null; // {live, screen}

function ended(err) {
  if (!app) return;
  stop();
  session.clear();
  showSignIn(err && err.message ? err.message : "Your sign-in has ended. Please sign in again.");
}

function stop() {
  if (!app) return;
  app.live.stop();
  app.screen.destroy();
  app = null;
}

function showSignIn(notice) {
  mountSignIn(root, {
    api,
    session,
    device,
    title: view === "expo" ? "Galley expo" : "Galley kitchen",
    subtitle: notice || "Tap your name to sign in",
    onSignedIn: () => start(),
  });
}

async function start() {
  let me;
  let kitchen;
  try {
    me = await api.get("/api/me");
    kitchen = await api.get("/api/kitchen");
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      session.clear();
      showSignIn(err.status === 403 ? "This screen is for the kitchen and the floor." : err.message);
    } else {
      root.replaceChildren(h("div", { class: "boot" },
        h("p", { class: "msg msg-error" }, `Could not reach the box: ${err.message}`),
        h("button", { class: "btn", onclick: () => start() }, "Try again")));
    }
    return;
  }
  mountShell(me, kitchen);
}

function link(label, search, current) {
  return h("a", { class: "kds-chip", href: `/kds/${search}`, "aria-current": current ? "page" : false }, label);
}

function mountShell(me, kitchen) {
  const conn = h("span", { class: "conn", "data-state": "connecting" }, CONN_LABEL.connecting);
  const offline = h("div", { class: "lost-box", role: "alert", hidden: true },
    "Can't reach the box: showing what it last sent. New tickets appear as soon as it answers.");
  const clock = h("time", { class: "kds-clock" });
  const tick = () => { clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); };
  tick();
  const stations = kitchen.stations.filter((s) => s.active);
  const chips = h("nav", { class: "kds-stations", "aria-label": "Stations" },
    link("All", "", view === "board" && !station),
    stations.map((s) => link(s.name, `?station=${encodeURIComponent(s.code)}`, view === "board" && station === s.code)),
    link("Expo", "?view=expo", view === "expo"));
  const sound = h("button", { type: "button", class: "btn btn-sm kds-sound", "aria-pressed": "false" }, "Sound off");
  const signOut = h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: async () => {
    stop();
    await session.signOut(api);
    showSignIn("Signed out.");
  } }, "Sign out");
  const main = h("main", { class: "kds-main" });
  const badge = syncBadge({ api });
  root.replaceChildren(h("div", { class: "kds" },
    h("header", { class: "kds-top" },
      h("span", { class: "brand-mark", "aria-hidden": "true" }, "G"),
      chips,
      h("span", { class: "spacer" }),
      sound, badge.element, conn, clock,
      h("span", { class: "kds-who" }, me.name),
      signOut),
    offline,
    main));

  const ctx = { api, me, settings: kitchen.settings, station, stations, sound: soundOf(sound) };
  const screen = view === "expo" ? mountExpo(main, ctx) : mountBoard(main, ctx);
  const live = new Live({
    api,
    token: () => session.token,
    topics: ["kitchen"],
    since: 0,
    onState: (state) => {
      conn.dataset.state = state;
      conn.textContent = CONN_LABEL[state] || state;
      offline.hidden = state !== "offline";
      document.body.dataset.live = state;
    },
    onEvent: (event) => {
      if (event.entity === "kitchen_settings") Object.assign(ctx.settings, event.fields);
      screen.onEvent(event);
    },
    onUnauthorized: (err) => ended(err),
  });
  const clockTimer = setInterval(tick, 10000);
  app = { live, screen: { ...screen, destroy: () => { clearInterval(clockTimer); badge.stop(); screen.destroy(); } } };
  screen.load().then((lastSeq) => {
    if (!app || app.live !== live) return;
    live.lastSeq = lastSeq;
    live.start();
  }, (err) => {
    main.replaceChildren(h("div", { class: "boot" },
      h("p", { class: "msg msg-error" }, `Could not load the board: ${err.message}`),
      h("button", { class: "btn", onclick: () => location.reload() }, "Try again")));
  });
}

/** A chime for new tickets: browsers play sound only after a tap on the page, so the button
 * turns it on (and off). */
function soundOf(button) {
  let context = null;
  const state = { on: false };
  button.addEventListener("click", () => {
    state.on = !state.on;
    if (state.on && !context) context = new AudioContext();
    button.textContent = state.on ? "Sound on" : "Sound off";
    button.setAttribute("aria-pressed", String(state.on));
    if (state.on) chime();
  });
  function chime() {
    if (!state.on || !context) return;
    const now = context.currentTime;
    for (const [at, pitch] of [[0, 880], [0.18, 1320]]) {
      const tone = context.createOscillator();
      const volume = context.createGain();
      tone.frequency.value = pitch;
      volume.gain.setValueAtTime(0.0001, now + at);
      volume.gain.exponentialRampToValueAtTime(0.3, now + at + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.16);
      tone.connect(volume).connect(context.destination);
      tone.start(now + at);
      tone.stop(now + at + 0.17);
    }
  }
  return { chime, get on() { return state.on; } };
}

if (session.token && device.credential) start();
else showSignIn();
