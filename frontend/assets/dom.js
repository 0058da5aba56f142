// Tiny DOM helpers: build elements without innerHTML, switch views, show errors in words.

import { ApiError, face } from "./api.js";
import { bindText, getLang, pick, plain, renderRich, t } from "./i18n.js";

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

/** The words of an error as written, with any ruby markup {漢字|かな}: the API's own message
 * (in the child's words on the child face), or a kind fallback. */
export function errorRich(err) {
  if (err instanceof ApiError) return pick(err.messages);
  return t("error.generic");
}

/** The plain words of an error, for a text node or an attribute: never braces. */
export function errorText(err) {
  return plain(errorRich(err));
}

/** Put a text with ruby markup into an element: furigana on the child face, where every
 * kanji carries it; plain text on the grown-ups' faces, which never show braces. */
export function showRich(el, text) {
  if (face() === "child") renderRich(el, text);
  else el.textContent = plain(text);
  return el;
}

/** Put an error (or nothing) into a role=alert box. */
export function showError(box, err) {
  if (!box) return;
  if (!err) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  showRich(box, typeof err === "string" ? err : errorRich(err));
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

// --- repaint without undoing what a person is doing --------------------------------------
//
// Lists are painted from data again and again (timers, socket events, language switches,
// reconnects). paintRows() patches them in place: rows are keyed by id, a row whose inputs
// did not change is left alone (its open confirmation, its error, its focus, the list's
// scroll), a row whose inputs changed is rebuilt and the control that had focus gets it
// back. What must survive even a rebuild (an open two-step confirmation, a refusal still
// being read) lives outside the DOM, keyed by the row: twoStep() and rowError().

const FOCUSABLE = "button, input, select, textarea, a[href], summary, [tabindex]";
const EMPTY_KEY = "∅";
let epoch = 0;

// A press in progress: from pointerdown until the click that follows (or the press ends without
// one). A row or container holding the pressed element is not replaced until then, or the
// button under the finger would vanish between down and up and the click be lost (a repaint
// lands inside a child's 100 ms tap far more often than inside a test's click). What was
// painted meanwhile is applied right after the click has run.
let pressed = null;
let releaseTimer = null;
const deferred = new Map(); // the element being replaced -> replace() with its latest content

function holdsPress(el) {
  return pressed !== null && pressed.isConnected && el.contains(pressed);
}

function releasePress(afterMs) {
  clearTimeout(releaseTimer);
  releaseTimer = setTimeout(() => {
    pressed = null;
    const jobs = [...deferred.values()];
    deferred.clear();
    for (const replace of jobs) replace();
  }, afterMs);
}

if (typeof document !== "undefined") {
  document.addEventListener("pointerdown", (e) => {
    clearTimeout(releaseTimer);
    pressed = e.target instanceof Node ? e.target : null;
  }, true);
  // The click comes right after pointerup; the fallback ends a press that makes no click.
  document.addEventListener("pointerup", () => releasePress(500), true);
  document.addEventListener("click", () => releasePress(0), true);
  document.addEventListener("pointercancel", () => releasePress(0), true);
}

/**
 * A forced repaint (the test-only YORISOI_UI_REPAINT_MS): from now on every row counts as
 * changed once, so each is rebuilt and what it carries is exercised, not just kept.
 * document.body.dataset.repaints counts them, for tests to wait on.
 */
export function forceRepaint() {
  epoch += 1;
  document.body.dataset.repaints = String(epoch);
}

/**
 * paintRows(container, items, {key, render, sig, empty}): key(item) -> id, render(item) -> element,
 * sig(item) -> what the row is drawn from besides the language (default: the item itself),
 * empty() -> the element shown when there are no items.
 */
export function paintRows(container, items, { key, render, sig = (item) => item, empty = null }) {
  const old = new Map();
  for (const el of container.children) old.set(el.dataset.key, el);
  const wanted = items.map((item) => [String(key(item)), item]);
  if (!wanted.length && empty) wanted.push([EMPTY_KEY, null]);
  const active = document.activeElement;
  const kept = new Set();
  let prev = null;
  for (const [k, item] of wanted) {
    const signature = JSON.stringify([getLang(), epoch, item === null ? null : sig(item)]);
    let el = old.get(k);
    if (!el || el.dataset.sig !== signature) {
      const fresh = item === null ? empty() : render(item);
      fresh.dataset.key = k;
      fresh.dataset.sig = signature;
      if (el && holdsPress(el)) {
        const held = el;
        deferred.set(held, () => {
          if (held.parentNode === container) replaceKeeping(held, fresh);
        });
      } else {
        if (el) replaceKeeping(el, fresh, active);
        el = fresh;
      }
    }
    kept.add(el);
    const at = prev ? prev.nextSibling : container.firstChild;
    if (at !== el) container.insertBefore(el, at);
    prev = el;
  }
  for (const el of [...container.children]) if (!kept.has(el)) el.remove();
}

function replaceKeeping(el, fresh, active = document.activeElement) {
  const restore = carryState(el, active);
  el.replaceWith(fresh);
  restore(fresh);
}

/**
 * What a person has open or in hand inside el (the focused control, open disclosures,
 * scroll positions), to give back to the element that replaces it: restore(fresh).
 */
function carryState(el, active = document.activeElement) {
  const focusAt = el.contains(active) ? [...el.querySelectorAll(FOCUSABLE)].indexOf(active) : -1;
  const open = [...el.querySelectorAll("details")].map((d) => d.open);
  const scrolled = [el, ...el.querySelectorAll("*")].filter((x) => x.scrollTop > 0).length > 0;
  const scrolls = scrolled ? [el, ...el.querySelectorAll("*")].map((x) => x.scrollTop) : null;
  return (fresh) => {
    fresh.querySelectorAll("details").forEach((d, i) => {
      if (i < open.length) d.open = open[i];
    });
    if (scrolls) [fresh, ...fresh.querySelectorAll("*")].forEach((x, i) => {
      if (scrolls[i]) x.scrollTop = scrolls[i];
    });
    if (focusAt >= 0) fresh.querySelectorAll(FOCUSABLE)[focusAt]?.focus({ preventScroll: true });
  };
}

/** Rebuild everything inside container with build(), keeping what carryState keeps. */
export function rebuild(container, build) {
  if (holdsPress(container)) {
    deferred.set(container, () => rebuild(container, build));
    return;
  }
  const restore = carryState(container);
  container.textContent = "";
  build(container);
  restore(container);
}

/** Replace a <select>'s options only when they changed (an open menu stays open). */
export function paintOptions(select, options) {
  const signature = JSON.stringify([getLang(), epoch, options]);
  if (select.dataset.sig === signature) return;
  const current = select.value;
  select.textContent = "";
  for (const [value, label, attrs = {}] of options) select.append(h("option", { value, ...attrs }, label));
  if (options.some(([value]) => String(value) === current)) select.value = current;
  select.dataset.sig = signature;
}

const openSteps = new Set();
const busySteps = new Set(); // confirmed, request on its way: no second tap on any copy

/** Show every copy of a two-step confirmation (an old row may still be awaiting a request). */
function syncStep(id, focus) {
  const asking = openSteps.has(id);
  for (const b of document.querySelectorAll(`[data-step-id="${CSS.escape(id)}"]`)) {
    b.hidden = b.dataset.step === "ask" ? asking : !asking;
    b.disabled = busySteps.has(id);
  }
  if (focus) document.querySelector(`[data-step-id="${CSS.escape(id)}"][data-step="${asking ? "yes" : "ask"}"]`)?.focus();
}

/**
 * A two-step confirmation ("cancel" -> "really cancel" / "keep"), whose open state
 * survives any repaint of its row. id names the thing being confirmed (e.g. "cancel:12").
 * onYes() runs with the confirm button busy; when it throws, the step closes and the
 * error goes to onError.
 */
export function twoStep(id, { ask, yes, no, label = null, askClass = "secondary", onYes, onError = null }) {
  const button = (step, cls, key) => bindText(h("button", { type: "button", class: cls, "data-step": step, "data-step-id": id }), key);
  const askButton = button("ask", askClass, ask);
  const sure = button("yes", "danger", yes);
  const keep = button("no", "secondary", no);
  if (label) askButton.setAttribute("aria-label", label);
  const set = (asking) => {
    if (asking) openSteps.add(id);
    else openSteps.delete(id);
    syncStep(id, true);
  };
  askButton.addEventListener("click", () => set(true));
  keep.addEventListener("click", () => set(false));
  sure.addEventListener("click", async () => {
    busySteps.add(id);
    syncStep(id, false);
    try {
      await onYes();
      openSteps.delete(id);
    } catch (err) {
      openSteps.delete(id);
      if (onError) onError(err);
    } finally {
      busySteps.delete(id);
      syncStep(id, !openSteps.has(id) && document.activeElement === document.body);
    }
  });
  const asking = openSteps.has(id);
  askButton.hidden = asking;
  sure.hidden = !asking;
  keep.hidden = !asking;
  for (const b of [askButton, sure, keep]) b.disabled = busySteps.has(id);
  return [askButton, sure, keep];
}

const rowErrors = new Map();
const ROW_ERROR_MS = 60000; // a minute later, a refusal no longer describes the present

/** The error box of a row: it shows the row's last refusal again after a rebuild. */
export function rowError(id) {
  const box = h("p", { class: "error", role: "alert", hidden: true, "data-row-error": id });
  const last = rowErrors.get(id);
  if (last && Date.now() - last.at < ROW_ERROR_MS) showError(box, last.err);
  else rowErrors.delete(id);
  return box;
}

/** A row's remembered refusal (still fresh), or null: for what the row draws beside it. */
export function rowErrorOf(id) {
  const last = rowErrors.get(id);
  return last && Date.now() - last.at < ROW_ERROR_MS ? last.err : null;
}

/** Show (or clear, with null) a row's refusal in its box and remember it for rebuilds. */
export function setRowError(id, box, err) {
  if (err) rowErrors.set(id, { err, at: Date.now() });
  else rowErrors.delete(id);
  showError(box, err);
  // The row may have been rebuilt while the request was on its way: tell the live copy too.
  for (const live of document.querySelectorAll(`[data-row-error="${CSS.escape(id)}"]`)) showError(live, err);
}

/**
 * Give an input a value from the server unless the person typed in it since the page last
 * filled it (a slow answer must not overwrite what they are writing). False when kept.
 */
export function fillUntouched(input, value) {
  const filled = input.dataset.filled ?? input.defaultValue;
  if (input.value !== filled) return false;
  // Assigning even the same value moves the caret to the end and drops a selection: a
  // person who just selected "4" to type "1" over it would get "41". Touch only on change.
  if (input.value !== value) input.value = value;
  input.dataset.filled = value;
  return true;
}

/** The page sets this input itself from now on (e.g. another consultation was opened). */
export function resetInput(input, value = "") {
  input.value = value;
  input.dataset.filled = value;
}
