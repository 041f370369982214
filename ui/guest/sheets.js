// The guest page's sheets (ui/guest/guest.js loads this after the menu is painted): adding a
// dish (the nickname at the first add, choices within each group's min and max, quantity, a
// note) and the table's order (who is there, every line and who added it, today's pass when
// the store asks for it, Send, the bill).

import { choicePicker, groupsOf } from "/ui/lib/choices.js";
import { h } from "/ui/lib/element.js";

export { focusBack, focusIn, focusKey, sheetKeys } from "/ui/lib/sheet.js";

export function addSheet(g, item) {
  const { state, api, money, sheet, closeSheet, refused, said } = g;
  const picker = choicePicker(groupsOf(item, state.menu), { currency: state.table.currency });
  let quantity = 1;
  const qty = h("output", { "aria-live": "polite" }, "1");
  const step = (d) => { quantity = Math.max(1, Math.min(99, quantity + d)); qty.textContent = String(quantity); };
  const name = state.table.nickname ? null : h("input", { id: "nick", autocomplete: "nickname", maxlength: "24", required: true });
  const note = h("input", { id: "note", maxlength: "140", placeholder: "Allergies, no onions…" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const say = (text) => { // beside the button the guest tapped: what was chosen stays
    problem.textContent = text;
    problem.hidden = false;
    problem.scrollIntoView({ block: "nearest" });
  };
  const form = h("form", { onsubmit: async (e) => {
    e.preventDefault();
    const short = picker.missing();
    if (short) return say(`Please choose ${short.min_choices === 1 ? "one" : short.min_choices} under “${short.name}”.`);
    const chosen = picker.ids();
    try {
      if (name) await api.post("/api/guest/join", { nickname: name.value });
      state.table = await api.post("/api/guest/cart", { item_id: item.id, quantity, modifier_ids: chosen, note: note.value });
      closeSheet();
    } catch (err) {
      if (err.status === 410 || err.status === 503) return refused(err);
      say(said(err));
    }
  } },
  item.description ? h("p", { class: "hint", dir: "auto" }, item.description) : null,
  name ? [h("label", { for: "nick" }, "Your name, so the table sees who ordered what"), name] : null,
  picker.nodes,
  h("div", { class: "qty" }, h("span", {}, "Quantity"),
    h("button", { type: "button", "aria-label": "One less", onclick: () => step(-1) }, "−"), qty,
    h("button", { type: "button", "aria-label": "One more", onclick: () => step(1) }, "+")),
  h("label", { for: "note" }, "Note for the kitchen"), note,
  problem,
  h("p", {}, " "),
  h("button", { class: "primary wide", type: "submit" }, "Add to order"));
  return sheet(item.name, h("p", { class: "price" }, money(item.price)), form);
}

export function cartSheet(g) {
  const { state, money, sheet, statusLine, notOrderingLine, send, act, cart } = g;
  const open = cart();
  const { table } = state;
  return sheet("Your table's order",
    table.members.length ? h("div", { class: "members", "aria-label": "At this table" },
      table.members.map((m) => h("span", {}, m.nickname + (m.is_host ? " (host)" : "")))) : null,
    notOrderingLine(),
    statusLine(),
    open && open.lines.length ? open.lines.map((line) => cartLine(g, line)) : h("p", { class: "note" }, "Nothing in the cart yet."),
    open && open.lines.length ? [
      h("p", { class: "line" }, h("strong", {}, "Total"), h("strong", {}, money(open.total))),
      table.pass_needed && open.status === "open" ? passForm(g) : null,
      h("button", { class: "primary wide", disabled: open.status !== "open" || table.pass_needed || table.not_ordering, onclick: send },
        open.status === "open" ? "Send order" : "Sent"),
    ] : null,
    table.order ? h("p", { class: "hint" }, `Order #${table.order.number} so far: ${money(table.order.total)}`) : null,
    h("p", {}, " "),
    h("button", { class: "wide", disabled: table.bill_asked, onclick: () => act("/api/guest/ask-bill") },
      table.bill_asked ? "Bill requested" : "Ask for the bill"));
}

function cartLine(g, line) {
  const { state, money, act } = g;
  const dish = state.menu.categories.flatMap((c) => c.items).find((i) => i.id === line.item_id);
  const mods = line.modifiers.map((m) => m.name).join(", ");
  const change = (quantity) => (quantity < 1
    ? act(`/api/guest/cart/${line.id}`, "DELETE")
    : act(`/api/guest/cart/${line.id}`, "PATCH", { quantity }));
  return h("div", { class: "line" },
    h("div", {}, h("strong", { dir: "auto" }, `${line.quantity}× ${line.name}`),
      dish && !dish.available ? h("small", { class: "out-badge" }, "Sold out: take it out to send the order") : null,
      mods ? h("small", { dir: "auto" }, mods) : null, line.note ? h("small", { dir: "auto" }, `“${line.note}”`) : null,
      h("small", {}, line.added_by ? `added by ${line.added_by}` : "added by your waiter"),
      h("div", { class: "qty" },
        h("button", { "aria-label": `One less ${line.name}`, onclick: () => change(line.quantity - 1) }, "−"),
        h("button", { "aria-label": `One more ${line.name}`, onclick: () => change(line.quantity + 1) }, "+"))),
    h("span", {}, money(line.amount)));
}

/** Today's pass, which staff read out: asked once per table before its first Send. */
function passForm(g) {
  const { state, api, render, refused } = g;
  const word = h("input", { id: "pass", autocomplete: "off", autocapitalize: "none", maxlength: "40", required: true });
  return h("form", { onsubmit: async (e) => {
    e.preventDefault();
    try {
      state.table = await api.post("/api/guest/pass", { word: word.value });
      state.error = "";
    } catch (err) {
      if (err.status === 410) return refused(err);
      state.error = err.message;
    }
    render();
  } },
  h("label", { for: "pass" }, "Today's pass (ask a member of staff)"), word,
  h("p", {}, " "), h("button", { class: "wide", type: "submit" }, "Check the pass"));
}
