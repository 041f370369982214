// The POS's dialogs: a modal in the house style (ui/lib/style.css), a toast, a manager's
// approval on the spot (pick a manager, type their PIN) for what the cashier may not do alone,
// and a reason asked before a void, a cancel or a refund.

import { h } from "/ui/lib/element.js";
import { createPinPad } from "/ui/lib/pinpad.js";

/** A modal dialog; `body` is its content, `actions` its footer buttons. Returns {dialog, close}. */
export function openModal({ title, body, actions = [], wide = false, onClose = () => {} }) {
  const dialog = h("dialog", { class: `modal pos-modal${wide ? " pos-modal-wide" : ""}`, "aria-label": title },
    h("div", { class: "modal-form" },
      h("div", { class: "modal-head" },
        h("h2", {}, title),
        h("button", { type: "button", class: "btn btn-ghost btn-icon", "aria-label": "Close", onclick: () => close() }, "✕")),
      h("div", { class: "modal-body" }, body),
      actions.length ? h("div", { class: "modal-foot" }, ...actions) : null));
  function close() {
    if (dialog.open) dialog.close();
  }
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

let toasts = null;

export function toast(text, kind = "ok") {
  if (!toasts) {
    toasts = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(toasts);
  }
  const note = h("div", { class: `toast${kind === "error" ? " toast-error" : ""}` }, text);
  toasts.append(note);
  setTimeout(() => note.remove(), 3500);
}

/**
 * Run `call(approval)`; when the box answers 403 approval_required, ask for a manager's PIN on
 * the spot and run it again with {staff_id, pin}. Resolves with the call's answer, or null when
 * the cashier gave up.
 */
export async function withApproval(api, call, why) {
  try {
    return await call(undefined);
  } catch (err) {
    if (err.code !== "approval_required") throw err;
  }
  const roster = (await api.get("/api/staff/roster")).filter((m) => ["manager", "owner"].includes(m.role));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (value) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    const choose = h("div", { class: "pos-approvers" });
    const padHolder = h("div", {});
    let pad = null; // listens to the keyboard until it is destroyed
    const { close } = openModal({
      title: "A manager's approval",
      body: [h("p", { class: "muted" }, why), choose, padHolder],
      onClose: () => {
        if (pad) pad.destroy();
        finish(null);
      },
    });
    for (const manager of roster) {
      choose.append(h("button", { type: "button", class: "btn", onclick: () => ask(manager) }, manager.name));
    }
    function ask(manager) {
      if (pad) pad.destroy();
      pad = createPinPad({
        label: `${manager.name}'s PIN`,
        submitLabel: "Approve",
        onSubmit: async (pin) => {
          try {
            const answer = await call({ staff_id: manager.id, pin });
            finish(answer);
            close();
          } catch (err) {
            pad.clear();
            pad.setMessage(err.message, "error");
          }
        },
      });
      padHolder.replaceChildren(h("p", { class: "small" }, `${manager.name}, type your PIN`), pad.element);
      pad.focus();
    }
  });
}

/**
 * Ask a reason, then `send(reason, approval)` (with a manager's PIN when the box wants one);
 * `onDone(answer)` once it went through. `extra` is more of the form (a refund's amount).
 */
export function askReason(api, { title, why, label, extra = null, send, onDone }) {
  // the dialog opens on what is typed first: the reason, or the extra's field (autofocus)
  const reason = h("input", { class: "input", name: "reason", maxlength: "140", placeholder: "Reason", "aria-label": "Reason", autofocus: !extra });
  const note = h("p", { class: "msg", role: "alert" });
  const { close } = openModal({
    title,
    body: [note, extra, h("label", { class: "field" }, h("span", {}, "Reason"), reason)],
    actions: [h("button", { type: "button", class: "btn btn-danger-solid", onclick: async () => {
      try {
        const answer = await withApproval(api, (approval) => send(reason.value.trim(), approval), why);
        if (answer) {
          close();
          await onDone(answer);
        }
      } catch (err) {
        note.className = "msg msg-error";
        note.textContent = err.message;
      }
    } }, label)],
  });
}
