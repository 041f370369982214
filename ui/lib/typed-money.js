// Amounts as a person types them and reads them back in a field (prices, cash given, a float),
// in the digits the box keeps the currency in. Apart from money.js, which every page paints
// with: the guest's page, which only shows amounts, loads none of this.

import { minorDigits } from "/ui/lib/money.js";

/** Minor units as the plain decimal a person types: 1250 -> "12.50". */
export function toDecimalText(minor, currency) {
  const digits = minorDigits(currency);
  const negative = minor < 0;
  const text = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, "0");
  const whole = digits ? text.slice(0, -digits) : text;
  const fraction = digits ? `.${text.slice(-digits)}` : "";
  return (negative ? "-" : "") + whole + fraction;
}

/**
 * What a person typed ("12.5", "12,50", "€ 12", "-0.5") as minor units, by string arithmetic
 * so no float rounding creeps in. Returns null when it is not an amount with at most the
 * currency's number of decimals. A minus is read, not refused: whether an amount may be below
 * zero is the edge's rule, and it says so in those words ("Price can't be negative.").
 */
export function parseMoney(input, currency) {
  const digits = minorDigits(currency);
  let text = String(input ?? "").trim().replace(/[\s\u00a0]/g, "").replace(/[^\d.,\-−]/g, "");
  text = text.replace("−", "-");
  const negative = text.startsWith("-");
  if (negative) text = text.slice(1);
  if (!text) return null;
  const match = text.match(/^(\d*)(?:[.,](\d*))?$/);
  if (!match) return null;
  const [, whole = "", fraction = ""] = match;
  if (!whole && !fraction) return null;
  if (fraction.length > digits) return null;
  const minor = Number(whole || "0") * 10 ** digits + Number((fraction || "").padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor)) return null;
  return negative ? -minor : minor;
}
