// Small DOM helpers for the admin page: an element builder, inline error messages, toasts,
// dialogs, and `act` which runs one server call from a button and puts any error beside it.

import { h } from "/ui/lib/element.js";

export { h };

/** An empty inline message area; `say(box, err)` fills it. */
export function msgBox(extra = "") {
  return h("div", { class: `msg ${extra}`, role: "alert", "aria-live": "polite" });
}

/** Put a readable message in `box`: an ApiError, an Error or plain text. */
export function say(box, what, kind = "error") {
  if (!box) return;
  box.className = `msg msg-${kind}`;
  box.textContent = !what ? "" : typeof what === "string" ? what : explain(what);
}

export function clearMsg(box) {
  if (box) box.textContent = "";
}

/** A sentence for an error from the edge, as readable as its message allows. */
export function explain(err) {
  if (!err) return "";
  if (err.code === "forbidden") return `Not allowed: ${err.message}.`;
  if (err.code === "network") return err.message;
  const message = err.message || String(err);
  return message.charAt(0).toUpperCase() + message.slice(1);
}

let toastHost = null;
export function toast(text, kind = "ok") {
  if (!toastHost) {
    toastHost = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(toastHost);
  }
  const item = h("div", { class: kind === "error" ? "toast toast-error" : "toast" }, text);
  toastHost.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 6000 : 2600);
}

/**
 * Run `fn` for a button: disable it while it runs, clear `box`, show any error in `box`
 * (and mark the field the edge named, when it is in `form`). Returns fn's result or undefined.
 */
export async function act(button, box, fn, { form } = {}) {
  if (button) button.disabled = true;
  clearMsg(box);
  if (form) for (const bad of form.querySelectorAll("[aria-invalid]")) bad.removeAttribute("aria-invalid");
  try {
    return await fn();
  } catch (err) {
    if (box) say(box, err);
    else toast(explain(err), "error");
    const field = err && err.details && err.details.field;
    if (form && field) {
      const input = form.querySelector(`[name="${CSS.escape(String(field).split(".")[0])}"]`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// What `drawList` last drew in each parent: key -> { look, node }.
const drawn = new WeakMap();

/**
 * Make `items` the children of `parent`, in order, each drawn by `draw(item)`, but keep the
 * element of an item whose `key(item)` and `look(item)` (a string of all it shows) have not
 * changed, and move nothing that is already in place. Live updates redraw a list several
 * times a second on a busy evening: an element replaced between a finger's touch and its lift
 * loses the tap, a button a pending `act` disabled would come back enabled, and what someone
 * was typing into a form inside it would be gone. So a card that holds a form is drawn with a
 * constant look and given a `fill(item)`, which is called with the current item, kept or new.
 */
export function drawList(parent, items, key, look, draw) {
  const before = drawn.get(parent) || new Map();
  const now = new Map();
  const nodes = items.map((item) => {
    const k = key(item);
    const seen = look(item);
    const old = before.get(k);
    const node = old && old.look === seen ? old.node : draw(item);
    now.set(k, { look: seen, node });
    if (node.fill) node.fill(item);
    return node;
  });
  drawn.set(parent, now);
  const keep = new Set(nodes);
  for (const child of [...parent.childNodes]) if (!keep.has(child)) child.remove();
  let at = parent.firstChild;
  for (const node of nodes) {
    if (node === at) at = at.nextSibling;
    else parent.insertBefore(node, at);
  }
}

/**
 * A modal form. `body` is a node (or list); `onSubmit(form, msg)` resolves truthy to close.
 * Returns the dialog (already open).
 */
export function modal({ title, body, submitLabel = "Save", danger = false, onSubmit, extraActions = [] }) {
  const message = msgBox();
  const submit = h("button", { type: "submit", class: danger ? "btn btn-danger-solid" : "btn btn-primary" }, submitLabel);
  const form = h("form", { class: "modal-form", method: "dialog", novalidate: true },
    h("div", { class: "modal-head" },
      h("h2", {}, title),
      h("button", { type: "button", class: "btn btn-ghost btn-icon", "aria-label": "Close", onclick: () => close() }, "✕")),
    h("div", { class: "modal-body" }, body),
    h("div", { class: "modal-foot" }, message, ...extraActions, h("span", { class: "spacer" }),
      h("button", { type: "button", class: "btn", onclick: () => close() }, "Cancel"), submit));
  const dialog = h("dialog", { class: "modal" }, form);
  function close() {
    dialog.close();
  }
  dialog.addEventListener("close", () => dialog.remove());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = await act(submit, message, () => onSubmit(form, message), { form });
    if (done) close();
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = form.querySelector(".modal-body input:not([type=hidden]), .modal-body select, .modal-body textarea");
  if (first) first.focus();
  dialog.message = message;
  return dialog;
}

/** Ask before something that cannot be undone; resolves after `action` succeeded, or never. */
export function confirmAction({ title, text, confirmLabel, action }) {
  return modal({
    title,
    danger: true,
    submitLabel: confirmLabel,
    body: h("p", {}, text),
    async onSubmit() {
      await action();
      return true;
    },
  });
}

export function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", {}, label), control, hint ? h("span", { class: "hint" }, hint) : null);
}

export function switchInput({ name, checked, label, danger = false, onchange }) {
  const input = h("input", { type: "checkbox", name, checked: !!checked, onchange, role: "switch" });
  return h("label", { class: danger ? "switch switch-danger" : "switch" }, input, h("span", { class: "track" }), label);
}

/** Download a Blob under `filename` (no server round trip: it is already here). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

/** Print a Blob (an SVG sheet) through a hidden frame, so the page itself stays put. */
export function printBlob(blob) {
  const url = URL.createObjectURL(blob);
  const frame = h("iframe", { src: url, title: "print", style: "position:fixed;width:0;height:0;border:0;right:0;bottom:0" });
  frame.addEventListener("load", () => {
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } finally {
      setTimeout(() => { frame.remove(); URL.revokeObjectURL(url); }, 60000);
    }
  });
  document.body.append(frame);
}
