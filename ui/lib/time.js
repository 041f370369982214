// Times as the store lives them. The store's time zone decides its clock and its days, whatever
// the zone of the device showing the page: a manager abroad, or a tablet set to UTC, still reads
// the times the staff lived through. Every page shows a time of day in one format (`timeIn`),
// and a moment with its date in one other (`dateTimeIn`), so "2:25:15 AM" on one page and
// "02:30 AM" on the next cannot happen again. The store has no language setting, so the hour
// cycle (14:25 or 2:25 PM) is the device's: the same on every page of that device.

const DAY_MS = 86400000;
const TIME = { hour: "numeric", minute: "2-digit" };
const DATE_TIME = { dateStyle: "medium", timeStyle: "short" };
const formats = new Map();

function zoneFormat(timeZone, options, locale) {
  const key = `${locale || ""}|${timeZone || ""}|${JSON.stringify(options)}`;
  if (!formats.has(key)) {
    let format;
    try {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone: timeZone || undefined });
    } catch {
      format = new Intl.DateTimeFormat(locale, options); // an unknown zone: the device's
    }
    formats.set(key, format);
  }
  return formats.get(key);
}

/** `iso` as the store reads it: in `timeZone` (an IANA name), in the device's language. */
function formatWhenIn(iso, timeZone, options = DATE_TIME) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return zoneFormat(timeZone, options).format(date);
}

/** The time of day of `iso` on the store's clock: "14:25" (or "2:25 PM" on an en-US device). */
export function timeIn(iso, timeZone) {
  return formatWhenIn(iso, timeZone, TIME);
}

/** The day of the week and the time of `iso`, on the store's clock: "Mon 14:25". */
export function dayTimeIn(iso, timeZone) {
  return formatWhenIn(iso, timeZone, { weekday: "short", ...TIME });
}

/** `iso` with its date, on the store's clock: "12 Mar 2026, 14:25". */
export function dateTimeIn(iso, timeZone) {
  return formatWhenIn(iso, timeZone, DATE_TIME);
}

/** The wall clock in `timeZone` at `ms` (epoch milliseconds): {year, month, day, hour, ...}. */
function wallClock(ms, timeZone) {
  const format = zoneFormat(timeZone, {
    hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }, "en-US");
  const parts = {};
  for (const { type, value } of format.formatToParts(new Date(ms))) parts[type] = Number(value);
  parts.hour %= 24; // some engines say 24 for midnight
  return parts;
}

/** How far `timeZone` is ahead of UTC at `ms`, in milliseconds. */
function zoneOffset(ms, timeZone) {
  const wall = wallClock(ms, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

function dayText(year, month, day) {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** The calendar day ("YYYY-MM-DD") in `timeZone` at `instant` (ms or anything Date takes). */
export function dayIn(instant, timeZone) {
  const wall = wallClock(new Date(instant).getTime(), timeZone);
  return dayText(wall.year, wall.month, wall.day);
}

/**
 * The store's business day at `instant`, as the edge numbers orders by it: a night shift after
 * midnight, before `store.business_day_starts` ("HH:MM"), still counts to the day before.
 */
export function businessDayIn(instant, store) {
  const wall = wallClock(new Date(instant).getTime(), store.timezone);
  const [hour, minute] = String(store.business_day_starts || "00:00").split(":").map(Number);
  const day = dayText(wall.year, wall.month, wall.day);
  return wall.hour * 60 + wall.minute < hour * 60 + minute ? addDays(day, -1) : day;
}

/** "YYYY-MM-DD" plus `days` calendar days. */
export function addDays(day, days) {
  const [year, month, date] = day.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** "Thursday, 12 March 2026" for a calendar day ("YYYY-MM-DD"), in the device's language. */
export function longDay(day) {
  const [year, month, date] = day.split("-").map(Number);
  return formatWhenIn(new Date(Date.UTC(year, month - 1, date, 12)).toISOString(), "UTC",
    { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

/**
 * The first instant of calendar `day` ("YYYY-MM-DD") in `timeZone`, as a UTC ISO string: its
 * midnight, or, where a clock change skips midnight, the moment the clocks jumped. Each offset
 * the zone has around that day gives a candidate; the earliest that falls on `day` while the
 * millisecond before it does not is the start (when midnight happens twice, the first one).
 */
export function dayStartIn(day, timeZone) {
  const [year, month, date] = day.split("-").map(Number);
  const guess = Date.UTC(year, month - 1, date);
  const offsets = new Set([-DAY_MS, 0, DAY_MS].map((shift) => zoneOffset(guess + shift, timeZone)));
  let start = null;
  for (const offset of offsets) {
    const candidate = guess - offset;
    if (dayIn(candidate, timeZone) === day && dayIn(candidate - 1, timeZone) !== day
        && (start === null || candidate < start)) start = candidate;
  }
  if (start === null) start = guess - zoneOffset(guess, timeZone);
  return new Date(start).toISOString();
}
