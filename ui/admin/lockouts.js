// The managers' alert for a PIN locked on every device. Wrong PINs lock a staff member out on
// one device; many of them on several devices (someone guessing) lock them out everywhere, and
// every manager's page says so at once, over every section, with the Unlock that ends it. The
// box sends the lock as a `pin_lockouts` event on the staff topic; who is locked now comes from
// /api/staff.

import { act, drawList, h } from "./dom.js";

export function watchLockouts(ctx, banner) {
  const watch = {
    locked: [],
    timer: null,
    expiry: null,
    async refresh() {
      if (!ctx.may("staff.view")) return;
      const staff = await ctx.api.get("/api/staff");
      watch.locked = staff.filter((member) => member.active && member.account_lock);
      render();
    },
    onEvent(event) {
      if (event.entity !== "pin_lockouts") return;
      clearTimeout(watch.timer);
      watch.timer = setTimeout(() => watch.refresh().catch(() => {}), 150);
    },
    stop() {
      clearTimeout(watch.timer);
      clearTimeout(watch.expiry);
    },
  };

  function render() {
    const now = Date.now();
    const locked = watch.locked.filter((member) => Date.parse(member.account_lock.locked_until) > now);
    clearTimeout(watch.expiry);
    if (!locked.length) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    // A lock ends by itself after its hour: the banner goes then too.
    const next = Math.min(...locked.map((member) => Date.parse(member.account_lock.locked_until)));
    watch.expiry = setTimeout(render, Math.max(1000, next - now));
    banner.hidden = false;
    drawList(banner, [locked], () => "locks", (list) => JSON.stringify(list.map((m) => [m.id, m.account_lock])), draw);
  }

  function draw(locked) {
    return h("div", { class: "contents" },
      h("span", { class: "alert-icon", "aria-hidden": "true" }, "!"),
      h("div", { class: "alert-text" },
        h("strong", {}, locked.length === 1 ? "A PIN is locked on every device" : `${locked.length} PINs are locked on every device`),
        h("ul", { class: "alert-list" }, locked.map((member) => {
          const lock = member.account_lock;
          const mayUnlock = member.role !== "owner" || ctx.may("staff.edit_owner");
          const unlock = mayUnlock ? h("button", { type: "button", class: "btn btn-sm alert-action",
            "aria-label": `Unlock ${member.name}`,
            onclick: (event) => act(event.currentTarget, null, async () => {
              await ctx.api.post(`/api/staff/${member.id}/unlock`);
              ctx.toast(`${member.name} can try their PIN again`);
              await watch.refresh();
            }) }, "Unlock") : null;
          return h("li", { class: "lock-line", "data-staff": member.name },
            h("span", {},
              h("span", { class: "alert-name" }, `${member.name}’s PIN is locked`),
              ` after ${lock.failures} wrong tries on ${lock.devices} devices. `,
              mayUnlock ? "If it was them, unlock it; if not, someone is guessing." : "An owner can unlock it."),
            unlock);
        }))));
  }

  return watch;
}
