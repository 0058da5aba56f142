// The waiting line (順番待ち) on the client faces: after "chat now" is refused because every
// line is busy (no_free_line) or the mentor is talking with someone (mentor_busy), the client
// may wait for that mentor, for anyone of that kind, or for anyone who can talk with them
// (POST /api/queue). While waiting, the home view shows the place (position, estimate, what
// is awaited), a first-message box (saved with PATCH, never rebuilt by a repaint), and
// "leave" with a confirmation; `queue` events on the page's socket keep it live, and the
// home refresh reads GET /api/queue as the fallback. An offer is a consultation opened for
// the client: the chat opens by itself (onOffered).

import { api } from "./api.js";
import { $, busy, h, paintRows, rowError, setRowError, showError, twoStep } from "./dom.js";
import { bindText, plain, t } from "./i18n.js";
import { when } from "./time.js";

const WAITABLE = new Set(["no_free_line", "mentor_busy"]); // what the line is for
const ACTIVE = new Set(["waiting", "offered"]);
const ENDED = new Set(["expired", "closed", "left"]); // told in words until dismissed
const SAVE_AFTER_MS = 600;
const RETRY_SAVE_MS = 3000;
const FINAL_SAVE = new Set(["not_waiting", "message_too_long", "invalid_input", "not_signed_in", "not_allowed"]);

const ui = {
  hooks: null, // {getSocket, kindLabel, onChange, onJoined, onOffered}
  place: null, // the last place shown (active, or an ended one still being told)
  refused: new Set(), // mentor ids whose chat-now was just refused for a full house / busy
  choosing: null, // mentor id whose "who to wait for" choice is open
  version: 0, // bumped by every event and own change: a GET answer older than one is not painted
  loadedFor: null, // the place whose stored first message is in the box
  dirty: false, // the box holds words not yet saved
  saving: false,
  timer: null,
  offered: new Set(), // consultations already opened from an offer (each opens once)
};

/**
 * hooks: getSocket() -> the page's ChatSocket (created if needed); kindLabel(id) -> words;
 * onChange() repaints the mentor cards and the mentor view; onJoined() after taking a place;
 * onOffered(consultationId, draft) opens the offered chat.
 */
export function setupQueue(hooks) {
  ui.hooks = hooks;
  const box = $("#queue-message");
  box.addEventListener("input", () => {
    ui.dirty = true;
    paintSaved();
    clearTimeout(ui.timer);
    ui.timer = setTimeout(saveMessage, SAVE_AFTER_MS);
  });
  box.addEventListener("blur", () => {
    if (ui.dirty) {
      clearTimeout(ui.timer);
      saveMessage();
    }
  });
  $("#queue-dismiss").addEventListener("click", () => {
    ui.place = null;
    paintPanel();
  });
  document.addEventListener("langchange", () => paintPanel());
}

/** Forget everything (signed out). */
export function resetQueue() {
  clearTimeout(ui.timer);
  Object.assign(ui, { place: null, choosing: null, loadedFor: null, dirty: false, saving: false });
  ui.refused.clear();
  $("#queue-message").value = "";
  paintPanel();
}

/** Whether the client has a place now (waiting, or a line offered). */
export function queueActive() {
  return Boolean(ui.place && ACTIVE.has(ui.place.state));
}

/** Chat-now was refused for this mentor: offer the line if the refusal is what it is for. */
export function noteRefusal(mentor, err) {
  if (!WAITABLE.has(err?.code)) return;
  ui.refused.add(mentor.id);
  ui.hooks.onChange();
}

function offerable(m) {
  if (queueActive()) return false;
  return ui.refused.has(m.id) || (!m.chat_now?.possible && WAITABLE.has(m.chat_now?.reason));
}

/** What a mentor card's row is drawn from, besides the mentor (for paintRows' sig). */
export function queueSig(m) {
  return [offerable(m), ui.choosing === m.id];
}

/** The "wait in line" offer for a mentor card, or null when there is none. */
export function waitOffer(m) {
  if (!offerable(m)) return null;
  const id = `queue:${m.id}`;
  const error = rowError(id);
  const open = ui.choosing === m.id;
  const toggle = bindText(h("button", {
    type: "button",
    class: "secondary wait-toggle",
    "aria-expanded": String(open),
    onclick: () => {
      ui.choosing = open ? null : m.id;
      setRowError(id, error, null);
      ui.hooks.onChange();
      if (!open) focusChoice(m.id);
    },
  }), "queue.offer");
  toggle.setAttribute("aria-label", `${plain(t("queue.offer"))}: ${m.display_name}`);
  const choice = (what, key, vars, body) => bindText(h("button", {
    type: "button",
    class: "primary",
    "data-wait": what,
    onclick: (e) => join(m, body, e.currentTarget, error),
  }), key, vars);
  const chooser = open
    ? h("div", { class: "wait-choose", role: "group", "aria-labelledby": `wait-q-${m.id}` },
      bindText(h("p", { id: `wait-q-${m.id}`, class: "wait-q" }), "queue.choose"),
      choice("mentor", "queue.for_mentor", { name: m.display_name }, { mentor_id: m.id }),
      choice("kind", "queue.for_kind", { kind: ui.hooks.kindLabel(m.kind.id) }, { kind: m.kind.id }),
      choice("anyone", "queue.for_anyone", null, {}),
      bindText(h("p", { class: "hint" }), "queue.choose_hint"))
    : null;
  return h("div", { class: "wait-offer", "data-wait-for": m.id, "data-testid": "wait-offer" }, toggle, chooser, error);
}

/** Paint the offer into a host of its own (the mentor view), patched in place. */
export function paintWaitOffer(host, m) {
  paintRows(host, m && offerable(m) ? [m] : [], {
    key: (x) => x.id,
    sig: (x) => [x.id, x.display_name, x.kind.id, queueSig(x)],
    render: waitOffer,
  });
}

function focusChoice(mentorId) {
  requestAnimationFrame(() => {
    for (const el of document.querySelectorAll(`[data-wait-for="${mentorId}"] [data-wait="mentor"]`)) {
      if (el.offsetParent !== null) {
        el.focus();
        return;
      }
    }
  });
}

async function join(m, body, button, error) {
  const id = `queue:${m.id}`;
  setRowError(id, error, null);
  try {
    const { queue } = await busy(button, () => api.post("/api/queue", body));
    ui.version += 1;
    ui.choosing = null;
    ui.refused.clear();
    $("#queue-message").value = "";
    ui.dirty = false;
    ui.loadedFor = queue.id;
    showPlace(queue);
    ui.hooks.onJoined();
    const heading = $("#queue-h"); // its scroll margin keeps it clear of the sticky bar
    heading.scrollIntoView({ block: "start" });
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  } catch (err) {
    setRowError(id, error, err);
    if (err.code === "already_waiting") await refreshQueue();
  }
}

// --- the place --------------------------------------------------------------------------

/** Read the own place (GET /api/queue); returns a function that paints it, or null. */
export async function readQueue() {
  const seen = ui.version;
  let place;
  try {
    place = (await api.get("/api/queue")).queue;
  } catch {
    return null; // the socket and the next refresh tell it
  }
  return () => {
    if (ui.version !== seen) return; // changed meanwhile: what we know is newer than this answer
    if (place) {
      if (ui.loadedFor !== place.id && !ui.dirty) {
        $("#queue-message").value = place.message || "";
        ui.loadedFor = place.id;
      }
      showPlace(place);
    } else if (queueActive()) {
      // Ended while this page was not told (no socket for a while): nothing left to show.
      ui.place = null;
      paintPanel();
      ui.hooks.onChange();
    }
  };
}

export async function refreshQueue() {
  const paint = await readQueue();
  if (paint) paint();
}

/** A `queue` event from the socket. */
export function queueFrame(frame) {
  ui.version += 1;
  if (ui.place && ui.place.id !== frame.id && !ACTIVE.has(frame.state)) return; // an old place
  showPlace(frame);
}

/** A consultation was opened for a client who waits: the offer (the chat opens by itself). */
export function offerOpened(consultationId) {
  if (!queueActive() || ui.offered.has(consultationId)) return;
  ui.offered.add(consultationId);
  ui.hooks.onOffered(consultationId, ui.dirty ? $("#queue-message").value : "");
}

function showPlace(place) {
  const wasActive = queueActive();
  ui.place = place.state === "served" ? null : place;
  if (place.state === "offered" && place.consultation_id) offerOpened(place.consultation_id);
  if (ACTIVE.has(place.state)) ui.hooks.getSocket();
  if (!ACTIVE.has(place.state)) {
    clearTimeout(ui.timer);
    ui.dirty = false;
    $("#queue-message").value = "";
    ui.loadedFor = null;
  }
  paintPanel();
  if (wasActive !== queueActive()) ui.hooks.onChange();
}

function waitingFor(place) {
  const w = place.waiting_for || {};
  if (w.mentor_id) return ["queue.for_who_mentor", { name: w.mentor_name || "" }];
  if (w.kind) return ["queue.for_who_kind", { kind: ui.hooks.kindLabel(w.kind) }];
  return ["queue.for_who_anyone", null];
}

function paintPanel() {
  const block = $("#queue-block");
  const place = ui.place;
  block.hidden = !place;
  if (!place) return;
  block.dataset.state = place.state;
  const waiting = place.state === "waiting";
  $("#queue-wait").hidden = !waiting;
  const end = $("#queue-end");
  end.hidden = waiting;
  $("#queue-dismiss").hidden = !ENDED.has(place.state);
  if (!waiting) {
    if (place.state === "closed") bindText(end, "queue.closed", { when: place.next_open ? when(place.next_open) : "" });
    else bindText(end, `queue.${place.state}`);
    paintRows($("#queue-leave"), [], { key: (x) => x, render: () => h("span") });
    return;
  }
  bindText($("#queue-position"), "queue.position", { n: place.position ?? "" });
  const minutes = place.estimated_wait_minutes;
  if (minutes === null || minutes === undefined) bindText($("#queue-estimate"), "queue.estimate_none");
  else if (minutes <= 1) bindText($("#queue-estimate"), "queue.estimate_soon");
  else bindText($("#queue-estimate"), "queue.estimate", { n: minutes });
  const [key, vars] = waitingFor(place);
  bindText($("#queue-for"), key, vars);
  paintSaved();
  paintRows($("#queue-leave"), [place.id], {
    key: (x) => x,
    render: (placeId) => h("div", { class: "row-actions" }, ...twoStep(`queue-leave:${placeId}`, {
      ask: "queue.leave",
      yes: "queue.leave_yes",
      no: "queue.leave_no",
      onYes: leave,
      onError: (err) => showError($("#queue-error"), err),
    })),
  });
}

async function leave() {
  showError($("#queue-error"), null);
  clearTimeout(ui.timer);
  try {
    const { queue } = await api.del("/api/queue");
    ui.version += 1;
    showPlace(queue);
  } catch (err) {
    if (err.code === "not_waiting") {
      await refreshQueue(); // offered (or ended) meanwhile: show what is true now
      return;
    }
    throw err;
  }
}

// --- the first message ----------------------------------------------------------------------

function paintSaved() {
  const line = $("#queue-saved");
  const text = $("#queue-message").value.trim();
  let key = null;
  if (ui.saving) key = "queue.msg_saving";
  else if (ui.dirty) key = "queue.msg_unsaved";
  else if (text) key = "queue.msg_saved";
  line.hidden = !key;
  line.dataset.state = ui.saving ? "saving" : ui.dirty ? "unsaved" : text ? "saved" : "empty";
  if (key) bindText(line, key);
}

async function saveMessage() {
  if (!ui.dirty || ui.saving || ui.place?.state !== "waiting") return;
  const box = $("#queue-message");
  const text = box.value;
  let retry = false;
  ui.saving = true;
  paintSaved();
  showError($("#queue-msg-error"), null);
  try {
    await api.patch("/api/queue", { message: text });
    if (box.value === text) ui.dirty = false;
  } catch (err) {
    // not_waiting: a line was offered meanwhile; the words go to the chat (onOffered).
    if (err.code !== "not_waiting") showError($("#queue-msg-error"), err);
    // A refusal of the words themselves waits for new ones; anything else is tried again.
    if (!FINAL_SAVE.has(err.code)) retry = true;
  } finally {
    ui.saving = false;
    paintSaved();
  }
  if (ui.dirty && (retry || box.value !== text)) {
    clearTimeout(ui.timer);
    ui.timer = setTimeout(saveMessage, retry ? RETRY_SAVE_MS : SAVE_AFTER_MS);
  }
}
