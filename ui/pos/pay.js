// Paying a check: its lines and money as the box computes them, splits (evenly, by seat),
// discounts and promo codes, and the tenders: cash (quick amounts, change shown big) and the
// external card terminal (amount, tip, the terminal's reference). A split check is paid part by
// part. Every amount comes from the box; the page only shows it.

import { h } from "/ui/lib/element.js";
import { percentText } from "/ui/lib/money.js";
import { parseMoney } from "/ui/lib/typed-money.js";
import { timeIn } from "/ui/lib/time.js";
import { askReason, openModal, toast, withApproval } from "./dialogs.js";

/** A field that opens filled (a refund's whole amount) is typed over, not after. */
const selectAll = (event) => event.target.select();

/** A tender as the POS and paper name it. */
const TENDERS = { cash: "Cash", card: "Card", online: "Paid online" };

/** The next amounts a guest may hand over for `due`: exact, then round notes above it. */
export function quickCash(due, digits) {
  const unit = 10 ** digits;
  const steps = [5, 10, 20, 50, 100].map((n) => n * unit);
  const amounts = [due];
  for (const step of steps) {
    const next = Math.ceil(due / step) * step;
    if (next > due && !amounts.includes(next)) amounts.push(next);
    if (amounts.length >= 4) break;
  }
  return amounts;
}

export function openPay(ctx, checkId, { onDone = () => {} } = {}) {
  const money = ctx.money;
  const body = h("div", { class: "pay" });
  let check = null;
  let target = null; // the check or the part being paid
  const message = h("p", { class: "msg", role: "alert" });
  const { close } = openModal({ title: "Pay", body: [message, body], wide: true, onClose: onDone });

  async function load(id = checkId) {
    check = await ctx.api.get(`/api/checks/${id}`);
    const open = check.parts.find((part) => part.status === "open");
    target = check.parts.length ? open || null : check;
    draw();
  }

  function fail(err) {
    message.className = "msg msg-error";
    message.textContent = err.message;
  }

  function clearMessage() {
    message.className = "msg";
    message.textContent = "";
  }

  async function act(fn) {
    clearMessage();
    try {
      await fn();
    } catch (err) {
      fail(err);
    }
  }

  function draw() {
    const paid = check.status === "paid";
    body.replaceChildren(
      h("div", { class: "pay-grid" },
        h("section", { class: "pay-check card" },
          h("div", { class: "card-head" }, h("h3", {}, check.label),
            h("span", { class: `badge ${paid ? "badge-ok" : "badge-accent"}` }, paid ? "Paid" : check.status === "split" ? "Split" : "Open")),
          h("ul", { class: "pay-lines" }, check.lines.filter((l) => !l.voided).map((line) =>
            h("li", {},
              h("span", {}, `${line.quantity}× `, h("bdi", {}, line.name),
                line.modifiers.length ? h("span", { class: "muted small" }, ` · ${line.modifiers.join(", ")}`) : null,
                line.seat ? h("span", { class: "badge" }, `Seat ${line.seat}`) : null),
              h("span", { class: "pay-line-end" }, h("span", { class: "num" }, money(line.amount)),
                paid || check.parts.length ? null : h("button", {
                  type: "button", class: "btn btn-ghost btn-sm", "aria-label": `Void ${line.name}`,
                  onclick: () => voidLine(line),
                }, "Void"))))),
          h("dl", { class: "pay-sums" },
            check.prices_include_tax ? null : row("Subtotal", money(check.subtotal)),
            check.discounts.map((d) => h("div", { class: "pay-discount" },
              h("dt", {}, d.promo_code ? `Promo ${d.promo_code}` : (d.reason || "Discount"),
                paid ? null : h("button", { type: "button", class: "btn btn-ghost btn-sm", "aria-label": "Remove discount", onclick: () => act(async () => {
                  await ctx.api.delete(`/api/check-discounts/${d.id}`);
                  await load();
                }) }, "✕")),
              h("dd", { class: "num" }, `−${money(d.amount)}`))),
            check.taxes.map((t) => row(check.prices_include_tax ? `incl. ${t.name}` : t.name, money(t.tax))),
            check.service_charge ? row(`Service ${percentText(check.service_bp)}%`, money(check.service_charge)) : null,
            row("Total", money(check.total), "pay-total"),
            check.payments.map((p) => h("div", { class: "pay-payment" },
              h("dt", {}, TENDERS[p.method],
                p.refunded ? h("span", { class: "muted small" }, ` · refunded ${money(p.refunded)}`) : null,
                h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: () => refund(p) }, "Refund…")),
              h("dd", { class: "num" }, money(p.amount + p.rounding)))),
            check.refunds.map((r) => h("div", { class: "pay-refund" },
              h("dt", {}, `Refund · ${TENDERS[r.method]}`,
                h("span", { class: "muted small" }, ` · ${timeIn(r.created_at, ctx.store.timezone)} · ${r.reason}`),
                h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: () => printSlip(r) }, "Print slip")),
              h("dd", { class: "num" }, `−${money(r.amount)}`))),
            check.tips ? row("Tips", money(check.tips)) : null,
            check.due_back ? row("Owed back", money(check.due_back), "pay-due-back") : null),
          paid || check.parts.length ? null : h("div", { class: "row pay-tools" },
            h("span", { class: "small muted" }, "Split"),
            [2, 3, 4].map((ways) => h("button", { type: "button", class: "btn btn-sm", onclick: () => split({ by: "even", ways }) }, `${ways} ways`)),
            h("button", { type: "button", class: "btn btn-sm", onclick: () => split({ by: "seat" }) }, "By seat"),
            h("button", { type: "button", class: "btn btn-sm", onclick: () => splitByItems() }, "By items…"),
            h("button", { type: "button", class: "btn btn-sm", onclick: () => discount() }, "Discount…"),
            h("button", { type: "button", class: "btn btn-sm", onclick: () => service() }, "Service…"))),
        h("section", { class: "pay-tender" },
          check.parts.length ? partsList() : null,
          paid ? done() : target ? tender(target) : null)));
  }

  function row(label, value, cls = "") {
    return h("div", { class: cls }, h("dt", {}, label), h("dd", { class: "num" }, value));
  }

  function partsList() {
    return h("div", { class: "pay-parts" }, check.parts.map((part) =>
      h("button", {
        type: "button",
        class: `pay-part${target && target.id === part.id ? " is-current" : ""}`,
        disabled: part.status === "paid",
        "aria-pressed": target && target.id === part.id ? "true" : "false",
        onclick: () => { target = part; draw(); },
      },
      h("span", { class: "pay-part-label" }, part.label),
      h("span", { class: "num" }, part.status === "paid" ? "Paid" : money(part.balance)))));
  }

  function tender(what) {
    const balance = what.balance;
    const digits = ctx.digits;
    const given = h("input", { class: "input input-lg", name: "given", inputmode: "decimal", placeholder: "Cash given", "aria-label": "Cash given" });
    const amount = h("input", { class: "input", name: "card_amount", inputmode: "decimal", value: ctx.decimal(balance), "aria-label": "Card amount" });
    const tip = h("input", { class: "input", name: "tip", inputmode: "decimal", placeholder: "0", "aria-label": "Tip" });
    const reference = h("input", { class: "input", name: "reference", autocomplete: "off", placeholder: "Terminal reference", "aria-label": "Terminal reference" });
    const cash = (value) => act(() => pay(what, { method: "cash", given: value }));
    return h("div", { class: "stack" },
      h("div", { class: "pay-due" }, h("span", { class: "muted" }, what === check ? "To pay" : `To pay · ${what.label}`),
        h("strong", { class: "num" }, money(balance))),
      h("div", { class: "card card-pad stack" },
        h("h3", {}, "Cash"),
        h("div", { class: "pay-quick" }, quickCash(what.cash_balance, digits).map((value, i) =>
          h("button", { type: "button", class: `btn${i === 0 ? " btn-primary" : ""}`, "data-cash": String(value), onclick: () => cash(value) },
            i === 0 ? `Exact ${money(value)}` : money(value)))),
        h("form", { class: "row", onsubmit: (event) => {
          event.preventDefault();
          const value = parseMoney(given.value, ctx.store.currency);
          if (value === null) return fail(new Error(`Type the cash given, such as ${ctx.example(20)}.`));
          return cash(value);
        } }, given, h("button", { type: "submit", class: "btn" }, "Take cash"))),
      h("form", { class: "card card-pad stack", onsubmit: (event) => {
        event.preventDefault();
        const value = parseMoney(amount.value, ctx.store.currency);
        const extra = tip.value.trim() ? parseMoney(tip.value, ctx.store.currency) : 0;
        if (value === null || extra === null) return fail(new Error(`Type amounts such as ${ctx.example(12)}.`));
        return act(() => pay(what, { method: "card", amount: value, tip: extra, reference: reference.value.trim() }));
      } },
        h("h3", {}, "Card terminal"),
        h("div", { class: "pay-card-fields" },
          h("label", { class: "field" }, h("span", {}, "Amount"), amount),
          h("label", { class: "field" }, h("span", {}, "Tip"), tip),
          h("label", { class: "field" }, h("span", {}, "Reference"), reference)),
        h("p", { class: "small muted" }, "Take the card on the terminal, then type its reference. Never type a card number."),
        h("button", { type: "submit", class: "btn" }, "Card paid")),
      payAtTable(what));
  }

  // Pay at table: the provider's QR code shows here (drawn by the box) and prints on the bill;
  // the guest pays on their phone and the box hears it (webhook, or by asking the provider), and
  // this dialog follows.
  let polling = null;
  function payAtTable(what) {
    const status = h("p", { class: "small muted", role: "status" }, "The guest scans the QR code, on this screen or the bill, and pays on their phone.");
    const code = h("div", { class: "pay-qr" });
    const button = h("button", { type: "button", class: "btn", onclick: () => act(async () => {
      try {
        const link = await ctx.api.post(`/api/checks/${what.id}/pay-link`);
        status.replaceChildren("Bill with the QR code printing · waiting for the guest… ",
          h("a", { href: link.url, target: "_blank", rel: "noopener" }, "pay link"));
        button.disabled = true;
        follow(link.id);
        const src = URL.createObjectURL(await ctx.api.blob(`/api/pay-links/${link.id}/qr.svg`));
        code.replaceChildren(h("img", { src, alt: `QR code to pay ${money(link.amount)}`, onload: () => URL.revokeObjectURL(src) }));
      } catch (err) {
        if (err.code === "provider_unavailable") {
          button.disabled = true;
          status.className = "small msg msg-warn";
          status.textContent = "Pay at table is unavailable: the payment provider cannot be reached. Take cash or card.";
        } else throw err;
      }
    }) }, "QR bill");
    return h("div", { class: "card card-pad stack pay-online" }, h("h3", {}, "Pay at table"), status, code, button);
  }

  function follow(linkId) {
    clearInterval(polling);
    polling = setInterval(async () => {
      if (!document.body.contains(body)) return clearInterval(polling);
      try {
        const link = await ctx.api.get(`/api/pay-links/${linkId}`);
        if (link.status === "paid") {
          clearInterval(polling);
          change = null;
          paidHere = true;
          await load(check.id);
        }
      } catch {
        // the next tick asks again
      }
      return null;
    }, 2000);
  }

  function done() {
    return h("div", { class: "pay-done stack" },
      h("p", { class: "pay-done-title" }, "Paid"),
      change ? h("p", { class: "pay-change" }, "Change ", h("strong", { class: "num" }, money(change))) : null,
      // one span: the message box lays its children out in a row
      check.due_back ? h("p", { class: "msg msg-warn", role: "alert" }, h("span", {}, h("strong", { class: "num" }, money(check.due_back)),
        " is owed back to the guest: paid beyond the total (a line voided after it was paid, or a QR bill paid after the till took the check). A manager refunds it from a tender (Refund…).")) : null,
      // a check paid before this dialog opened (to refund it) printed its receipt back then
      paidHere ? h("p", { class: "muted" }, "The receipt is printing.") : null,
      h("button", { type: "button", class: "btn btn-primary btn-block", autofocus: true, onclick: () => close() },
        paidHere ? "New sale" : "Done"));
  }

  let change = null;
  let paidHere = false; // a tender taken here (or the QR bill it showed) paid it: its receipt prints

  async function pay(what, tender) {
    const taken = await ctx.api.post(`/api/checks/${what.id}/payments`, tender);
    change = taken.payment.method === "cash" ? taken.change : null;
    if (taken.change) toast(`Change ${money(taken.change)}`);
    paidHere = true;
    await load(check.id);
    if (check.status !== "paid" && taken.change) {
      // a part paid in cash: say the change before the next part
      message.className = "msg msg-ok";
      message.textContent = `Change ${money(taken.change)}`;
    }
  }

  /** Ask a reason (and a manager's PIN when the box wants one); once done, show the check again. */
  function withReason(what) {
    askReason(ctx.api, { ...what, onDone: () => load() });
  }

  function voidLine(line) {
    withReason({
      title: `Void ${line.quantity}× ${line.name}`,
      why: "Voiding a line needs a manager.",
      label: "Void",
      send: (reason, approval) => ctx.api.post(`/api/order-lines/${line.line_id}/void`, approval ? { reason, approval } : { reason }),
    });
  }

  /** Refund a tender; its slip prints at once on this till's receipt printer, as a receipt
   * does once paid, and the check lists the refund with Print slip for a copy. */
  function refund(payment) {
    const amount = h("input", { class: "input", name: "refund_amount", inputmode: "decimal", autofocus: true, onfocus: selectAll,
      value: ctx.decimal(payment.amount + payment.rounding + payment.tip - payment.refunded), "aria-label": "Amount" });
    askReason(ctx.api, {
      title: "Refund",
      why: "A refund needs a manager.",
      label: "Refund",
      extra: h("label", { class: "field" }, h("span", {}, "Amount"), amount),
      send: (reason, approval) => {
        const value = parseMoney(amount.value, ctx.store.currency);
        const body = { reason, ...(value ? { amount: value } : {}), ...(approval ? { approval } : {}) };
        return ctx.api.post(`/api/payments/${payment.id}/refund`, body);
      },
      onDone: async (answer) => {
        await load();
        message.className = "msg msg-ok";
        message.textContent = `Refunded ${money(answer.refund.amount)} · ${answer.slip_job_id
          ? "the refund slip is printing." : "no receipt printer here: no slip printed."}`;
      },
    });
  }

  function printSlip(refunded) {
    act(async () => {
      await ctx.api.post(`/api/refunds/${refunded.id}/print-slip`);
      toast("Refund slip printing (copy)");
    });
  }

  function splitByItems() {
    const lines = check.lines.filter((l) => !l.voided);
    const picks = lines.map((line, i) => {
      const select = h("select", { class: "select", "aria-label": `Part for ${line.name}` },
        [1, 2, 3, 4].map((n) => h("option", { value: String(n), selected: n === (i % 2) + 1 }, `Part ${n}`)));
      return { line, select };
    });
    const note = h("p", { class: "msg", role: "alert" });
    const { close: closeSplit } = openModal({
      title: "Split by items",
      body: [note, h("div", { class: "stack-sm" }, picks.map(({ line, select }) =>
        h("div", { class: "row-between" }, h("span", {}, `${line.quantity}× ${line.name}`), select)))],
      actions: [h("button", { type: "button", class: "btn btn-primary", onclick: async () => {
        const parts = [[], [], [], []];
        for (const { line, select } of picks) parts[Number(select.value) - 1].push(line.line_id);
        try {
          check = await ctx.api.post(`/api/checks/${check.id}/split`, { by: "items", parts: parts.filter((p) => p.length) });
          target = check.parts[0];
          closeSplit();
          draw();
        } catch (err) {
          note.className = "msg msg-error";
          note.textContent = err.message;
        }
      } }, "Split")],
    });
  }

  function split(how) {
    act(async () => {
      check = await ctx.api.post(`/api/checks/${check.id}/split`, how);
      target = check.parts[0];
      draw();
    });
  }

  function discount() {
    const kind = h("select", { class: "select", name: "kind" },
      h("option", { value: "percent" }, "Percent"), h("option", { value: "fixed" }, "Amount"));
    const value = h("input", { class: "input", name: "value", inputmode: "decimal", placeholder: "10", autofocus: true });
    const reason = h("input", { class: "input", name: "reason", placeholder: "Reason" });
    const promo = h("input", { class: "input", name: "promo", placeholder: "Promo code", autocomplete: "off" });
    const note = h("p", { class: "msg", role: "alert" });
    const { close: closeDiscount } = openModal({
      title: "Discount",
      body: [note,
        h("div", { class: "row" }, h("label", { class: "field" }, h("span", {}, "Kind"), kind),
          h("label", { class: "field" }, h("span", {}, "Value"), value)),
        h("label", { class: "field" }, h("span", {}, "Reason"), reason),
        h("p", { class: "small muted" }, "Or a promo code:"),
        h("label", { class: "field" }, h("span", {}, "Promo code"), promo)],
      actions: [h("button", { type: "button", class: "btn btn-primary", onclick: async () => {
        let payload;
        if (promo.value.trim()) payload = { promo_code: promo.value.trim() };
        else {
          const number = kind.value === "percent"
            ? Math.round(Number(value.value.replace(",", ".")) * 100)
            : parseMoney(value.value, ctx.store.currency);
          if (!Number.isFinite(number) || number === null) {
            note.className = "msg msg-error";
            note.textContent = "Type a value.";
            return;
          }
          payload = { kind: kind.value, value: number, reason: reason.value.trim() };
        }
        try {
          const answer = await withApproval(ctx.api, (approval) =>
            ctx.api.post(`/api/checks/${check.id}/discounts`, approval ? { ...payload, approval } : payload),
          "A discount this large needs a manager.");
          if (answer) {
            closeDiscount();
            await load();
          }
        } catch (err) {
          note.className = "msg msg-error";
          note.textContent = err.message;
        }
      } }, "Apply")],
    });
  }

  function service() {
    const percent = h("input", { class: "input", name: "service", inputmode: "decimal", value: percentText(check.service_bp), autocomplete: "off", autofocus: true, onfocus: selectAll });
    const note = h("p", { class: "msg", role: "alert" });
    const change = async (service_bp) => {
      try {
        const answer = await withApproval(ctx.api, (approval) =>
          ctx.api.patch(`/api/checks/${check.id}`, approval ? { service_bp, approval } : { service_bp }),
        "Changing a check's service charge needs a manager.");
        if (answer) {
          closeService();
          await load();
        }
      } catch (err) {
        note.className = "msg msg-error";
        note.textContent = err.message;
      }
    };
    const { close: closeService } = openModal({
      title: "Service charge",
      body: [note,
        h("label", { class: "field" }, h("span", {}, "Percent of the check"), percent),
        h("p", { class: "small muted" }, "0 takes it off. A manager approves any change.")],
      actions: [
        h("button", { type: "button", class: "btn", onclick: () => change(null) }, "Store's rule"),
        h("button", { type: "button", class: "btn btn-primary", onclick: () => {
          const number = Math.round(Number(percent.value.trim().replace(",", ".")) * 100);
          if (!percent.value.trim() || !Number.isFinite(number) || number < 0 || number > 10_000) {
            note.className = "msg msg-error";
            note.textContent = "Type a percent from 0 to 100.";
            return;
          }
          change(number);
        } }, "Apply")],
    });
  }

  load().catch(fail);
  return { close };
}
