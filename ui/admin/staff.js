// Staff: who may sign in, their role, lockouts after wrong PINs (on a device, or on every device
// after guessing on several) and unlocking; add, change role, reset PIN, deactivate and
// reactivate.

import { showOverflow } from "/ui/lib/overflow.js";
import { clock } from "/ui/lib/pinpad.js";
import { act, confirmAction, drawList, field, h, modal, msgBox } from "./dom.js";

const ROLES = ["owner", "manager", "cashier", "waiter", "kitchen"];
const ROLE_HINT = {
  owner: "Everything, including owners",
  manager: "Menu, tables, staff, settings, audit",
  cashier: "Orders and payments",
  waiter: "Orders at the table",
  kitchen: "Kitchen display, 86",
};

function pinInput(name = "pin") {
  return h("input", { class: "input", name, type: "password", inputmode: "numeric", pattern: "\\d*",
    autocomplete: "new-password", minlength: "4", maxlength: "8", placeholder: "4–8 digits" });
}

export default {
  id: "staff",
  title: "Staff",
  icon: "staff",
  mount(root, ctx) {
    const state = { staff: null, timer: null, ticker: null };
    const pageMsg = msgBox();
    const body = h("div", {});
    const roles = ROLES.filter((role) => role !== "owner" || ctx.may("staff.edit_owner"));

    root.append(
      h("div", { class: "page-head" },
        h("h1", {}, "Staff"),
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "btn btn-primary", onclick: addStaff }, "+ Add staff")),
      pageMsg,
      body);

    async function load() {
      try {
        state.staff = await ctx.api.get("/api/staff");
      } catch (err) {
        body.replaceChildren(h("p", { class: "msg msg-error" }, `Could not load the staff: ${err.message}`));
        return;
      }
      render();
    }

    function reloadSoon() {
      clearTimeout(state.timer);
      state.timer = setTimeout(load, 150);
    }

    function lockText(member) {
      if (member.locked_until) {
        const left = (Date.parse(member.locked_until) - Date.now()) / 1000;
        const devices = member.locked_devices;
        const label = member.account_lock ? "Locked on every device"
          : `Locked on ${devices === 1 ? "1 device" : `${devices} devices`}`;
        if (left > 0) return { text: `${label} · ${clock(left)}`, label, kind: "badge-danger" };
      }
      if (member.failures > 0) return { text: `${member.failures} wrong PIN${member.failures > 1 ? "s" : ""}`, kind: "badge-warn" };
      return null;
    }

    // One table for the section's life; its rows are redrawn only when their member changes.
    const rows = h("tbody", {});
    const table = h("div", { class: "card staff-card" }, showOverflow(h("div", { class: "table-wrap" },
      h("table", { class: "table fold-table staff-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Role"), h("th", {}, "Status"), h("th", { class: "sr-th" }, h("span", { class: "sr-only" }, "Actions")))),
        rows))));

    function render() {
      if (body.firstChild !== table) body.replaceChildren(table);
      drawList(rows, state.staff, (member) => member.id, (member) => JSON.stringify(member), staffRow);
    }

    function staffRow(member) {
      const message = msgBox();
      const lock = lockText(member);
      const isMe = member.id === ctx.me.id;
      const canTouch = member.role !== "owner" || ctx.may("staff.edit_owner");
      const toggle = h("button", { type: "button", class: member.active ? "btn btn-sm btn-danger" : "btn btn-sm",
        disabled: isMe || !canTouch,
        onclick: () => member.active ? confirmAction({
          title: `Deactivate ${member.name}?`,
          text: `${member.name} is signed out on every device and can no longer sign in. You can reactivate them later.`,
          confirmLabel: "Deactivate",
          async action() {
            await ctx.api.patch(`/api/staff/${member.id}`, { active: false });
            ctx.toast(`${member.name} deactivated`);
            await load();
          },
        }) : act(toggle, message, async () => {
          await ctx.api.patch(`/api/staff/${member.id}`, { active: true });
          ctx.toast(`${member.name} can sign in again`);
          await load();
        }) }, member.active ? "Deactivate" : "Reactivate");
      return h("tr", { class: member.active ? "" : "is-inactive", "data-staff": member.name },
        h("td", { "data-label": "Name" }, h("div", { class: "staff-name" }, member.name, isMe ? h("span", { class: "muted small" }, " (you)") : null)),
        h("td", { "data-label": "Role" }, h("span", { class: "role-chip" }, member.role)),
        h("td", { "data-label": "Status", class: "status-cell" },
          member.active ? h("span", { class: "badge badge-ok" }, "Active") : h("span", { class: "badge" }, "Inactive"),
          lock ? h("span", { class: `badge ${lock.kind} lock-badge`, "data-locked-until": member.locked_until || "",
            "data-label": lock.label || "" }, lock.text) : null),
        h("td", { class: "actions-cell" },
          h("div", { class: "row row-end" },
            h("button", { type: "button", class: "btn btn-sm", disabled: !canTouch, onclick: () => editStaff(member) }, "Edit"),
            lock ? h("button", { type: "button", class: "btn btn-sm", disabled: !canTouch, "aria-label": `Unlock ${member.name}`,
              title: "Let them try their PIN again now, on every device",
              onclick: (event) => act(event.currentTarget, message, async () => {
                await ctx.api.post(`/api/staff/${member.id}/unlock`);
                ctx.toast(`${member.name} can try their PIN again`);
                await load();
              }) }, "Unlock") : null,
            h("button", { type: "button", class: "btn btn-sm", disabled: !canTouch, onclick: () => resetPin(member) }, "Reset PIN"),
            toggle),
          message));
    }

    function roleSelect(current) {
      const options = roles.includes(current) ? roles : [current, ...roles];
      return h("select", { class: "select", name: "role" }, options.map((role) =>
        h("option", { value: role, selected: role === current }, `${role[0].toUpperCase()}${role.slice(1)} — ${ROLE_HINT[role]}`)));
    }

    function addStaff() {
      modal({
        title: "Add a staff member",
        submitLabel: "Add staff",
        body: [
          field("Name", h("input", { class: "input", name: "name", maxlength: "60", autocomplete: "off" })),
          field("Role", roleSelect("waiter")),
          field("PIN", pinInput(), "They sign in with it on any device; share it in person"),
        ],
        async onSubmit(form) {
          const name = form.elements.name.value.trim();
          await ctx.api.post("/api/staff", { name, role: form.elements.role.value, pin: form.elements.pin.value });
          ctx.toast(`${name} added`);
          await load();
          return true;
        },
      });
    }

    function editStaff(member) {
      modal({
        title: `Edit ${member.name}`,
        body: [
          field("Name", h("input", { class: "input", name: "name", value: member.name, maxlength: "60" })),
          field("Role", roleSelect(member.role), "Changing the role signs them out everywhere"),
        ],
        async onSubmit(form) {
          const changes = {};
          const name = form.elements.name.value.trim();
          if (name !== member.name) changes.name = name;
          if (form.elements.role.value !== member.role) changes.role = form.elements.role.value;
          if (Object.keys(changes).length) await ctx.api.patch(`/api/staff/${member.id}`, changes);
          await load();
          return true;
        },
      });
    }

    function resetPin(member) {
      modal({
        title: `New PIN for ${member.name}`,
        submitLabel: "Set PIN",
        body: [
          field("New PIN", pinInput()),
          h("p", { class: "muted small" }, "This also clears a lockout and signs them out on every device."),
        ],
        async onSubmit(form) {
          await ctx.api.patch(`/api/staff/${member.id}`, { pin: form.elements.pin.value });
          ctx.toast(`New PIN set for ${member.name}`);
          await load();
          return true;
        },
      });
    }

    body.append(h("p", { class: "empty" }, "Loading staff…"));
    load();
    // Lockouts count down on screen without a reload.
    state.ticker = setInterval(() => {
      for (const badge of root.querySelectorAll(".lock-badge[data-locked-until]")) {
        const until = Date.parse(badge.dataset.lockedUntil);
        if (!until) continue;
        const left = (until - Date.now()) / 1000;
        badge.textContent = left > 0 ? `${badge.dataset.label} · ${clock(left)}` : "Lockout over";
      }
    }, 1000);
    return {
      onEvent(event) {
        if (["staff", "pin_failures", "pin_lockouts"].includes(event.entity)) reloadSoon();
      },
      destroy() {
        clearTimeout(state.timer);
        clearInterval(state.ticker);
      },
    };
  },
};
