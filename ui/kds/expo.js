// Expo: every order with food not served yet, oldest fire first, with each station's state
// (cooking, ready, served), the courses still held (a button fires the next one) and Served
// once all its stations are ready. Read again from the box after each kitchen event.

import { h } from "/ui/lib/element.js";
import { saysNumber } from "./board.js";

const LABEL = { cooking: "Cooking", ready: "Ready", served: "Served" };

function words(code) {
  return code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ");
}

export function mountExpo(main, ctx) {
  const list = h("section", { class: "expo-list", "aria-label": "Orders" });
  const status = h("p", { class: "kds-status", role: "status" });
  main.replaceChildren(list, h("footer", { class: "kds-keys expo-foot" }, status));
  let timer = null;
  const mayFire = ctx.me.permissions.includes("kitchen.fire");

  function render(orders) {
    list.replaceChildren(...orders.map(card));
    if (!orders.length) {
      list.append(h("div", { class: "kds-empty" },
        h("p", { class: "kds-empty-title" }, "All clear"), h("p", {}, "Nothing waits to be served.")));
    }
  }

  function card(order) {
    const stations = Object.entries(order.stations);
    return h("article", { class: `expo-card is-${order.state}`, "data-order": order.order_id },
      h("header", { class: "expo-head" },
        saysNumber(order.label, order.number) ? null : h("span", { class: "tile-number" }, `#${order.number}`),
        h("span", { class: "tile-label" }, order.label),
        h("span", { class: "spacer" }),
        h("span", { class: `badge expo-state state-${order.state}` }, LABEL[order.state])),
      h("ul", { class: "expo-stations" }, stations.map(([station, state]) =>
        h("li", { class: `expo-station state-${state}`, "data-station": station },
          h("span", {}, words(station)), h("span", { class: "expo-station-state" }, LABEL[state])))),
      order.held.length ? h("p", { class: "expo-held" }, `Held: ${order.held.map(words).join(", ")}`) : null,
      mayFire ? h("div", { class: "tile-actions" },
        order.held.length ? h("button", { type: "button", class: "btn btn-sm",
          onclick: () => act(`/api/orders/${order.order_id}/fire`, { course: order.held[0] }) },
        `Fire ${words(order.held[0])}`) : null,
        h("button", { type: "button", class: "btn btn-sm btn-primary", disabled: order.state !== "ready",
          onclick: () => act(`/api/orders/${order.order_id}/served`) }, "Served")) : null);
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

  async function load() {
    const expo = await ctx.api.get("/api/kitchen/expo");
    render(expo.orders);
    return expo.last_seq;
  }

  return {
    load,
    onEvent(event) {
      if (!["tickets", "ticket_items"].includes(event.entity)) return;
      clearTimeout(timer);
      timer = setTimeout(() => load().catch(() => {}), 150);
    },
    destroy() {
      clearTimeout(timer);
    },
  };
}
