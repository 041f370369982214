// Orders: a business day's orders (today's, or any other), newest first, all or by status, and
// one order opened beside the list (over it on a narrow screen): its lines, totals and taxes,
// and its history worded as the audit words it. New orders and changes arrive live (the page
// follows the `orders` topic); the list and the open order are read again after a burst.

import { formatMoney } from "/ui/lib/money.js";
import { drawOrder, lineCount, orderPlace, statusBadge } from "/ui/lib/order.js";
import { addDays, businessDayIn, longDay, timeIn } from "/ui/lib/time.js";
import { describeEvent, who } from "./audit.js";
import { act, drawList, h, msgBox, say } from "./dom.js";

const STATUSES = [["", "All"], ["open", "Open"], ["closed", "Closed"], ["cancelled", "Cancelled"]];
const PAGE = 100;
const MOST = 1000; // what GET /api/orders answers at most

export default {
  id: "orders",
  title: "Orders",
  icon: "orders",
  mount(root, ctx) {
    const today = () => businessDayIn(Date.now(), ctx.store);
    const state = {
      day: today(), status: "", limit: PAGE, orders: null, openId: null, open: null,
      known: null, asked: 0, listTimer: null, orderTimer: null,
    };
    const zone = () => ctx.store.timezone;
    const message = msgBox();
    const dayTitle = h("span", { class: "head-sub orders-day" });
    const dateInput = h("input", { class: "input orders-date", type: "date", name: "day", "aria-label": "Business day",
      onchange: () => setDay(dateInput.value || today()) });
    const before = h("button", { type: "button", class: "btn btn-icon", "aria-label": "The day before",
      onclick: () => setDay(addDays(state.day, -1)) }, "‹");
    const after = h("button", { type: "button", class: "btn btn-icon", "aria-label": "The day after",
      onclick: () => setDay(addDays(state.day, 1)) }, "›");
    const back = h("button", { type: "button", class: "btn", onclick: () => setDay(today()) }, "Today");
    const statusButtons = STATUSES.map(([value, label]) =>
      h("button", { type: "button", class: "seg-btn", "data-status": value, onclick: () => setStatus(value) }, label));
    const count = h("h2", {}, "Orders");
    const list = h("ul", { class: "order-list", "aria-label": "Orders of the day" });
    const empty = h("p", { class: "empty", hidden: true });
    const more = h("button", { type: "button", class: "btn", hidden: true, onclick: () => act(more, message, () => {
      state.limit = Math.min(MOST, state.limit + PAGE);
      return loadList();
    }) }, "Show older orders");
    const detail = h("div", { class: "order-detail-body" });
    const listCard = h("section", { class: "card orders-list-card" },
      h("div", { class: "card-head" }, h("div", { class: "head-title" }, count,
        h("span", { class: "head-sub" }, "Newest first. Choose one to see its lines, totals and history."))),
      list, empty, h("div", { class: "orders-more" }, more));
    const layout = h("div", { class: "orders-layout" }, listCard,
      h("section", { class: "card order-detail", "aria-live": "polite" },
        h("button", { type: "button", class: "btn btn-ghost orders-back", onclick: closeOrder }, "← All orders"),
        detail));

    root.append(
      h("div", { class: "page-head orders-head" },
        h("div", { class: "head-title" }, h("h1", {}, "Orders"), dayTitle),
        h("div", { class: "toolbar day-picker" }, before, dateInput, after, back)),
      h("div", { class: "seg orders-status", role: "group", "aria-label": "Status" }, statusButtons),
      message,
      h("div", { class: "orders-page" }, layout));

    function showControls() {
      const now = today();
      const label = state.day === now ? "Today" : state.day === addDays(now, -1) ? "Yesterday" : "";
      const starts = ctx.store.business_day_starts;
      dayTitle.textContent = [label, longDay(state.day)].filter(Boolean).join(" · ")
        + (starts && starts !== "00:00" ? ` (the day starts at ${starts})` : "");
      dateInput.value = state.day;
      dateInput.max = now;
      after.disabled = state.day >= now;
      back.hidden = state.day === now;
      for (const button of statusButtons) {
        const on = button.dataset.status === state.status;
        button.classList.toggle("active", on);
        button.setAttribute("aria-pressed", String(on));
      }
    }

    function setDay(day) {
      state.day = day > today() ? today() : day;
      state.limit = PAGE;
      state.known = null;
      closeOrder();
      showControls();
      act(null, message, loadList);
    }

    function setStatus(status) {
      state.status = status;
      state.limit = PAGE;
      showControls();
      act(null, message, loadList);
    }

    async function loadList() {
      const asked = ++state.asked;
      const params = new URLSearchParams({ day: state.day, limit: String(state.limit) });
      if (state.status) params.set("status", state.status);
      const orders = await ctx.api.get(`/api/orders?${params}`);
      if (asked !== state.asked) return; // a newer question went out meanwhile
      state.orders = orders;
      drawOrders();
    }

    function drawOrders() {
      const { orders } = state;
      const what = state.status ? `${STATUSES.find(([value]) => value === state.status)[1].toLowerCase()} ` : "";
      count.textContent = `${orders.length}${orders.length >= state.limit ? "+" : ""} ${what}order${orders.length === 1 ? "" : "s"}`;
      empty.hidden = orders.length > 0;
      empty.textContent = what ? `No ${what}orders on this day.` : "No orders on this day yet.";
      more.hidden = orders.length < state.limit || state.limit >= MOST;
      drawList(list, orders, (order) => order.id, (order) => JSON.stringify([order, zone()]), orderRow);
      // What arrived after the first drawing of this day is marked new, as the audit does.
      const known = state.known;
      state.known = new Set(orders.map((order) => order.id));
      for (const row of list.children) {
        row.classList.toggle("is-chosen", row.dataset.order === state.openId);
        if (known && !known.has(row.dataset.order)) row.classList.add("is-new");
      }
    }

    function orderRow(order) {
      const meta = [timeIn(order.created_at, zone()), order.opened_by_name, lineCount(order.line_count)].filter(Boolean).join(" · ");
      return h("li", { class: `order-item is-${order.status}`, "data-order": order.id, "data-number": String(order.number) },
        h("button", { type: "button", class: "order-row", onclick: () => openOrder(order.id),
          "aria-label": `Order ${order.number}, ${orderPlace(order)}, ${meta}, ${formatMoney(order.total, order.currency)}, ${order.status}` },
        h("span", { class: "order-number" }, `#${order.number}`),
        h("span", { class: "order-where" }, orderPlace(order), statusBadge(order)),
        h("span", { class: "order-total num" }, formatMoney(order.total, order.currency)),
        h("span", { class: "order-meta" }, meta)));
    }

    function openOrder(id) {
      const again = state.openId === id;
      state.openId = id;
      layout.classList.add("is-reading");
      for (const row of list.children) row.classList.toggle("is-chosen", row.dataset.order === id);
      if (!again) detail.replaceChildren(h("p", { class: "empty" }, "Opening the order…"));
      if (!listCard.offsetParent) window.scrollTo({ top: 0 }); // the order lies over the list
      loadOrder();
    }

    function closeOrder() {
      state.openId = null;
      state.open = null;
      layout.classList.remove("is-reading");
      detail.replaceChildren(h("p", { class: "empty" }, "Choose an order to see its lines, totals and history."));
      for (const row of list.children) row.classList.remove("is-chosen");
    }

    async function loadOrder() {
      const id = state.openId;
      if (!id) return;
      let order;
      let events;
      let forgotten;
      let keptDays;
      try {
        [order, { events, forgotten, kept_days: keptDays }] = await Promise.all([
          ctx.api.get(`/api/orders/${id}`),
          ctx.api.get(`/api/orders/${id}/events`),
        ]);
      } catch (err) {
        if (state.openId !== id) return;
        const box = msgBox();
        say(box, err);
        detail.replaceChildren(box);
        return;
      }
      if (state.openId !== id) return;
      state.open = order;
      const history = events.map((event) => ({
        ...describeEvent(event, ctx),
        seq: event.seq,
        at: event.at,
        who: who(event),
        approver: event.approver ? event.approver_name || "a manager" : null,
      }));
      detail.replaceChildren(drawOrder(order, { timeZone: zone(), history, keptDays: forgotten ? keptDays : null }));
    }

    /** Does this event change the order that is open? Its own, or one of its lines'. */
    function touchesOpen(event) {
      if (!state.open) return false;
      if (event.entity === "orders") return event.entity_id === state.open.id;
      return state.open.lines.some((line) => line.id === event.entity_id);
    }

    showControls();
    closeOrder();
    act(null, message, loadList);
    return {
      onEvent(event) {
        if (event.entity !== "orders" && event.entity !== "order_lines") return;
        // A new order belongs to today's business day: a past day's list does not change.
        const day = event.fields && event.fields.business_day;
        if (!(event.op === "create" && day && day !== state.day)) {
          clearTimeout(state.listTimer);
          state.listTimer = setTimeout(() => loadList().catch(() => { /* the next event tries again */ }), 250);
        }
        if (touchesOpen(event)) {
          clearTimeout(state.orderTimer);
          state.orderTimer = setTimeout(loadOrder, 250);
        }
      },
      destroy() {
        clearTimeout(state.listTimer);
        clearTimeout(state.orderTimer);
      },
    };
  },
};
