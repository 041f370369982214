// Expo: every order with food not served yet, oldest fire first, with how long it has waited
// (in the board's colours), each station's state (cooking, ready, served), the courses still
// held (a button fires the next one) and Served once all its stations are ready. Read again from the box after each kitchen event. A bump bar
// (a keyboard) picks an order with the arrows, fires its next course with F and serves it with
// Enter; the pick stays on its order as the list is read again.

import { h } from "/ui/lib/element.js";
import { ageOf, paintAges } from "./age.js";
import { saysNumber } from "./board.js";
import { forControls, keepingFocus, keyCap } from "./keys.js";

const LABEL = { cooking: "Cooking", ready: "Ready", served: "Served" };

function words(code) {
  return code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ");
}

export function mountExpo(main, ctx) {
  const list = h("section", { class: "expo-list", "aria-label": "Orders" });
  const status = h("p", { class: "kds-status", role: "status" });
  const mayFire = ctx.me.permissions.includes("kitchen.fire");
  main.replaceChildren(list, h("footer", { class: "kds-keys" },
    keyCap("↑ ↓", "order"), mayFire ? [keyCap("F", "fire"), keyCap("Enter", "served")] : null,
    h("span", { class: "spacer" }), status));
  let timer = null;
  const ageTimer = setInterval(() => paintAges(list), 1000);
  let orders = [];
  let picked = null; // the order id the bump bar is on

  function render() {
    keepingFocus(list, () => list.replaceChildren(...orders.map(card)));
    if (!orders.length) {
      list.append(h("div", { class: "kds-empty" },
        h("p", { class: "kds-empty-title" }, "All clear"), h("p", {}, "Nothing waits to be served.")));
    }
    list.querySelector(".expo-card.is-selected")?.scrollIntoView({ block: "nearest" });
    paintAges(list);
  }

  function card(order) {
    const stations = Object.entries(order.stations);
    return h("article", {
      class: `expo-card is-${order.state}${order.order_id === picked ? " is-selected" : ""}`,
      "data-order": order.order_id,
      onclick: () => { picked = order.order_id; render(); },
    },
      h("header", { class: "expo-head" },
        saysNumber(order.label, order.number) ? null : h("span", { class: "tile-number" }, `#${order.number}`),
        h("span", { class: "tile-label" }, order.label),
        h("span", { class: `badge expo-state state-${order.state}` }, LABEL[order.state]),
        h("span", { class: "spacer" }),
        ageOf(order.fired_at, ctx.settings)),
      h("ul", { class: "expo-stations" }, stations.map(([station, state]) =>
        h("li", { class: `expo-station state-${state}`, "data-station": station },
          h("span", {}, words(station)), h("span", { class: "expo-station-state" }, LABEL[state])))),
      order.held.length ? h("p", { class: "expo-held" }, `Held: ${order.held.map(words).join(", ")}`) : null,
      mayFire ? h("div", { class: "tile-actions" },
        order.held.length ? h("button", { type: "button", class: "btn btn-sm", onclick: () => fire(order) },
          `Fire ${words(order.held[0])}`) : null,
        h("button", { type: "button", class: "btn btn-sm btn-primary", disabled: order.state !== "ready",
          onclick: () => serve(order) }, "Served")) : null);
  }

  function fire(order) {
    return act(`/api/orders/${order.order_id}/fire`, { course: order.held[0] });
  }

  function serve(order) {
    return act(`/api/orders/${order.order_id}/served`);
  }

  async function act(path, body) {
    status.textContent = "";
    try {
      await ctx.api.post(path, body);
      await load();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  function onKey(event) {
    if (forControls(event)) return;
    const at = orders.findIndex((order) => order.order_id === picked);
    const order = orders[at];
    if (["ArrowDown", "ArrowRight", "ArrowUp", "ArrowLeft"].includes(event.key)) {
      if (!orders.length) return;
      const step = event.key === "ArrowDown" || event.key === "ArrowRight" ? 1 : -1;
      picked = orders[at < 0 ? 0 : Math.min(Math.max(at + step, 0), orders.length - 1)].order_id;
      render();
    } else if ((event.key === "f" || event.key === "F") && mayFire && order && order.held.length) {
      fire(order);
    } else if (event.key === "Enter" && mayFire && order && order.state === "ready") {
      serve(order);
    } else {
      return;
    }
    event.preventDefault();
  }

  async function load() {
    const expo = await ctx.api.get("/api/kitchen/expo");
    orders = expo.orders;
    render();
    return expo.last_seq;
  }

  document.addEventListener("keydown", onKey);

  return {
    load,
    onEvent(event) {
      if (!["tickets", "ticket_items"].includes(event.entity)) return;
      clearTimeout(timer);
      timer = setTimeout(() => load().catch(() => {}), 150);
    },
    destroy() {
      clearTimeout(timer);
      clearInterval(ageTimer);
      document.removeEventListener("keydown", onKey);
    },
  };
}
