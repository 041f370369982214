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

/**
 * A short confirmation that needs no answer. On a page with a sticky save bar it rises from the
 * bar's top edge (and moves with it as the bar grows), so it never covers the bar or the
 * message in it, at any size.
 */
export function toast(text, kind = "ok") {
  const bar = document.querySelector(".save-bar");
  const parent = bar || document.body;
  let host = parent.querySelector(":scope > .toasts");
  if (!host) {
    host = h("div", { class: bar ? "toasts toasts-above" : "toasts", role: "status", "aria-live": "polite" });
    parent.append(host);
  }
  const item = h("div", { class: kind === "error" ? "toast toast-error" : "toast" }, text);
  host.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 6000 : 2600);
}

// ---- a form's problems, each under its field ----------------------------------------------
// The edge refuses a form with everything wrong with it at once ({field, fields: {key:
// sentence}}), in the words of the labels the form shows. Each sentence goes under its field,
// which is marked aria-invalid and described by it; the first bad field takes the focus; a
// field's message goes as soon as that field changes. What the page itself cannot read (an
// amount typed as "12,5,0") it sends as typed, for the edge to refuse with the rest, and says
// why in its own words as that field's custom validity message.

const shown = new WeakMap(); // form -> [{ slot, control }]
let slots = 0;

/** The control field `key` is typed into: `names[key]` names it where the edge's key differs. */
function controlOf(form, key, names) {
  const control = form.elements.namedItem(names[key] || key);
  return control instanceof RadioNodeList ? control[0] : control;
}

/** Where field `key`'s message goes: under its control in the control's field, else in the
 * slot the form made for it (`data-error-for`: a field of several inputs, an inline form). */
function slotOf(form, key, control) {
  const box = control && control.closest(".field, fieldset");
  if (!box) return form.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
  let slot = box.querySelector(":scope > .field-error");
  if (!slot) {
    slot = h("span", { class: "field-error", "data-error-for": key });
    // Right under the control (before its hint), or at the end of a group of them.
    const holder = box.matches("fieldset") ? null : [...box.children].find((child) => child.contains(control));
    if (holder) holder.after(slot);
    else box.append(slot);
  }
  return slot;
}

/** The problems an error carries, by field (null when it is about no field). A page may point
 * the first problem at another control by changing `details.field`. */
function problemsOf(err) {
  const details = (err && err.details) || {};
  const field = typeof details.field === "string" ? details.field.split(".")[0] : null;
  if (!field) return null;
  const fields = details.fields && typeof details.fields === "object" ? details.fields : { [field]: explain(err) };
  if (field in fields) return fields;
  const [first, ...rest] = Object.keys(fields);
  return { [field]: fields[first], ...Object.fromEntries(rest.map((key) => [key, fields[key]])) };
}

function unmark({ slot, control }) {
  slot.textContent = "";
  if (!control) return;
  control.removeAttribute("aria-invalid");
  const rest = (control.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== slot.id);
  if (rest.length) control.setAttribute("aria-describedby", rest.join(" "));
  else control.removeAttribute("aria-describedby");
}

/** Take away what `showProblems` put on `form`. */
export function clearProblems(form) {
  for (const entry of shown.get(form) || []) {
    entry.stop();
    unmark(entry);
  }
  shown.delete(form);
}

/**
 * Put each of `problems` ({key: sentence}) under its field in `form`, focus the first; `box`
 * says how many, and holds those that have no field on the form. `names`: {edge key: control
 * name} where the two differ.
 */
function showProblems(form, problems, { names = {}, box } = {}) {
  clearProblems(form);
  const marked = [];
  const loose = [];
  for (const [key, sentence] of Object.entries(problems)) {
    const control = controlOf(form, key, names);
    const slot = slotOf(form, key, control);
    if (!slot) {
      loose.push(sentence);
      continue;
    }
    slot.id = slot.id || `problem-${++slots}`;
    slot.textContent = control && control.validity && control.validity.customError ? control.validationMessage : sentence;
    if (control) {
      control.setAttribute("aria-invalid", "true");
      const ids = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      control.setAttribute("aria-describedby", [...new Set([...ids, slot.id])].join(" "));
    }
    // The message goes when its field changes (for a list of inputs, any of them).
    const watched = control || slot.parentElement;
    const entry = { slot, control, stop: () => {
      watched.removeEventListener("input", fixed);
      watched.removeEventListener("change", fixed);
    } };
    function fixed() {
      entry.stop();
      unmark(entry);
      const left = (shown.get(form) || []).filter((other) => other !== entry);
      shown.set(form, left);
      if (!left.length && !loose.length) clearMsg(box);
    }
    watched.addEventListener("input", fixed);
    watched.addEventListener("change", fixed);
    marked.push(entry);
  }
  shown.set(form, marked);
  if (box) {
    const where = marked.length === 1 ? "the field marked above" : `the ${marked.length} fields marked above`;
    say(box, [marked.length ? `Check ${where}.` : "", ...loose].join(" ").trim());
  }
  const first = marked[0];
  if (first && first.control) first.control.focus();
  else if (first) first.slot.scrollIntoView({ block: "nearest" });
}

/** A whole number typed in `input`, or the text as typed (for the edge to say what is wrong). */
export function wholeOf(input) {
  const text = input.value.trim();
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/**
 * Run `fn` for a button: disable it while it runs, clear `box`, show any error in `box`; with
 * `form`, an error about fields puts each problem under its field (`names` as in showProblems).
 * Returns fn's result or undefined.
 */
export async function act(button, box, fn, { form, names } = {}) {
  if (button) button.disabled = true;
  clearMsg(box);
  if (form) clearProblems(form);
  try {
    return await fn();
  } catch (err) {
    const problems = form ? problemsOf(err) : null;
    if (problems) showProblems(form, problems, { names, box });
    else if (box) say(box, err);
    else toast(explain(err), "error");
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Ask a question in a dialog; resolves true when the person confirms, false otherwise. */
export function ask({ title, text, confirmLabel }) {
  return new Promise((resolve) => {
    let yes = false;
    const dialog = modal({ title, body: h("p", {}, text), submitLabel: confirmLabel,
      onSubmit() {
        yes = true;
        return true;
      } });
    dialog.addEventListener("close", () => resolve(yes));
  });
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

/**
 * Print `pages` (elements, one for each sheet of paper) instead of this page. They wait in a
 * part of the document that only the print styles show, each on a page of its own (admin.css),
 * and go once the printing is done; the page itself stays as it was.
 */
export function printPages(pages) {
  for (const old of document.querySelectorAll("body > .print-pages")) old.remove();
  const sheets = h("div", { class: "print-pages" }, pages.map((page) => h("div", { class: "print-page" }, page)));
  document.body.append(sheets);
  document.body.classList.add("printing-pages");
  window.addEventListener("afterprint", () => {
    sheets.remove();
    document.body.classList.remove("printing-pages");
  }, { once: true });
  window.print();
}
