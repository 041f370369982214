// Printers: the receipt, kitchen and report printers of the store, their live status, the
// print jobs (retry the stuck ones, reprint the printed ones), test prints, finding printers on
// USB and the network, and the cash drawer. Any job can be previewed: the edge draws its bytes
// as the paper would look (`previewJob`). The alert banner across the top of every section
// (paper out, cover open, offline) lives here too: see `watchPrinters`.

import { query } from "/ui/lib/api.js";
import { showOverflow } from "/ui/lib/overflow.js";
import { dateTimeIn, timeIn } from "/ui/lib/time.js";
import { act, drawList, field, h, modal, msgBox, say, switchInput } from "./dom.js";

const ROLES = {
  receipt: { label: "Receipt", hint: "Bills and receipts at a till" },
  kitchen: { label: "Kitchen", hint: "Tickets for kitchen stations" },
  report: { label: "Report", hint: "End-of-day and shift reports" },
};
const TRANSPORTS = {
  network: "Network",
  usb: "USB",
  serial: "Serial",
  file: "Device file",
};
const PROFILES = [
  ["TM-T20II", "Epson TM-T20II (80 mm)"],
  ["TM-T88V", "Epson TM-T88V (80 mm)"],
  ["generic-58mm", "Generic 58 mm"],
];
const BAUDRATES = [9600, 19200, 38400, 57600, 115200];
// The job list's filter, by the edge's states (a job `queued` after a failure shows "Retrying").
const JOB_STATES = {
  queued: "Waiting or retrying",
  sending: "Printing",
  printed: "Printed",
  failed: "Failed",
};
const JOB_KINDS = {  // edge.domain.print_queue.KINDS
  kitchen_ticket: "Kitchen ticket",
  void_chit: "Void chit",
  receipt: "Receipt",
  refund_slip: "Refund slip",
  report: "Report",
  test_page: "Test page",
  table_card: "Table QR card",
  drawer: "Cash drawer",
  other: "Print job",
};
/** What the box says on the `printers` topic: printers, their live status, print jobs. */
export const PRINTING = ["printers", "printer_status", "print_jobs"];
const POLL_MS = 10000;
const JOB_LIMIT = 50;
// The edge draws previews at twice their size; shown at half, they stay sharp on phones and
// tablets (two or three pixels per CSS pixel) and read like the real paper on a desk screen.
const PREVIEW_SCALE = 2;

/**
 * One shape for a printer, whichever the edge sent: `stations` (a list) or `station`, the
 * status as an object or as flat columns (online NULL until first checked), `queued` or
 * `waiting`.
 */
export function normalizePrinter(raw) {
  const printer = { ...raw };
  if (!Array.isArray(printer.stations)) printer.stations = printer.station ? [printer.station] : [];
  if (!("status" in raw)) {
    printer.status = raw.online === null || raw.online === undefined ? null : {
      online: !!raw.online,
      paper_near_end: !!raw.paper_near_end,
      paper_out: !!raw.paper_out,
      cover_open: !!raw.cover_open,
      error: raw.error || null,
      checked_at: raw.checked_at || null,
    };
  }
  printer.queued = raw.queued ?? raw.waiting ?? 0;
  printer.failed = raw.failed ?? 0;
  return printer;
}

// ---- words for states and errors -------------------------------------------------------

/** {key, label, kind, problem} for a printer's last known status. */
export function printerState(printer) {
  const status = printer.status;
  if (!status) return { key: "unknown", label: "Unknown", kind: "", problem: false };
  if (status.paper_out) return { key: "paper-out", label: "Paper out", kind: "badge-danger", problem: true };
  if (status.cover_open) return { key: "cover-open", label: "Cover open", kind: "badge-danger", problem: true };
  if (!status.online) return { key: "offline", label: "Offline", kind: "badge-danger", problem: true };
  if (status.paper_near_end) return { key: "paper-low", label: "Paper low", kind: "badge-warn", problem: false };
  return { key: "online", label: "Online", kind: "badge-ok", problem: false };
}

const FIXES = {
  "paper-out": "load a new paper roll",
  "cover-open": "close the printer cover",
  offline: "check it is switched on and connected",
};

/** A sentence a person at the counter understands for a printer error from the edge. */
export function plainError(text) {
  if (!text) return "";
  const raw = String(text);
  const rules = [
    [/out of paper|paper end|paper out/i, "Out of paper: load a new roll."],
    [/cover (is )?open/i, "The printer cover is open: close it."],
    [/permission denied/i, "The box may not use this device: check its permissions."],
    [/cannot resolve host/i, "The printer's address is unknown: check the host name."],
    [/no such|not found|no OUT endpoint/i, "Printer not found: check its connection settings."],
    [/timed out|did not accept data|took \d+ of \d+ bytes|timeout/i, "The printer did not answer in time: it may be busy or stuck."],
    [/refused|no answer to connect|closed the connection|cannot open|unreachable|no route|offline|reset|broken pipe/i,
      "Cannot reach the printer: check it is switched on and connected."],
    [/no cash drawer|unsupported/i, "This printer model cannot do that."],
    [/reports an error/i, "The printer reports an error: switch it off and on."],
  ];
  for (const [pattern, words] of rules) if (pattern.test(raw)) return words;
  const bare = raw.replace(/^[A-Z]\w+: /, ""); // the error's class name says nothing to a cook
  return bare.charAt(0).toUpperCase() + bare.slice(1);
}

export function transportSummary(transport) {
  if (!transport) return "—";
  switch (transport.kind) {
    case "network": return `Network · ${transport.host}:${transport.port || 9100}`;
    case "usb": return `USB · ${hex(transport.vendor_id)}:${hex(transport.product_id)}`;
    case "serial": return `Serial · ${transport.url}${transport.baudrate ? ` @ ${transport.baudrate}` : ""}`;
    case "file": return `File · ${transport.path}`;
    default: return transport.kind || "—";
  }
}

function hex(value) {
  if (value === null || value === undefined || value === "") return "?";
  return Number(value).toString(16).padStart(4, "0");
}

/** "Kitchen", "Receipt", "Report": what a printer is used for, in a word. */
export function roleLabel(role) {
  return ROLES[role] ? ROLES[role].label : role;
}

function roleLine(printer) {
  const role = roleLabel(printer.role);
  if (printer.role === "kitchen" && printer.stations.length) return `${role} · ${printer.stations.join(", ")}`;
  if (printer.role === "receipt" && printer.device) return `${role} · ${printer.device}`;
  return role;
}

// Times are the store's (its time zone), whatever the device's is.
function ago(iso, timeZone) {
  if (!iso) return "";
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 45) return "just now";
  if (seconds < 90 * 60) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  return dateTimeIn(iso, timeZone);
}

function until(iso) {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (!Number.isFinite(seconds)) return "";
  if (seconds <= 0) return "any moment";
  if (seconds < 90) return `in ${seconds} s`;
  return `in ${Math.round(seconds / 60)} min`;
}

/** "Kitchen ticket", "Cash drawer", ...: what a print job is. */
export function kindLabel(kind) {
  if (!kind) return "Print job";
  return JOB_KINDS[kind] || `${kind.charAt(0).toUpperCase()}${kind.slice(1).replaceAll("_", " ")}`;
}

/**
 * One status for a job, true to its state and its failed attempts (`attempts` counts the
 * failures on its printer; a retry or a move to a backup starts it again at 0): its badge, and
 * the detail beside it. A printed job says when, and how many tries it took if it failed
 * before; a waiting one whether it has failed yet and when it is tried next.
 */
function jobStatus(job, timeZone) {
  const failures = job.attempts > 0 ? `${job.attempts} failed ${job.attempts === 1 ? "try" : "tries"}` : "";
  switch (job.state) {
    case "printed":
      return { label: "Printed", kind: "badge-ok",
        detail: [job.printed_at ? `Printed at ${timeIn(job.printed_at, timeZone)}` : "Printed", failures ? ` after ${failures}` : ""] };
    case "sending":
      return { label: "Printing", kind: "badge-accent", detail: "Printing now" };
    case "failed":
      return { label: "Failed", kind: "badge-danger", detail: `Stopped after ${failures || "failing"}: fix the printer, then Retry` };
    case "queued":
      if (!failures) return { label: "Waiting", kind: "badge-info", detail: "Waiting for its turn" };
      return { label: "Retrying", kind: "badge-warn", detail: [`${capitalised(failures)} · `, h("span", { class: "next-try", "data-next": job.next_attempt_at },
        nextTry(job.next_attempt_at, timeZone))] };
    default:
      return { label: job.state, kind: "", detail: "" };
  }
}

function nextTry(iso, timeZone) {
  return `next try ${until(iso)} (${timeIn(iso, timeZone)})`;
}

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A failed job, or one that has waited too long for its next try, can be sent again now. */
function canRetry(job) {
  if (job.state === "failed") return true;
  if (job.state === "queued" && job.attempts > 0) return true;
  if (job.state === "sending" && Date.now() - Date.parse(job.created_at) > 60000) return true;
  return false;
}

// ---- the shared watch: one list of printers for the banner and the section ---------------

/**
 * Keeps the list of printers fresh for the alert banner (and the Printers section): from the
 * live feed when the `printers` topic is followed, otherwise by asking every 10 s while the
 * page is visible. `available` is false while the box has no printing (the API answers 404).
 */
export function watchPrinters(ctx, banner) {
  const listeners = new Set();
  const watch = {
    list: [],
    available: null,
    stationShape: "stations", // how the edge names a kitchen printer's stations
    live: false,
    timer: null,
    poller: null,
    async refresh() {
      try {
        const list = await ctx.api.get("/api/printers");
        watch.stationShape = list.some((p) => Array.isArray(p.stations)) ? "stations"
          : list.some((p) => "station" in p) ? "station" : watch.stationShape;
        watch.list = list.map(normalizePrinter);
        watch.available = true;
      } catch (err) {
        if (err && (err.status === 404 || err.status === 403)) {
          watch.available = false;
          watch.list = [];
        } else {
          throw err;
        }
      }
      renderBanner();
      for (const fn of listeners) fn(watch.list);
      return watch.list;
    },
    refreshSoon() {
      clearTimeout(watch.timer);
      watch.timer = setTimeout(() => watch.refresh().catch(() => {}), 200);
    },
    listen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Follow the `printers` topic (true) or fall back to polling (false). */
    setLive(live) {
      watch.live = live;
      clearInterval(watch.poller);
      watch.poller = null;
      if (!live) {
        watch.poller = setInterval(() => {
          if (document.visibilityState === "visible") watch.refresh().catch(() => {});
        }, POLL_MS);
      }
    },
    onEvent(event) {
      if (PRINTING.includes(event.entity)) watch.refreshSoon();
    },
    stop() {
      clearTimeout(watch.timer);
      clearInterval(watch.poller);
      listeners.clear();
    },
  };

  function renderBanner() {
    const problems = watch.list
      .filter((printer) => printer.enabled !== false)
      .map((printer) => ({ printer, state: printerState(printer) }))
      .filter((entry) => entry.state.problem);
    if (!problems.length) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    const byId = new Map(watch.list.map((p) => [p.id, p]));
    const listed = problems.slice(0, 3);
    const alert = {
      title: problems.length === 1 ? "Printer problem" : `${problems.length} printers need attention`,
      lines: listed.map(({ printer, state }) => {
        const backup = printer.backup_printer_id && byId.get(printer.backup_printer_id);
        return [printer.name, `: ${state.label.toLowerCase()} — ${FIXES[state.key]}.`,
          backup ? ` Tickets go to ${backup.name}.` : printer.queued ? ` ${printer.queued} waiting.` : ""];
      }),
      more: problems.length - listed.length,
    };
    banner.hidden = false;
    // Drawn again only when it says something new: every status update of a failing printer
    // would otherwise replace the link under a finger, and make screen readers read it again.
    drawList(banner, [alert], () => "alert", (a) => JSON.stringify(a), drawAlert);
  }

  function drawAlert(alert) {
    return h("div", { class: "contents" },
      h("span", { class: "alert-icon", "aria-hidden": "true" }, "!"),
      h("div", { class: "alert-text" },
        h("strong", {}, alert.title),
        h("ul", { class: "alert-list" }, alert.lines.map(([name, problem, after]) =>
          h("li", { "data-printer": name }, h("span", { class: "alert-name" }, name), problem, after)),
        alert.more ? h("li", {}, `and ${alert.more} more`) : null)),
      h("a", { class: "btn btn-sm alert-action", href: "#/printers" }, "Open printers"));
  }

  return watch;
}

// ---- the section ---------------------------------------------------------------------------

export default {
  id: "printers",
  title: "Printers",
  icon: "printers",
  mount(root, ctx) {
    const watch = ctx.printers;
    const state = { jobs: null, filters: { printer_id: "", state: "" }, timer: null, ticker: null };
    const pageMsg = msgBox();
    const grid = h("div", { class: "printer-grid", "aria-live": "polite" });
    const jobsBody = h("div", {});
    const jobRows = h("tbody", {});
    const jobsTable = showOverflow(h("div", { class: "table-wrap" },
      h("table", { class: "table fold-table jobs-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Job"), h("th", {}, "State"),
          h("th", {}, "Details"), h("th", { class: "sr-th" }, h("span", { class: "sr-only" }, "Actions")))),
        jobRows)));
    const jobsMsg = msgBox();
    const printerFilter = h("select", { class: "select", name: "printer_id", onchange: () => { state.filters.printer_id = printerFilter.value; loadJobs(); } });
    const stateFilter = h("select", { class: "select", name: "state", onchange: () => { state.filters.state = stateFilter.value; loadJobs(); } },
      h("option", { value: "" }, "All states"),
      Object.entries(JOB_STATES).map(([value, label]) => h("option", { value }, label)));
    // Who may not edit printers sees no address, nor the buttons that change or test them.
    const mayEdit = ctx.may("printers.edit");
    const discovery = discoveryCard();
    const drawerButton = h("button", { type: "button", class: "btn", onclick: openDrawer }, "Open cash drawer");

    root.append(
      h("div", { class: "page-head" },
        h("h1", {}, "Printers"),
        h("span", { class: "spacer" }),
        h("div", { class: "row" },
          ctx.may("drawer.open") ? drawerButton : null,
          mayEdit ? h("button", { type: "button", class: "btn btn-primary", onclick: () => editPrinter(null) }, "+ Add printer") : null)),
      pageMsg,
      grid,
      ...(mayEdit ? [discovery.node] : []),
      h("section", { class: "card jobs-card" },
        h("div", { class: "card-head" },
          h("div", { class: "head-title" },
            h("h2", {}, "Print jobs"),
            h("span", { class: "head-sub" }, `Newest first. Jobs that could not print are tried again by themselves${mayEdit ? "; Retry sends one now" : ""}.`)),
          h("div", { class: "toolbar jobs-filters" },
            h("label", { class: "field" }, h("span", { class: "sr-only" }, "Printer"), printerFilter),
            h("label", { class: "field" }, h("span", { class: "sr-only" }, "State"), stateFilter))),
        jobsMsg,
        jobsBody));

    const unlisten = watch.listen(() => render());

    async function loadAll() {
      try {
        await watch.refresh();
      } catch (err) {
        grid.replaceChildren(h("p", { class: "msg msg-error" }, `Could not load the printers: ${err.message}`));
        return;
      }
      await loadJobs();
    }

    async function loadJobs() {
      if (watch.available === false) return;
      try {
        state.jobs = await ctx.api.get(`/api/print-jobs${query({ ...state.filters, limit: JOB_LIMIT })}`);
        say(jobsMsg, "");
      } catch (err) {
        say(jobsMsg, `Could not load the print jobs: ${err.message}`);
        return;
      }
      renderJobs();
    }

    /** After an action, and on live events: printers and jobs again, soon, once. */
    function reloadSoon() {
      clearTimeout(state.timer);
      state.timer = setTimeout(loadAll, 200);
    }

    function render() {
      if (watch.available === false) {
        grid.replaceChildren(h("div", { class: "card card-pad printers-unavailable" },
          h("h2", {}, "Printing is not available on this box yet"),
          h("p", { class: "muted" }, "Update the store box to add receipt and kitchen printers.")));
        discovery.node.hidden = true;
        jobsBody.closest(".jobs-card").hidden = true;
        drawerButton.hidden = true;
        return;
      }
      discovery.node.hidden = false;
      jobsBody.closest(".jobs-card").hidden = false;
      drawerButton.hidden = false;
      renderFilter();
      if (!watch.list.length) {
        grid.replaceChildren(h("div", { class: "card card-pad empty printers-empty" },
          h("p", {}, "No printers yet."),
          mayEdit ? h("p", { class: "small" }, "Add one by hand, or find it on USB or the network below.") : null));
        return;
      }
      drawList(grid, watch.list, (printer) => printer.id, printerLook, printerCard);
    }

    function renderFilter() {
      const current = state.filters.printer_id;
      const options = [{ id: "", name: "All printers" }, ...watch.list];
      // The same options keep their elements: a status update must not close an open list.
      drawList(printerFilter, options, (p) => p.id, (p) => p.name,
        (p) => h("option", { value: p.id }, p.name));
      if (current && !watch.list.some((p) => p.id === current)) state.filters.printer_id = "";
      printerFilter.value = state.filters.printer_id;
    }

    // Inline messages outlive re-renders (a live update must not wipe an error being read).
    const messages = new Map();
    function messageFor(key) {
      if (!messages.has(key)) messages.set(key, msgBox());
      return messages.get(key);
    }

    function printerLook(printer) {
      const checked = printer.status && printer.status.checked_at;
      return [JSON.stringify(printer), nameOf(printer.backup_printer_id), checked ? ago(checked, ctx.store.timezone) : ""].join("|");
    }

    function printerCard(printer) {
      const status = printerState(printer);
      const message = messageFor(`printer:${printer.id}`);
      const backup = printer.backup_printer_id && watch.list.find((p) => p.id === printer.backup_printer_id);
      const error = printer.status && printer.status.error;
      const testButton = h("button", { type: "button", class: "btn btn-sm", disabled: printer.enabled === false,
        onclick: () => act(testButton, message, async () => {
          await ctx.api.post(`/api/printers/${printer.id}/test`, {});
          say(message, "Test page sent. It shows in the jobs below.", "ok");
          reloadSoon();
        }) }, "Test print");
      return h("article", {
        class: `card printer-card is-${status.key}${printer.enabled === false ? " is-off" : ""}`,
        "data-printer": printer.name,
        "data-status": status.key,
      },
      h("div", { class: "printer-head" },
        h("div", { class: "printer-title" },
          h("h3", { class: "printer-name" }, printer.name),
          h("span", { class: "printer-role" }, roleLine(printer))),
        h("span", { class: `badge status-badge ${status.kind}` }, status.label)),
      h("dl", { class: "printer-facts" },
        printer.transport ? [h("dt", {}, "Connection"), h("dd", { class: "mono printer-transport" }, transportSummary(printer.transport))] : null,
        h("dt", {}, "Model"), h("dd", {}, printer.profile || "—"),
        h("dt", {}, "Backup"), h("dd", {}, backup ? backup.name : "None"),
        h("dt", {}, "Waiting"), h("dd", { class: "printer-queued" },
          printer.queued ? h("span", { class: "badge badge-warn" }, `${printer.queued} job${printer.queued === 1 ? "" : "s"}`) : "Nothing")),
      status.problem || error
        ? h("p", { class: "printer-problem" }, error ? plainError(error) : `${status.label}: ${FIXES[status.key]}.`)
        : null,
      h("p", { class: "printer-checked muted small" },
        printer.enabled === false ? h("span", { class: "badge" }, "Disabled") : null,
        printer.status && printer.status.checked_at ? ` Status last changed ${ago(printer.status.checked_at, ctx.store.timezone)}` : ` Not checked yet${mayEdit ? ": send a test print" : ""}`),
      h("div", { class: "printer-actions" },
        mayEdit ? testButton : null,
        mayEdit ? h("button", { type: "button", class: "btn btn-sm", onclick: () => editPrinter(printer) }, "Edit") : null,
        h("button", { type: "button", class: "btn btn-sm btn-ghost", onclick: () => {
          state.filters.printer_id = printer.id;
          printerFilter.value = printer.id;
          loadJobs();
          jobsBody.closest(".jobs-card").scrollIntoView({ behavior: "smooth", block: "start" });
        } }, "Jobs")),
      message);
    }

    function renderJobs() {
      if (!state.jobs.length) {
        const filtered = state.filters.printer_id || state.filters.state;
        jobsBody.replaceChildren(h("p", { class: "empty" }, filtered ? "No jobs match." : "Nothing printed yet."));
        return;
      }
      if (jobsTable.parentNode !== jobsBody) jobsBody.replaceChildren(jobsTable);
      drawList(jobRows, state.jobs, (job) => job.id, jobLook, jobRow);
    }

    function jobLook(job) {
      return [JSON.stringify(job), job.printer_name || nameOf(job.printer_id),
        job.rerouted_from ? nameOf(job.rerouted_from) : ""].join("|");
    }

    function jobRow(job) {
      const message = messageFor(`job:${job.id}`);
      const actions = [];
      // Retry and Reprint: one call each, a toast for the answer, the list again soon.
      const action = (label, path, done) => {
        const button = h("button", { type: "button", class: "btn btn-sm", onclick: () => act(button, message, async () => {
          await ctx.api.post(`/api/print-jobs/${job.id}/${path}`, {});
          ctx.toast(done);
          reloadSoon();
        }) }, label);
        return button;
      };
      if (mayEdit && canRetry(job)) actions.push(action("Retry", "retry", "Sent again"));
      if (job.kind !== "drawer") {
        actions.push(h("button", { type: "button", class: "btn btn-sm btn-ghost", onclick: () => previewJob(job) }, "Preview"));
      }
      if (mayEdit && job.state === "printed") actions.push(action("Reprint", "reprint", "Reprint sent"));
      const status = jobStatus(job, ctx.store.timezone);
      return h("tr", { "data-job": job.id, "data-state": job.state },
        h("td", { "data-label": "When", class: "nowrap job-time" }, timeIn(job.created_at, ctx.store.timezone)),
        h("td", { "data-label": "Job", class: "job-cell" },
          h("div", { class: "job-what" }, kindLabel(job.kind),
            job.reprint ? h("span", { class: "badge badge-info", title: "Printed under a REPRINT banner: it may have printed before" }, "Reprint") : null,
            job.rerouted_from ? h("span", { class: "badge badge-warn" }, `From ${nameOf(job.rerouted_from)}`) : null),
          h("div", { class: "muted small" }, job.printer_name || nameOf(job.printer_id))),
        h("td", { "data-label": "State", class: "job-state-cell" },
          h("span", { class: `badge job-state ${status.kind}` }, status.label)),
        h("td", { "data-label": "Details", class: "job-details" },
          h("div", { class: "job-when" }, status.detail),
          job.last_error && job.state !== "printed"
            ? h("div", { class: "job-error", title: job.last_error }, plainError(job.last_error))
            : null),
        h("td", { class: "actions-cell" }, actions.length ? h("div", { class: "row row-end" }, actions) : null, message));
    }

    /** The job as its printer prints it, in a dialog: the edge's PNG on a strip of paper. */
    function previewJob(job) {
      const printerName = job.printer_name || nameOf(job.printer_id);
      const message = msgBox();
      const paper = h("div", { class: "preview-paper", "aria-busy": "true" },
        h("p", { class: "muted small preview-wait" }, "Drawing the preview…"));
      const facts = [printerName, timeIn(job.created_at, ctx.store.timezone), job.reprint ? "reprint" : "",
        job.rerouted_from ? `moved from ${nameOf(job.rerouted_from)}` : ""].filter(Boolean).join(" · ");
      const dialog = h("dialog", { class: "modal preview-modal", "aria-labelledby": `preview-${job.id}` },
        h("div", { class: "modal-form" },
          h("div", { class: "modal-head" },
            h("div", { class: "head-title" },
              h("h2", { id: `preview-${job.id}` }, kindLabel(job.kind)),
              h("span", { class: "head-sub" }, facts)),
            h("button", { type: "button", class: "btn btn-ghost btn-icon", "aria-label": "Close", onclick: () => dialog.close() }, "✕")),
          h("div", { class: "modal-body preview-body" }, paper),
          h("div", { class: "modal-foot" }, message, h("span", { class: "spacer" }),
            h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, "Close"))));
      let url = null;
      dialog.addEventListener("close", () => {
        dialog.remove();
        if (url) URL.revokeObjectURL(url);
      });
      // A click on the dimmed page around the dialog closes it, as on a phone one expects.
      dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
      document.body.append(dialog);
      dialog.showModal();
      ctx.api.blob(`/api/print-jobs/${job.id}/preview.png${query({ scale: PREVIEW_SCALE })}`).then((blob) => {
        if (!dialog.open) return;
        url = URL.createObjectURL(blob);
        const image = h("img", { class: "preview-image", src: url, alt: `${kindLabel(job.kind)} as ${printerName} prints it` });
        image.addEventListener("load", () => {
          dialog.style.setProperty("--paper", `${image.naturalWidth / PREVIEW_SCALE}px`);
          paper.removeAttribute("aria-busy");
          paper.replaceChildren(image);
        }, { once: true });
        image.addEventListener("error", () => {
          paper.removeAttribute("aria-busy");
          paper.replaceChildren();
          say(message, "The preview could not be shown.");
        }, { once: true });
      }).catch((err) => {
        paper.removeAttribute("aria-busy");
        paper.replaceChildren();
        say(message, err);
      });
    }

    function nameOf(id) {
      const printer = watch.list.find((p) => p.id === id);
      return printer ? printer.name : "another printer";
    }

    // ---- add / edit ----

    function editPrinter(printer, preset = {}) {
      const base = printer || { role: "kitchen", profile: "TM-T20II", enabled: true, transport: { kind: "network", port: 9100 }, ...preset };
      const transport = { ...(base.transport || { kind: "network" }) };
      const kindSelect = h("select", { class: "select", name: "kind" },
        Object.entries(TRANSPORTS).map(([value, label]) => h("option", { value, selected: value === transport.kind }, label)));
      const roleSelect = h("select", { class: "select", name: "role" },
        Object.entries(ROLES).map(([value, { label }]) => h("option", { value, selected: value === base.role }, label)));
      const roleField = field("Used for", roleSelect, ROLES[base.role] ? ROLES[base.role].hint : "");
      const stationField = field("Kitchen stations",
        h("input", { class: "input", name: "stations", value: (base.stations || []).join(", "), maxlength: "200", placeholder: "e.g. KITCHEN, BAR", autocomplete: "off", autocapitalize: "characters" }),
        "Tickets for these stations print here; separate several with commas");
      const deviceField = field("Till device",
        h("input", { class: "input", name: "device", value: base.device || "", maxlength: "60", placeholder: "e.g. POS 1", autocomplete: "off" }),
        "The till's name under Devices: its receipts print here; leave empty for any till");
      const transportBox = h("div", { class: "grid-2 transport-fields" });
      const others = watch.list.filter((p) => !printer || p.id !== printer.id);
      const backupSelect = h("select", { class: "select", name: "backup_printer_id" },
        h("option", { value: "" }, "No backup"),
        others.map((p) => h("option", { value: p.id, selected: p.id === base.backup_printer_id }, `${p.name} (${roleLabel(p.role)})`)));

      function showRoleFields() {
        stationField.hidden = roleSelect.value !== "kitchen";
        roleField.querySelector(".hint").textContent = ROLES[roleSelect.value].hint;
        deviceField.hidden = roleSelect.value !== "receipt";
      }

      function showTransportFields() {
        const kind = kindSelect.value;
        const value = (key, fallback = "") => (transport.kind === kind && transport[key] !== undefined && transport[key] !== null ? transport[key] : fallback);
        const input = (name, attrs) => h("input", { class: "input", name, autocomplete: "off", ...attrs });
        if (kind === "network") {
          transportBox.replaceChildren(
            field("Address", input("host", { value: value("host"), placeholder: "192.168.1.50", inputmode: "url" }), "IP address or host name"),
            field("Port", input("port", { value: String(value("port", 9100)), inputmode: "numeric" }), "9100 for almost every printer"));
        } else if (kind === "usb") {
          transportBox.replaceChildren(
            field("Vendor ID", input("vendor_id", { value: transport.kind === "usb" ? hex(transport.vendor_id) : "", placeholder: "04b8" }), "Hexadecimal, e.g. 04b8 for Epson"),
            field("Product ID", input("product_id", { value: transport.kind === "usb" ? hex(transport.product_id) : "", placeholder: "0202" }), "Hexadecimal"));
        } else if (kind === "serial") {
          const rate = value("baudrate", 9600);
          transportBox.replaceChildren(
            field("Port", input("url", { value: value("url"), placeholder: "/dev/ttyUSB0" })),
            field("Speed (baud)", h("select", { class: "select", name: "baudrate" },
              [...new Set([...BAUDRATES, Number(rate)])].map((b) => h("option", { value: String(b), selected: b === Number(rate) }, String(b))))));
        } else {
          transportBox.replaceChildren(
            field("Device file", input("path", { value: value("path"), placeholder: "/dev/usb/lp0" }), "A printer the system already knows, such as /dev/usb/lp0"));
        }
      }

      roleSelect.addEventListener("change", showRoleFields);
      kindSelect.addEventListener("change", showTransportFields);
      showRoleFields();
      showTransportFields();

      modal({
        title: printer ? `Edit ${printer.name}` : "Add a printer",
        submitLabel: printer ? "Save printer" : "Add printer",
        body: [
          h("div", { class: "grid-2" },
            field("Name", h("input", { class: "input", name: "name", value: base.name || "", maxlength: "60", placeholder: "e.g. Kitchen grill", autocomplete: "off" })),
            roleField),
          stationField,
          deviceField,
          h("fieldset", { class: "stack-sm" },
            h("legend", {}, "Connection"),
            field("Connected by", kindSelect),
            transportBox),
          h("div", { class: "grid-2" },
            field("Printer model", h("select", { class: "select", name: "profile" },
              PROFILES.map(([value, label]) => h("option", { value, selected: value === base.profile }, label)))),
            field("Backup printer", backupSelect, "Takes over while this one cannot print")),
          printer ? switchInput({ name: "enabled", checked: printer.enabled !== false, label: "Enabled: send jobs to this printer" }) : null,
        ],
        async onSubmit(form) {
          const body = readForm(form);
          try {
            if (printer) {
              const changes = {};
              for (const [key, value] of Object.entries(body)) {
                const was = key === "stations" ? printer.stations : printer[key] ?? (key === "backup_printer_id" ? null : key === "device" ? "" : undefined);
                if (JSON.stringify(value) !== JSON.stringify(was)) changes[key] = value;
              }
              if (Object.keys(changes).length) await send("PATCH", `/api/printers/${printer.id}`, changes);
              ctx.toast(`${body.name} saved`);
            } else {
              await send("POST", "/api/printers", body);
              ctx.toast(`${body.name} added: send a test print`);
            }
          } catch (err) {
            // The edge names nested fields ("transport.port", or just "transport"): point at
            // the input the message is about.
            const named = err && err.details && typeof err.details.field === "string" ? err.details.field : "";
            if (named.startsWith("transport")) {
              const inner = named.replace(/^transport\.?/, "");
              const guess = ["port", "host", "vendor_id", "product_id", "baudrate", "url", "path"].find((name) => inner === name || new RegExp(`\\b${name}\\b`).test(err.message));
              err.details.field = guess || (form.elements.host ? "host" : form.elements.path ? "path" : "url");
            } else if (named === "station") {
              err.details.field = "stations";
            }
            throw err;
          }
          await loadAll();
          return true;
        },
      });
    }

    /** Create or change a printer, in whichever shape the edge names stations. */
    async function send(method, path, body) {
      const shaped = { ...body };
      if ("stations" in shaped && watch.stationShape === "station") {
        shaped.station = shaped.stations[0] || null;
        delete shaped.stations;
      }
      try {
        return await ctx.api.request(method, path, { body: shaped });
      } catch (err) {
        const wrongShape = err && err.code === "unknown_field" && /\bstations?\b/.test(err.message);
        if (!wrongShape) throw err;
        watch.stationShape = watch.stationShape === "station" ? "stations" : "station";
        return send(method, path, body);
      }
    }

    function fail(name, text) {
      const err = new Error(text);
      err.details = { field: name };
      throw err;
    }

    function readForm(form) {
      const get = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
      const role = get("role");
      const kind = get("kind");
      const body = {
        name: get("name"),
        role,
        profile: get("profile"),
        backup_printer_id: get("backup_printer_id") || null,
      };
      if (!body.name) fail("name", "Give the printer a name people recognise, such as Kitchen grill.");
      if (role === "kitchen") body.stations = get("stations").split(/[\s,]+/).filter(Boolean).map((code) => code.toUpperCase());
      if (role === "receipt") body.device = get("device");
      const number = (name) => {
        const text = get(name);
        return /^\d+$/.test(text) ? Number(text) : text; // anything else: the edge says why
      };
      if (kind === "network") {
        if (!get("host")) fail("host", "Type the printer's address, such as 192.168.1.50.");
        const port = get("port") || "9100";
        if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) fail("port", "The port is a number from 1 to 65535 (usually 9100).");
      }
      if (kind === "serial" && !get("url")) fail("url", "Type the serial port, such as /dev/ttyUSB0.");
      if (kind === "file" && !get("path")) fail("path", "Type the device file, such as /dev/usb/lp0.");
      const hexNumber = (name) => {
        const text = get(name).replace(/^0x/i, "");
        if (!/^[0-9a-f]{1,4}$/i.test(text)) {
          const err = new Error("A USB ID is up to 4 hexadecimal digits, such as 04b8.");
          err.details = { field: name };
          throw err;
        }
        return parseInt(text, 16);
      };
      if (kind === "network") body.transport = { kind, host: get("host"), port: Number(get("port") || 9100) };
      else if (kind === "usb") body.transport = { kind, vendor_id: hexNumber("vendor_id"), product_id: hexNumber("product_id") };
      else if (kind === "serial") body.transport = { kind, url: get("url"), baudrate: number("baudrate") };
      else body.transport = { kind, path: get("path") };
      if (form.elements.enabled) body.enabled = form.elements.enabled.checked;
      return body;
    }

    // ---- discovery ----

    function discoveryCard() {
      const usbMsg = msgBox();
      const netMsg = msgBox();
      const results = h("ul", { class: "found-list", "aria-live": "polite" });
      const subnet = h("input", { class: "input", name: "subnet", placeholder: "192.168.1.0/24", inputmode: "decimal", autocomplete: "off" });
      const port = h("input", { class: "input port-input", name: "scan_port", placeholder: "9100", inputmode: "numeric", autocomplete: "off" });
      const usbButton = h("button", { type: "button", class: "btn", onclick: () => act(usbButton, usbMsg, async () => {
        const found = await ctx.api.get("/api/printers/discover/usb");
        showFound(found.map((f) => ({ label: f.name || (f.vendor ? `${f.vendor} printer` : "USB printer"), detail: `USB ${hex(f.vendor_id)}:${hex(f.product_id)}`,
          name: f.name || (f.vendor ? `${f.vendor} printer` : ""), config: f.config || f.transport || { kind: "usb", vendor_id: f.vendor_id, product_id: f.product_id } })),
          "No USB printers found. Check the cable and that the printer is on.", usbMsg);
      }) }, "Find USB printers");
      const scanButton = h("button", { type: "submit", class: "btn" }, "Scan network");
      const scanForm = h("form", { class: "scan-form", novalidate: true, onsubmit: (event) => {
        event.preventDefault();
        act(scanButton, netMsg, async () => {
          if (!subnet.value.trim()) {
            const err = new Error("Type the network to scan, such as 192.168.1.0/24.");
            err.details = { field: "subnet" };
            throw err;
          }
          const body = { subnet: subnet.value.trim() };
          if (port.value.trim()) body.port = /^\d+$/.test(port.value.trim()) ? Number(port.value.trim()) : port.value.trim();
          say(netMsg, "Scanning… this can take a few seconds.", "info");
          const found = await ctx.api.post("/api/printers/discover/network", body);
          say(netMsg, "");
          showFound(found.map((f) => ({ label: `${f.host}:${f.port}`, detail: f.answers_status ? "Network printer (answers status)" : "Something answers on the printer port", name: "",
            config: f.config || f.transport || { kind: "network", host: f.host, port: f.port } })),
            `No printer answered on ${body.subnet}.`, netMsg);
        }, { form: scanForm });
      } },
      field("Network", subnet), field("Port", port), h("div", { class: "scan-go" }, scanButton));

      function showFound(found, none, box) {
        if (!found.length) {
          results.replaceChildren();
          say(box, none, "info");
          return;
        }
        const known = new Set(watch.list.map((p) => JSON.stringify(p.transport)));
        results.replaceChildren(...found.map((f) => h("li", { class: "found-row" },
          h("div", { class: "found-what" }, h("strong", {}, f.label), h("span", { class: "muted small" }, f.detail)),
          known.has(JSON.stringify(f.config)) ? h("span", { class: "badge badge-ok" }, "Already added") : null,
          h("button", { type: "button", class: "btn btn-sm btn-primary", onclick: () => editPrinter(null, {
            name: f.name || "",
            role: "receipt",
            transport: f.config,
          }) }, "Add this printer"))));
      }

      const node = h("section", { class: "card discover-card" },
        h("div", { class: "card-head" },
          h("div", { class: "head-title" },
            h("h2", {}, "Find printers"),
            h("span", { class: "head-sub" }, "Look for printers plugged into the box or on the store network."))),
        h("div", { class: "card-body discover-body" },
          h("div", { class: "discover-usb" }, usbButton, usbMsg),
          h("div", { class: "discover-net" }, scanForm, netMsg),
          results));
      return { node };
    }

    // ---- cash drawer ----

    function openDrawer() {
      modal({
        title: "Open the cash drawer",
        submitLabel: "Open drawer",
        body: [
          field("Reason", h("input", { class: "input", name: "reason", maxlength: "120", placeholder: "e.g. change for the float", autocomplete: "off" }),
            "Kept in the audit trail"),
        ],
        async onSubmit(form) {
          const reason = form.elements.reason.value.trim();
          if (!reason) {
            const err = new Error("Say why the drawer is opened.");
            err.details = { field: "reason" };
            throw err;
          }
          await ctx.api.post("/api/drawer/open", { reason });
          ctx.toast("Cash drawer opened");
          return true;
        },
      });
    }

    grid.append(h("p", { class: "empty" }, "Loading printers…"));
    if (watch.list.length || watch.available !== null) render();
    loadAll();
    // Next-try countdowns move on screen; without the live topic the section asks every 10 s.
    state.ticker = setInterval(() => {
      for (const node of root.querySelectorAll(".next-try[data-next]")) {
        node.textContent = nextTry(node.dataset.next, ctx.store.timezone);
      }
    }, 1000);
    state.poller = setInterval(() => {
      if (!watch.live && document.visibilityState === "visible") loadJobs();
    }, POLL_MS);
    return {
      onEvent(event) {
        if (event.entity === "print_jobs") {
          clearTimeout(state.jobTimer);
          state.jobTimer = setTimeout(loadJobs, 200);
        }
      },
      destroy() {
        unlisten();
        clearTimeout(state.timer);
        clearTimeout(state.jobTimer);
        clearInterval(state.ticker);
        clearInterval(state.poller);
      },
    };
  },
};
