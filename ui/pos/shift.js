// The till's shift: open it with a float; pay-ins, pay-outs, skims and a no-sale (a manager's);
// close it with a blind count by denomination, after which what the drawer should have held and
// the difference show for the first time. Managers make the X and Z reports here.

import { h } from "/ui/lib/element.js";
import { longDay, timeIn } from "/ui/lib/time.js";
import { parseMoney } from "/ui/lib/typed-money.js";
import { openModal, toast, withApproval } from "./dialogs.js";

// The notes and coins a drawer is counted in, in minor units, largest first: the currency's
// own where listed (a quarter in dollars, a quarter dinar), else the euro's series in the
// currency's digits.
const EURO_SERIES = [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1];
const NOTES_AND_COINS = {
  USD: [10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5, 1],
  CAD: [10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5],
  AUD: [10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5],
  NZD: [10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10],
  GBP: [5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
  CHF: [100000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5],
  SEK: [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100],
  NOK: [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 100],
  DKK: [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50],
  HUF: [2000000, 1000000, 500000, 200000, 100000, 50000, 20000, 10000, 5000, 2000, 1000, 500],
  JPY: [10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 1],
  KRW: [50000, 10000, 5000, 1000, 500, 100, 50, 10],
  ISK: [10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 1],
  BHD: [20000, 10000, 5000, 1000, 500, 100, 50, 25, 10, 5],
  KWD: [20000, 10000, 5000, 1000, 500, 250, 100, 50, 20, 10, 5],
  JOD: [50000, 20000, 10000, 5000, 1000, 500, 250, 100, 50, 10],
  TND: [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10],
};

function notesAndCoins(currency, digits) {
  if (NOTES_AND_COINS[currency]) return NOTES_AND_COINS[currency];
  const scaled = EURO_SERIES.map((value) => value * 10 ** digits / 100);
  return scaled.filter((value) => Number.isInteger(value));
}

export async function drawShift(root, ctx) {
  const message = h("p", { class: "msg", role: "alert" });
  const fail = (err) => {
    message.className = "msg msg-error";
    message.textContent = err.message;
  };
  const redraw = () => drawShift(root, ctx);
  let shift;
  try {
    shift = (await ctx.api.get("/api/shifts/current")).shift;
  } catch (err) {
    root.replaceChildren(message);
    fail(err);
    return;
  }
  ctx.setShift(shift);
  const parts = [message];
  if (!shift) {
    const float = h("input", { class: "input input-lg", name: "float", inputmode: "decimal", placeholder: ctx.example(100), "aria-label": "Float" });
    parts.push(h("form", { class: "card card-pad stack shift-open", onsubmit: async (event) => {
      event.preventDefault();
      const value = parseMoney(float.value, ctx.store.currency);
      if (value === null) return fail(new Error(`Type the float in the drawer, such as ${ctx.example(100)}.`));
      try {
        await ctx.api.post("/api/shifts", { float: value });
        toast("Shift open");
        return redraw();
      } catch (err) {
        return fail(err);
      }
    } },
      h("h2", {}, "Open a shift"),
      h("p", { class: "muted" }, "Count the float in the drawer. No payment is taken on this till until a shift is open."),
      h("label", { class: "field" }, h("span", {}, "Float"), float),
      h("button", { type: "submit", class: "btn btn-primary" }, "Open shift")));
  } else {
    parts.push(openShift(shift, ctx, fail, redraw));
  }
  if (ctx.may("reports.run")) parts.push(reports(ctx, fail));
  root.replaceChildren(h("div", { class: "shift stack" }, ...parts));
}

function openShift(shift, ctx, fail, redraw) {
  const money = ctx.money;
  const kind = h("select", { class: "select", name: "kind", "aria-label": "Kind" },
    h("option", { value: "pay_in" }, "Pay-in"), h("option", { value: "pay_out" }, "Pay-out"),
    h("option", { value: "skim" }, "Skim"));
  const amount = h("input", { class: "input", name: "amount", inputmode: "decimal", placeholder: ctx.example(0), "aria-label": "Amount" });
  const reason = h("input", { class: "input", name: "reason", placeholder: "Reason", "aria-label": "Reason" });
  const counts = notesAndCoins(ctx.store.currency, ctx.digits).map((value) => ({
    value,
    input: h("input", { class: "input input-sm", type: "number", min: "0", step: "1", inputmode: "numeric", name: `count-${value}`, "aria-label": `How many ${money(value)}` }),
  }));
  const counted = h("strong", { class: "num" }, money(0));
  const recount = () => {
    counted.textContent = money(counts.reduce((sum, c) => sum + c.value * (Number(c.input.value) || 0), 0));
  };
  for (const c of counts) c.input.addEventListener("input", recount);
  return h("div", { class: "stack" },
    h("div", { class: "card card-pad row-between" },
      h("div", {}, h("h2", {}, "Shift open"),
        h("p", { class: "muted" }, `Float ${money(shift.float)} · opened by ${shift.opened_by_name || "?"} · ${shift.device}`)),
      h("button", { type: "button", class: "btn", onclick: () => noSale(ctx, fail, redraw) }, "No sale")),
    h("form", { class: "card card-pad stack", onsubmit: async (event) => {
      event.preventDefault();
      const value = parseMoney(amount.value, ctx.store.currency);
      if (value === null) return fail(new Error(`Type an amount such as ${ctx.example(20)}.`));
      try {
        await ctx.api.post("/api/shifts/current/moves", { kind: kind.value, amount: value, reason: reason.value.trim() });
        toast("Recorded");
        return redraw();
      } catch (err) {
        return fail(err);
      }
    } },
      h("h3", {}, "Cash in or out"),
      h("div", { class: "row" }, kind, amount, reason, h("button", { type: "submit", class: "btn" }, "Record")),
      shift.moves.length ? h("ul", { class: "shift-moves small" }, shift.moves.map((m) =>
        h("li", {}, `${m.kind.replace("_", "-")} ${m.kind === "no_sale" ? "" : money(m.amount)} · ${m.reason}`))) : null),
    h("form", { class: "card card-pad stack shift-close", onsubmit: (event) => {
      event.preventDefault();
      const body = {};
      for (const c of counts) if (Number(c.input.value) > 0) body[String(c.value)] = Math.trunc(Number(c.input.value));
      // The count is final (a closed shift is not reopened): one tap too early must not record
      // an empty drawer, so the cashier says yes to what was counted first.
      const { close } = openModal({
        title: "Close the shift?",
        body: h("p", {}, Object.keys(body).length
          ? `You counted ${counted.textContent}. The count is final: a closed shift is not reopened.`
          : "Nothing is counted: the drawer will be recorded as empty. The count is final."),
        actions: [
          h("button", { type: "button", class: "btn", onclick: () => close() }, "Keep counting"),
          h("button", { type: "button", class: "btn btn-primary", onclick: async () => {
            close();
            try {
              const closed = await ctx.api.post("/api/shifts/current/close", { counted: body });
              ctx.setShift(null);
              showClosed(closed, ctx);
            } catch (err) {
              fail(err);
            }
          } }, "Yes, close it"),
        ],
      });
    } },
      h("h3", {}, "Close the shift"),
      h("p", { class: "muted small" }, "Count the drawer by note and coin. What it should hold shows once the count is in."),
      h("div", { class: "shift-counts" }, counts.map((c) =>
        h("label", { class: "shift-count" }, h("span", { class: "num" }, money(c.value)), c.input))),
      h("div", { class: "row-between" }, h("span", {}, "Counted ", counted),
        h("button", { type: "submit", class: "btn btn-primary" }, "Close shift"))));
}

function showClosed(shift, ctx) {
  const money = ctx.money;
  const over = shift.variance > 0 ? "over" : shift.variance < 0 ? "short" : "exact";
  const root = document.querySelector(".shift");
  root.replaceChildren(h("div", { class: "card card-pad stack shift-result" },
    h("h2", {}, "Shift closed"),
    h("dl", { class: "pay-sums" },
      h("div", {}, h("dt", {}, "Expected in the drawer"), h("dd", { class: "num" }, money(shift.expected))),
      h("div", {}, h("dt", {}, "Counted"), h("dd", { class: "num" }, money(shift.declared))),
      h("div", { class: `shift-variance is-${over}` }, h("dt", {}, over === "exact" ? "Difference" : over === "over" ? "Over" : "Short"),
        h("dd", { class: "num" }, money(shift.variance)))),
    h("button", { type: "button", class: "btn", onclick: () => drawShift(root.parentElement, ctx) }, "Done")));
}

async function noSale(ctx, fail, redraw) {
  try {
    const answer = await withApproval(ctx.api, (approval) =>
      ctx.api.post("/api/shifts/current/moves", { kind: "no_sale", reason: "No sale", ...(approval ? { approval } : {}) }),
    "Opening the drawer without a sale needs a manager.");
    if (answer) {
      toast("Drawer open");
      redraw();
    }
  } catch (err) {
    fail(err);
  }
}

function reports(ctx, fail) {
  const out = h("div", { class: "report-out" });
  const earlier = h("ul", { class: "report-list", "aria-label": "Earlier reports" });
  const list = async () => {
    try {
      const made = await ctx.api.get("/api/reports");
      earlier.replaceChildren(...(made.length ? made.map((report) => reportRow(report, ctx, fail))
        : [h("li", { class: "muted" }, "No report made yet.")]));
    } catch (err) {
      fail(err);
    }
  };
  const make = async (kind) => {
    try {
      const report = await ctx.api.post("/api/reports", { kind });
      out.replaceChildren(reportView(report, ctx));
      toast(`${kind.toUpperCase()} report ${report.print_job_id ? "printing" : "made"}`);
      list();
    } catch (err) {
      fail(err);
    }
  };
  list();
  return h("div", { class: "card card-pad stack" },
    h("div", { class: "row-between" }, h("h3", {}, "Reports"),
      h("div", { class: "row" },
        h("button", { type: "button", class: "btn", onclick: () => make("x") }, "X report"),
        h("button", { type: "button", class: "btn btn-danger", onclick: () => make("z") }, "Z report (close the day)"))),
    out,
    h("h4", {}, "Earlier reports"),
    h("p", { class: "muted" }, "The last 50, newest first: each prints again as it was made, under a REPRINT banner."),
    earlier);
}

// One report made before, with what it says at a glance and a way to print it again.
function reportRow(report, ctx, fail) {
  const again = async () => {
    try {
      await ctx.api.post(`/api/reports/${report.id}/print`);
      toast(`${report.kind.toUpperCase()} report of ${longDay(report.business_day)} printing again`);
    } catch (err) {
      fail(err);
    }
  };
  const kind = report.kind.toUpperCase();
  return h("li", { class: "report-row", "data-kind": report.kind },
    h("span", {}, h("strong", {}, `${kind} · ${longDay(report.business_day)}`),
      h("span", { class: "muted" }, ` made ${timeIn(report.created_at, ctx.store.timezone)} · sales `),
      h("span", { class: "num" }, ctx.money(report.data.sales))),
    h("button", { type: "button", class: "btn btn-sm", onclick: again,
      "aria-label": `Print the ${kind} report of ${longDay(report.business_day)} again` }, "Print again"));
}

function reportView(report, ctx) {
  const money = ctx.money;
  const d = report.data;
  const rows = [
    ["Checks paid", String(d.checks)], ["Sales", money(d.sales)], ["Tax", money(d.tax_total)],
    ["Discounts", money(d.discounts)], ["Service charge", money(d.service_charge)],
    ["Cash", money(d.tenders.cash.amount)], ["Card", money(d.tenders.card.amount)],
    ["Paid at table", money(d.tenders.online.amount)],
    ["Tips", money(d.tips)], ["Refunds", money(d.refunds)], ["Takings", money(d.takings)],
    ["Voids", `${d.voids} · ${money(d.voided)}`], ["Opening float", money(d.floats)],
    ["Expected cash", money(d.expected_cash)], ["Declared cash", money(d.declared_cash)],
    ["Over/short", money(d.over_short)],
  ];
  return h("section", { class: "report", "data-kind": report.kind },
    h("h3", {}, `${report.kind.toUpperCase()} report · ${report.business_day}`),
    h("dl", { class: "pay-sums" }, rows.map(([label, value]) =>
      h("div", { "data-row": label }, h("dt", {}, label), h("dd", { class: "num" }, value)))));
}
