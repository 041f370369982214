// How long a ticket (or an order, on expo) has waited since it was fired, on its card's head,
// and the card's colour: fresh, then amber and red after the store's `warn_minutes` and
// `late_minutes` (`data-age` on the card, its `article`).

import { h } from "/ui/lib/element.js";

// As short as "10:05": minutes and seconds in its first hour, then hours and minutes ("1h05"),
// then days ("90d"). A kitchen that bumps none has tickets of 90 days on its board: "129600:05"
// took the tile's head.
function age(iso) {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  const two = (n) => String(n).padStart(2, "0");
  const [minutes, hours, days] = [Math.floor(seconds / 60), Math.floor(seconds / 3600), Math.floor(seconds / 86400)];
  const text = days ? `${days}d` : hours ? `${hours}h${two(minutes % 60)}` : `${minutes}:${two(seconds % 60)}`;
  return { seconds, text };
}

/** The age of something fired at `firedAt`, for a card's head; `paintAges` fills it in. */
export function ageOf(firedAt, settings) {
  return h("span", { class: "tile-age", "data-fired": firedAt,
    "data-warn": settings.warn_minutes, "data-late": settings.late_minutes });
}

/** Every age in `container` brought up to now, and its card's colour. */
export function paintAges(container) {
  for (const node of container.querySelectorAll(".tile-age")) {
    const { seconds, text } = age(node.dataset.fired);
    node.textContent = text;
    const late = seconds >= Number(node.dataset.late) * 60;
    const warn = !late && seconds >= Number(node.dataset.warn) * 60;
    node.closest("article").dataset.age = late ? "late" : warn ? "warn" : "fresh";
  }
}
