// The pairing screen: a device the box does not know yet (or one a manager revoked) enters the
// one-time code a manager made and a name for itself; the box answers a credential, kept in this
// browser, and the staff tiles follow. Shown by `mountSignIn` when the box answers
// `device_not_paired` or `device_revoked`: guests share the Wi-Fi, so only paired devices see the
// staff list and the PIN pad.
//
//   showPairing(card, { api, device, notice, onPaired })

import { h } from "/ui/lib/element.js";


/** The code as it is usually written, XXXX-XXXX, whatever was typed. */
function tidy(text) {
  const plain = text.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 8);
  return plain.length > 4 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : plain;
}

/** The box's message as a sentence: a capital first, a full stop last. */
function sentence(text) {
  if (!text) return "";
  const said = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(said) ? said : `${said}.`;
}

/** Fill `card` with the pairing form; `onPaired(device)` once the box paired this browser. */
export function showPairing(card, { api, device, notice = "", onPaired = () => {} }) {
  const code = h("input", { class: "input pair-code", name: "code", autocomplete: "off",
    autocapitalize: "characters", spellcheck: "false", maxlength: "12", placeholder: "XXXX-XXXX",
    "aria-describedby": "pair-code-hint", required: true,
    oninput: () => {
      const at = code.value.length === code.selectionStart;
      code.value = tidy(code.value);
      if (at) code.setSelectionRange(code.value.length, code.value.length);
    } });
  const name = h("input", { class: "input", name: "name", autocomplete: "off", maxlength: "40",
    placeholder: "e.g. Bar tablet", value: device.name || "", "aria-describedby": "pair-name-hint" });
  const message = h("p", { class: "pin-message", role: "alert", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Pair this device");
  const fields = { code, name };

  function problem(err) {
    const field = err.details && typeof err.details.field === "string" ? err.details.field : null;
    for (const [key, input] of Object.entries(fields)) {
      if (key === field) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    if (err.code === "too_many_attempts") {
      return `Too many tries from this device. Try again in ${Math.ceil((err.details.retry_after || 60) / 60)} min.`;
    }
    return sentence(err.message) || "Pairing failed.";
  }

  const form = h("form", { class: "pair-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    if (!code.value.trim()) {
      code.setAttribute("aria-invalid", "true");
      message.textContent = "Enter the pairing code a manager gave you.";
      code.focus();
      return;
    }
    submit.disabled = true;
    message.textContent = "";
    try {
      const paired = await device.pair(api, code.value, name.value.trim());
      onPaired(paired);
    } catch (err) {
      message.textContent = problem(err);
      const bad = fields[err.details && err.details.field] || code;
      bad.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  h("label", { class: "field" }, h("span", {}, "Pairing code"), code,
    h("span", { class: "hint", id: "pair-code-hint" }, "8 letters and digits, valid for minutes and once")),
  h("label", { class: "field" }, h("span", {}, "Name this device"), name,
    h("span", { class: "hint", id: "pair-name-hint" }, "How it shows in the managers’ list; leave empty if the manager named it")),
  message,
  submit);

  card.replaceChildren(...[
    h("h1", { id: "signin-title", class: "signin-title" }, "Pair this device"),
    notice ? h("p", { class: "msg msg-warn pair-notice", role: "status" }, sentence(notice)) : null,
    h("p", { class: "signin-sub" }, "Staff sign in only on devices paired with the store’s box. ",
      "Ask a manager for a pairing code: on their admin page, ", h("strong", {}, "Devices"), ", then ",
      h("strong", {}, "Pair a new device"), ". At the box itself, ", h("code", {}, "galley edge pair"),
      " prints one."),
    form,
  ].filter(Boolean));
  code.focus();
}
