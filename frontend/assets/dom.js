// Tiny DOM helpers: build elements without innerHTML, switch views, show errors in words.

import { ApiError } from "./api.js";
import { pick, renderRich, t } from "./i18n.js";

/** h("button", {class: "x", onclick: fn, dataset: {id: 1}}, "text", child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "rich") renderRich(el, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Show exactly one of the views (elements with [data-view]) and move focus to its heading. */
export function showView(name, { focus = true } = {}) {
  for (const view of document.querySelectorAll("[data-view]")) {
    view.hidden = view.dataset.view !== name;
  }
  document.body.dataset.current = name;
  window.scrollTo(0, 0);
  if (focus) {
    const heading = document.querySelector(`[data-view="${name}"] h2`);
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}

/** The words to show for an error: the API's own message, or a kind fallback. */
export function errorText(err) {
  if (err instanceof ApiError) return pick(err.messages);
  return t("error.generic");
}

/** Put an error (or nothing) into a role=alert box. */
export function showError(box, err) {
  if (!box) return;
  if (!err) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = typeof err === "string" ? err : errorText(err);
  box.hidden = false;
}

/** Run fn while the button is disabled (prevents double submits). */
export async function busy(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } finally {
    if (button) button.disabled = false;
  }
}
