// Store settings: name, money and tax rules, opening hours, holiday exceptions, QR ordering
// (mode, guest base URL) and the kill switch. The edge validates; its messages show inline.

import { act, field, h, msgBox, say, switchInput } from "./dom.js";

const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];
const ROUNDING = [["half_up", "Half up (0.5 → 1)"], ["half_even", "Half even (banker's)"], ["down", "Down (truncate)"]];
const SIMPLE = ["name", "timezone", "currency", "tax_rounding", "business_day_starts", "qr_mode", "guest_base_url"];

function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

function timezones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

export default {
  id: "settings",
  title: "Settings",
  icon: "settings",
  mount(root, ctx) {
    const state = { hours: null, holidays: null, dirty: false };
    const errors = new Map(); // field name -> its inline error element
    const saveMsg = msgBox();
    const staleMsg = msgBox();
    const form = h("form", { class: "settings-form stack", novalidate: true,
      oninput: () => markDirty(), onchange: () => markDirty(), onsubmit: (event) => { event.preventDefault(); save(); } });
    const saveButton = h("button", { type: "submit", class: "btn btn-primary" }, "Save settings");
    const resetButton = h("button", { type: "button", class: "btn", onclick: () => { fill(ctx.store); say(saveMsg, ""); } }, "Discard changes");

    root.append(h("div", { class: "page-head" }, h("h1", {}, "Settings")), staleMsg, killSwitchCard(), form);

    function markDirty() {
      state.dirty = true;
      form.classList.add("is-dirty");
    }

    function errorSlot(name) {
      const slot = h("span", { class: "field-error", "data-error-for": name, role: "alert" });
      errors.set(name, slot);
      return slot;
    }

    function input(name, attrs = {}) {
      return h("input", { class: "input", name, ...attrs });
    }

    function fill(store) {
      state.hours = clone(store.opening_hours || {});
      state.holidays = clone(store.holidays || []);
      state.dirty = false;
      form.classList.remove("is-dirty");
      errors.clear();
      const tzList = h("datalist", { id: "tz-list" }, timezones().map((tz) => h("option", { value: tz })));
      const hoursBox = h("div", { class: "hours" });
      const holidaysBox = h("div", { class: "stack-sm" });

      form.replaceChildren(
        h("section", { class: "card" },
          h("div", { class: "card-head" }, h("h2", {}, "Store")),
          h("div", { class: "card-body grid-2" },
            field("Store name", [input("name", { value: store.name, maxlength: "80" }), errorSlot("name")]),
            field("Time zone", [input("timezone", { value: store.timezone, list: "tz-list", autocomplete: "off" }), tzList, errorSlot("timezone")],
              "Decides the business day and opening hours"),
            field("Currency", [input("currency", { value: store.currency, maxlength: "3", autocapitalize: "characters" }), errorSlot("currency")],
              "ISO code such as EUR, GBP, USD"),
            field("Business day starts at", [input("business_day_starts", { type: "time", value: store.business_day_starts }), errorSlot("business_day_starts")],
              "Sales after midnight and before this count for the day before"))),
        h("section", { class: "card" },
          h("div", { class: "card-head" }, h("h2", {}, "Tax")),
          h("div", { class: "card-body grid-2" },
            h("div", { class: "field" }, h("span", {}, "Menu prices"),
              switchInput({ name: "prices_include_tax", checked: store.prices_include_tax, label: "Prices include tax" }),
              errorSlot("prices_include_tax")),
            field("Tax rounding", [h("select", { class: "select", name: "tax_rounding" }, ROUNDING.map(([value, label]) =>
              h("option", { value, selected: value === store.tax_rounding }, label))), errorSlot("tax_rounding")]))),
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
                h("span", {}, h("strong", {}, "Straight to the kitchen"), h("br"), h("span", { class: "muted small" }, "No staff check before cooking"))),
              errorSlot("qr_mode")),
            field("Guest base URL", [input("guest_base_url", { value: store.guest_base_url, type: "url", inputmode: "url",
              placeholder: "http://192.168.1.20:8000", autocomplete: "off", spellcheck: "false" }), errorSlot("guest_base_url")],
            "Where guests' phones reach this box on the store Wi-Fi: its LAN address or a name the store owns (not .local)"))),
        h("div", { class: "save-bar" },
          h("span", { class: "save-hint" }, h("span", { class: "when-clean" }, "All changes saved"),
            h("span", { class: "when-dirty" }, "Unsaved changes")),
          saveMsg, h("span", { class: "spacer" }), resetButton, saveButton),
      );
      drawHours(hoursBox);
      drawHolidays(holidaysBox);
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
        timezone: elements.timezone.value.trim(),
        currency: elements.currency.value.trim().toUpperCase(),
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

    async function save() {
      for (const slot of errors.values()) slot.textContent = "";
      const changes = payload();
      if (!Object.keys(changes).length) {
        say(saveMsg, "Nothing to save.", "info");
        return;
      }
      await act(saveButton, saveMsg, async () => {
        try {
          ctx.store = await ctx.api.patch("/api/store", changes);
        } catch (err) {
          const name = err.details && err.details.field ? String(err.details.field).split(".")[0] : null;
          const slot = name && errors.get(name);
          if (slot) {
            slot.textContent = err.message.charAt(0).toUpperCase() + err.message.slice(1);
            const bad = form.elements[name];
            if (bad && bad.focus) {
              bad.setAttribute("aria-invalid", "true");
              bad.focus();
            }
          }
          throw err;
        }
        await ctx.refreshStore();
        fill(ctx.store);
        say(saveMsg, "Settings saved.", "ok");
        ctx.toast("Settings saved");
      }, { form });
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
          const ok = await act(box, message, async () => {
            ctx.store = await ctx.api.patch("/api/store", { qr_kill_switch: want });
            return true;
          });
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

    fill(ctx.store);
    return {
      onEvent(event) {
        if (event.entity !== "store") return;
        const kill = root.querySelector(".kill-card");
        if (kill) kill.draw();
        if (!state.dirty) fill(ctx.store);
        else say(staleMsg, "These settings were just changed on another device. Save to overwrite, or Discard changes to see theirs.", "warn");
      },
    };
  },
};
