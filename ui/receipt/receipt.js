// A paid check's digital receipt, for the guest to keep or share. The link's fragment holds the
// receipt's token (never sent in a request line, so never in a log); the page asks the box for
// the receipt with it and draws it as the printed one reads.

import { Api } from "/ui/lib/api.js";
import { h } from "/ui/lib/element.js";
import { formatMoney, knowDigits } from "/ui/lib/money.js";
import { dateTimeIn } from "/ui/lib/time.js";

const root = document.getElementById("app");
const token = decodeURIComponent(location.hash.slice(1));

function row(label, value, cls = "") {
  return h("div", { class: `receipt-row ${cls}`.trim() }, h("span", {}, label), h("span", { class: "num" }, value));
}

const TENDERS = { cash: "Cash", card: "Card", online: "Paid online" };

function draw(receipt) {
  knowDigits(receipt.currency, receipt.currency_digits);
  const money = (minor) => formatMoney(minor, receipt.currency);
  const included = receipt.prices_include_tax;
  document.title = `Receipt · ${receipt.store}`;
  root.replaceChildren(h("article", { class: "card receipt" },
    h("header", { class: "receipt-head" },
      h("h1", {}, receipt.store),
      h("p", { class: "muted" }, receipt.label, receipt.paid_at ? ` · ${dateTimeIn(receipt.paid_at, receipt.timezone)}` : "")),
    h("div", { class: "receipt-lines" }, receipt.lines.map((line) => h("div", { class: "receipt-line" },
      // the name apart (bdi): an Arabic one took the share into its run and drew it first
      row([`${line.quantity}× `, h("bdi", {}, line.name), line.share === "1" ? "" : ` (${line.share})`], money(line.amount)),
      line.modifiers.length ? h("p", { class: "small muted" }, line.modifiers.join(", ")) : null))),
    h("div", { class: "receipt-sums" },
      receipt.discounts.map((d) => row(d.label, `−${money(d.amount)}`)),
      receipt.taxes.map((t) => row(included ? `incl. ${t.name}` : t.name, money(t.tax))),
      receipt.service_charge ? row("Service", money(receipt.service_charge)) : null,
      row("Total", money(receipt.total), "receipt-total"),
      receipt.rounding ? row("Cash rounding", money(receipt.rounding)) : null,
      // what was due and tipped above, what was handed over below (a card as charged), as on paper
      receipt.tip ? row("Tip", money(receipt.tip)) : null,
      receipt.tenders.map((t) => row(TENDERS[t.method], money(t.amount))),
      receipt.change ? row("Change", money(receipt.change)) : null,
      // refunds made since it was paid, each a row, then what was paid in the end
      receipt.refunds.map((r) => row(`Refund, ${TENDERS[r.method]}`, `−${money(r.amount)}`)),
      receipt.refunds.length ? row("Net paid", money(receipt.net_paid), "receipt-net") : null,
      // paid beyond the total and not refunded yet, as on paper
      receipt.due_back ? row("Owed back", money(receipt.due_back), "receipt-net") : null),
    h("p", { class: "small muted receipt-foot" }, "Thank you. Keep this page's link to see your receipt again.")));
}

async function start() {
  if (!token) {
    root.replaceChildren(h("p", { class: "boot msg msg-error" }, "This link holds no receipt."));
    return;
  }
  try {
    draw(await new Api().get(`/api/receipts/${encodeURIComponent(token)}`));
  } catch (err) {
    root.replaceChildren(h("p", { class: "boot msg msg-error" },
      err.status === 404 ? "There is no receipt at this link." : `Could not load the receipt: ${err.message}`));
  }
}

start();
