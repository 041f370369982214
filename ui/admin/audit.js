// Audit: who did what and when, newest first, in words a manager reads at a glance: "Cola 86'd",
// "Line voided: 2 × Cola", "Print failed (attempt 3), retrying at 5:31 AM — printer offline".
// Times are the store's (its time zone decides the day), and so are the From/To days. The edge
// sends each row with the names it needs (`context`: the printer, table, item, order number),
// so ids, hashes and blobs never reach the screen.

import { formatDelta, percentText } from "/ui/lib/money.js";
import { showOverflow } from "/ui/lib/overflow.js";
import { addDays, dateTimeIn, dayIn, dayStartIn, longDay, timeIn } from "/ui/lib/time.js";
import { act, field, h, msgBox } from "./dom.js";
import { PRINTING, kindLabel, plainError, roleLabel, transportSummary } from "./printers.js";

const PAGE = 50;

// The "What" filter: a value is a comma-separated list of entities, or one of these two.
const EVERYTHING = "";
const NOT_PRINTING = "~printing";
const GROUPS = [
  [NOT_PRINTING, "Everything but printing"],
  [EVERYTHING, "Everything"],
  ["orders,order_lines", "Orders"],
  ["menu_items,menu_categories,modifier_groups,modifiers,item_modifier_groups,tax_rates", "Menu"],
  ["areas,tables", "Tables"],
  ["staff,staff_sessions,pin_failures,pin_lockouts", "Staff and sign-ins"],
  ["devices,pairing_codes", "Devices and pairing"],
  ["store", "Settings"],
  ["tickets,ticket_items,stations,kitchen_settings", "Kitchen"],
  [PRINTING.join(","), "Printing (printers, status, jobs)"],
];
const ENTITIES = {
  orders: "Orders only",
  order_lines: "Order lines",
  menu_items: "Menu items",
  menu_categories: "Categories",
  modifier_groups: "Modifier groups",
  modifiers: "Modifiers",
  item_modifier_groups: "Items' modifier groups",
  tax_rates: "Tax rates",
  areas: "Areas",
  tables: "Tables only",
  staff: "Staff members",
  staff_sessions: "Sign-ins",
  pin_failures: "Wrong PINs",
  pin_lockouts: "PINs locked on every device",
  devices: "Devices",
  pairing_codes: "Pairing codes",
  printers: "Printers",
  printer_status: "Printers' status",
  print_jobs: "Print jobs",
  tickets: "Kitchen tickets",
  ticket_items: "Kitchen tickets' items",
  stations: "Stations",
  kitchen_settings: "Kitchen options",
  pay_links: "QR bills (pay at table)",
};

// Why a sign-in ended, as the box records it.
const ENDED = {
  signed_out: "Signed out",
  deactivated: "Deactivated",
  role_changed: "Their role changed",
  pin_changed: "Their PIN changed",
  device_revoked: "The device was revoked",
};
const QR_MODES = { draft_first: "Staff confirm guest orders", direct: "Guest orders go straight to the kitchen" };
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// ---- values as words ---------------------------------------------------------------------

// Fields nobody reads: ids, hashes, blobs, sort positions, sync bookkeeping, and what a row's
// summary already says.
const HIDDEN = new Set([
  "id", "hub_rev", "position", "payload", "document", "dedupe_key", "source_entity", "source_id",
  "seq", "created_at", "checked_at", "currency", "business_day", "opened_by", "order_id",
  "qr_epoch", "qr_version", "token", "token_hash", "staff_id", "number", "kind", "state",
  "attempts", "next_attempt_at", "last_error", "status", "order_lines", "subtotal", "tax_total",
  "secret_hash", "device_id", "hour_started_at", "hour_failures", "end_reason", "paired_by",
  "revoked_by", "created_by",
  "ticket_items", "ticket_id", "line_id", "label", "order_number", "fired_by", "fired_at",
  "started_at", "ready_at", "bumped_at", "served_at", "auto_fire_at",
]);
const MONEY = new Set(["price", "price_delta", "unit_price", "amount", "total"]);
const PERCENT = new Set(["rate_bp", "tax_rate_bp"]);
const LABELS = {
  name: "Name",
  timezone: "Time zone",
  prices_include_tax: "Prices include tax",
  tax_rounding: "Tax rounding",
  business_day_starts: "Business day starts",
  opening_hours: "Opening hours",
  holidays: "Holidays",
  qr_mode: "QR ordering",
  qr_kill_switch: "QR ordering stopped",
  guest_base_url: "Guest address",
  rate_bp: "Rate",
  tax_rate_bp: "Tax",
  tax_name: "Tax",
  category_id: "Category",
  tax_rate_id: "Tax rate",
  description: "Description",
  price: "Price",
  price_delta: "Price change",
  unit_price: "Unit price",
  amount: "Amount",
  total: "Total",
  station: "Station",
  course: "Course",
  available: "On sale",
  active: "Active",
  min_choices: "Choose at least",
  max_choices: "Choose at most",
  group_id: "Modifier group",
  item_id: "Item",
  area_id: "Area",
  table_id: "Table",
  seats: "Seats",
  enabled: "In use",
  role: "Role",
  pin_hash: "PIN",
  device: "Device",
  expires_at: "Signed in until",
  ended_at: "Ended",
  failures: "Wrong PINs in a row",
  devices: "Devices",
  last_sign_in_at: "Last sign-in",
  revoked_at: "Revoked",
  paired_at: "Paired",
  used_at: "Used",
  locked_until: "Locked out until",
  covers: "Guests",
  note: "Note",
  seat: "Seat",
  quantity: "Quantity",
  modifiers: "Choices",
  void_reason: "Reason",
  void_day: "In the report of",
  taxes: "Taxes",
  stations: "Stations",
  transport: "Connection",
  profile: "Model",
  backup_printer_id: "Backup printer",
  printer_id: "Printer",
  rerouted_from: "First sent to",
  online: "Online",
  paper_near_end: "Paper low",
  paper_out: "Out of paper",
  cover_open: "Cover open",
  error: "Problem",
  reprint: "Reprint",
  printed_at: "Printed at",
};

function capitalise(text) {
  const value = String(text);
  return value.charAt(0).toUpperCase() + value.slice(1);
}

function words(code) {
  return capitalise(String(code).replaceAll("_", " ").toLowerCase());
}

function quoted(name) {
  return name ? `“${name}”` : "";
}

function isUuid(value) {
  return typeof value === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

function isIsoTime(value) {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value);
}

function hours(periods) {
  if (!Array.isArray(periods) || !periods.length) return "closed";
  return periods.map(([open, close]) => `${open}–${close}`).join(", ");
}

function openingHours(value) {
  if (!value || typeof value !== "object") return "";
  return WEEKDAYS.map((day) => `${capitalise(day)} ${hours(value[day])}`).join(" · ");
}

function lineText(line) {
  const choices = (line.modifiers || []).map((m) => m.name).filter(Boolean);
  return `${line.quantity || 1} × ${line.name}${choices.length ? ` (${choices.join(", ")})` : ""}`;
}

/** One field's value as words, or null when there is nothing a person would read in it. */
function valueText(key, value, event, view) {
  const { ctx } = view;
  const names = (event.context && event.context.names) || {};
  if (key in names) return names[key];
  if (value === null || value === undefined || value === "") return key === "backup_printer_id" ? "none" : null;
  if (key === "pin_hash") return "changed";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (MONEY.has(key) && typeof value === "number") return key === "price_delta" ? formatDelta(value, ctx.store.currency) || "no change" : ctx.money(value);
  if (PERCENT.has(key)) return `${percentText(value)}%`;
  if (key === "opening_hours") return openingHours(value);
  if (key === "holidays") {
    if (!Array.isArray(value) || !value.length) return "none";
    return value.map((day) => `${day.date} ${hours(day.hours)}${day.note ? ` (${day.note})` : ""}`).join(" · ");
  }
  if (key === "qr_mode") return QR_MODES[value] || words(value);
  if (key === "timezone") return String(value).replaceAll("_", " ");
  if (key === "transport") return transportSummary(value);
  if (key === "stations") return Array.isArray(value) && value.length ? value.map(words).join(", ") : "none";
  if (key === "station" || key === "course" || key === "role" || key === "tax_rounding") return words(value);
  if (key === "modifiers") return Array.isArray(value) && value.length ? value.map((m) => m.name).join(", ") : "none";
  if (key === "taxes") {
    if (!Array.isArray(value) || !value.length) return null;
    return value.map((t) => `${t.name}: ${ctx.money(t.tax)}`).join(", ");
  }
  if (key === "error") return plainError(value);
  if (isUuid(value)) return null; // an id the edge could not name: it says nothing here
  if (isIsoTime(value)) return view.when(value);
  if (typeof value === "object") {
    if ("sha256" in value || "bytes" in value) return null;
    const parts = Object.entries(value)
      .filter(([, v]) => v !== null && typeof v !== "object")
      .map(([k, v]) => `${words(k)}: ${typeof v === "boolean" ? (v ? "yes" : "no") : v}`);
    return parts.length ? parts.join(", ") : null;
  }
  return String(value);
}

/** The fields a summary did not already say, as [label, words] pairs. */
function detailPairs(event, view, said = []) {
  const skip = new Set(said);
  const pairs = [];
  for (const [key, value] of Object.entries(event.fields || {})) {
    if (HIDDEN.has(key) || skip.has(key)) continue;
    const text = valueText(key, value, event, view);
    if (text === null || text === "") continue;
    pairs.push([LABELS[key] || words(key.replace(/_id$/, "")), text]);
  }
  return pairs;
}

// ---- what happened, per kind of row --------------------------------------------------------

function only(fields, ...keys) {
  const present = Object.keys(fields);
  return present.length > 0 && present.every((key) => keys.includes(key));
}

/** "order #12 · Table 4" for a row about an order, a line or a job of one. */
function orderRef(context, fields = {}) {
  const number = context.order_number ?? fields.number;
  const table = context.table || (context.names && context.names.table_id);
  const parts = [];
  if (number !== undefined && number !== null) parts.push(`order #${number}`);
  if (table) parts.push(`Table ${table}`);
  return parts.join(" · ");
}

/** A short reason for a printer error, for a summary line: "printer offline". */
function shortReason(error) {
  const text = String(error || "");
  if (!text) return "";
  if (/out of paper|paper end|paper out/i.test(text)) return "out of paper";
  if (/cover (is )?open/i.test(text)) return "cover open";
  if (/refused|connect|unreachable|no route|offline|reset|broken pipe|closed the connection|timed out|timeout|did not accept/i.test(text)) {
    return "printer offline";
  }
  const plain = plainError(text).replace(/[.:].*$/, "");
  return plain.charAt(0).toLowerCase() + plain.slice(1);
}

const DESCRIBE = {
  // A QR bill's life: a late one (paid after its check was settled at the till, or after the
  // day's Z) is money owed back to the guest, which a manager refunds from the check on the POS.
  pay_links(event) {
    const f = event.fields;
    if (event.op === "create") return { title: "QR bill made", said: ["status"] };
    const said = ["status", "payment_id"];
    switch (f.status) {
      case "paid": return { title: "QR bill paid by the guest", said };
      case "cancelling": return { title: "QR bill withdrawn: its check was paid at the till", about: "The payment provider is being told", said };
      case "cancelled": return { title: "QR bill withdrawn at the payment provider", about: "The guest's page says it is paid and takes no payment", said };
      case "late": return {
        title: "QR bill paid after its check was settled: owed back",
        about: "The guest paid on the phone after the till took the check (or after the day's Z)",
        tone: "danger",
        said,
        extra: [["What to do", "Refund the online payment from the check on the POS (Checks)"]],
      };
      case "returned": return { title: "Late QR bill payment given back to the guest", said };
      default: return null;
    }
  },

  store(event) {
    const f = event.fields;
    if (event.op === "create") return { title: "Store set up", about: f.name };
    if (only(f, "qr_epoch")) {
      return { title: "QR codes replaced", about: "Every printed table QR code stopped working: print the new sheet", tone: "warn" };
    }
    if (only(f, "qr_kill_switch")) {
      return {
        ...(f.qr_kill_switch
          ? { title: "QR ordering stopped", about: "Guests cannot order from their phones", tone: "warn" }
          : { title: "QR ordering started again", about: "Guests can order from their phones" }),
        said: ["qr_kill_switch"],
      };
    }
    return { title: "Settings changed" };
  },

  tax_rates(event, view) {
    const name = view.name(event);
    if (event.op === "create") return { title: `Tax rate ${quoted(name)} added`, said: ["name"] };
    return { title: `Tax rate ${quoted(name)} changed` };
  },

  menu_categories(event, view) {
    const f = event.fields;
    const name = view.name(event);
    if (event.op === "create") return { title: `Category ${quoted(name)} added`, said: ["name"] };
    if (only(f, "active")) return { title: f.active ? `Category ${quoted(name)} back on the menu` : `Category ${quoted(name)} hidden from the menu`, said: ["active"] };
    if (only(f, "position")) return { title: `Category ${quoted(name)} moved in the menu` };
    if ("name" in f) return { title: `Category renamed to ${quoted(f.name)}`, said: ["name"] };
    return { title: `Category ${quoted(name)} changed` };
  },

  menu_items(event, view) {
    const f = event.fields;
    const name = view.name(event);
    if (event.op === "create") {
      const price = typeof f.price === "number" ? ` (${view.ctx.money(f.price)})` : "";
      return { title: `Menu item ${quoted(name)} added${price}`, said: ["name", "price", "available", "active"] };
    }
    if (only(f, "available")) {
      return { ...(f.available ? { title: `${name || "Item"} back on sale` } : { title: `${name || "Item"} 86'd`, about: "Sold out", tone: "warn" }), said: ["available"] };
    }
    if (only(f, "active")) return { title: f.active ? `${quoted(name)} back on the menu` : `${quoted(name)} taken off the menu`, said: ["active"] };
    if (only(f, "position")) return { title: `${quoted(name)} moved in the menu` };
    if (only(f, "price")) return { title: `Price of ${quoted(name)} set to ${view.ctx.money(f.price)}`, said: ["price"] };
    return { title: `Menu item ${quoted(name)} changed` };
  },

  modifier_groups(event, view) {
    const f = event.fields;
    const name = view.name(event);
    if (event.op === "create") return { title: `Modifier group ${quoted(name)} added`, said: ["name"] };
    if (only(f, "position")) return { title: `Modifier group ${quoted(name)} moved` };
    return { title: `Modifier group ${quoted(name)} changed` };
  },

  modifiers(event, view) {
    const f = event.fields;
    const name = view.name(event);
    const group = event.context.group || (event.context.names || {}).group_id;
    const about = group ? `In ${group}` : "";
    if (event.op === "create") {
      const delta = f.price_delta ? ` (${formatDelta(f.price_delta, view.ctx.store.currency)})` : "";
      return { title: `Choice ${quoted(name)} added${delta}`, about, said: ["name", "price_delta", "group_id", "available"] };
    }
    if (only(f, "available")) {
      return { ...(f.available ? { title: `${name || "Choice"} back on sale` } : { title: `${name || "Choice"} 86'd`, tone: "warn" }), about, said: ["available"] };
    }
    if (only(f, "position")) return { title: `Choice ${quoted(name)} moved`, about };
    if (only(f, "price_delta")) return { title: `${quoted(name)} now costs ${formatDelta(f.price_delta, view.ctx.store.currency) || "nothing extra"}`, about, said: ["price_delta"] };
    return { title: `Choice ${quoted(name)} changed`, about };
  },

  item_modifier_groups(event) {
    const names = event.context.names || {};
    const group = event.context.group || names.group_id || "A modifier group";
    const item = event.context.item || names.item_id || "an item";
    const said = ["item_id", "group_id"];
    if (event.op === "create") return { title: `${group} offered with ${item}`, said };
    if (event.op === "delete") return { title: `${group} no longer offered with ${item}`, said };
    return { title: `Choices of ${item} reordered`, said };
  },

  areas(event, view) {
    const f = event.fields;
    const name = view.name(event);
    if (event.op === "create") return { title: `Area ${quoted(name)} added`, said: ["name"] };
    if (only(f, "position")) return { title: `Area ${quoted(name)} moved` };
    if ("name" in f) return { title: `Area renamed to ${quoted(f.name)}`, said: ["name"] };
    return { title: `Area ${quoted(name)} changed` };
  },

  tables(event, view) {
    const f = event.fields;
    const name = view.name(event);
    const table = `Table ${name || ""}`.trim();
    const area = event.context.area || (event.context.names || {}).area_id;
    if (event.op === "create") {
      const seats = f.seats ? `${f.seats} seats` : "";
      return { title: `${table} added`, about: [area, seats].filter(Boolean).join(" · "), said: ["name", "area_id", "seats", "enabled"] };
    }
    if (only(f, "enabled")) {
      return {
        ...(f.enabled
          ? { title: `${table} enabled`, about: "Takes orders again" }
          : { title: `${table} disabled`, about: "No orders from this table until it is enabled", tone: "warn" }),
        said: ["enabled"],
      };
    }
    if (only(f, "qr_version")) return { title: `${table}: QR code replaced`, about: "Its printed code stopped working: print the new one", tone: "warn" };
    if (only(f, "position")) return { title: `${table} moved on the floor plan` };
    if (only(f, "area_id")) return { title: `${table} moved to ${area || "another area"}`, said: ["area_id"] };
    if ("name" in f) return { title: `Table renamed to ${f.name}`, said: ["name"] };
    return { title: `${table} changed` };
  },

  staff(event, view) {
    const f = event.fields;
    const name = view.name(event) || "Staff member";
    if (event.op === "create") return { title: `${name} added to the staff`, about: f.role ? words(f.role) : "", said: ["name", "role", "active", "pin_hash"] };
    if (only(f, "active")) return { ...(f.active ? { title: `${name} reactivated` } : { title: `${name} deactivated`, about: "Can no longer sign in", tone: "warn" }), said: ["active"] };
    if (only(f, "pin_hash")) return { title: `PIN of ${name} changed`, said: ["pin_hash"] };
    if (only(f, "role")) return { title: `${name} is now ${/^[aeiou]/i.test(f.role) ? "an" : "a"} ${f.role}`, said: ["role"] };
    if (only(f, "name")) return { title: `Staff member renamed to ${f.name}`, said: ["name"] };
    return { title: `${name} changed` };
  },

  staff_sessions(event) {
    const f = event.fields;
    const device = f.device ? `On ${f.device}` : "";
    if (event.op === "create") return { title: "Signed in", about: device, said: ["device", "expires_at"] };
    const whose = event.context.name;
    const why = ENDED[f.end_reason];
    if (whose && (why || (event.actor_name && whose !== event.actor_name))) {
      return { title: `Sign-in of ${whose} ended`, about: why || "", tone: f.end_reason === "device_revoked" ? "warn" : undefined, said: ["ended_at"] };
    }
    return { title: "Signed out", said: ["ended_at"] };
  },

  pin_failures(event, view) {
    const f = event.fields;
    const name = view.name(event) || "a staff member";
    const on = event.context.device ? ` on ${event.context.device}` : "";
    const said = ["failures", "locked_until", "staff_id", "device_id"];
    if (!f.failures) return { title: `Wrong-PIN count of ${name}${on} cleared`, said };
    const locked = f.locked_until ? ` — locked out there until ${view.time(f.locked_until)}` : "";
    return {
      title: `Wrong PIN for ${name}${on}${locked}`,
      about: `${f.failures} in a row`,
      tone: f.locked_until ? "danger" : "warn",
      said,
    };
  },

  pin_lockouts(event, view) {
    const f = event.fields;
    const name = view.name(event) || "A staff member";
    const said = ["failures", "devices", "locked_until"];
    if (!f.locked_until) return { title: `PIN of ${name} unlocked on every device`, said };
    return {
      title: `PIN of ${name} locked on every device until ${view.time(f.locked_until)}`,
      about: `${f.failures} wrong tries on ${f.devices} devices within an hour: someone may be guessing`,
      tone: "danger",
      said,
    };
  },

  devices(event, view) {
    const f = event.fields;
    const name = quoted(view.name(event)) || "A device";
    if (event.op === "create") return { title: `${name} paired`, about: "Staff can sign in on it", said: ["name", "paired_at"] };
    if (f.revoked_at) return { title: `${name} revoked`, about: "Its sign-ins ended; it must be paired again", tone: "warn", said: ["revoked_at"] };
    if (only(f, "last_sign_in_at")) return { title: `Signed in on ${name}`, said: ["last_sign_in_at"] };
    if ("name" in f) return { title: `Device renamed to ${quoted(f.name)}`, said: ["name"] };
    return { title: `${name} changed` };
  },

  pairing_codes(event, view) {
    const f = event.fields;
    const device = event.context.device || event.context.name || f.name;
    if (event.op === "create") {
      return {
        title: device ? `Pairing code made for ${quoted(device)}` : "Pairing code made",
        about: `Works once, until ${view.time(f.expires_at)}`,
        said: ["name", "created_at", "expires_at"],
      };
    }
    if (f.used_at) return { title: `Pairing code used: ${quoted(device) || "a device"} paired`, said: ["used_at"] };
    return { title: "Pairing code changed" };
  },

  orders(event, view) {
    const f = event.fields;
    const context = event.context;
    const number = context.order_number ?? f.number;
    const label = number !== undefined && number !== null ? `Order #${number}` : "Order";
    const where = context.table || (context.names || {}).table_id;
    const place = where ? `Table ${where}` : context.order_kind === "counter" || f.kind === "counter" ? "Counter" : "";
    const lines = Array.isArray(f.order_lines) ? f.order_lines : [];
    const extra = lines.length ? [["Items", lines.map(lineText).join(", ")]] : [];
    const said = ["table_id", "covers", "total", "taxes"];
    if (event.op === "create") {
      const count = `${lines.length} line${lines.length === 1 ? "" : "s"}`;
      const total = typeof f.total === "number" ? `, ${view.ctx.money(f.total)}` : "";
      const guests = f.covers ? `${f.covers} guest${f.covers === 1 ? "" : "s"}` : "";
      const sent = lines.length && lines.every((line) => line.state === "sent") ? "sent to the kitchen" : "";
      return { title: `${label} created (${count}${total})`, about: [place, guests, sent].filter(Boolean).join(" · "), extra, said };
    }
    if (f.status === "closed") return { title: `${label} closed`, about: place };
    if (f.status === "cancelled") return { title: `${label} cancelled`, about: place, tone: "warn" };
    const total = typeof f.total === "number" ? ` (total ${view.ctx.money(f.total)})` : "";
    if (lines.length) {
      return { title: `${lines.length} line${lines.length === 1 ? "" : "s"} added to ${label.toLowerCase()}${total}`, about: place, extra, said };
    }
    if (typeof f.total === "number") return { title: `${label} total now ${view.ctx.money(f.total)}`, about: place, said };
    return { title: `${label} changed`, about: place };
  },

  order_lines(event) {
    const f = event.fields;
    const context = event.context;
    const line = lineText({ name: context.name || f.name || "item", quantity: context.quantity ?? f.quantity, modifiers: f.modifiers });
    const about = orderRef(context);
    if (f.state === "voided") {
      return { title: `Line voided: ${line}`, about, tone: "danger", said: ["void_reason"], extra: [["Reason", f.void_reason || "—"]] };
    }
    if (only(f, "state") && f.state === "sent") return { title: `Sent to the kitchen: ${line}`, about };
    if (event.op === "delete") return { title: `Line removed before it was sent: ${line}`, about, said: Object.keys(f) };
    return { title: `Line changed: ${line}`, about };
  },

  tickets(event, view) {
    const f = event.fields;
    const context = event.context;
    const number = f.number ?? context.ticket_number;
    const station = f.station || context.station;
    const ticket = `Ticket #${number ?? "?"}${station ? ` (${words(station)})` : ""}`;
    const about = [f.label || context.label, (f.order_number ?? context.order_number) ? `order #${f.order_number ?? context.order_number}` : ""].filter(Boolean).join(" · ");
    if (event.op === "create") {
      const items = Array.isArray(f.ticket_items) ? f.ticket_items : [];
      const how = { ADD: "added", COURSE: "course fired", MOVE: "item moved here", FIRE: "fired" }[f.kind] || "fired";
      return { title: `${ticket} ${how}`, about, extra: [["Items", items.map((i) => `${i.quantity} × ${i.name}`).join(", ")]], said: ["station", "note", "rush", "kind"] };
    }
    if (f.state === "READY" && f.bumped_at === null) return { title: `${ticket} recalled`, about, said: ["state"] };
    if (f.state) return { title: `${ticket} ${{ IN_PROGRESS: "started", READY: "ready", BUMPED: "bumped" }[f.state] || words(f.state)}`, about, said: ["state"] };
    if ("rush" in f) return { title: f.rush ? `${ticket} rushed` : `${ticket}: rush taken off`, about, tone: f.rush ? "warn" : "", said: ["rush"] };
    if (f.served_at) return { title: `${ticket} served`, about };
    if ("auto_fire_at" in f) return { title: f.auto_fire_at ? `${ticket}: next course fires at ${view.time(f.auto_fire_at)}` : `${ticket}: next course fired`, about };
    return { title: `${ticket} changed`, about };
  },

  ticket_items(event) {
    const f = event.fields;
    const context = event.context;
    const item = `${context.quantity ?? 1} × ${context.name || "item"}`;
    const about = [context.ticket_number ? `ticket #${context.ticket_number}` : "", context.label].filter(Boolean).join(" · ");
    if (f.voided) return { title: `Voided on the screens: ${item}`, about, tone: "danger", said: ["voided"] };
    if (f.state === "MOVED") return { title: `Moved to another station: ${item}`, about, said: ["state"] };
    if (f.state) return { title: `${{ IN_PROGRESS: "Started", READY: "Ready", BUMPED: "Bumped" }[f.state] || words(f.state)}: ${item}`, about, said: ["state"] };
    return { title: `Ticket item changed: ${item}`, about };
  },

  printers(event, view) {
    const f = event.fields;
    const name = view.name(event) || "printer";
    const printer = `Printer ${name}`;
    if (event.op === "create") {
      const role = f.role ? `${roleLabel(f.role)} printer` : "Printer";
      const stations = f.role === "kitchen" && f.stations && f.stations.length ? `: ${f.stations.map(words).join(", ")}` : "";
      return { title: `${printer} added`, about: `${role}${stations}`, said: ["name", "role", "stations", "enabled"] };
    }
    // Before the status had a table of its own, the printer's row held it too.
    const status = statusChange(printer, f);
    if (status) return status;
    if (only(f, "enabled")) return { ...(f.enabled ? { title: `${printer} back in use` } : { title: `${printer} taken out of use`, tone: "warn" }), said: ["enabled"] };
    if (only(f, "backup_printer_id")) {
      const backup = (event.context.names || {}).backup_printer_id;
      return { title: backup ? `${printer} now backed up by ${backup}` : `${printer}: no backup printer`, said: ["backup_printer_id"] };
    }
    if ("name" in f) return { title: `Printer renamed to ${f.name}`, said: ["name"] };
    return { title: `${printer}: settings changed` };
  },

  printer_status(event, view) {
    const printer = `Printer ${view.name(event) || "printer"}`;
    const f = event.fields;
    const fine = f.online !== false && !f.paper_out && !f.cover_open && !f.paper_near_end;
    if (event.op === "create" && fine) {
      const answer = f.online ? "online" : "it does not report its status";
      return { title: `${printer} first checked: ${answer}`, said: ["online", "paper_out", "cover_open", "paper_near_end", "error"] };
    }
    return statusChange(printer, f) || { title: `${printer} checked`, said: ["error"] };
  },

  print_jobs(event, view) {
    const f = event.fields;
    const context = event.context;
    const names = context.names || {};
    const kind = context.kind || f.kind;
    const label = kindLabel(kind);
    const printer = context.printer || names.printer_id || "a printer"; // where it was then
    const ref = orderRef(context);
    const station = context.station ? `${words(context.station)} station` : "";
    const about = [label, ref, context.item, station, printer].filter(Boolean).join(" · ");
    if (event.op === "create") {
      if (kind === "drawer") {
        const sale = f.source_entity === "tenders" || (!f.note && f.source_id);
        return {
          title: sale ? "Cash drawer opened for a cash payment" : "Cash drawer opened (no sale)",
          about: `Drawer on ${printer}`,
          tone: sale ? "" : "warn",
          said: ["note", "printer_id", "reprint"],
          extra: f.note ? [["Reason", f.note]] : [],
        };
      }
      const reprint = f.reprint ? " reprint" : "";
      return { title: `${label}${reprint} queued on ${printer}`, about: [ref, context.item, station].filter(Boolean).join(" · "), said: ["printer_id", "reprint"] };
    }
    if (typeof f.printer_id === "string") {
      const from = names.rerouted_from ? ` (first sent to ${names.rerouted_from})` : "";
      return { title: `Moved to backup printer ${names.printer_id || "another printer"}`, about: `${[label, ref].filter(Boolean).join(" · ")}${from}`, tone: "warn", said: ["printer_id", "rerouted_from", "reprint"] };
    }
    if (f.state === "printed") return { title: "Printed", about, said: ["printed_at"] };
    if (f.state === "failed") {
      const error = context.last_error;
      return {
        title: "Print failed: gave up",
        about,
        tone: "danger",
        extra: [...(error ? [["Why", plainError(error)]] : []), ["What to do", "Fix the printer's settings, then retry the job on the Printers page"]],
      };
    }
    if (f.state === "sending" && only(f, "state")) return { title: "Printing…", about };
    if (f.attempts > 0) {
      const retry = f.next_attempt_at ? `, retrying at ${view.time(f.next_attempt_at)}` : "";
      // The error of this attempt: in the event when it differs from the last one, else the
      // edge sends the one it repeats.
      const error = f.last_error || context.last_error;
      const reason = shortReason(error);
      const why = f.last_error ? [["Why", plainError(f.last_error)]] : []; // said once, when it changes
      // It failed once its bytes began to leave: part of it may be on paper already.
      const reprint = f.reprint === true ? [["Next try", "Under a REPRINT banner: the printer may have printed some of it"]] : [];
      return {
        title: `Print failed (attempt ${f.attempts})${retry}${reason ? ` — ${reason}` : ""}`,
        about,
        tone: "danger",
        extra: [...why, ...reprint],
        said: ["reprint"],
      };
    }
    if (f.reprint === true && f.state === "queued") return { title: "Sent again after a restart, marked REPRINT", about, said: ["reprint"] };
    if (f.attempts === 0 && f.state === "queued") return { title: "Sent to print again", about };
    if (f.state === "queued") return { title: "Waiting to print", about };
    if ("payload" in f && only(f, "payload")) return { title: "Redrawn for the printer's new paper size", about };
    return { title: "Print job changed", about };
  },
};

/** How the sentences read times and names: the store's clock, the event's own names. */
function viewFor(ctx) {
  const zone = () => (ctx.store && ctx.store.timezone) || undefined;
  return {
    ctx,
    zone,
    when: (iso) => dateTimeIn(iso, zone()),
    time: (iso) => timeIn(iso, zone()),
    name: (event) => event.context.name || (event.fields || {}).name || "",
  };
}

/**
 * One event as the audit says it, for any page that tells what happened (an order's history):
 * {title, about, tone, pairs}. `event` is a row of /api/audit or /api/orders/{id}/events.
 */
export function describeEvent(event, ctx) {
  return describe({ ...event, fields: event.fields || {}, context: event.context || {} }, viewFor(ctx));
}

/** What the print worker read from a printer, said (only the parts that changed are in `f`). */
function statusChange(printer, f) {
  const said = ["online", "paper_out", "cover_open", "paper_near_end"];
  if (f.online === false) return { title: `${printer} went offline`, about: f.error ? plainError(f.error) : "", tone: "danger", said: [...said, "error"] };
  if (f.paper_out === true) return { title: `${printer} is out of paper`, tone: "danger", said };
  if (f.cover_open === true) return { title: `${printer}: cover open`, tone: "danger", said };
  if (f.online === true) return { title: `${printer} back online`, said };
  if (f.paper_out === false) return { title: `${printer}: paper loaded`, said };
  if (f.cover_open === false) return { title: `${printer}: cover closed`, said };
  if (f.paper_near_end === true) return { title: `${printer}: paper running low`, tone: "warn", said };
  if (f.paper_near_end === false) return { title: `${printer}: new paper roll`, said };
  const changed = Object.keys(f).filter((key) => key !== "checked_at");
  if (changed.length === 1 && changed[0] === "error") {
    return f.error ? { title: `${printer}: ${plainError(f.error)}`, tone: "danger", said: ["error"] } : { title: `${printer}: problem cleared`, said: ["error"] };
  }
  if (only(f, "checked_at")) return { title: `${printer} checked: no change`, about: "Recorded by versions that wrote a printer's status every minute" };
  return null;
}

function describe(event, view) {
  const describer = DESCRIBE[event.entity];
  let found = null;
  if (describer) {
    try {
      found = describer(event, view);
    } catch (err) {
      console.warn("audit: cannot describe", event, err); // an odd row must not blank the page
    }
  }
  if (!found) {
    const op = { create: "added", update: "changed", delete: "removed" }[event.op] || event.op;
    found = { title: `${capitalise(event.noun || words(ENTITIES[event.entity] || event.entity))} ${op}` };
  }
  const pairs = [...(found.extra || []), ...detailPairs(event, view, found.said)];
  return { ...found, pairs };
}

// ---- who ---------------------------------------------------------------------------------

/** Who did it, in a word: a staff member's name, "Printer worker", "Galley" (the box). */
export function who(event, staffById = new Map()) {
  if (event.actor_name) return event.actor_name;
  if (!event.actor) return PRINTING.includes(event.entity) ? "Printer worker" : "Galley";
  if (event.actor === "system") return "Galley";
  if (event.actor.startsWith("device:")) return `Device ${event.actor.slice(7)}`;
  const member = staffById.get(event.actor);
  return member ? member.name : "Unknown";
}

function isMachine(event) {
  return !event.actor || event.actor === "system";
}

// ---- the page ----------------------------------------------------------------------------

export default {
  id: "audit",
  title: "Audit",
  icon: "audit",
  mount(root, ctx) {
    // `filters`: those of the rows shown (null until the first page is drawn); `top`: the newest
    // seq shown, where live rows continue from; `day`: the last day table, where "Load more"
    // continues.
    const state = {
      before: null, top: 0, staff: new Map(), filters: null, done: false, day: null,
      timer: null, busy: false, again: false, kept: "",
    };
    const view = viewFor(ctx);
    const { zone } = view;
    const message = msgBox();
    const list = h("div", { class: "card audit-list" });
    const more = h("button", { type: "button", class: "btn", onclick: () => act(more, message, () => page(false)) }, "Load more");
    const countLine = h("p", { class: "muted small audit-count" });
    const zoneNote = h("p", { class: "muted small audit-zone" });

    const entity = h("select", { class: "select", name: "entity" },
      GROUPS.map(([value, label]) => h("option", { value, selected: value === NOT_PRINTING }, label)),
      h("optgroup", { label: "Only…" },
        Object.entries(ENTITIES).map(([value, label]) => h("option", { value }, label))));
    const actor = h("select", { class: "select", name: "actor" }, h("option", { value: "" }, "Anyone"));
    const from = h("input", { class: "input", type: "date", name: "from" });
    const to = h("input", { class: "input", type: "date", name: "to" });
    const apply = h("button", { type: "submit", class: "btn btn-primary" }, "Show");
    const filters = h("form", { class: "card card-pad audit-filters", novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      act(apply, message, () => page(true));
    } },
    field("What", entity), field("Who", actor), field("From", from), field("To (inclusive)", to),
    h("div", { class: "audit-apply" }, apply));

    root.append(
      h("div", { class: "page-head audit-head" }, h("h1", {}, "Audit"), zoneNote),
      filters,
      message,
      list,
      h("div", { class: "row audit-more" }, more, countLine));

    function showZone() {
      const timeZone = zone();
      const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
      zoneNote.textContent = timeZone
        ? `Times are the store's (${timeZone.replaceAll("_", " ")})${device && device !== timeZone ? ", not this device's" : ""}.`
        : "";
    }

    function dayLabel(day) {
      const today = dayIn(Date.now(), zone());
      const long = longDay(day);
      if (day === today) return ["Today", long];
      if (day === addDays(today, -1)) return ["Yesterday", long];
      return [long, ""];
    }

    /** A table for one store-local day: its heading, then its events (newest first). */
    function dayTable(day) {
      const [label, date] = dayLabel(day);
      const body = h("tbody", {});
      const section = h("section", { class: "audit-day", "data-day": day },
        h("h2", { class: "audit-day-head" }, label, date ? h("span", { class: "audit-day-date" }, date) : null),
        showOverflow(h("div", { class: "table-wrap" },
          h("table", { class: "table audit-table" },
            h("colgroup", {}, h("col", { class: "col-when" }), h("col", { class: "col-who" }), h("col", { class: "col-what" })),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Who"), h("th", { scope: "col" }, "What happened"))),
            body))));
      return { section, body };
    }

    function row(event) {
      const said = describe(event, view);
      const approver = event.approver
        ? h("div", { class: "small approver" }, "approved by ", h("strong", {}, event.approver_name || state.staff.get(event.approver)?.name || "a manager"))
        : null;
      const details = said.pairs.length
        ? h("dl", { class: "changes" }, said.pairs.slice(0, 12).flatMap(([label, text]) => [
          h("dt", {}, label),
          h("dd", {}, String(text).slice(0, 240)),
        ]))
        : null;
      const classes = ["audit-row"];
      if (said.tone) classes.push(`is-${said.tone}`);
      if (isMachine(event)) classes.push("is-machine");
      return h("tr", { class: classes.join(" "), "data-seq": String(event.seq), "data-entity": event.entity },
        h("td", { class: "nowrap audit-when", "data-label": "When" },
          h("time", { datetime: event.at, title: view.when(event.at) }, view.time(event.at))),
        h("td", { class: "audit-who-cell", "data-label": "Who" }, h("div", { class: "audit-who" }, who(event, state.staff)), approver),
        h("td", { class: "audit-what", "data-label": "What" },
          h("div", { class: "audit-title" }, said.title),
          said.about ? h("div", { class: "audit-about" }, said.about) : null,
          event.origin === "hub" ? h("span", { class: "badge badge-info" }, "from the hub") : null,
          details));
    }

    /** Put a page of events under their store-local days, continuing the last day shown. */
    function show(events) {
      for (const event of events) {
        const day = dayIn(event.at, zone());
        if (!state.day || state.day.key !== day) {
          const table = dayTable(day);
          list.append(table.section);
          state.day = { key: day, body: table.body };
        }
        state.day.body.append(row(event));
      }
    }

    /** Put events that happened since the page was drawn on top, newest first, under their days. */
    function showNewer(events) {
      if (list.querySelector(".empty")) list.replaceChildren();
      for (const event of [...events].reverse()) {
        const day = dayIn(event.at, zone());
        let first = list.querySelector(".audit-day");
        if (!first || first.dataset.day !== day) {
          const table = dayTable(day);
          list.prepend(table.section);
          if (!state.day) state.day = { key: day, body: table.body };
          first = table.section;
        }
        const fresh = row(event);
        fresh.classList.add("is-new");
        first.querySelector("tbody").prepend(fresh);
      }
    }

    function chosenFilters() {
      const what = entity.value;
      const timeZone = zone();
      return {
        entity: what === NOT_PRINTING ? "" : what,
        hide: what === NOT_PRINTING ? "printing" : "",
        actor: actor.value,
        // Store-local days: From is the start of that day, To the start of the day after it.
        from: from.value ? dayStartIn(from.value, timeZone) : "",
        to: to.value ? dayStartIn(addDays(to.value, 1), timeZone) : "",
      };
    }

    async function fetchPage(filtersNow, extra) {
      const params = new URLSearchParams({ limit: String(PAGE), ...extra });
      for (const [key, value] of Object.entries(filtersNow)) if (value) params.set(key, value);
      const result = await ctx.api.get(`/api/audit?${params}`);
      const events = result.events.map((event) => ({ ...event, fields: event.fields || {}, context: event.context || {} }));
      // The box forgets history the hub has (edge/core/retention.py): say how long it keeps it.
      state.kept = result.forgotten
        ? `This box keeps ${result.kept_days} days of history (${result.kept_local_days} of printing and sign-ins); the hub's audit has older history.`
        : "";
      return { events, next: result.next_before };
    }

    async function page(fresh, filtersNow = fresh ? chosenFilters() : state.filters) {
      const { events, next } = await fetchPage(filtersNow, !fresh && state.before ? { before: state.before } : {});
      if (fresh) {
        state.filters = filtersNow;
        state.day = null;
        state.top = events.length ? events[0].seq : 0; // nothing matched: all that does is new
        list.replaceChildren();
        showZone();
      }
      show(events);
      if (fresh && !events.length) list.replaceChildren(h("p", { class: "empty" }, `Nothing matches these filters. ${state.kept}`.trim()));
      state.before = next;
      state.done = events.length < PAGE;
      more.hidden = state.done;
      count();
    }

    /** Rows committed since the newest one shown, when the filters reach up to now. */
    async function catchUp() {
      if (state.busy) {
        state.again = true;
        return;
      }
      const asked = state.filters;
      if (!asked || (asked.to && Date.parse(asked.to) <= Date.now())) return;
      state.busy = true;
      try {
        const { events } = await fetchPage(asked, { after: state.top });
        if (asked !== state.filters) return; // Show drew the list afresh meanwhile
        if (events.length >= PAGE) {
          await page(true, asked); // too many to slot in: draw the newest page afresh
        } else if (events.length) {
          state.top = events[0].seq;
          showNewer(events);
          count();
        }
      } catch {
        // The next event, or Show, tries again.
      } finally {
        state.busy = false;
        if (state.again) {
          state.again = false;
          catchUp();
        }
      }
    }

    function count() {
      const shown = list.querySelectorAll("tr[data-seq]").length;
      const hidden = state.filters.hide === "printing" ? " Printing is hidden: choose Printing or Everything under What to see it." : "";
      const older = state.done && state.kept ? ` ${state.kept}` : "";
      countLine.textContent = shown ? `${shown} event${shown > 1 ? "s" : ""} shown${state.done ? " — that is all the box keeps" : ""}.${older}${hidden}` : hidden.trim();
    }

    (async () => {
      try {
        const staff = await ctx.api.get("/api/staff");
        for (const member of staff) {
          state.staff.set(member.id, member);
          actor.append(h("option", { value: member.id }, member.name));
        }
      } catch {
        // The filter still works without names.
      }
    })();
    showZone();
    act(null, message, () => page(true));
    return {
      onEvent() {
        // Events come in bursts (an order and its tickets): one read for the lot.
        clearTimeout(state.timer);
        state.timer = setTimeout(catchUp, 250);
      },
      destroy() {
        clearTimeout(state.timer);
      },
    };
  },
};
