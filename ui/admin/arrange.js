// The order things are shown in (categories, items, modifier groups and choices, areas, tables):
// a dialog that moves rows up and down with buttons (fingers on a tablet, keys on a laptop),
// then saves the whole order in one write. The edge refuses an order drawn from a list another
// device has changed meanwhile; the dialog then shows the list as it is now.

import { h, modal, say } from "./dom.js";

/**
 * Open the dialog. `rows()` gives the list as it is now: [{ id, label, sub? }], after
 * `refresh()` (awaited) when the edge said it changed; `save(ids)` writes the new order.
 */
export function arrangeDialog({ title, hint, rows, refresh, save }) {
  const list = h("ol", { class: "arrange-list" });
  let order = [];

  function draw(focusId, direction) {
    list.replaceChildren(...order.map((row, index) => h("li", { class: "arrange-row", "data-id": row.id },
      h("span", { class: "arrange-pos num muted" }, String(index + 1)),
      h("span", { class: "arrange-text" }, h("span", { class: "arrange-label" }, row.label),
        row.sub ? h("span", { class: "arrange-sub muted small" }, row.sub) : null),
      moveButton(row, index, -1),
      moveButton(row, index, +1))));
    if (focusId) {
      // Keep the focus on the row that moved, on the button pressed unless it is now at an end.
      const buttons = list.querySelectorAll(`[data-id="${CSS.escape(focusId)}"] button`);
      const wanted = direction < 0 ? buttons[0] : buttons[1];
      (wanted.disabled ? [...buttons].find((b) => !b.disabled) : wanted)?.focus();
    }
  }

  function moveButton(row, index, step) {
    const to = index + step;
    return h("button", {
      type: "button",
      class: "btn btn-icon arrange-move",
      "aria-label": `Move ${row.label} ${step < 0 ? "up" : "down"}`,
      disabled: to < 0 || to >= order.length,
      onclick: () => {
        [order[index], order[to]] = [order[to], order[index]];
        draw(row.id, step);
      },
    }, step < 0 ? "↑" : "↓");
  }

  order = rows();
  draw();
  const dialog = modal({
    title,
    submitLabel: "Save order",
    body: [hint ? h("p", { class: "muted small" }, hint) : null, list],
    async onSubmit(form, message) {
      try {
        await save(order.map((row) => row.id));
      } catch (err) {
        if (err.code !== "stale_list") throw err;
        await refresh();
        order = rows();
        draw();
        say(message, "Someone changed this list meanwhile: here it is as it is now. Arrange it again.");
        return false;
      }
      return true;
    },
  });
  return dialog;
}
