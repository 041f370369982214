// Kitchen: the stations menu items are routed to (their names on the screens, which are in use)
// and the kitchen's options: coursing, auto-fire and its delay, and the minutes after which a
// ticket's tile turns amber and red. Links to each station's screen and to expo. Prep times
// (managers): per station and item, fired -> ready and ready -> bumped, over business days.

import { showOverflow } from "/ui/lib/overflow.js";
import { act, drawList, field, h, modal, msgBox, switchInput } from "./dom.js";

const CHANGES = new Set(["stations", "kitchen_settings", "menu_items"]);
const NUMBERS = [
  ["auto_fire_delay", "Delay before the next course fires", "seconds, 0 to 3600"],
  ["warn_minutes", "A ticket turns amber after", "minutes"],
  ["late_minutes", "A ticket turns red after", "minutes"],
];

export default {
  id: "kitchen",
  title: "Kitchen",
  icon: "kitchen",
  mount(root, ctx) {
    const state = { kitchen: null, timer: null, edited: false };
    const body = h("div", { class: "stack" });
    root.append(
      h("div", { class: "page-head" },
        h("div", { class: "head-title" },
          h("h1", {}, "Kitchen"),
          h("span", { class: "head-sub" }, "Stations, coursing and the kitchen screens")),
        h("span", { class: "spacer" }),
        h("a", { class: "btn", href: "/kds/", target: "_blank", rel: "noopener" }, "Open the kitchen screen"),
        h("a", { class: "btn", href: "/kds/?view=expo", target: "_blank", rel: "noopener" }, "Open expo")),
      body);

    const rows = h("tbody", {});
    const noStations = h("p", { class: "empty", hidden: true },
      "No stations yet. Add one for each kitchen screen: the kitchen, the bar, the pastry.");
    const stationsCard = h("section", { class: "card" },
      h("div", { class: "card-head" }, h("h2", {}, "Stations"),
        h("button", { type: "button", class: "btn btn-primary btn-sm", onclick: () => edit(null) }, "+ Add station")),
      showOverflow(h("div", { class: "table-wrap" }, h("table", { class: "table fold-table kitchen-stations" },
        h("thead", {}, h("tr", {}, h("th", {}, "Station"), h("th", {}, "Code on menu items"), h("th", {}, "Screen"),
          h("th", { class: "sr-th" }, h("span", { class: "sr-only" }, "Actions")))),
        rows))), noStations);
    const options = h("form", { class: "card card-pad stack kitchen-options", novalidate: true });
    // Live changes redraw the options only while nobody is editing them.
    options.addEventListener("input", () => { state.edited = true; });
    options.addEventListener("change", () => { state.edited = true; });

    async function load() {
      try {
        state.kitchen = await ctx.api.get("/api/kitchen");
      } catch (err) {
        body.replaceChildren(h("p", { class: "msg msg-error" }, `Could not load the kitchen: ${err.message}`));
        return;
      }
      render();
    }

    function render() {
      if (body.firstChild !== options) {
        body.replaceChildren(options, stationsCard);
        if (ctx.may("reports.run")) {
          body.append(prepCard);
          act(prepShow, prepMessage, showPrep, { form: prepCard });
        }
      }
      drawList(rows, state.kitchen.stations, (s) => s.code, (s) => JSON.stringify(s), stationRow);
      noStations.hidden = state.kitchen.stations.length > 0;
      if (!state.edited) drawOptions();
    }

    function stationRow(station) {
      const message = msgBox();
      const screen = `/kds/?station=${encodeURIComponent(station.code)}`;
      return h("tr", { class: station.active ? "" : "is-inactive", "data-station": station.code },
        h("td", { "data-label": "Station" }, h("strong", {}, station.name),
          station.id ? null : h("span", { class: "muted small" }, " (not named yet)")),
        h("td", { "data-label": "Code on menu items" }, h("code", {}, station.code)),
        h("td", { "data-label": "Screen" }, h("a", { class: "screen-link", href: screen, target: "_blank", rel: "noopener" }, screen)),
        h("td", { class: "actions-cell" }, h("div", { class: "row row-end" },
          h("button", { type: "button", class: "btn btn-sm", onclick: () => edit(station) },
            station.id ? "Edit" : "Name it"),
          station.id ? h("button", { type: "button", class: "btn btn-sm", onclick: (event) =>
            act(event.currentTarget, message, async () => {
              await ctx.api.patch(`/api/stations/${station.id}`, { active: !station.active });
              await load();
            }) }, station.active ? "Take out of use" : "Use again") : null),
        message));
    }

    function edit(station) {
      modal({
        title: station && station.id ? `Edit ${station.name}` : "Add a station",
        body: [
          field("Name", h("input", { class: "input", name: "name", value: station ? station.name : "", maxlength: "40", autocomplete: "off" }),
            "As the kitchen screens show it: Bar, Hot kitchen, Pastry"),
          field("Code", h("input", { class: "input", name: "code", value: station ? station.code : "", maxlength: "20", autocomplete: "off" }),
            "One word, such as GRILL: a menu item's station names it"),
        ],
        async onSubmit(form) {
          const values = { name: form.elements.name.value, code: form.elements.code.value };
          if (station && station.id) await ctx.api.patch(`/api/stations/${station.id}`, values);
          else await ctx.api.post("/api/stations", values);
          await load();
          return true;
        },
      });
    }

    // Empty days ask for the box's business day today (its time zone, not the browser's).
    const prepFrom = h("input", { class: "input", type: "date", name: "from" });
    const prepTo = h("input", { class: "input", type: "date", name: "to" });
    const prepBody = h("div", { class: "prep-times" });
    const prepMessage = msgBox();
    const prepShow = h("button", { type: "submit", class: "btn" }, "Show");
    const prepCard = h("form", { class: "card card-pad stack kitchen-prep", novalidate: true,
      onsubmit: (event) => { event.preventDefault(); act(prepShow, prepMessage, showPrep, { form: prepCard }); } },
    h("h2", {}, "Prep times"),
    h("div", { class: "row" }, field("From", prepFrom), field("To", prepTo), prepShow),
    prepMessage, prepBody);

    function seconds(value) {
      if (value === null) return "–";
      const whole = Math.round(value);
      return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
    }

    // A station by the name its screen shows, not the code menu items carry.
    function stationName(code) {
      const station = state.kitchen.stations.find((s) => s.code === code);
      return station ? station.name : code;
    }

    function prepTable(caption, rows, label) {
      return showOverflow(h("div", { class: "table-wrap" }, h("table", { class: "table" },
        h("caption", { class: "sr-only" }, caption),
        h("thead", {}, h("tr", {}, h("th", {}, label), h("th", {}, "Items"),
          h("th", {}, "Cooking, median"), h("th", {}, "Cooking, 9 in 10"),
          h("th", {}, "At the pass, median"), h("th", {}, "At the pass, 9 in 10"))),
        h("tbody", {}, rows.map((row) => h("tr", { "data-prep": row.name ? `${row.station}/${row.name}` : row.station },
          h("td", { "data-label": label }, row.name ? `${row.name} (${stationName(row.station)})` : stationName(row.station)),
          h("td", { "data-label": "Items" }, String(row.items)),
          h("td", { "data-label": "Cooking, median" }, seconds(row.fired_to_ready.median_s)),
          h("td", { "data-label": "Cooking, 9 in 10" }, seconds(row.fired_to_ready.p90_s)),
          h("td", { "data-label": "At the pass, median" }, seconds(row.ready_to_bumped.median_s)),
          h("td", { "data-label": "At the pass, 9 in 10" }, seconds(row.ready_to_bumped.p90_s))))))));
    }

    async function showPrep() {
      const query = new URLSearchParams();
      if (prepFrom.value) query.set("from", prepFrom.value);
      if (prepTo.value) query.set("to", prepTo.value);
      const report = await ctx.api.get(`/api/kitchen/prep-times?${query}`);
      prepFrom.value = report.from;
      prepTo.value = report.to;
      prepBody.replaceChildren(...(report.stations.length
        ? [prepTable("By station", report.stations, "Station"), prepTable("By item", report.items, "Item")]
        : [h("p", { class: "empty" }, "No tickets on those days.")]));
    }

    function drawOptions() {
      const settings = state.kitchen.settings;
      const message = msgBox();
      const save = h("button", { type: "submit", class: "btn btn-primary" }, "Save");
      options.replaceChildren(
        h("h2", {}, "Courses and tickets"),
        switchInput({ name: "hold_courses", checked: settings.hold_courses,
          label: "Hold later courses: a send fires the drinks and the first course; the rest wait until fired" }),
        switchInput({ name: "auto_fire", checked: settings.auto_fire,
          label: "Fire the next course by itself once the kitchen has bumped the one before" }),
        h("div", { class: "grid-2" }, NUMBERS.map(([name, label, hint]) =>
          field(label, h("input", { class: "input", name, type: "number", min: "0", inputmode: "numeric", value: String(settings[name]) }), hint))),
        h("div", { class: "row" }, save, message));
      options.onsubmit = (event) => {
        event.preventDefault();
        act(save, message, async () => {
          const values = {};
          for (const name of ["hold_courses", "auto_fire"]) values[name] = options.elements[name].checked;
          for (const [name] of NUMBERS) {
            const raw = options.elements[name].value.trim();
            values[name] = /^\d+$/.test(raw) ? Number(raw) : raw;
          }
          state.kitchen.settings = await ctx.api.patch("/api/kitchen/settings", values);
          ctx.toast("Kitchen options saved");
          state.edited = false;
          drawOptions();
        }, { form: options });
      };
    }

    body.append(h("p", { class: "empty" }, "Loading the kitchen…"));
    load();
    return {
      onEvent(event) {
        if (!CHANGES.has(event.entity)) return;
        clearTimeout(state.timer);
        state.timer = setTimeout(load, 150);
      },
      destroy() {
        clearTimeout(state.timer);
      },
    };
  },
};
