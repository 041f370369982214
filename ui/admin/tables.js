// Tables: areas and their tables, QR codes to download or print (on paper or a printer), and rotating codes that
// have leaked (a rotated code stops working at once).

import { arrangeDialog } from "./arrange.js";
import { act, confirmAction, drawList, field, h, modal, msgBox, printPages, saveBlob, say, switchInput, wholeOf } from "./dom.js";

const TABLE_ENTITIES = new Set(["areas", "tables"]);

function fileName(name) {
  return `table-${name.replace(/[^\w-]+/g, "_")}.svg`;
}

/** The A4 pages of the QR sheet (the file holds each as an <svg class="page">), ready to print
 * one per sheet of paper. */
async function sheetPages(blob) {
  const sheet = new DOMParser().parseFromString(await blob.text(), "image/svg+xml");
  return [...sheet.querySelectorAll(":root > svg.page")].map((page) => {
    page.removeAttribute("y");
    return document.importNode(page, true);
  });
}

export default {
  id: "tables",
  title: "Tables",
  icon: "tables",
  mount(root, ctx) {
    const state = { areas: null, timer: null };
    const qrMsg = msgBox();
    const body = h("div", { class: "stack" });

    const sheetButton = h("button", { type: "button", class: "btn", onclick: () => sheet("download", sheetButton) }, "Download QR sheet");
    const printButton = h("button", { type: "button", class: "btn", onclick: () => sheet("print", printButton) }, "Print QR sheet");
    const cardsButton = h("button", { type: "button", class: "btn", onclick: () => act(cardsButton, qrMsg, printCards).then(linkToSettings) }, "Print on a printer");
    const rotateAll = h("button", { type: "button", class: "btn btn-danger", onclick: () => confirmAction({
      title: "Replace every QR code?",
      text: "Every printed table QR code in the store stops working at once. Print and put out the new sheet straight after.",
      confirmLabel: "Replace all codes",
      async action() {
        await ctx.api.post("/api/tables/rotate-qr");
        ctx.toast("All QR codes replaced: print the new sheet");
      },
    }) }, "Replace all QR codes");

    root.append(
      h("div", { class: "page-head" },
        h("h1", {}, "Tables"),
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "btn", onclick: arrangeAreas }, "Reorder areas"),
        h("button", { type: "button", class: "btn btn-primary", onclick: addArea }, "+ Add area")),
      h("section", { class: "card qr-card" },
        h("div", { class: "card-body stack-sm" },
          h("div", { class: "row-between" },
            h("div", { class: "head-title" },
              h("h2", {}, "QR codes"),
              h("span", { class: "head-sub" }, "One card per table in use, on A4 pages ready to cut or on a receipt printer. Guests scan it to order.")),
            h("div", { class: "toolbar" }, sheetButton, printButton, cardsButton, rotateAll)),
          qrMsg)),
      body);

    async function sheet(how, button) {
      await act(button, qrMsg, async () => {
        const blob = await ctx.api.blob("/api/tables/qr-sheet.svg");
        if (how === "print") printPages(await sheetPages(blob));
        else saveBlob(blob, "table-qr-codes.svg");
      });
      linkToSettings();
    }

    /** Cards on a receipt printer, one a table (every table in use, or the one picked: a card
     * again after its code was replaced). */
    async function printCards() {
      const printers = (await ctx.api.get("/api/printers")).filter((p) => p.enabled);
      if (!printers.length) {
        say(qrMsg, "No printer is set up yet: add one under Printers first.");
        qrMsg.append(" ", h("a", { href: "#/printers" }, "Open printers"));
        return;
      }
      const inUse = state.areas.flatMap((a) => a.tables.filter((t) => t.enabled));
      const receipt = printers.find((p) => p.role === "receipt") || printers[0];
      modal({
        title: "Print QR cards",
        submitLabel: "Print",
        body: [
          field("Printer", h("select", { class: "select", name: "printer" },
            printers.map((p) => h("option", { value: p.id, selected: p === receipt }, p.name)))),
          field("Tables", h("select", { class: "select", name: "tables" },
            h("option", { value: "" }, `Every table in use (${inUse.length})`),
            state.areas.flatMap((a) => a.tables.map((t) => h("option", { value: t.id }, `${a.name}: table ${t.name}`)))),
          "One card per table, to stand on it: guests scan it to order."),
        ],
        async onSubmit(form) {
          const printer = printers.find((p) => p.id === form.elements.printer.value);
          const table = form.elements.tables.value;
          const jobs = await ctx.api.post(`/api/printers/${printer.id}/table-cards`, table ? { table_ids: [table] } : {});
          ctx.toast(`${jobs.length} QR card${jobs.length === 1 ? "" : "s"} sent to ${printer.name}`);
          return true;
        },
      });
    }

    function linkToSettings() {
      if (qrMsg.textContent && /guest base URL/i.test(qrMsg.textContent)) {
        qrMsg.append(" ", h("a", { href: "#/settings" }, "Open settings"));
      }
    }

    async function load() {
      try {
        state.areas = await ctx.api.get("/api/tables");
      } catch (err) {
        body.replaceChildren(h("p", { class: "msg msg-error" }, `Could not load the tables: ${err.message}`));
        return;
      }
      render();
    }

    function reloadSoon() {
      clearTimeout(state.timer);
      state.timer = setTimeout(load, 120);
    }

    function render() {
      if (!state.areas.length) {
        body.replaceChildren(h("p", { class: "empty card" }, "No areas yet. Add the dining room first."));
        return;
      }
      // An area's card stays while the area exists, so a table name being typed into its form
      // survives another device's changes; its head and tiles are redrawn when they change.
      drawList(body, state.areas, (area) => area.id, () => "", areaCard);
    }

    function areaCard(area) {
      const message = msgBox();
      const name = h("input", { class: "input input-sm", name: "name", placeholder: "Table name", maxlength: "20", "aria-label": `New table name in ${area.name}` });
      const seats = h("input", { class: "input input-sm seats-input", name: "seats", type: "number", min: "0", max: "100", value: "4", inputmode: "numeric", "aria-label": "Seats" });
      const add = h("button", { type: "submit", class: "btn btn-sm btn-primary" }, "Add table");
      const form = h("form", { class: "table-add", novalidate: true, onsubmit: (event) => {
        event.preventDefault();
        act(add, message, async () => {
          await ctx.api.post("/api/tables", { area_id: area.id, name: name.value.trim(), seats: wholeOf(seats) });
          ctx.toast(`Table ${name.value.trim()} added`);
          name.value = "";
          await load();
        }, { form });
      } }, name, h("label", { class: "row seats-label" }, h("span", { class: "small muted" }, "Seats"), seats), add,
      h("span", { class: "field-error", "data-error-for": "name" }),
      h("span", { class: "field-error", "data-error-for": "seats" }));
      const head = h("div", { class: "card-head" });
      const grid = h("ul", { class: "table-grid" });
      const none = h("p", { class: "muted" }, "No tables in this area yet.");
      const card = h("section", { class: "card area-card" },
        head, h("div", { class: "card-body stack-sm" }, grid, none, form, message));
      card.fill = (now) => {
        card.dataset.area = now.name;
        name.setAttribute("aria-label", `New table name in ${now.name}`);
        drawList(head, [now], (a) => a.id, areaLook, areaHead);
        grid.hidden = !now.tables.length;
        none.hidden = Boolean(now.tables.length);
        drawList(grid, now.tables, (table) => table.id, (table) => JSON.stringify(table), tableTile);
      };
      return card;
    }

    function areaLook(area) {
      return JSON.stringify([area.name, area.tables.map((t) => [t.enabled, t.seats])]);
    }

    // Each arrange dialog reads the floor from state.areas, which `load` refreshes.
    function arrangeAreas() {
      arrangeDialog({
        title: "Order of the areas",
        hint: "Waiters and the POS see the floor in this order.",
        rows: () => state.areas.map((a) => ({ id: a.id, label: a.name,
          sub: `${a.tables.length} table${a.tables.length === 1 ? "" : "s"}` })),
        refresh: load,
        async save(ids) {
          await ctx.api.put("/api/areas/order", { ids });
          ctx.toast("Area order saved");
          await load();
        },
      });
    }

    function arrangeTables(areaId) {
      const area = () => state.areas.find((a) => a.id === areaId) || { name: "", tables: [] };
      arrangeDialog({
        title: `Order of ${area().name}`,
        hint: "Tables are shown in this order on the floor plan and the QR sheet.",
        rows: () => area().tables.map((t) => ({ id: t.id, label: `Table ${t.name}`,
          sub: `${t.seats} seats${t.enabled ? "" : " · off"}` })),
        refresh: load,
        async save(ids) {
          await ctx.api.put(`/api/areas/${areaId}/tables/order`, { ids });
          ctx.toast(`${area().name}: order saved`);
          await load();
        },
      });
    }

    function areaHead(area) {
      const seatsTotal = area.tables.filter((t) => t.enabled).reduce((sum, t) => sum + t.seats, 0);
      return h("div", { class: "contents" },
        h("div", { class: "head-title" },
          h("h2", {}, area.name),
          h("span", { class: "head-sub" }, `${area.tables.length} tables · ${seatsTotal} seats in use`)),
        h("div", { class: "row" },
          area.tables.length > 1 ? h("button", { type: "button", class: "btn btn-sm", onclick: () => arrangeTables(area.id) }, "Reorder") : null,
          h("button", { type: "button", class: "btn btn-sm", onclick: () => renameArea(area) }, "Rename")));
    }

    function tableTile(table) {
      const message = msgBox();
      const qr = h("button", { type: "button", class: "btn btn-sm", onclick: () => act(qr, message, async () => {
        saveBlob(await ctx.api.blob(`/api/tables/${table.id}/qr.svg`), fileName(table.name));
      }).then(() => { if (/guest base URL/i.test(message.textContent)) message.append(" ", h("a", { href: "#/settings" }, "Open settings")); }) }, "QR");
      const enabled = switchInput({
        name: "enabled",
        checked: table.enabled,
        label: h("span", { class: "small" }, table.enabled ? "In use" : "Off"),
        onchange: async (event) => {
          const input = event.target;
          const ok = await act(input, message, async () => {
            await ctx.api.patch(`/api/tables/${table.id}`, { enabled: input.checked });
            return true;
          });
          if (!ok) input.checked = !input.checked;
          else reloadSoon();
        },
      });
      return h("li", { class: `table-tile${table.enabled ? "" : " is-off"}`, "data-table": table.name },
        h("div", { class: "table-tile-head" },
          h("span", { class: "table-name" }, table.name),
          h("span", { class: "table-seats muted small" }, `${table.seats} seats`)),
        enabled,
        h("div", { class: "row table-actions" },
          h("button", { type: "button", class: "btn btn-sm", onclick: () => editTable(table) }, "Edit"),
          qr),
        message);
    }

    function rotateTable(table) {
      confirmAction({
        title: `New QR code for table ${table.name}?`,
        text: `The code printed on table ${table.name} stops working at once. Print the new one straight after.`,
        confirmLabel: "Replace code",
        async action() {
          await ctx.api.post(`/api/tables/${table.id}/rotate-qr`);
          ctx.toast(`Table ${table.name} has a new QR code`);
          await load();
        },
      });
    }

    function editTable(table) {
      const dialog = modal({
        extraActions: [h("button", { type: "button", class: "btn btn-danger", title: "Make a new code; the printed one stops working",
          onclick: () => { dialog.close(); rotateTable(table); } }, "New QR code")],
        title: `Table ${table.name}`,
        body: [
          h("div", { class: "grid-2" },
            field("Name", h("input", { class: "input", name: "name", value: table.name, maxlength: "20" })),
            field("Seats", h("input", { class: "input", name: "seats", type: "number", min: "0", max: "100", inputmode: "numeric", value: String(table.seats) }))),
          field("Area", h("select", { class: "select", name: "area_id" }, state.areas.map((a) =>
            h("option", { value: a.id, selected: a.id === table.area_id }, a.name)))),
          switchInput({ name: "enabled", checked: table.enabled, label: "In use (takes QR orders)" }),
        ],
        async onSubmit(form) {
          const values = {
            name: form.elements.name.value.trim(),
            seats: wholeOf(form.elements.seats),
            area_id: form.elements.area_id.value,
            enabled: form.elements.enabled.checked,
          };
          const changes = Object.fromEntries(Object.entries(values).filter(([k, v]) => table[k] !== v));
          if (Object.keys(changes).length) await ctx.api.patch(`/api/tables/${table.id}`, changes);
          await load();
          return true;
        },
      });
    }

    function addArea() {
      modal({
        title: "Add an area",
        submitLabel: "Add area",
        body: field("Name", h("input", { class: "input", name: "name", maxlength: "40", placeholder: "Terrace, Bar, Upstairs…" })),
        async onSubmit(form) {
          await ctx.api.post("/api/areas", { name: form.elements.name.value.trim() });
          await load();
          return true;
        },
      });
    }

    function renameArea(area) {
      modal({
        title: `Rename ${area.name}`,
        body: field("Name", h("input", { class: "input", name: "name", value: area.name, maxlength: "40" })),
        async onSubmit(form) {
          await ctx.api.patch(`/api/areas/${area.id}`, { name: form.elements.name.value.trim() });
          await load();
          return true;
        },
      });
    }

    body.append(h("p", { class: "empty" }, "Loading tables…"));
    load();
    say(qrMsg, "");
    return {
      onEvent(event) {
        if (TABLE_ENTITIES.has(event.entity)) reloadSoon();
      },
      destroy() {
        clearTimeout(state.timer);
      },
    };
  },
};
