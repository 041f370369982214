// A strip or table that scrolls sideways must say so: a row whose last button sits past the
// edge, with nothing to show it, looks like a row without that button. `showOverflow` marks
// the element with `data-more-start` / `data-more-end` while there is more to scroll to on
// that side; style.css fades that edge (`.scroll-x`). The marks follow scrolling, resizing and
// redrawn contents (a live update can make a list wider).

export function showOverflow(element) {
  const update = () => {
    const hidden = element.scrollWidth - element.clientWidth;
    const at = Math.abs(element.scrollLeft); // negative in right-to-left pages
    element.toggleAttribute("data-more-start", hidden > 1 && at > 1);
    element.toggleAttribute("data-more-end", hidden > 1 && at < hidden - 1);
  };
  element.classList.add("scroll-x");
  element.addEventListener("scroll", update, { passive: true });
  new ResizeObserver(update).observe(element);
  new MutationObserver(update).observe(element, { childList: true, subtree: true });
  update();
  return element;
}
