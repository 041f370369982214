// Menu: categories and their items (price, station, course, 86), the item editor, and the
// modifier groups. Reloads itself when the live feed reports a menu change from any device.

import { tag } from "/ui/lib/element.js";
import { formatDelta, minorDigits, percentText } from "/ui/lib/money.js";
import { parseMoney, toDecimalText } from "/ui/lib/typed-money.js";
import { showOverflow } from "/ui/lib/overflow.js";
import { arrangeDialog } from "./arrange.js";
import { act, ask, drawList, field, h, modal, msgBox, say, switchInput, wholeOf } from "./dom.js";

const COURSES = ["DRINKS", "STARTERS", "MAINS", "DESSERTS"];
const MENU_ENTITIES = new Set(["tax_rates", "menu_categories", "menu_items", "modifier_groups",
  "modifiers", "item_modifier_groups"]);

function currencySymbol(currency) {
  try {
    const part = new Intl.NumberFormat(undefined, { style: "currency", currency })
      .formatToParts(0).find((p) => p.type === "currency");
    return part ? part.value : currency;
  } catch {
    return currency;
  }
}

function example(currency) {
  const digits = minorDigits(currency);
  return digits ? `12.${"5".padEnd(digits, "0")}` : "1200";
}

function priceInput(name, minor, currency) {
  return h("div", { class: "input-money" },
    h("span", { class: "prefix" }, currencySymbol(currency)),
    h("input", { class: "input", name, inputmode: "decimal", autocomplete: "off", placeholder: example(currency),
      value: minor === undefined || minor === null ? "" : toDecimalText(minor, currency) }));
}

/**
 * The amount typed in `name`, in minor units. Text that is no amount is sent as typed: the
 * edge refuses it together with the form's other problems, and the field says why in the
 * page's words (its custom validity message, which the form's problems show instead).
 */
function readPrice(form, name, currency) {
  const input = form.elements[name];
  const minor = parseMoney(input.value, currency);
  const digits = minorDigits(currency);
  input.setCustomValidity(minor !== null ? ""
    : `Enter an amount such as ${example(currency)}${digits ? `, with up to ${digits} decimals` : ""}.`);
  return minor === null ? input.value : minor;
}

/** Before a choice that lowers the item's price is saved: a minus typed by mistake would give
 * every such order away cheaper, unnoticed. */
function lowersPrice(name, minor, currency) {
  if (typeof minor !== "number" || minor >= 0) return true;
  const amount = toDecimalText(minor, currency);
  return ask({
    title: "A choice that lowers the price?",
    text: `Choices with a negative price lower the item's price: keep ${amount} for ${name || "this choice"}?`,
    confirmLabel: `Keep ${amount}`,
  });
}

/** The value most of `values` have (the first of them on a tie), or `fallback` for none. */
function mostCommon(values, fallback) {
  const counts = new Map();
  for (const value of values) counts.set(value, (counts.get(value) || 0) + 1);
  let best = fallback;
  let most = 0;
  for (const [value, count] of counts) {
    if (count > most) [best, most] = [value, count];
  }
  return best;
}

/** The course a category's name says, for a category with no items yet: "Starters" is
 * STARTERS, "Hot drinks" DRINKS; any other is MAINS. */
function courseOfName(name) {
  const upper = name.toUpperCase();
  return COURSES.find((course) => upper.includes(course.replace(/S$/, ""))) || "MAINS";
}

export default {
  id: "menu",
  title: "Menu",
  icon: "menu",
  mount(root, ctx) {
    const state = { data: null, categoryId: null, view: "items", query: "", timer: null, destroyed: false };
    const pageMsg = msgBox();
    const body = h("div", { class: "menu-body" });
    const search = h("input", { class: "input search", type: "search", placeholder: "Find an item…",
      "aria-label": "Find an item", oninput: () => { state.query = search.value.trim().toLowerCase(); render(); } });
    const tabItems = h("button", { type: "button", class: "seg-btn", onclick: () => setView("items") }, "Items");
    const tabGroups = h("button", { type: "button", class: "seg-btn", onclick: () => setView("groups") }, "Modifier groups");
    root.append(
      h("div", { class: "page-head" },
        h("h1", {}, "Menu"),
        h("div", { class: "seg", role: "tablist" }, tabItems, tabGroups),
        h("span", { class: "spacer" }),
        search),
      pageMsg,
      body);

    function setView(view) {
      state.view = view;
      render();
    }

    async function load() {
      try {
        state.data = await ctx.api.get("/api/menu/all");
        say(pageMsg, "");
      } catch (err) {
        say(pageMsg, `Could not load the menu: ${err.message}`);
        return;
      }
      if (state.destroyed) return;
      const ids = state.data.categories.map((c) => c.id);
      if (!ids.includes(state.categoryId)) state.categoryId = ids[0] || null;
      render();
    }

    function reloadSoon() {
      clearTimeout(state.timer);
      state.timer = setTimeout(load, 120);
    }

    function money(minor) {
      return ctx.money(minor);
    }

    function render() {
      tabItems.classList.toggle("active", state.view === "items");
      tabGroups.classList.toggle("active", state.view === "groups");
      tabItems.setAttribute("aria-selected", String(state.view === "items"));
      tabGroups.setAttribute("aria-selected", String(state.view === "groups"));
      search.hidden = state.view !== "items";
      if (!state.data) {
        body.replaceChildren(h("p", { class: "empty" }, "Loading the menu…"));
        return;
      }
      // Each view is built once and kept: a live update (an 86 from the kitchen, say) redraws
      // only the rows that changed, so a tap in progress and a half-typed modifier survive it.
      const view = state.view === "items" ? itemsView : groupsView;
      if (body.firstChild !== view.root) body.replaceChildren(view.root);
      view.draw();
    }

    // ---------- items ----------

    const itemsView = (() => {
      const list = showOverflow(h("div", { class: "cat-scroll" }));
      const panel = h("div", { class: "contents" });
      return {
        root: h("div", { class: "menu-layout" },
          h("nav", { class: "cat-list card", "aria-label": "Categories" }, list,
            h("div", { class: "cat-actions" },
              h("button", { type: "button", class: "cat-btn cat-add", "aria-label": "Add category", onclick: addCategory },
                "+", h("span", { class: "cat-action-word" }, " Add category")),
              h("button", { type: "button", class: "cat-btn cat-add", "aria-label": "Reorder categories", onclick: arrangeCategories },
                "↕", h("span", { class: "cat-action-word" }, " Reorder")))),
          panel),
        draw() {
          const { categories } = state.data;
          drawList(list, categories, (c) => c.id, categoryButtonLook, categoryButton);
          for (const button of list.children) {
            button.classList.toggle("active", button.dataset.categoryId === state.categoryId && !state.query);
          }
          const category = categories.find((c) => c.id === state.categoryId);
          const key = state.query ? "search" : category ? category.id : "none";
          drawList(panel, [{ key, category }], (p) => p.key, () => "", itemsPanel);
        },
      };
    })();

    function categoryButtonLook(category) {
      return JSON.stringify([category.name, category.active, category.items.length]);
    }

    function categoryButton(category) {
      return h("button", {
        type: "button",
        class: `cat-btn${category.active ? "" : " is-hidden"}`,
        "data-category-id": category.id,
        onclick: () => { state.categoryId = category.id; state.query = ""; search.value = ""; render(); },
      }, h("span", { class: "cat-name" }, category.name),
      category.active ? null : h("span", { class: "badge" }, "Hidden"),
      h("span", { class: "cat-count" }, String(category.items.length)));
    }

    /** The right-hand card: a category's items, the items matching the search, or a hint. */
    function itemsPanel({ key }) {
      const head = h("div", { class: "card-head" });
      const message = msgBox();
      const items = h("ul", { class: "item-list" });
      const empty = h("p", { class: "empty" });
      const card = h("section", { class: "card items-panel" }, head, message, items, empty);
      card.fill = ({ category }) => {
        let shown;
        if (key === "search") {
          shown = state.data.categories.flatMap((c) => c.items.filter((i) => i.name.toLowerCase().includes(state.query)));
          drawList(head, [state.query], (q) => q, (q) => q, (q) => h("h2", {}, `Items matching “${q}”`));
          empty.textContent = "No item has that name.";
        } else if (category) {
          shown = category.items;
          card.dataset.category = category.name;
          drawList(head, [category], (c) => c.id, categoryHeadLook, (c) => categoryHead(c, message));
          empty.textContent = "No items in this category yet.";
        } else {
          shown = [];
          empty.textContent = "No categories yet. Add the first one.";
        }
        head.hidden = key === "none";
        items.hidden = !shown.length;
        empty.hidden = Boolean(shown.length);
        drawList(items, shown, (item) => item.id, (item) => JSON.stringify([item, ctx.store.currency]), itemRow);
      };
      return card;
    }

    function categoryHeadLook(category) {
      return JSON.stringify([category.name, category.active, category.items.map((i) => i.available && i.active)]);
    }

    // Each arrange dialog reads the list from state.data, which `load` refreshes.
    function arrangeCategories() {
      arrangeDialog({
        title: "Order of the categories",
        hint: "Guests, waiters and the POS see the menu in this order.",
        rows: () => state.data.categories.map((c) => ({ id: c.id, label: c.name,
          sub: `${c.items.length} item${c.items.length === 1 ? "" : "s"}${c.active ? "" : " · hidden"}` })),
        refresh: load,
        async save(ids) {
          await ctx.api.put("/api/menu/categories/order", { ids });
          ctx.toast("Category order saved");
          await load();
        },
      });
    }

    function arrangeItems(categoryId) {
      const category = () => state.data.categories.find((c) => c.id === categoryId) || { name: "", items: [] };
      arrangeDialog({
        title: `Order of ${category().name}`,
        hint: "Items are shown in this order within the category.",
        rows: () => category().items.map((i) => ({ id: i.id, label: i.name,
          sub: [money(i.price), i.available ? null : "86'd", i.active ? null : "hidden"].filter(Boolean).join(" · ") })),
        refresh: load,
        async save(ids) {
          await ctx.api.put(`/api/menu/categories/${categoryId}/items/order`, { ids });
          ctx.toast(`${category().name}: order saved`);
          await load();
        },
      });
    }

    function categoryHead(category, message) {
      const hide = h("button", { type: "button", class: "btn btn-sm", onclick: () =>
        act(hide, message, async () => {
          await ctx.api.patch(`/api/menu/categories/${category.id}`, { active: !category.active });
          ctx.toast(category.active ? `${category.name} is hidden from the menu` : `${category.name} is back on the menu`);
          await load();
        }) }, category.active ? "Hide" : "Show");
      const available = category.items.filter((i) => i.available && i.active).length;
      return h("div", { class: "contents" },
        h("div", { class: "head-title" },
          h("h2", {}, category.name, " ", category.active ? null : h("span", { class: "badge" }, "Hidden")),
          h("span", { class: "head-sub" }, `${available} of ${category.items.length} on sale`)),
        h("div", { class: "row" },
          h("button", { type: "button", class: "btn btn-sm", onclick: () => renameCategory(category) }, "Rename"),
          hide,
          category.items.length > 1 ? h("button", { type: "button", class: "btn btn-sm", onclick: () => arrangeItems(category.id) }, "Reorder") : null,
          h("button", { type: "button", class: "btn btn-sm btn-primary", onclick: () => editItem(null, category) }, "+ Add item")));
    }

    function itemRow(item) {
      const message = msgBox("item-msg");
      const toggle = switchInput({
        name: "available",
        checked: item.available,
        label: h("span", { class: "avail-label" }, item.available ? "Available" : "86'd"),
        onchange: async (event) => {
          const input = event.target;
          const want = input.checked;
          const done = await act(input, message, async () => {
            await ctx.api.put(`/api/menu/items/${item.id}/availability`, { available: want });
            return true;
          });
          if (done) {
            item.available = want;
            row.classList.toggle("is-86", !want);
            row.querySelector(".avail-label").textContent = want ? "Available" : "86'd";
            ctx.toast(want ? `${item.name} is available again` : `${item.name} is 86'd`);
          } else {
            input.checked = !want;
          }
        },
      });
      const groups = item.modifier_group_ids.length;
      const row = h("li", { class: `item-row${item.available ? "" : " is-86"}${item.active ? "" : " is-hidden"}`,
        "data-item-id": item.id, "data-item-name": item.name },
      h("div", { class: "item-main" },
        h("div", { class: "item-name" }, item.name,
          item.active ? null : h("span", { class: "badge" }, "Hidden"),
          h("span", { class: "badge badge-danger badge-86" }, "86")),
        item.description ? h("div", { class: "item-desc" }, item.description) : null,
        h("div", { class: "item-meta" },
          tag("Station", item.station, "badge-info"),
          tag("Course", item.course),
          groups ? h("span", { class: "muted small" }, `${groups} modifier group${groups > 1 ? "s" : ""}`) : null)),
      h("div", { class: "item-price num" }, money(item.price)),
      h("div", { class: "item-actions" }, toggle,
        h("button", { type: "button", class: "btn btn-sm", onclick: () => editItem(item) }, "Edit")),
      message);
      return row;
    }

    function codeOptions(id, values) {
      return h("datalist", { id }, [...new Set(values)].map((value) => h("option", { value })));
    }

    /**
     * What a new item in `category` starts as: taxed like the category's items (a drink like
     * the drinks), else like most of the menu, else at the first rate; made and fired like the
     * category's items, or, in a new category, as its name says.
     */
    function newItem(category) {
      const { tax_rates: rates, categories } = state.data;
      const everything = categories.flatMap((c) => c.items);
      const storeRate = mostCommon(everything.map((i) => i.tax_rate_id), rates[0] && rates[0].id);
      const own = category.items;
      return { name: "", description: "", price: null, modifier_group_ids: [], active: true, category_id: category.id,
        tax_rate_id: mostCommon(own.map((i) => i.tax_rate_id), storeRate),
        station: mostCommon(own.map((i) => i.station), "KITCHEN"),
        course: mostCommon(own.map((i) => i.course), courseOfName(category.name)) };
    }

    function editItem(item, category) {
      const { tax_rates: rates, categories, modifier_groups: groups } = state.data;
      const currency = ctx.store.currency;
      const stations = categories.flatMap((c) => c.items.map((i) => i.station)).concat(["KITCHEN", "BAR"]);
      const courses = COURSES.concat(categories.flatMap((c) => c.items.map((i) => i.course)));
      const current = item || newItem(category);
      const chosen = new Set(current.modifier_group_ids);
      const groupChecks = h("div", { class: "check-grid" }, groups.map((group) =>
        h("label", { class: "check" },
          h("input", { type: "checkbox", name: "group", value: group.id, checked: chosen.has(group.id) }),
          h("span", {}, group.name, " ", h("span", { class: "muted small" }, `(${group.min_choices}–${group.max_choices})`)))));
      const body = [
        field("Name", h("input", { class: "input", name: "name", value: current.name, maxlength: "80", required: true })),
        field("Description", h("textarea", { class: "input", name: "description", maxlength: "300", rows: "2" }, current.description || "")),
        h("div", { class: "grid-2" },
          field("Price", priceInput("price", current.price, currency), "Including tax when the store's prices include tax"),
          field("Tax rate", h("select", { class: "select", name: "tax_rate_id" }, rates.map((rate) =>
            h("option", { value: rate.id, selected: rate.id === current.tax_rate_id }, `${rate.name} (${percentText(rate.rate_bp)}%)`))))),
        h("div", { class: "grid-2" },
          field("Station", h("input", { class: "input", name: "station", value: current.station, list: "stations",
            autocapitalize: "characters" }), "Where it is made: KITCHEN, BAR…"),
          field("Course", h("input", { class: "input", name: "course", value: current.course, list: "courses",
            autocapitalize: "characters" }), "When it is fired")),
        codeOptions("stations", stations),
        codeOptions("courses", courses),
        h("div", { class: "grid-2" },
          field("Category", h("select", { class: "select", name: "category_id" }, categories.map((c) =>
            h("option", { value: c.id, selected: c.id === current.category_id }, c.name)))),
          h("div", { class: "field" }, h("span", {}, "On the menu"),
            switchInput({ name: "active", checked: current.active, label: "Shown to guests and staff" }))),
        h("fieldset", {}, h("legend", {}, "Modifier groups"),
          groups.length ? groupChecks : h("p", { class: "muted" }, "No modifier groups yet.")),
      ];
      modal({
        title: item ? `Edit ${item.name}` : `Add an item to ${category.name}`,
        body,
        submitLabel: item ? "Save changes" : "Add item",
        async onSubmit(form) {
          const values = {
            name: form.elements.name.value.trim(),
            description: form.elements.description.value.trim(),
            price: readPrice(form, "price", currency),
            tax_rate_id: form.elements.tax_rate_id.value,
            station: form.elements.station.value.trim().toUpperCase(),
            course: form.elements.course.value.trim().toUpperCase(),
            category_id: form.elements.category_id.value,
            active: form.elements.active.checked,
          };
          const checked = [...form.querySelectorAll("input[name=group]:checked")].map((i) => i.value);
          const kept = current.modifier_group_ids.filter((id) => checked.includes(id));
          const ids = kept.concat(checked.filter((id) => !kept.includes(id)));
          if (item) {
            const changes = {};
            for (const [key, value] of Object.entries(values)) {
              if (item[key] !== value) changes[key] = value;
            }
            if (ids.join() !== item.modifier_group_ids.join()) changes.modifier_group_ids = ids;
            if (Object.keys(changes).length) await ctx.api.patch(`/api/menu/items/${item.id}`, changes);
            ctx.toast(`${values.name} saved`);
          } else {
            await ctx.api.post("/api/menu/items", { ...values, modifier_group_ids: ids });
            ctx.toast(`${values.name} added`);
          }
          state.categoryId = values.category_id;
          await load();
          return true;
        },
      });
    }

    function addCategory() {
      modal({
        title: "Add a category",
        submitLabel: "Add category",
        body: field("Name", h("input", { class: "input", name: "name", maxlength: "60" })),
        async onSubmit(form) {
          const result = await ctx.api.post("/api/menu/categories", { name: form.elements.name.value.trim() });
          state.categoryId = result.id;
          state.view = "items";
          await load();
          return true;
        },
      });
    }

    function renameCategory(category) {
      modal({
        title: `Rename ${category.name}`,
        body: field("Name", h("input", { class: "input", name: "name", value: category.name, maxlength: "60" })),
        async onSubmit(form) {
          await ctx.api.patch(`/api/menu/categories/${category.id}`, { name: form.elements.name.value.trim() });
          await load();
          return true;
        },
      });
    }

    // ---------- modifier groups ----------

    const groupsView = (() => {
      const grid = h("div", { class: "grid groups-grid" });
      const none = h("p", { class: "empty card" }, "No modifier groups yet.");
      return {
        root: h("div", { class: "stack" },
          h("div", { class: "row-between" },
            h("p", { class: "muted" }, "Choices a guest or waiter makes for an item: doneness, sides, extras."),
            h("div", { class: "row" },
              h("button", { type: "button", class: "btn", onclick: arrangeGroups }, "Reorder groups"),
              h("button", { type: "button", class: "btn btn-primary", onclick: () => editGroup(null) }, "+ Add group"))),
          grid, none),
        draw() {
          const groups = state.data.modifier_groups;
          const usage = new Map();
          for (const category of state.data.categories) {
            for (const item of category.items) {
              for (const id of item.modifier_group_ids) usage.set(id, (usage.get(id) || 0) + 1);
            }
          }
          grid.hidden = !groups.length;
          none.hidden = Boolean(groups.length);
          // A card keeps its add form while the group exists (its price field shows the currency).
          drawList(grid, groups.map((group) => ({ group, used: usage.get(group.id) || 0 })),
            (g) => g.group.id, () => ctx.store.currency, groupCard);
        },
      };
    })();

    function rule(group) {
      if (group.min_choices === 0) return `Optional, up to ${group.max_choices}`;
      if (group.min_choices === group.max_choices) return `Pick exactly ${group.min_choices}`;
      return `Pick ${group.min_choices} to ${group.max_choices}`;
    }

    function groupCard({ group }) {
      const message = msgBox();
      const name = h("input", { class: "input input-sm", name: "name", placeholder: "Add a choice", "aria-label": "New modifier name" });
      const delta = priceInput("price_delta", null, ctx.store.currency);
      delta.querySelector("input").placeholder = "0.00";
      delta.querySelector("input").setAttribute("aria-label", "Price change");
      delta.querySelector("input").classList.add("input-sm");
      const add = h("button", { type: "submit", class: "btn btn-sm" }, "Add");
      const addForm = h("form", { class: "mod-add", novalidate: true, onsubmit: async (event) => {
        event.preventDefault();
        const currency = ctx.store.currency;
        const values = { name: name.value.trim(),
          price_delta: delta.querySelector("input").value.trim() ? readPrice(addForm, "price_delta", currency) : 0 };
        if (!await lowersPrice(values.name, values.price_delta, currency)) return;
        act(add, message, async () => {
          await ctx.api.post(`/api/menu/modifier-groups/${group.id}/modifiers`, values);
          name.value = "";
          delta.querySelector("input").value = "";
          await load();
        }, { form: addForm });
      } }, name, delta, add,
      h("span", { class: "field-error", "data-error-for": "name" }),
      h("span", { class: "field-error", "data-error-for": "price_delta" }));
      const head = h("div", { class: "card-head" });
      const facts = h("div", { class: "row" });
      const modifiers = h("ul", { class: "mod-list" });
      const card = h("section", { class: "card group-card", "data-group-id": group.id },
        head, h("div", { class: "card-body stack-sm" }, facts, modifiers, addForm, message));
      card.fill = ({ group: now, used }) => {
        drawList(head, [now], (g) => g.id, (g) => JSON.stringify([g.name, g.min_choices, g.max_choices, g.modifiers.length > 1]), (g) => h("div", { class: "contents" },
          h("h3", {}, g.name),
          h("div", { class: "row" },
            g.modifiers.length > 1 ? h("button", { type: "button", class: "btn btn-sm", onclick: () => arrangeModifiers(g.id) }, "Reorder") : null,
            h("button", { type: "button", class: "btn btn-sm", onclick: () => editGroup(g) }, "Edit"))));
        drawList(facts, [[rule(now), used]], () => "facts", (f) => JSON.stringify(f), ([text, count]) => h("div", { class: "contents" },
          h("span", { class: "badge badge-accent" }, text),
          h("span", { class: "muted small" }, count ? `on ${count} item${count > 1 ? "s" : ""}` : "not on any item")));
        drawList(modifiers, now.modifiers, (m) => m.id, (m) => JSON.stringify([m, ctx.store.currency]), (m) => modifierRow(m, message));
      };
      return card;
    }

    function arrangeGroups() {
      arrangeDialog({
        title: "Order of the modifier groups",
        hint: "The groups are listed in this order here and in the item editor.",
        rows: () => state.data.modifier_groups.map((g) => ({ id: g.id, label: g.name, sub: rule(g) })),
        refresh: load,
        async save(ids) {
          await ctx.api.put("/api/menu/modifier-groups/order", { ids });
          ctx.toast("Group order saved");
          await load();
        },
      });
    }

    function arrangeModifiers(groupId) {
      const group = () => state.data.modifier_groups.find((g) => g.id === groupId) || { name: "", modifiers: [] };
      arrangeDialog({
        title: `Order of ${group().name}`,
        hint: "Guests and staff see the choices in this order.",
        rows: () => group().modifiers.map((m) => ({ id: m.id, label: m.name,
          sub: formatDelta(m.price_delta, ctx.store.currency) })),
        refresh: load,
        async save(ids) {
          await ctx.api.put(`/api/menu/modifier-groups/${groupId}/modifiers/order`, { ids });
          ctx.toast(`${group().name}: order saved`);
          await load();
        },
      });
    }

    function modifierRow(modifier, message) {
      const toggle = switchInput({
        name: "available",
        checked: modifier.available,
        label: h("span", { class: "sr-only" }, `${modifier.name} available`),
        onchange: async (event) => {
          const input = event.target;
          const done = await act(input, message, async () => {
            await ctx.api.patch(`/api/menu/modifiers/${modifier.id}`, { available: input.checked });
            return true;
          });
          if (!done) input.checked = !input.checked;
          else reloadSoon();
        },
      });
      return h("li", { class: `mod-row${modifier.available ? "" : " is-86"}` },
        h("span", { class: "mod-name" }, modifier.name),
        h("span", { class: "mod-delta num muted" }, formatDelta(modifier.price_delta, ctx.store.currency)),
        toggle,
        h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: () => editModifier(modifier) }, "Edit"));
    }

    function editModifier(modifier) {
      const currency = ctx.store.currency;
      modal({
        title: `Edit ${modifier.name}`,
        body: [
          field("Name", h("input", { class: "input", name: "name", value: modifier.name, maxlength: "60" })),
          field("Price change", priceInput("price_delta", modifier.price_delta, currency), "Added to the item's price; negative for a discount"),
        ],
        async onSubmit(form) {
          const values = { name: form.elements.name.value.trim(), price_delta: readPrice(form, "price_delta", currency) };
          const lowered = values.price_delta !== modifier.price_delta;
          if (lowered && !await lowersPrice(values.name, values.price_delta, currency)) return false;
          await ctx.api.patch(`/api/menu/modifiers/${modifier.id}`, values);
          await load();
          return true;
        },
      });
    }

    function editGroup(group) {
      const current = group || { name: "", min_choices: 0, max_choices: 1 };
      modal({
        title: group ? `Edit ${group.name}` : "Add a modifier group",
        submitLabel: group ? "Save" : "Add group",
        body: [
          field("Name", h("input", { class: "input", name: "name", value: current.name, maxlength: "60" })),
          h("div", { class: "grid-2" },
            field("At least", h("input", { class: "input", name: "min_choices", type: "number", min: "0", max: "50", inputmode: "numeric", value: String(current.min_choices) }), "0 makes it optional"),
            field("At most", h("input", { class: "input", name: "max_choices", type: "number", min: "1", max: "50", inputmode: "numeric", value: String(current.max_choices) }))),
          group ? null : h("p", { class: "muted small" }, "Add the modifiers once the group exists."),
        ],
        async onSubmit(form) {
          const values = {
            name: form.elements.name.value.trim(),
            min_choices: wholeOf(form.elements.min_choices),
            max_choices: wholeOf(form.elements.max_choices),
          };
          if (group) await ctx.api.patch(`/api/menu/modifier-groups/${group.id}`, values);
          else await ctx.api.post("/api/menu/modifier-groups", { ...values, modifiers: [] });
          await load();
          return true;
        },
      });
    }

    render();
    load();
    return {
      onEvent(event) {
        if (MENU_ENTITIES.has(event.entity)) reloadSoon();
        else if (event.entity === "store" && event.fields && "currency" in event.fields) reloadSoon();
      },
      destroy() {
        state.destroyed = true;
        clearTimeout(state.timer);
      },
    };
  },
};
