// Devices: the tablets, tills and phones paired with the box. Staff see the staff list and
// sign in only on these (guests share the Wi-Fi); a manager pairs a new one with a one-time code
// shown here, renames them, and revokes one that is lost or gone: its sign-ins end at once.

import { showOverflow } from "/ui/lib/overflow.js";
import { clock } from "/ui/lib/pinpad.js";
import { dateTimeIn } from "/ui/lib/time.js";
import { confirmAction, drawList, field, h, modal, msgBox } from "./dom.js";

const CHANGES = new Set(["devices", "pairing_codes"]);

export default {
  id: "devices",
  title: "Devices",
  icon: "devices",
  mount(root, ctx) {
    const state = { devices: null, timer: null, pairing: null };
    const body = h("div", {});
    const when = (iso) => (iso ? dateTimeIn(iso, ctx.store.timezone) : "");

    root.append(
      h("div", { class: "page-head devices-head" },
        h("div", { class: "head-title" },
          h("h1", {}, "Devices"),
          h("span", { class: "head-sub" },
            "Staff see the staff list and sign in only on these. A guest on the store’s Wi-Fi can’t.")),
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "btn btn-primary", onclick: pairNew }, "+ Pair a new device")),
      body);

    async function load() {
      try {
        state.devices = await ctx.api.get("/api/devices");
      } catch (err) {
        body.replaceChildren(h("p", { class: "msg msg-error" }, `Could not load the devices: ${err.message}`));
        return;
      }
      render();
    }

    function reloadSoon() {
      clearTimeout(state.timer);
      state.timer = setTimeout(load, 150);
    }

    const rows = h("tbody", {});
    const table = h("div", { class: "card staff-card" }, showOverflow(h("div", { class: "table-wrap" },
      h("table", { class: "table fold-table devices-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Device"), h("th", {}, "Paired"), h("th", {}, "Last sign-in"),
          h("th", {}, "Status"), h("th", { class: "sr-th" }, h("span", { class: "sr-only" }, "Actions")))),
        rows))));

    function render() {
      if (body.firstChild !== table) body.replaceChildren(table);
      drawList(rows, state.devices, (device) => device.id, (device) => JSON.stringify(device), deviceRow);
    }

    function deviceRow(device) {
      const message = msgBox();
      const revoked = Boolean(device.revoked_at);
      const paired = [device.paired_by ? `by ${device.paired_by}` : "at the box", when(device.paired_at)].join(" · ");
      return h("tr", { class: revoked ? "is-inactive" : "", "data-device": device.name },
        h("td", { "data-label": "Device" }, h("div", { class: "staff-name" }, device.name,
          device.current ? h("span", { class: "muted small" }, " (this device)") : null)),
        h("td", { "data-label": "Paired", class: "small" }, paired),
        h("td", { "data-label": "Last sign-in", class: "small" },
          device.last_sign_in_at ? when(device.last_sign_in_at) : h("span", { class: "muted" }, "Never")),
        h("td", { "data-label": "Status", class: "status-cell" }, revoked
          ? h("span", { class: "badge", title: `Revoked ${when(device.revoked_at)}` },
            `Revoked${device.revoked_by ? ` by ${device.revoked_by}` : ""}`)
          : h("span", { class: "badge badge-ok" }, "Paired")),
        h("td", { class: "actions-cell" },
          revoked ? null : h("div", { class: "row row-end" },
            h("button", { type: "button", class: "btn btn-sm", onclick: () => rename(device) }, "Rename"),
            h("button", { type: "button", class: "btn btn-sm btn-danger", disabled: device.current,
              title: device.current ? "Revoke it from another device" : "", onclick: () => revoke(device) }, "Revoke")),
          message));
    }

    function rename(device) {
      modal({
        title: `Rename ${device.name}`,
        body: field("Device name", h("input", { class: "input", name: "name", value: device.name, maxlength: "40", autocomplete: "off" })),
        async onSubmit(form) {
          const name = form.elements.name.value.trim();
          if (name !== device.name) await ctx.api.patch(`/api/devices/${device.id}`, { name });
          await load();
          return true;
        },
      });
    }

    function revoke(device) {
      confirmAction({
        title: `Revoke ${device.name}?`,
        text: `Whoever is signed in on ${device.name} is signed out at once, and it can no longer show the staff list or sign anyone in. To use it again, pair it with a new code.`,
        confirmLabel: "Revoke",
        async action() {
          await ctx.api.post(`/api/devices/${device.id}/revoke`);
          ctx.toast(`${device.name} revoked`);
          await load();
        },
      });
    }

    function pairNew() {
      const dialog = modal({
        title: "Pair a new device",
        submitLabel: "Make a code",
        body: [
          h("p", {}, "A one-time code for the new tablet, till or phone. On it, open this page’s address and enter the code."),
          field("Device name (optional)", h("input", { class: "input", name: "name", maxlength: "40", placeholder: "e.g. Bar tablet", autocomplete: "off" }),
            "Leave empty to let the device name itself"),
        ],
        async onSubmit(form) {
          const name = form.elements.name.value.trim();
          const made = await ctx.api.post("/api/devices/pairing-codes", name ? { name } : {});
          showCode(dialog, made);
          return false;
        },
      });
      dialog.addEventListener("close", () => {
        if (state.pairing) clearInterval(state.pairing.ticker);
        state.pairing = null;
      });
    }

    /** The code, big, with its expiry counting down; it says so when the device pairs. */
    function showCode(dialog, made) {
      const countdown = h("p", { class: "pair-expiry", role: "timer" });
      const status = h("p", { class: "pair-status muted", role: "status", "aria-live": "polite" },
        made.name ? `Waiting for ${made.name}…` : "Waiting for the device…");
      const box = h("div", { class: "pair-show" },
        h("p", { class: "pair-big", "aria-label": `Pairing code ${made.code.split("").join(" ")}` }, made.code),
        countdown, status);
      dialog.querySelector(".modal-body").replaceChildren(box,
        h("p", { class: "muted small" }, `On the new device, open ${location.origin}/admin/, then enter this code and a name for the device.`));
      const foot = dialog.querySelector(".modal-foot");
      foot.querySelector("button[type=submit]").remove();
      foot.querySelector(".btn:not(.btn-ghost)").textContent = "Done";
      const ends = Date.parse(made.expires_at);
      const tick = () => {
        const left = (ends - Date.now()) / 1000;
        if (left <= 0) {
          clearInterval(state.pairing.ticker);
          countdown.textContent = "This code has expired: make another.";
          countdown.dataset.kind = "expired";
          return;
        }
        countdown.textContent = `Valid for ${clock(left)}, once`;
      };
      state.pairing = { id: made.id, status, ticker: setInterval(tick, 1000) };
      tick();
    }

    body.append(h("p", { class: "empty" }, "Loading devices…"));
    load();
    return {
      onEvent(event) {
        if (!CHANGES.has(event.entity)) return;
        const pairing = state.pairing;
        if (pairing && event.entity === "pairing_codes" && event.entity_id === pairing.id && event.fields.used_at) {
          clearInterval(pairing.ticker);
          pairing.status.textContent = "Paired. It is in the list now.";
          pairing.status.className = "pair-status msg msg-ok";
        }
        reloadSoon();
      },
      destroy() {
        clearTimeout(state.timer);
        if (state.pairing) clearInterval(state.pairing.ticker);
      },
    };
  },
};
