// One order as every page shows it (the admin's Orders section now, the POS later): who and
// where, its lines with their choices, notes, seat, course and state (a voided line with its
// reason), the subtotal, the tax of each rate and the total, and its history. It draws what it
// is given and asks the edge nothing; history entries come already worded (the admin words them
// as its audit does).
//
//   drawOrder(order, { timeZone, history: [{ at, who, approver, title, about, tone, pairs }], keptDays })
//
// `keptDays`: the box has forgotten the start of the order's history (it keeps that many days of
// it once the hub has it), so the history says so rather than that nothing happened.
// `order` is the edge's order (GET /api/orders/{id}); amounts are in its own currency.

import { h, tag } from "/ui/lib/element.js";
import { formatDelta, formatMoney } from "/ui/lib/money.js";
import { dateTimeIn, timeIn } from "/ui/lib/time.js";

const ORDER_STATUS = {
  open: { label: "Open", kind: "badge-info" },
  closed: { label: "Closed", kind: "badge-ok" },
  cancelled: { label: "Cancelled", kind: "badge-warn" },
};
const LINE_STATE = {
  pending: { label: "Not sent yet", kind: "badge-warn" },
  sent: { label: "Sent", kind: "badge-ok" },
  voided: { label: "Voided", kind: "badge-danger" },
};

/** "Table 5" or "Counter": where the order is served. */
export function orderPlace(order) {
  if (order.kind === "table") return order.table_name ? `Table ${order.table_name}` : "A table";
  return "Counter";
}

/** "1 line", "3 lines". */
export function lineCount(count) {
  return `${count} line${count === 1 ? "" : "s"}`;
}

export function statusBadge(order) {
  const status = ORDER_STATUS[order.status] || { label: order.status, kind: "" };
  return h("span", { class: `badge order-status ${status.kind}` }, status.label);
}

export function drawOrder(order, { timeZone, history = null, keptDays = null } = {}) {
  const money = (minor) => formatMoney(minor, order.currency);
  const facts = [
    orderPlace(order),
    order.covers ? `${order.covers} guest${order.covers === 1 ? "" : "s"}` : "",
    `opened ${timeIn(order.created_at, timeZone)}${order.opened_by_name ? ` by ${order.opened_by_name}` : ""}`,
  ].filter(Boolean).join(" · ");
  return h("article", { class: "order-view", "data-order": order.id, "aria-labelledby": `order-${order.id}` },
    h("header", { class: "order-view-head" },
      h("div", { class: "head-title" },
        h("h2", { id: `order-${order.id}` }, `Order #${order.number}`),
        h("span", { class: "head-sub" }, facts)),
      statusBadge(order)),
    order.note ? h("p", { class: "order-note" }, h("span", { class: "tag-key" }, "Note: "), order.note) : null,
    order.lines.length
      ? h("ul", { class: "order-lines", "aria-label": "Lines" }, order.lines.map((line) => lineItem(line, order.currency)))
      : h("p", { class: "empty" }, "No lines yet."),
    totals(order, money),
    history ? historyList(history, timeZone, keptDays) : null);
}

function lineItem(line, currency) {
  const state = LINE_STATE[line.state] || { label: line.state, kind: "" };
  const amount = formatMoney(line.amount, currency);
  return h("li", { class: `order-line is-${line.state}`, "data-line": line.id, "data-state": line.state },
    h("span", { class: "line-qty" }, `${line.quantity} ×`),
    h("div", { class: "line-main" },
      h("div", { class: "line-name" }, line.name),
      line.modifiers.length
        ? h("ul", { class: "line-mods", "aria-label": "Choices" }, line.modifiers.map((modifier) =>
          h("li", {}, modifier.name, modifier.price_delta
            ? h("span", { class: "line-delta" }, ` ${formatDelta(modifier.price_delta, currency)}`) : null)))
        : null,
      line.note ? h("p", { class: "line-note" }, h("span", { class: "tag-key" }, "Note: "), line.note) : null,
      h("div", { class: "line-tags" },
        h("span", { class: `badge line-state ${state.kind}` }, state.label),
        line.seat ? tag("Seat", line.seat) : null,
        tag("Course", line.course)),
      line.state === "voided"
        ? h("p", { class: "line-void" }, h("span", { class: "tag-key" }, "Reason: "), line.void_reason || "none given")
        : null),
    h("div", { class: "line-amount num" },
      line.state === "voided" ? h("s", {}, h("span", { class: "sr-only" }, "not charged: "), amount) : amount,
      line.quantity > 1 ? h("span", { class: "line-unit" }, `${formatMoney(line.unit_price, currency)} each`) : null));
}

function totals(order, money) {
  const row = (label, value, extra = "") =>
    h("div", { class: `total-row ${extra}`.trim() }, h("dt", {}, label), h("dd", { class: "num" }, value));
  return h("dl", { class: "order-totals" },
    row("Subtotal (before tax)", money(order.subtotal)),
    order.taxes.map((tax) => row(
      [tax.name, h("span", { class: "total-base" }, ` on ${money(tax.base)}`)], money(tax.tax), "is-tax")),
    row("Total", money(order.total), "is-total"));
}

function historyList(entries, timeZone, keptDays) {
  const forgotten = keptDays === null ? null
    : h("p", { class: "muted small history-forgotten" },
      `This box keeps an order's history for ${keptDays} days: this order's began earlier.`
        + ` The hub's audit has all of it.`);
  return h("section", { class: "order-history", "aria-label": "History" },
    h("h3", {}, "History"),
    forgotten,
    entries.length
      ? h("ol", { class: "history-list" }, entries.map((entry) =>
        h("li", { class: `history-entry${entry.tone ? ` is-${entry.tone}` : ""}`, "data-seq": entry.seq },
          h("time", { datetime: entry.at, title: dateTimeIn(entry.at, timeZone) }, timeIn(entry.at, timeZone)),
          h("div", { class: "history-what" },
            h("div", { class: "history-title" }, entry.title),
            entry.about ? h("div", { class: "history-about" }, entry.about) : null,
            entry.pairs && entry.pairs.length
              ? h("dl", { class: "history-details" }, entry.pairs.flatMap(([label, text]) => [h("dt", {}, label), h("dd", {}, text)]))
              : null,
            h("div", { class: "history-who" }, entry.who,
              entry.approver ? h("span", { class: "approver" }, ` · approved by ${entry.approver}`) : null)))))
      : forgotten ? null : h("p", { class: "muted small" }, "Nothing yet."));
}
