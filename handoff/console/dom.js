// Building the page from data, safely: every string becomes a text node (createTextNode /
// textContent), never markup: nothing in the console asks the browser to parse a string as
// HTML, so a customer who types <img src=x onerror=…> sees exactly that, as text.

/**
 * h("li", {class: "msg", dataset: {id: 3}, title: text, onclick: fn}, "text", childNode, [more])
 * Attributes are set with setAttribute (attribute values are never parsed as HTML); `on…` keys
 * take functions only (a string is ignored, so data can never become an event handler).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : String(value);
    else if (key === "dataset") {
      for (const [name, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[name] = String(v);
    } else if (key.startsWith("on")) {
      if (typeof value === "function") el.addEventListener(key.slice(2), value);
    } else if (key === "text") el.textContent = String(value);
    else if (key === "hidden" || key === "disabled") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children with these (strings as text). */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// The data each list row was drawn from, so that a refresh can keep the rows that did not change.
const drawnFrom = new WeakMap();

/**
 * Redraws a list from its rows, keeping the element of every row whose data did not change. The
 * console's lists refresh on a timer and on live events; replacing every element each time took
 * from under a person what they were reading, scrolling to, clicking or typing in (a click that
 * straddles a redraw lands on nothing, a focused box loses its caret). `key(row)` names a row;
 * `context` is whatever else its drawing reads (the language, the open case), so a change there
 * draws every row again. Rows are moved only where the order changed, so a kept row keeps its focus
 * unless it moved.
 */
export function redraw(list, rows, key, build, context = "") {
  const old = new Map();
  for (const child of list.children) if (child.dataset.row !== undefined) old.set(child.dataset.row, child);
  const next = rows.map((row) => {
    const name = String(key(row));
    const signature = JSON.stringify([context, row]);
    const kept = old.get(name);
    if (kept && drawnFrom.get(kept) === signature) return kept;
    const el = build(row);
    el.dataset.row = name;
    drawnFrom.set(el, signature);
    return el;
  });
  const wanted = new Set(next);
  let cursor = list.firstChild;
  const dropStale = () => {
    while (cursor && !wanted.has(cursor)) { // a row no longer listed, or drawn again
      const stale = cursor;
      cursor = cursor.nextSibling;
      stale.remove();
    }
  };
  for (const el of next) {
    dropStale();
    if (el === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(el, cursor); // a new row, or a kept one that moved up
  }
  dropStale();
  return list;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function show(el, visible) {
  el.hidden = !visible;
}
