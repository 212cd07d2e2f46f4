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

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function show(el, visible) {
  el.hidden = !visible;
}
