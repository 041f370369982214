// Building elements on every page (admin, and the POS after it): `h`, and the few small pieces
// each page draws alike, so they look and read the same everywhere.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "value" || key === "checked" || key === "selected" || key === "disabled") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * A labelled tag, "Course: Desserts": what it is, then its value, as one phrase for the eye
 * and for a screen reader (a code alone, "DESSERTS" under a Latte, reads like a wrong
 * category). Codes such as DESSERTS or TAKE_AWAY are written as words.
 */
export function tag(label, value, kind = "") {
  const text = String(value);
  const words = text.charAt(0) + text.slice(1).toLowerCase().replaceAll("_", " ");
  return h("span", { class: `badge tag ${kind}`.trim(), "data-tag": label.toLowerCase() },
    h("span", { class: "tag-key" }, `${label}:`), " ", words);
}
