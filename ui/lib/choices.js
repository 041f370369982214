// A dish's choices, as the guest's add sheet and the waiter's draft ask for them: one fieldset
// per modifier group, radios where the group allows one and checkboxes otherwise, never more
// ticked than the group's max (the rest are off once it is reached), and `complete()` to say
// whether every group has its min. The box checks the same rules again; this spares a person
// the round trip.
//
//   const picker = choicePicker(groups, { currency, chosen: ids, name: "line-1-", onChange })
//   form.append(...picker.nodes); picker.ids(); picker.complete(); picker.missing()

import { h } from "/ui/lib/element.js";
import { formatDelta } from "/ui/lib/money.js";

/** The modifier groups of a menu item, in the item's order. */
export function groupsOf(item, menu) {
  return ((item && item.modifier_group_ids) || []).map((id) => menu.modifier_groups.find((g) => g.id === id)).filter(Boolean);
}

export function rule(group) {
  if (!group.min_choices) return `up to ${group.max_choices}, optional`;
  return `choose ${group.min_choices === group.max_choices ? group.min_choices : `${group.min_choices}–${group.max_choices}`}`;
}

export function choicePicker(groups, { currency, chosen = [], name = "", look = {}, onChange = () => {} }) {
  const inputs = new Map(); // group id -> its inputs
  const nodes = groups.map((g) => {
    const boxes = g.modifiers.map((m) => h("input", { type: g.max_choices === 1 ? "radio" : "checkbox", name: `${name}${g.id}`,
      value: m.id, "data-mod": "", checked: chosen.includes(m.id), disabled: !m.available,
      "aria-label": m.name, onchange: () => { limit(g); onChange(ids()); } }));
    inputs.set(g.id, boxes);
    return h("fieldset", { class: look.fieldset || null },
      h("legend", { class: look.legend || null }, g.name, " ", h("small", {}, rule(g))),
      g.modifiers.map((m, i) => h("label", { class: look.label || "choice" }, boxes[i],
        h("span", {}, m.name, m.available ? "" : " (sold out)"), h("span", {}, formatDelta(m.price_delta, currency)))));
  });
  const picked = (g) => inputs.get(g.id).filter((i) => i.checked).length;
  function limit(g) { // at the max, the unticked checkboxes are off
    if (g.max_choices === 1) return;
    const full = picked(g) >= g.max_choices;
    g.modifiers.forEach((m, i) => { const box = inputs.get(g.id)[i]; if (!box.checked) box.disabled = full || !m.available; });
  }
  groups.forEach(limit);
  const ids = () => groups.flatMap((g) => inputs.get(g.id).filter((i) => i.checked).map((i) => i.value));
  const complete = () => groups.every((g) => picked(g) >= g.min_choices && picked(g) <= g.max_choices);
  const missing = () => groups.find((g) => picked(g) < g.min_choices) || null; // the first group short of its min
  return { nodes, ids, complete, missing };
}
