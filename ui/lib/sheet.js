// A sheet drawn in the page (the guest's and the handheld's: redrawn with each live update, so
// not a <dialog>), kept as usable from a keyboard as a modal dialog is: the focus goes into it
// as it opens and stays there across redraws, Tab keeps to it, Escape closes it, and the focus
// goes back to what opened it (drawn again too: found by its `data-focus` key, which a page
// gives each control it must find again after a redraw).

const CONTROLS = "button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), a[href], summary";

/** The sheet's keys, for its onkeydown: Escape calls `close`; Tab and Shift+Tab go round its
 * controls instead of out to the page behind it. */
export function sheetKeys(close) {
  return (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    const controls = [...event.currentTarget.querySelectorAll(CONTROLS)].filter((el) => el.getClientRects().length);
    if (!controls.length) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    const at = document.activeElement;
    const outside = !event.currentTarget.contains(at);
    if (event.shiftKey && (at === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (at === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  };
}

/** The focus into `sheet` (its first control) unless it is there already: as it opens, and
 * after a redraw that drew it anew. */
export function focusIn(sheet) {
  if (!sheet.contains(document.activeElement)) (sheet.querySelector(CONTROLS) || sheet).focus();
}

/** The `data-focus` key of the control that has the focus, if it has one. */
export function focusKey() {
  const at = document.activeElement && document.activeElement.closest("[data-focus]");
  return at ? at.dataset.focus : null;
}

/** After a redraw, or once a sheet has closed: the focus back on the control whose `data-focus`
 * is `key`, if the focus went with what was drawn before. */
export function focusBack(root, key) {
  const at = document.activeElement;
  if (!key || (at && at !== document.body)) return;
  const back = root.querySelector(`[data-focus="${CSS.escape(key)}"]`);
  if (!back) return;
  back.focus();
  if (back.type === "text") back.setSelectionRange(back.value.length, back.value.length); // type on
}
