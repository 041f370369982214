// Audit: who did what and when, newest first, with the approving manager and what changed.

import { act, field, formatWhen, h, msgBox } from "./dom.js";

const ENTITIES = {
  store: "Settings",
  menu_items: "Menu item",
  menu_categories: "Category",
  modifier_groups: "Modifier group",
  modifiers: "Modifier",
  item_modifier_groups: "Item modifiers",
  tax_rates: "Tax rate",
  areas: "Area",
  tables: "Table",
  staff: "Staff",
  staff_sessions: "Sign-in",
  pin_failures: "PIN attempts",
  orders: "Order",
  order_lines: "Order line",
};
const OPS = { create: "added", update: "changed", delete: "removed" };
const PAGE = 50;

function describeValue(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function summary(event) {
  const what = ENTITIES[event.entity] || event.entity;
  const fields = event.fields || {};
  const label = fields.name ? ` “${fields.name}”` : "";
  if (event.entity === "menu_items" && Object.keys(fields).length === 1 && "available" in fields) {
    return fields.available ? "Item back on sale" : "Item 86'd";
  }
  if (event.entity === "staff_sessions") {
    if (event.op === "create") return "Signed in";
    return "Signed out";
  }
  return `${what}${label} ${OPS[event.op] || event.op}`;
}

function changes(event) {
  const fields = { ...(event.fields || {}) };
  if (event.entity === "staff_sessions") return h("span", { class: "muted small" }, fields.device ? `on ${fields.device}` : "");
  // Ids and positions mean nothing to a person reading the trail.
  const entries = Object.entries(fields).filter(([key, value]) =>
    key !== "position" && key !== "hub_rev" && !(key.endsWith("_id") && /^[0-9a-f-]{36}$/.test(String(value))));
  if (!entries.length) return "";
  return h("dl", { class: "changes" }, entries.slice(0, 12).flatMap(([key, value]) => [
    h("dt", {}, key.replaceAll("_", " ")),
    h("dd", {}, describeValue(value).slice(0, 160)),
  ]));
}

function who(event, staffById) {
  if (event.actor_name) return event.actor_name;
  if (!event.actor) return "—";
  if (event.actor === "system") return "Galley (system)";
  if (event.actor.startsWith("device:")) return `Device ${event.actor.slice(7)}`;
  const member = staffById.get(event.actor);
  return member ? member.name : event.actor;
}

function dayStartIso(value, addDays = 0) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day + addDays).toISOString();
}

export default {
  id: "audit",
  title: "Audit",
  icon: "audit",
  mount(root, ctx) {
    const state = { before: null, staff: new Map(), filters: {}, done: false };
    const message = msgBox();
    const tbody = h("tbody", {});
    const more = h("button", { type: "button", class: "btn", onclick: () => act(more, message, () => page(false)) }, "Load more");
    const countLine = h("p", { class: "muted small" });

    const entity = h("select", { class: "select", name: "entity" },
      h("option", { value: "" }, "Everything"),
      Object.entries(ENTITIES).map(([value, label]) => h("option", { value }, label)));
    const actor = h("select", { class: "select", name: "actor" }, h("option", { value: "" }, "Anyone"));
    const from = h("input", { class: "input", type: "date", name: "from" });
    const to = h("input", { class: "input", type: "date", name: "to" });
    const apply = h("button", { type: "submit", class: "btn btn-primary" }, "Show");
    const filters = h("form", { class: "card card-pad audit-filters", novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      act(apply, message, () => page(true));
    } },
    field("What", entity), field("Who", actor), field("From", from), field("To (inclusive)", to),
    h("div", { class: "audit-apply" }, apply));

    root.append(
      h("div", { class: "page-head" }, h("h1", {}, "Audit")),
      filters,
      message,
      h("div", { class: "card" }, h("div", { class: "table-wrap" },
        h("table", { class: "table audit-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Who"), h("th", {}, "What"), h("th", {}, "Details"))),
          tbody))),
      h("div", { class: "row audit-more" }, more, countLine));

    function row(event) {
      const approver = event.approver ? h("div", { class: "small approver" }, "approved by ", h("strong", {}, event.approver_name || event.approver)) : null;
      return h("tr", { "data-seq": String(event.seq) },
        h("td", { class: "nowrap", "data-label": "When" }, formatWhen(event.at)),
        h("td", { "data-label": "Who" }, h("div", { class: "audit-who" }, who(event, state.staff)), approver),
        h("td", { "data-label": "What" }, h("div", {}, summary(event)),
          event.origin === "hub" ? h("span", { class: "badge badge-info" }, "from the hub") : null),
        h("td", { "data-label": "Details" }, changes(event)));
    }

    async function page(fresh) {
      if (fresh) {
        state.before = null;
        state.done = false;
        state.filters = {
          entity: entity.value,
          actor: actor.value,
          from: from.value ? dayStartIso(from.value) : "",
          to: to.value ? dayStartIso(to.value, 1) : "",
        };
      }
      const params = new URLSearchParams({ limit: String(PAGE) });
      for (const [key, value] of Object.entries(state.filters)) if (value) params.set(key, value);
      if (state.before) params.set("before", String(state.before));
      const result = await ctx.api.get(`/api/audit?${params}`);
      const rows = result.events.map(row);
      if (fresh) tbody.replaceChildren(...rows);
      else tbody.append(...rows);
      if (fresh && !rows.length) {
        tbody.replaceChildren(h("tr", {}, h("td", { colspan: "4", class: "empty" }, "Nothing matches these filters.")));
      }
      state.before = result.next_before;
      state.done = result.events.length < PAGE;
      more.hidden = state.done;
      const shown = tbody.querySelectorAll("tr[data-seq]").length;
      countLine.textContent = shown ? `${shown} event${shown > 1 ? "s" : ""} shown${state.done ? " — that is all" : ""}` : "";
    }

    (async () => {
      try {
        const staff = await ctx.api.get("/api/staff");
        for (const member of staff) {
          state.staff.set(member.id, member);
          actor.append(h("option", { value: member.id }, member.name));
        }
      } catch {
        // The filter still works without names.
      }
    })();
    act(null, message, () => page(true));
    return {};
  },
};
