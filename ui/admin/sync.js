// Sync: how the box stands with the hub, the conflict inbox and the events the hub refused.
//
// Server wins, field by field: when the same field was changed here and on the hub while the
// box was offline, the hub's value stands. Nothing is lost: each such field is listed here with
// both values, who changed each and when; "Apply mine again" makes the store's value a new edit
// (which the hub takes on the next sync), "Dismiss" leaves the hub's. Refused events are kept
// whole with the hub's reason.

import { clockSentence } from "/ui/lib/syncbadge.js";
import { dateTimeIn } from "/ui/lib/time.js";
import { act, confirmAction, h, msgBox } from "./dom.js";

export const CHANGES = new Set(["sync_conflicts", "sync_rejections", "box_time"]);
const MONEY_FIELDS = new Set(["price", "price_delta", "unit_price", "amount", "total"]);
const STATES = {
  online: ["badge-ok", "In step with the hub"],
  connecting: ["badge-info", "Connecting to the hub…"],
  offline: ["badge-warn", "Offline: the hub cannot be reached"],
  refused: ["badge-danger", "The hub refuses this box"],
  not_enrolled: ["", "Not enrolled with a hub: this box works alone"],
};

export default {
  id: "sync",
  title: "Sync",
  icon: "sync",
  mount(root, ctx) {
    const state = { timer: null, showClosed: false };
    const when = (iso) => (iso ? dateTimeIn(iso, ctx.store.timezone) : "");
    const summary = h("div", { class: "card card-pad sync-summary" }, h("p", { class: "muted" }, "Loading…"));
    const conflictList = h("div", { class: "sync-list" });
    const rejectedList = h("div", { class: "sync-list" });
    const closedToggle = h("label", { class: "check" },
      h("input", { type: "checkbox", onchange: (e) => { state.showClosed = e.target.checked; load(); } }),
      " Show resolved");

    root.append(
      h("div", { class: "page-head" },
        h("div", { class: "head-title" },
          h("h1", {}, "Sync"),
          h("span", { class: "head-sub" }, "The store’s box and the hub keep each other up to date. Where both changed the same thing while apart, the hub’s value stands, and it is listed here."))),
      summary,
      h("section", { class: "card", "aria-labelledby": "sync-conflicts" },
        h("div", { class: "card-head" }, h("h2", { id: "sync-conflicts" }, "Conflicts"), closedToggle),
        conflictList),
      h("section", { class: "card", "aria-labelledby": "sync-rejected" },
        h("div", { class: "card-head" }, h("h2", { id: "sync-rejected" }, "Refused by the hub")),
        rejectedList));

    async function load() {
      try {
        const [status, conflicts, rejected] = await Promise.all([
          ctx.api.get("/api/sync"),
          ctx.api.get(`/api/sync/conflicts${state.showClosed ? "?state=all" : ""}`),
          ctx.api.get("/api/sync/rejections"),
        ]);
        drawSummary(status);
        drawConflicts(conflicts.conflicts);
        drawRejected(rejected.rejections);
      } catch (err) {
        summary.replaceChildren(h("p", { class: "msg msg-error" }, `Could not load sync: ${err.message}`));
      }
    }

    function reloadSoon() {
      clearTimeout(state.timer);
      state.timer = setTimeout(load, 150);
    }

    function drawSummary(status) {
      const [kind, text] = STATES[status.state] || STATES.connecting;
      const facts = status.enrolled ? [
        fact("Hub", status.hub_url),
        fact("Last synced", status.last_success ? when(status.last_success) : "Not yet"),
        fact("Changes waiting", String(status.waiting)),
        fact("Open conflicts", String(status.open_conflicts)),
        fact("Refused", String(status.rejected)),
      ] : [];
      summary.replaceChildren(...[
        clockNotice(status.clock),
        h("p", {}, h("span", { class: `badge ${kind}`, "data-sync-state": status.state }, text)),
        facts.length ? h("dl", { class: "sync-facts" }, facts) : null,
        status.problem && status.state !== "online" ? h("div", { class: "msg msg-warn sync-problem", role: "status" },
          h("span", {}, status.problem),
          status.last_error ? h("details", { class: "sync-detail small" },
            h("summary", {}, "What the hub said"), h("code", {}, status.last_error)) : null) : null,
      ].filter(Boolean));
    }

    /** The box's clock when it is not trusted, with both times and a manager's way out:
     * the box then runs on this device's time until NTP sets its clock. */
    function clockNotice(clock) {
      if (clock.trusted) {
        return clock.set_by_hand ? h("p", { class: "msg msg-info sync-clock", role: "status" }, clock.message) : null;
      }
      const message = msgBox();
      const use = h("button", { type: "button", class: "btn btn-primary btn-sm", onclick: () => act(use, message, async () => {
        await ctx.api.post("/api/sync/clock", { time: new Date().toISOString() });
        load();
      }) }, "Use this device’s time");
      return h("div", { class: "msg msg-warn sync-clock", role: "alert" },
        h("div", { class: "stack-sm" },
          h("p", {}, h("strong", {}, clockSentence(clock, ctx.store.timezone)), " ", clock.message),
          h("p", {}, use), message));
    }

    function drawConflicts(conflicts) {
      if (!conflicts.length) {
        conflictList.replaceChildren(h("p", { class: "empty" }, "No conflicts: every change made here stands on the hub."));
        return;
      }
      conflictList.replaceChildren(...conflicts.map(conflictRow));
    }

    function conflictRow(conflict) {
      const message = msgBox();
      const what = conflict.subject ? `${capital(conflict.noun)} “${conflict.subject}”` : capital(conflict.noun);
      const closed = conflict.state !== "open";
      return h("article", { class: `sync-item${closed ? " is-inactive" : ""}`, "data-conflict": conflict.id },
        h("div", { class: "sync-item-head" },
          h("strong", {}, what), h("span", { class: "muted" }, ` · ${words(conflict.field)}`),
          closed ? h("span", { class: "badge" }, conflict.state === "reapplied"
            ? `Applied again by ${conflict.resolved_by}` : `Dismissed by ${conflict.resolved_by}`) : null),
        h("div", { class: "sync-values" },
          side("This store", value(conflict.field, conflict.mine), conflict.mine_by, conflict.mine_at, "mine"),
          side("Hub (stands)", value(conflict.field, conflict.hub), conflict.hub_by, conflict.hub_at, "hub")),
        closed ? null : h("div", { class: "row row-end" },
          h("button", { type: "button", class: "btn btn-sm", onclick: (e) =>
            act(e.currentTarget, message, () => dismiss(conflict)) }, "Dismiss"),
          conflict.can_reapply ? h("button", { type: "button", class: "btn btn-sm btn-primary", onclick: () =>
            reapply(conflict) }, "Apply mine again") : null),
        message);
    }

    function side(label, shown, by, at, kind) {
      return h("div", { class: `sync-side sync-${kind}` },
        h("span", { class: "sync-side-label" }, label),
        h("span", { class: "sync-value" }, shown),
        h("span", { class: "muted small" }, [kind === "mine" ? who(by) : by || "on the hub", when(at)].join(" · ")));
    }

    function reapply(conflict) {
      confirmAction({
        title: `Apply ${words(conflict.field)} ${value(conflict.field, conflict.mine)} again?`,
        text: `The store’s value becomes a new change by you, and replaces the hub’s (${value(conflict.field, conflict.hub)}) on the next sync.`,
        confirmLabel: "Apply mine again",
        async action() {
          await ctx.api.post(`/api/sync/conflicts/${conflict.id}/reapply`);
          ctx.toast("Applied again");
          await load();
        },
      });
    }

    async function dismiss(conflict) {
      await ctx.api.post(`/api/sync/conflicts/${conflict.id}/dismiss`);
      ctx.toast("Dismissed: the hub’s value stands");
      await load();
    }

    function drawRejected(rejected) {
      if (!rejected.length) {
        rejectedList.replaceChildren(h("p", { class: "empty" }, "Nothing refused."));
        return;
      }
      rejectedList.replaceChildren(...rejected.map((entry) =>
        h("article", { class: "sync-item", "data-rejection": entry.id },
          h("div", { class: "sync-item-head" },
            h("strong", {}, `${capital(entry.noun)}: ${entry.op === "create" ? "added" : entry.op === "delete" ? "removed" : "changed"}`),
            h("span", { class: "muted small" }, ` · ${who(entry.by)} · ${when(entry.at)}`)),
          h("p", { class: "small" }, entry.message),
          h("p", { class: "muted small sync-fields" }, summaryOf(entry.fields)))));
    }

    function value(field, shown) {
      if (shown === "***") return "(hidden)";
      if (MONEY_FIELDS.has(field) && Number.isInteger(shown)) return ctx.money(shown);
      if (typeof shown === "boolean") return shown ? "Yes" : "No";
      if (shown === null || shown === "") return "(empty)";
      return typeof shown === "object" ? JSON.stringify(shown) : String(shown);
    }

    function summaryOf(fields) {
      return Object.entries(fields).filter(([, v]) => typeof v !== "object" || v === null)
        .slice(0, 6).map(([k, v]) => `${words(k)}: ${value(k, v)}`).join(" · ");
    }

    load();
    return {
      onEvent(event) {
        if (CHANGES.has(event.entity)) reloadSoon();
      },
      destroy() {
        clearTimeout(state.timer);
      },
    };
  },
};

function fact(label, text) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, text));
}

/** Who made a change: a name, or the box itself. */
function who(by) {
  return by === "system" ? "the box itself" : by || "at the store";
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function words(field) {
  return field.replaceAll("_", " ");
}
