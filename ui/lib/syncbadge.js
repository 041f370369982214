// The sync badge in every staff page's header: whether the box is in step with the hub.
//
//   Synced            the last round reached the hub; the title says when, and that nothing waits
//   Offline · 12      the hub cannot be reached: 12 changes wait on the box (nothing is lost;
//                     the store goes on taking orders)
//   2 conflicts       the hub's value won on fields changed here too (server wins): a manager
//                     looks at them in Sync (`href`, given to pages that have that section)
//   (nothing)         a box not enrolled with a hub works alone: no badge
//   Clock wrong: Mon 23:30
//                     the box's clock is not trusted (NTP has not set it since a power cut):
//                     it dates orders and money by it; the title puts this device's time beside
//                     it, and a manager gives the box this device's time in Sync. Shown first,
//                     enrolled or not.
//
// It asks `GET /api/sync` every `every` ms (15 s) and when `refresh()` is called (a sync event
// on the live feed). Usage: `const badge = syncBadge({ api, timeZone, href }); header.append(
// badge.element); ... badge.stop()`.

import { h } from "./element.js";
import { dayTimeIn, timeIn } from "./time.js";

const LOOK = {
  online: ["ok", "Synced"],
  connecting: ["info", "Syncing…"],
  offline: ["warn", "Offline"],
  refused: ["danger", "Sync refused"],
};

export function syncBadge({ api, timeZone = undefined, href = null, every = 15000 }) {
  const element = h(href ? "a" : "span", { class: "badge sync-badge", hidden: true, role: "status", href });
  let timer = null;
  let stopped = false;

  function draw(status) {
    const clock = status.clock;
    if (clock && !clock.trusted) {
      element.hidden = false;
      element.className = "badge badge-danger sync-badge";
      element.dataset.state = "clock";
      element.replaceChildren("Clock wrong", h("span", { class: "sync-badge-when" }, `: ${dayTimeIn(clock.now, timeZone)}`));
      element.title = `${clockSentence(clock, timeZone)} ${clock.message}`;
      element.setAttribute("aria-label", element.title);
      return;
    }
    element.hidden = !status.enrolled;
    element.dataset.state = status.state;
    if (!status.enrolled) return;
    const conflicts = status.open_conflicts;
    const [kind, label] = conflicts
      ? ["warn", `${conflicts} conflict${conflicts === 1 ? "" : "s"}`]
      : LOOK[status.state] || LOOK.connecting;
    const waiting = status.state !== "online" && status.waiting ? ` · ${status.waiting}` : "";
    element.className = `badge badge-${kind} sync-badge`;
    element.textContent = `${label}${waiting}`;
    const when = status.last_success ? `last synced ${timeIn(status.last_success, timeZone)}` : "not synced yet";
    const parts = [`Hub: ${when}`, `${status.waiting} change${status.waiting === 1 ? "" : "s"} waiting`];
    if (conflicts) parts.push(`${conflicts} field${conflicts === 1 ? "" : "s"} where the hub's value won`);
    if (status.rejected) parts.push(`${status.rejected} refused by the hub`);
    if (status.state !== "online" && status.problem) parts.push(status.problem);
    element.title = parts.join(" · ");
    element.setAttribute("aria-label", element.title);
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      draw(await api.get("/api/sync"));
    } catch {
      // The box itself is out of reach: the page's own connection indicator says so.
    }
    if (!stopped) timer = setTimeout(refresh, every);
  }

  refresh();
  return {
    element,
    refresh,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The box's time beside this device's, in words: "The box's clock reads Mon 23:30; this
 * device reads Tue 09:02." */
export function clockSentence(clock, timeZone) {
  const here = new Date().toISOString();
  return `The box’s clock reads ${dayTimeIn(clock.now, timeZone)}; this device reads ${dayTimeIn(here, timeZone)}.`;
}
