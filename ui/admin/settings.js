// Store settings: name, time zone and currency (picked from the box's lists), money and tax
// rules, the tax rates, opening hours, holiday exceptions, QR ordering (mode, guest base URL)
// and the kill switch. The edge validates; its messages show under their fields.

import { knowDigits, percentText } from "/ui/lib/money.js";
import { act, clearProblems, drawList, explain, field, h, msgBox, say, switchInput } from "./dom.js";

const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];
const ROUNDING = [["half_up", "Half up (0.5 → 1)"], ["half_even", "Half even (banker's)"], ["down", "Down (truncate)"]];
// What changes the tax rates or how many items use each one.
const TAX_ENTITIES = new Set(["tax_rates", "menu_items"]);
const SIMPLE = ["name", "timezone", "currency", "tax_rounding", "business_day_starts", "qr_mode", "guest_base_url"];

function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

// ---------- time zone and currency pickers ----------
// Lists from the box (GET /api/store/choices): what it can keep time in and the currencies it
// prints. Until they arrive, and for a value the lists lack, the current value is an option.

/** "America/Argentina/Buenos_Aires" -> "Argentina / Buenos Aires" (its region is the group). */
function placeName(zone) {
  return zone.split("/").slice(1).join(" / ").replaceAll("_", " ");
}

function zoneOptions(zones, current) {
  const groups = new Map();
  const loose = zones.filter((zone) => !zone.includes("/"));
  for (const zone of zones.filter((z) => z.includes("/"))) {
    const region = zone.split("/")[0];
    if (!groups.has(region)) groups.set(region, []);
    groups.get(region).push(zone);
  }
  if (current && !zones.includes(current)) loose.unshift(current);
  return [
    ...loose.map((zone) => h("option", { value: zone, selected: zone === current }, zone)),
    ...[...groups].map(([region, members]) => h("optgroup", { label: region },
      members.map((zone) => h("option", { value: zone, selected: zone === current }, placeName(zone))))),
  ];
}

function currencyName(code) {
  try {
    return new Intl.DisplayNames(undefined, { type: "currency" }).of(code);
  } catch {
    return "";
  }
}

function currencyOptions(currencies, current) {
  const codes = currencies.map((c) => c.code);
  if (current && !codes.includes(current)) codes.unshift(current);
  return codes.map((code) => {
    const name = currencyName(code);
    return h("option", { value: code, selected: code === current }, name && name !== code ? `${code} — ${name}` : code);
  });
}

// ---------- tax rates ----------
// Saved one by one, at once, never by the "Save settings" bar: each editor has its own <form>
// (outside the settings form, joined by the `form` attribute), and its input events stop at
// the list so they never mark the settings form dirty.

/**
 * A typed percentage ("13.5", "13,5", "6 %") in basis points, by string arithmetic so that
 * 13.55 never turns into 1354.9999. Null when it is not a number with at most two decimals;
 * the range is the edge's to check ("Rate must be from 0% to 100%.").
 */
function parsePercent(text) {
  const plain = String(text ?? "").replace(/[\s\u00a0]/g, "").replace(/%$/, "");
  const match = plain.match(/^(\d*)(?:[.,](\d*))?$/);
  if (!match) return null;
  const [, whole = "", fraction = ""] = match;
  if ((!whole && !fraction) || fraction.length > 2 || whole.length > 9) return null;
  return Number(whole || "0") * 100 + Number(fraction.padEnd(2, "0"));
}

function usedText(count) {
  if (!count) return "not used by any item";
  return `used by ${count} item${count === 1 ? "" : "s"}`;
}

function taxRatesEditor(ctx) {
  const state = { timer: null, destroyed: false, loads: 0, forms: 0 };
  const forms = h("div", { class: "tax-rate-forms", hidden: true });
  const loadMsg = msgBox();
  const list = h("ul", { class: "tax-rate-list", hidden: true });
  const empty = h("p", { class: "muted" }, "Loading tax rates…");
  const adder = editor({ rate: null, submitLabel: "Add tax rate", onClose: () => { addButton.hidden = false; addButton.focus(); } });
  const addButton = h("button", { type: "button", class: "btn btn-sm", onclick: () => { addButton.hidden = true; adder.open(); } },
    "+ Add tax rate");
  const stop = (event) => event.stopPropagation();
  const root = h("div", { class: "card-body tax-rates", oninput: stop, onchange: stop },
    h("div", { class: "row-between" },
      h("div", { class: "head-title" }, h("h3", {}, "Tax rates"),
        h("span", { class: "head-sub" }, "Each menu item is taxed at one of these. Changes here save at once.")),
      addButton),
    loadMsg, list, empty, adder.root);

  /** The name + percentage form, for a rate (edit) or for null (add). */
  function editor({ rate, submitLabel, onClose }) {
    const id = `tax-rate-form-${++state.forms}`;
    let base = rate; // the rate as it was when editing began: only what is changed from it is sent
    const form = h("form", { id, novalidate: true, onsubmit: (event) => { event.preventDefault(); save(); } });
    forms.append(form);
    const nameInput = h("input", { class: "input", name: "rate_name", form: id, maxlength: "40", autocomplete: "off",
      placeholder: "e.g. Reduced rate" });
    const percentInput = h("input", { class: "input", name: "rate_percent", form: id, inputmode: "decimal",
      autocomplete: "off", placeholder: "e.g. 13.5" });
    const message = msgBox();
    const saveButton = h("button", { type: "submit", form: id, class: "btn btn-primary btn-sm" }, submitLabel);
    const cancelButton = h("button", { type: "button", class: "btn btn-sm", onclick: () => close() }, "Cancel");
    const root = h("div", { class: "tax-rate-editor", hidden: true,
      onkeydown: (event) => { if (event.key === "Escape") close(); } },
    field("Name", nameInput),
    field("Rate", h("div", { class: "input-suffix" }, percentInput, h("span", { class: "suffix", "aria-hidden": "true" }, "%"))),
    rate ? h("p", { class: "tax-rate-note" },
      "A new rate applies to order lines made from now on. Bills already made keep the rate they were made with.") : null,
    message,
    h("div", { class: "tax-rate-actions" }, cancelButton, saveButton));

    function clearErrors() {
      clearProblems(form);
      say(message, "");
    }

    function open() {
      base = root.current;
      nameInput.value = base ? base.name : "";
      percentInput.value = base ? percentText(base.rate_bp) : "";
      clearErrors();
      root.hidden = false;
      (base ? percentInput : nameInput).focus();
      if (base) percentInput.select();
    }

    function close() {
      root.hidden = true;
      clearErrors();
      onClose();
    }

    async function save() {
      // A percentage that is no number goes as typed: the edge refuses it with any other
      // problem, and the field says why in these words.
      const bp = parsePercent(percentInput.value);
      percentInput.setCustomValidity(bp === null ? "Enter a number such as 23 or 13.5 (up to 2 decimals)." : "");
      const values = { name: nameInput.value.trim(), rate_bp: bp === null ? percentInput.value : bp };
      await act(saveButton, message, async () => {
        if (base) {
          const changes = Object.fromEntries(Object.entries(values).filter(([key, value]) => value !== base[key]));
          if (Object.keys(changes).length) await ctx.api.patch(`/api/menu/tax-rates/${base.id}`, changes);
        } else {
          await ctx.api.post("/api/menu/tax-rates", values);
        }
        ctx.toast(base ? `${values.name} saved` : `${values.name} added`);
        close();
        await load();
      }, { form, names: { name: "rate_name", rate_bp: "rate_percent" } });
    }

    /** The rate changed (maybe on another device) while this form may be open: keep what is typed. */
    root.update = (now) => {
      root.current = now;
      if (root.hidden || !base) return;
      if (now.name !== base.name || now.rate_bp !== base.rate_bp) {
        say(message, `Just changed on another device: now ${now.name} at ${percentText(now.rate_bp)}%. ` +
          "Saving applies only what you changed here.", "warn");
      }
    };
    root.current = rate;
    return { root, open };
  }

  function rateRow({ rate }) {
    const name = h("span", { class: "tax-rate-name" });
    const used = h("span", { class: "tax-rate-used" });
    const percent = h("span", { class: "tax-rate-percent num" });
    const editButton = h("button", { type: "button", class: "btn btn-sm", onclick: () => {
      row.classList.add("is-editing");
      view.hidden = true;
      edit.open();
    } }, "Edit");
    const view = h("div", { class: "tax-rate-view" }, h("div", { class: "tax-rate-what" }, name, used), percent, editButton);
    const edit = editor({ rate, submitLabel: "Save rate", onClose: () => {
      row.classList.remove("is-editing");
      view.hidden = false;
      editButton.focus();
    } });
    const row = h("li", { class: "tax-rate-row", "data-rate-id": rate.id }, view, edit.root);
    row.fill = ({ rate: now, used: count }) => {
      row.dataset.rateName = now.name;
      name.textContent = now.name;
      percent.textContent = `${percentText(now.rate_bp)}%`;
      used.textContent = usedText(count);
      editButton.setAttribute("aria-label", `Edit ${now.name}`);
      edit.root.update(now);
    };
    return row;
  }

  async function load() {
    const mine = ++state.loads;
    let menu;
    try {
      menu = await ctx.api.get("/api/menu/all");
    } catch (err) {
      if (mine === state.loads) say(loadMsg, `Could not load the tax rates: ${explain(err)}`);
      return;
    }
    if (state.destroyed || mine !== state.loads) return; // a later load answers for now
    say(loadMsg, "");
    const used = new Map();
    for (const category of menu.categories) {
      for (const item of category.items) used.set(item.tax_rate_id, (used.get(item.tax_rate_id) || 0) + 1);
    }
    // Rows are kept and refilled (constant look): an edit in progress survives a live update.
    drawList(list, menu.tax_rates.map((rate) => ({ rate, used: used.get(rate.id) || 0 })), (r) => r.rate.id, () => "", rateRow);
    list.hidden = !menu.tax_rates.length;
    empty.hidden = Boolean(menu.tax_rates.length);
    empty.textContent = "No tax rates yet. Add one before adding menu items.";
  }

  return {
    root,
    forms,
    load,
    reloadSoon() {
      clearTimeout(state.timer);
      state.timer = setTimeout(load, 120);
    },
    destroy() {
      state.destroyed = true;
      clearTimeout(state.timer);
    },
  };
}

export default {
  id: "settings",
  title: "Settings",
  icon: "settings",
  mount(root, ctx) {
    const state = { hours: null, holidays: null, dirty: false, choices: { timezones: [], currencies: [] } };
    // This device's own writes to the store: their events in the feed must never read as
    // another device's change. While a write is on its way (and until the form shows its
    // answer) the store's events wait; the answer names the `seq` of the event it wrote, so
    // each event is then known for ours or theirs, whether it came before the answer or after.
    const own = { writing: 0, seqs: new Set(), waiting: [] };
    const saveMsg = msgBox();
    const staleMsg = msgBox();
    const form = h("form", { class: "settings-form stack", novalidate: true,
      oninput: () => markDirty(), onchange: () => markDirty(), onsubmit: (event) => { event.preventDefault(); save(); } });
    const saveButton = h("button", { type: "submit", class: "btn btn-primary" }, "Save settings");
    const resetButton = h("button", { type: "button", class: "btn", onclick: () => { fill(ctx.store); say(saveMsg, ""); } }, "Discard changes");

    const taxRates = taxRatesEditor(ctx);

    root.append(h("div", { class: "page-head" }, h("h1", {}, "Settings")), staleMsg, killSwitchCard(), form, taxRates.forms);

    function markDirty() {
      state.dirty = true;
      form.classList.add("is-dirty");
    }

    /** Where the problems of a field of many inputs (opening hours, holidays) are said. */
    function errorSlot(name) {
      return h("span", { class: "field-error", "data-error-for": name });
    }

    function input(name, attrs = {}) {
      return h("input", { class: "input", name, ...attrs });
    }

    function fill(store) {
      // The tax-rate list is kept across refills (it may hold a half-typed rate); so is focus in it.
      const focused = taxRates.root.contains(document.activeElement) ? document.activeElement : null;
      state.hours = clone(store.opening_hours || {});
      state.holidays = clone(store.holidays || []);
      state.dirty = false;
      form.classList.remove("is-dirty");
      say(staleMsg, "");
      const hoursBox = h("div", { class: "hours" });
      const holidaysBox = h("div", { class: "stack-sm" });

      form.replaceChildren(
        h("section", { class: "card" },
          h("div", { class: "card-head" }, h("h2", {}, "Store")),
          h("div", { class: "card-body grid-2" },
            field("Store name", input("name", { value: store.name, maxlength: "80" })),
            field("Time zone", h("select", { class: "select", name: "timezone" }, zoneOptions(state.choices.timezones, store.timezone)),
              "Decides the business day and opening hours"),
            field("Currency", h("select", { class: "select", name: "currency" }, currencyOptions(state.choices.currencies, store.currency)),
              "What menu prices and bills are in"),
            field("Business day starts at", input("business_day_starts", { type: "time", value: store.business_day_starts }),
              "Sales after midnight and before this count for the day before"))),
        h("section", { class: "card" },
          h("div", { class: "card-head" }, h("h2", {}, "Tax")),
          h("div", { class: "card-body grid-2" },
            h("div", { class: "field" }, h("span", {}, "Menu prices"),
              switchInput({ name: "prices_include_tax", checked: store.prices_include_tax, label: "Prices include tax" })),
            field("Tax rounding", h("select", { class: "select", name: "tax_rounding" }, ROUNDING.map(([value, label]) =>
              h("option", { value, selected: value === store.tax_rounding }, label))))),
          taxRates.root),
        h("section", { class: "card" },
          h("div", { class: "card-head" }, h("div", { class: "head-title" }, h("h2", {}, "Opening hours"),
            h("span", { class: "head-sub" }, "Guests can order by QR only while open"))),
          h("div", { class: "card-body stack-sm" }, hoursBox, errorSlot("opening_hours"))),
        h("section", { class: "card" },
          h("div", { class: "card-head" }, h("h2", {}, "Holidays and exceptions"),
            h("button", { type: "button", class: "btn btn-sm", onclick: () => {
              state.holidays.push({ date: "", hours: [], note: "" });
              markDirty();
              drawHolidays(holidaysBox);
            } }, "+ Add date")),
          h("div", { class: "card-body stack-sm" }, holidaysBox, errorSlot("holidays"))),
        h("section", { class: "card" },
          h("div", { class: "card-head" }, h("h2", {}, "QR ordering")),
          h("div", { class: "card-body stack" },
            h("fieldset", { class: "radio-group" }, h("legend", {}, "When a guest orders"),
              h("label", { class: "check" }, h("input", { type: "radio", name: "qr_mode", value: "draft_first", checked: store.qr_mode === "draft_first" }),
                h("span", {}, h("strong", {}, "A waiter confirms first"), h("br"), h("span", { class: "muted small" }, "Orders arrive as drafts for staff to check"))),
              h("label", { class: "check" }, h("input", { type: "radio", name: "qr_mode", value: "direct", checked: store.qr_mode === "direct" }),
                h("span", {}, h("strong", {}, "Straight to the kitchen"), h("br"), h("span", { class: "muted small" }, "No staff check before cooking")))),
            field("Guest base URL", input("guest_base_url", { value: store.guest_base_url, type: "url", inputmode: "url",
              placeholder: "http://192.168.1.20:8000", autocomplete: "off", spellcheck: "false" }),
            "Where guests' phones reach this box on the store Wi-Fi: its LAN address or a name the store owns (not .local)"))),
        h("div", { class: "save-bar" },
          h("span", { class: "save-hint" }, h("span", { class: "when-clean" }, "All changes saved"),
            h("span", { class: "when-dirty" }, "Unsaved changes")),
          saveMsg, h("span", { class: "spacer" }), resetButton, saveButton),
      );
      drawHours(hoursBox);
      drawHolidays(holidaysBox);
      if (focused) focused.focus();
    }

    function periodsEditor(periods, onChange) {
      const box = h("div", { class: "periods" });
      const draw = () => {
        box.replaceChildren(
          ...periods.map((period, index) => h("span", { class: "period" },
            h("input", { class: "input input-sm", type: "time", value: period[0], "aria-label": "Opens",
              oninput: (e) => { period[0] = e.target.value; onChange(); } }),
            h("span", { class: "muted" }, "–"),
            h("input", { class: "input input-sm", type: "time", value: period[1], "aria-label": "Closes",
              oninput: (e) => { period[1] = e.target.value; onChange(); } }),
            period[1] && period[0] && period[1] < period[0] ? h("span", { class: "muted small nowrap next-day" }, "next day") : "",
            h("button", { type: "button", class: "btn btn-ghost btn-sm btn-icon", "aria-label": "Remove these hours",
              onclick: () => { periods.splice(index, 1); onChange(); draw(); } }, "✕"))),
          ...(periods.length ? [] : [h("span", { class: "badge" }, "Closed")]),
          h("button", { type: "button", class: "btn btn-sm btn-ghost", onclick: () => {
            const last = periods[periods.length - 1];
            periods.push(last ? [last[1], "23:00"] : ["11:00", "23:00"]);
            onChange();
            draw();
          } }, "+ Hours"));
      };
      draw();
      return box;
    }

    function drawHours(box) {
      box.replaceChildren(...DAYS.map(([key, label]) => {
        if (!state.hours[key]) state.hours[key] = [];
        return h("div", { class: "hours-row", "data-day": key },
          h("span", { class: "hours-day" }, label),
          periodsEditor(state.hours[key], markDirty));
      }));
    }

    function drawHolidays(box) {
      if (!state.holidays.length) {
        box.replaceChildren(h("p", { class: "muted" }, "No exceptions. Add Christmas, a private event, a short day…"));
        return;
      }
      box.replaceChildren(...state.holidays.map((holiday, index) => h("div", { class: "holiday-row" },
        h("input", { class: "input input-sm", type: "date", value: holiday.date, "aria-label": "Date",
          oninput: (e) => { holiday.date = e.target.value; markDirty(); } }),
        h("input", { class: "input input-sm", value: holiday.note, placeholder: "Note (Christmas…)", maxlength: "80", "aria-label": "Note",
          oninput: (e) => { holiday.note = e.target.value; markDirty(); } }),
        periodsEditor(holiday.hours, markDirty),
        h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: () => {
          state.holidays.splice(index, 1);
          markDirty();
          drawHolidays(box);
        } }, "Remove"))));
    }

    function payload() {
      const elements = form.elements;
      const values = {
        name: elements.name.value.trim(),
        timezone: elements.timezone.value,
        currency: elements.currency.value,
        tax_rounding: elements.tax_rounding.value,
        business_day_starts: elements.business_day_starts.value,
        qr_mode: (form.querySelector("input[name=qr_mode]:checked") || {}).value,
        guest_base_url: elements.guest_base_url.value.trim(),
        prices_include_tax: elements.prices_include_tax.checked,
        opening_hours: Object.fromEntries(DAYS.map(([key]) => [key, state.hours[key] || []])),
        holidays: state.holidays,
      };
      const store = ctx.store;
      const changes = {};
      for (const key of SIMPLE.concat(["prices_include_tax"])) {
        if (values[key] !== store[key]) changes[key] = values[key];
      }
      const hoursNow = Object.fromEntries(DAYS.map(([key]) => [key, store.opening_hours[key] || []]));
      if (JSON.stringify(values.opening_hours) !== JSON.stringify(hoursNow)) changes.opening_hours = values.opening_hours;
      if (JSON.stringify(values.holidays) !== JSON.stringify(store.holidays)) changes.holidays = values.holidays;
      return changes;
    }

    /** Run `work`, which writes to the store as this device; the store's events wait till
     * it is done. */
    async function writing(work) {
      own.writing += 1;
      try {
        return await work();
      } finally {
        own.writing -= 1;
        if (!own.writing) for (const event of own.waiting.splice(0)) changed(event);
      }
    }

    /** PATCH the store, knowing the event it writes for this device's own. */
    async function patch(changes) {
      const { seq, ...store } = await ctx.api.patch("/api/store", changes);
      if (seq) own.seqs.add(seq);
      knowDigits(store.currency, store.currency_digits);
      ctx.store = store;
    }

    async function save() {
      const changes = payload();
      if (!Object.keys(changes).length) {
        say(saveMsg, "Nothing to save.", "info");
        return;
      }
      await act(saveButton, saveMsg, () => writing(async () => {
        await patch(changes);
        await ctx.refreshStore(); // the shell's copy and the store name in the top bar
        fill(ctx.store);
        say(saveMsg, "Settings saved.", "ok");
      }), { form });
    }

    /** The store changed: this device's own write (already shown), or another device's. */
    function changed(event) {
      if (own.writing) {
        own.waiting.push(event);
        return;
      }
      const kill = root.querySelector(".kill-card");
      if (kill) kill.draw();
      if (own.seqs.delete(event.seq)) return;
      if (!state.dirty) fill(ctx.store);
      else say(staleMsg, "These settings were just changed on another device. Save to overwrite, or Discard changes to see theirs.", "warn");
    }

    function killSwitchCard() {
      const message = msgBox();
      const status = h("p", { class: "kill-status" });
      const toggle = switchInput({
        name: "qr_kill_switch",
        checked: ctx.store.qr_kill_switch,
        danger: true,
        label: h("strong", {}, "Stop all QR ordering now"),
        onchange: async (event) => {
          const box = event.target;
          const want = box.checked;
          const ok = await act(box, message, () => writing(async () => {
            await patch({ qr_kill_switch: want });
            return true;
          }));
          if (!ok) box.checked = !want;
          draw();
          if (ok) ctx.toast(want ? "QR ordering stopped" : "QR ordering is back on");
        },
      });
      const card = h("section", { class: "card kill-card" },
        h("div", { class: "card-body row-between" },
          h("div", { class: "stack-sm" },
            h("h2", {}, "Emergency stop for QR ordering"),
            h("p", { class: "muted small" }, "Takes effect at once, without saving the form below. Staff can still take orders."),
            status),
          toggle),
        message);
      function draw() {
        const on = ctx.store.qr_kill_switch;
        toggle.querySelector("input").checked = on;
        card.classList.toggle("is-on", on);
        status.replaceChildren(on ? h("span", { class: "badge badge-danger" }, "QR ordering is OFF for every table")
          : h("span", { class: "badge badge-ok" }, "QR ordering is on"));
      }
      card.draw = draw;
      draw();
      return card;
    }

    /** The pickers get the box's lists, keeping what is chosen in them (maybe unsaved). */
    async function loadChoices() {
      try {
        state.choices = await ctx.api.get("/api/store/choices");
      } catch {
        return; // the pickers keep offering the current values
      }
      const { timezone, currency } = form.elements;
      timezone.replaceChildren(...zoneOptions(state.choices.timezones, timezone.value));
      currency.replaceChildren(...currencyOptions(state.choices.currencies, currency.value));
    }

    fill(ctx.store);
    taxRates.load();
    loadChoices();
    return {
      onEvent(event) {
        if (TAX_ENTITIES.has(event.entity)) taxRates.reloadSoon();
        if (event.entity === "store") changed(event);
      },
      destroy() {
        taxRates.destroy();
      },
    };
  },
};
