// Money is integer minor units plus an ISO currency, never floats; tax rates are integer basis
// points. These helpers only format and parse at the edges of the screen.

const formatters = new Map();
// Digits the box keeps a currency's amounts in, where it said (`currency_digits` of
// /api/store): the browser's own idea differs for some (IDR: 2 in the browser, 0 on the box).
const boxDigits = new Map();

/** The box keeps `currency` in `digits` decimals: format and parse it so from now on. */
export function knowDigits(currency, digits) {
  if (!currency || !Number.isInteger(digits) || boxDigits.get(currency) === digits) return;
  boxDigits.set(currency, digits);
  for (const key of [...formatters.keys()]) if (key.endsWith(`|${currency}`)) formatters.delete(key);
}

function formatter(currency, locale) {
  const key = `${locale || ""}|${currency}`;
  if (!formatters.has(key)) {
    const options = { style: "currency", currency };
    const digits = boxDigits.get(currency);
    if (digits !== undefined) Object.assign(options, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    formatters.set(key, new Intl.NumberFormat(locale || undefined, options));
  }
  return formatters.get(key);
}

/** How many decimals the currency has: EUR 2, JPY 0, KWD 3 (IDR 0 once the box said so). */
export function minorDigits(currency) {
  if (boxDigits.has(currency)) return boxDigits.get(currency);
  try {
    return formatter(currency).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** 1250, "EUR" -> "€12.50" (in the browser's locale unless `locale` is given). */
export function formatMoney(minor, currency, locale) {
  const digits = minorDigits(currency);
  const value = Number(minor) / 10 ** digits; // display only; never fed back into a total
  try {
    return formatter(currency, locale).format(value);
  } catch {
    return `${value.toFixed(digits)} ${currency}`;
  }
}

/** A signed delta for modifiers: +€1.50, −€0.50, or "" for zero. */
export function formatDelta(minor, currency, locale) {
  if (!minor) return "";
  const text = formatMoney(Math.abs(minor), currency, locale);
  return (minor < 0 ? "−" : "+") + text;
}

/** Basis points as the percentage a person reads: 2300 -> "23", 1350 -> "13.5", 1305 -> "13.05". */
export function percentText(bp) {
  const whole = Math.trunc(bp / 100);
  const cents = String(bp % 100).padStart(2, "0").replace(/0+$/, "");
  return cents ? `${whole}.${cents}` : String(whole);
}
