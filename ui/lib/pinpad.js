// Staff sign-in: tiles to pick who you are, then a PIN pad. Big touch targets; the keyboard
// works too (digits, Backspace, Enter, Escape). Shows the edge's answers plainly: a wrong PIN,
// and a lockout with a live countdown. On a device the box does not know (or no longer), the
// pairing screen comes first.
//
//   mountSignIn(element, { api, session, device, roles: ["owner", "manager"], onSignedIn })
//
// `createPinPad` is the bare pad, for a manager's on-the-spot approval in other surfaces.

import { h } from "/ui/lib/element.js";
import { showPairing } from "/ui/lib/pairing.js";

const MIN_DIGITS = 4;
const MAX_DIGITS = 8;

// "owners, managers and cashiers"
function list(words) {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0].toUpperCase()).join("");
}

export function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * A PIN pad. `onSubmit(pin)` returns a promise; while it runs the pad is busy.
 * Returns {element, clear(), setMessage(text, kind), lock(seconds, text), focus(), destroy()}.
 */
export function createPinPad({ onSubmit, label = "PIN", submitLabel = "Sign in" }) {
  let digits = "";
  let busy = false;
  let lockedUntil = 0;
  let lockTimer = null;

  const dots = h("div", { class: "pin-dots", "aria-hidden": "true" });
  const live = h("div", { class: "sr-only", "aria-live": "polite" });
  const message = h("p", { class: "pin-message", role: "status", "aria-live": "polite" });
  const keys = h("div", { class: "pin-keys" });
  const pad = h("div", { class: "pin-pad", tabindex: "-1", role: "group", "aria-label": label },
    dots, live, message, keys);

  const submit = h("button", { type: "button", class: "pin-key pin-key-ok", "aria-label": submitLabel,
    onclick: () => go() }, "OK");
  const back = h("button", { type: "button", class: "pin-key pin-key-fn", "aria-label": "Delete last digit",
    onclick: () => erase() }, "⌫");
  for (const digit of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) {
    keys.append(h("button", { type: "button", class: "pin-key", "data-digit": digit,
      onclick: () => press(digit) }, digit));
  }
  keys.append(back, h("button", { type: "button", class: "pin-key", "data-digit": "0",
    onclick: () => press("0") }, "0"), submit);

  function render() {
    dots.replaceChildren();
    const slots = Math.max(MIN_DIGITS, digits.length);
    for (let i = 0; i < slots; i += 1) {
      dots.append(h("span", { class: i < digits.length ? "pin-dot filled" : "pin-dot" }));
    }
    live.textContent = `${digits.length} digits entered`;
    const locked = Date.now() < lockedUntil;
    for (const button of keys.querySelectorAll("button")) button.disabled = busy || locked;
    submit.disabled = busy || locked || digits.length < MIN_DIGITS;
    pad.classList.toggle("is-busy", busy);
  }

  function setMessage(text, kind = "error") {
    message.textContent = text || "";
    message.dataset.kind = kind;
  }

  function press(digit) {
    if (busy || Date.now() < lockedUntil || digits.length >= MAX_DIGITS) return;
    digits += digit;
    if (message.dataset.kind !== "lock") setMessage("");
    render();
  }

  function erase() {
    if (busy) return;
    digits = digits.slice(0, -1);
    render();
  }

  function clear() {
    digits = "";
    render();
  }

  async function go() {
    if (busy || Date.now() < lockedUntil || digits.length < MIN_DIGITS) return;
    busy = true;
    render();
    try {
      await onSubmit(digits);
    } finally {
      busy = false;
      render();
    }
  }

  function lock(seconds, text) {
    lockedUntil = Date.now() + seconds * 1000;
    clear();
    clearInterval(lockTimer);
    const tick = () => {
      const left = (lockedUntil - Date.now()) / 1000;
      if (left <= 0) {
        clearInterval(lockTimer);
        setMessage("You can try again now.", "info");
        render();
        return;
      }
      setMessage(`${text} Try again in ${clock(left)}.`, "lock");
    };
    tick();
    lockTimer = setInterval(tick, 250);
    render();
  }

  function shake() {
    pad.classList.remove("shake");
    void pad.offsetWidth; // restart the animation
    pad.classList.add("shake");
  }

  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (/^\d$/.test(event.key)) press(event.key);
    else if (event.key === "Backspace") erase();
    else if (event.key === "Enter") go();
    else return;
    event.preventDefault();
  }
  document.addEventListener("keydown", onKey);

  render();
  return {
    element: pad,
    clear,
    setMessage,
    lock,
    shake,
    focus: () => pad.focus(),
    destroy() {
      document.removeEventListener("keydown", onKey);
      clearInterval(lockTimer);
    },
  };
}

// What the box answers a device it will not show the staff to.
const UNPAIRED = ["device_not_paired", "device_revoked"];

/**
 * The whole sign-in screen. Only staff whose role is in `roles` are offered (all when empty).
 * Calls `onSignedIn(staff)` once the edge accepts the PIN. `device` (ui/lib/session.js) is
 * paired first when the box does not know it.
 */
export function mountSignIn(root, { api, session, device, roles = [], title = "Sign in", subtitle = "",
  onSignedIn = () => {} }) {
  let pad = null;
  const onEscape = (event) => {
    if (event.key === "Escape" && pad) {
      event.preventDefault();
      showTiles();
    }
  };
  document.addEventListener("keydown", onEscape);

  const card = h("section", { class: "signin-card", "aria-labelledby": "signin-title" });
  root.replaceChildren(h("div", { class: "signin" }, card));

  function header(text, sub) {
    const nodes = [h("h1", { id: "signin-title", class: "signin-title" }, text)];
    if (sub) nodes.push(h("p", { class: "signin-sub" }, sub));
    return nodes;
  }

  async function showTiles() {
    if (pad) {
      pad.destroy();
      pad = null;
    }
    const status = h("p", { class: "pin-message", role: "status" }, "Loading staff…");
    card.replaceChildren(...header(title, subtitle || "Tap your name"), status);
    // A browser that was never paired has nothing to show the box: it pairs first.
    if (!device.credential) {
      pair({ code: "device_not_paired" });
      return;
    }
    let roster;
    try {
      roster = await api.get("/api/staff/roster");
    } catch (err) {
      if (UNPAIRED.includes(err.code)) {
        pair(err);
        return;
      }
      status.textContent = `Could not load the staff list: ${err.message}`;
      status.dataset.kind = "error";
      card.append(h("button", { type: "button", class: "btn", onclick: showTiles }, "Try again"));
      return;
    }
    const allowed = roster.filter((member) => !roles.length || roles.includes(member.role));
    status.remove();
    if (!allowed.length) {
      card.append(h("p", { class: "pin-message", "data-kind": "error" },
        "Nobody on the staff list may use this screen."));
      return;
    }
    const tiles = h("div", { class: "staff-tiles" });
    for (const member of allowed) {
      tiles.append(h("button", { type: "button", class: "staff-tile", "data-staff-id": member.id,
        onclick: () => showPad(member) },
      h("span", { class: "avatar", "aria-hidden": "true" }, initials(member.name)),
      h("span", { class: "staff-tile-name" }, member.name),
      h("span", { class: "staff-tile-role" }, member.role)));
    }
    card.append(tiles);
    if (roles.length && roster.length > allowed.length) {
      card.append(h("p", { class: "signin-foot" }, `Only ${list(roles.map((role) => `${role}s`))} can sign in here.`));
    }
    tiles.querySelector("button").focus();
  }

  function pair(err) {
    // A device that was paired and then revoked says so; a new one needs no explanation.
    showPairing(card, { api, device, notice: err.code === "device_revoked" ? err.message : "",
      onPaired: () => showTiles() });
  }

  function showPad(member) {
    if (pad) pad.destroy();
    pad = createPinPad({
      label: `PIN for ${member.name}`,
      async onSubmit(pin) {
        try {
          const staff = await session.signIn(api, member.id, pin);
          pad.destroy();
          pad = null;
          document.removeEventListener("keydown", onEscape);
          onSignedIn(staff);
        } catch (err) {
          pad.clear();
          if (err.code === "wrong_pin") {
            pad.setMessage("Wrong PIN. Please try again.");
            pad.shake();
          } else if (err.code === "locked_out") {
            const why = err.details.scope === "account"
              ? "This PIN is locked on every device: a manager can unlock it."
              : "Too many wrong PINs on this device.";
            pad.lock(Number(err.details.retry_after) || 30, why);
            pad.shake();
          } else if (UNPAIRED.includes(err.code)) {
            pad.destroy();
            pad = null;
            pair(err);
          } else if (err.code === "unknown_staff") {
            pad.setMessage("This staff member can no longer sign in. Ask a manager.");
          } else {
            pad.setMessage(err.message || "Sign-in failed.");
          }
        }
      },
    });
    const backButton = h("button", { type: "button", class: "btn btn-ghost signin-back",
      onclick: showTiles }, "← Not you?");
    card.replaceChildren(
      h("div", { class: "signin-who" },
        h("span", { class: "avatar avatar-lg", "aria-hidden": "true" }, initials(member.name)),
        h("div", {}, h("h1", { id: "signin-title", class: "signin-title" }, member.name),
          h("p", { class: "signin-sub" }, "Enter your PIN"))),
      pad.element,
      backButton,
    );
    pad.focus();
  }

  showTiles();
  return {
    destroy() {
      if (pad) pad.destroy();
      document.removeEventListener("keydown", onEscape);
    },
  };
}
