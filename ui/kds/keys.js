// What the kitchen's screens share for the bump bar, a keyboard with no mouse: the key caps at
// the foot, and redraws that keep the focus where a cook who pressed Tab left it.

import { h } from "/ui/lib/element.js";

/** A key and what it does, for the foot of the screen. */
export function keyCap(cap, what) {
  return h("span", { class: "kds-key" }, h("kbd", {}, cap), " ", what);
}

/** Whether a key press is for the page's own controls rather than the bump bar: typing in a
 * field, a dialog open, or Enter or Space on a button or link reached with Tab. */
export function forControls(event) {
  if (event.target.closest("input, textarea, select") || document.querySelector("dialog[open]")) return true;
  return (event.key === "Enter" || event.key === " ") && Boolean(event.target.closest("button, a"));
}

/** Draws `container` again with `draw()`; the focus, when a button of one of its cards (an
 * `article` with a `data-ticket` or `data-order`) had it, goes back to that card's button of the
 * same words. A redraw replaces the nodes, and the focus fell to the page. A button gone (Start,
 * once started) leaves the focus on the page, not on a neighbour: on Bump, a second Enter would
 * bump the ticket. */
export function keepingFocus(container, draw) {
  const focused = container.contains(document.activeElement) ? document.activeElement : null;
  const card = focused && focused.closest("article");
  const id = card && (card.dataset.ticket ? ["data-ticket", card.dataset.ticket] : ["data-order", card.dataset.order]);
  draw();
  if (!id || !id[1]) return;
  const again = container.querySelector(`article[${id[0]}="${id[1]}"]`);
  const buttons = again ? [...again.querySelectorAll("button:not([hidden]):not(:disabled)")] : [];
  buttons.find((b) => b.textContent === focused.textContent)?.focus();
}
