// The mentor's chat tools, beside the chat on /mentor/:
// - handing the client to another mentor — now (a free mentor takes this same chat) or as a
//   follow-up booking with them — asked of the client first: nothing changes until they say
//   yes (POST /api/staff/consultations/{id}/handover-requests). The note is for staff only.
// - canned replies (定型文): a searchable list for the client's audience and the page's
//   language; choosing one only fills the text box (focus stays there) — never sent from here.
//   Opened with the button, Alt+/ in the text box, or "/" typed into an empty text box.

import { api } from "./api.js";
import { h, paintOptions, paintRows, resetInput, showError } from "./dom.js";
import { bindText, getLang, pick, plain, t } from "./i18n.js";
import { addDays, dayLabel, hhmm, when } from "./time.js";

const MAX_NOTE = 1000;
const tools = {
  socket: null,
  service: null,
  c: null, // the consultation open in the chat
  chat: null, // its ChatView
  request: null, // the latest handover request of that consultation
  replies: [],
  repliesSeq: 0,
  formSeq: 0,
  handover: null, // the panels (built once)
  canned: null,
  opener: { handover: null, canned: null },
};

/** Once, when the console is ready: the panels and the pushed request states. */
export function setupChatTools(socket, service, sideCol) {
  tools.socket = socket;
  tools.service = service;
  tools.handover = buildHandover();
  tools.canned = buildCanned();
  sideCol.prepend(tools.handover.status, tools.handover.root, tools.canned.root);
  socket.addEventListener("handover_request", (e) => {
    const frame = e.detail;
    if (tools.c && frame.consultation_id === tools.c.id) {
      tools.request = frame.request;
      paintRequest();
    }
  });
  document.addEventListener("langchange", () => {
    paintRequest();
    if (!tools.canned.root.hidden) paintReplies();
  });
}

/** The chat's two buttons for consultation c (put among the chat's actions). */
export function toolButtons(c) {
  const handover = h("button", {
    type: "button",
    class: "secondary handover-open",
    "aria-controls": "handover-panel",
    "aria-expanded": "false",
    "data-testid": "handover-open",
    onclick: () => toggle("handover"),
  });
  bindText(handover, "tools.handover.open");
  const canned = h("button", {
    type: "button",
    class: "secondary canned-open",
    "aria-controls": "canned-panel",
    "aria-expanded": "false",
    "aria-keyshortcuts": "Alt+/",
    "data-testid": "canned-open",
    onclick: () => toggle("canned"),
  });
  bindText(canned, "tools.canned.open");
  tools.opener = { handover, canned };
  tools.c = c;
  tools.request = null;
  return c.status === "open" ? [canned, handover] : [canned];
}

/** The chat is built: its text box gets the shortcut; the handover state is read. */
export function attachChat(chat, c) {
  tools.chat = chat;
  tools.c = c;
  hide("handover");
  hide("canned");
  resetInput(tools.handover.note);
  showError(tools.handover.error, null);
  paintRequest();
  chat.input.setAttribute("aria-keyshortcuts", "Alt+/");
  chat.input.addEventListener("keydown", (e) => {
    const slash = e.key === "/" || e.code === "Slash";
    if (slash && e.altKey) {
      e.preventDefault();
      openCanned();
    } else if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && chat.input.value === "") {
      e.preventDefault(); // "/" at the start of an empty box opens the list instead
      openCanned();
    }
  });
  if (c.status === "open") loadRequests(c);
}

export function closeChatTools() {
  tools.handover.status.hidden = true;
  hide("handover");
  hide("canned");
  tools.chat = null;
  tools.c = null;
  tools.request = null;
}

function panelOf(name) {
  return name === "handover" ? tools.handover.root : tools.canned.root;
}

function hide(name) {
  panelOf(name).hidden = true;
  tools.opener[name]?.setAttribute("aria-expanded", "false");
}

function toggle(name) {
  if (panelOf(name).hidden) open(name);
  else {
    hide(name);
    tools.opener[name]?.focus();
  }
}

function open(name) {
  panelOf(name).hidden = false;
  tools.opener[name]?.setAttribute("aria-expanded", "true");
  if (name === "handover") {
    paintHandoverForm();
    tools.handover.root.querySelector("input[name=ho-mode]:checked")?.focus();
  } else {
    loadReplies();
    tools.canned.search.focus();
    tools.canned.search.select();
  }
}

function openCanned() {
  if (!tools.chat) return;
  open("canned");
}

// --- handover ------------------------------------------------------------------------------

function field(id, key, control) {
  return h("div", { class: "field" }, bindText(h("label", { for: id }), key), control);
}

function buildHandover() {
  const modes = h("fieldset", { class: "ho-modes" }, bindText(h("legend"), "tools.handover.mode"));
  for (const mode of ["now", "booking"]) {
    const id = `ho-mode-${mode}`;
    const radio = h("input", { type: "radio", name: "ho-mode", id, value: mode });
    if (mode === "now") radio.checked = true;
    radio.addEventListener("change", paintHandoverForm);
    modes.append(h("div", { class: "radio" }, radio, bindText(h("label", { for: id }), `tools.handover.mode_${mode}`)));
  }
  const nowMentor = h("select", { id: "ho-now-mentor", "data-testid": "handover-now-mentor" });
  const nowNone = bindText(h("p", { class: "hint", hidden: true }), "tools.handover.none_free");
  const nowPart = h("div", { class: "ho-now" }, field("ho-now-mentor", "tools.handover.to", nowMentor), nowNone);
  const bookMentor = h("select", { id: "ho-book-mentor", "data-testid": "handover-book-mentor" });
  const day = h("select", { id: "ho-day" });
  const slot = h("select", { id: "ho-slot", "data-testid": "handover-slot" });
  const slotNone = bindText(h("p", { class: "hint", hidden: true }), "tools.handover.no_slots");
  bookMentor.addEventListener("change", paintSlots);
  day.addEventListener("change", paintSlots);
  const bookPart = h("div", { class: "ho-booking", hidden: true },
    field("ho-book-mentor", "tools.handover.to", bookMentor),
    field("ho-day", "tools.handover.day", day),
    field("ho-slot", "tools.handover.slot", slot),
    slotNone);
  const note = h("textarea", { id: "ho-note", rows: 4, maxlength: MAX_NOTE, "data-testid": "handover-note-input" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const send = bindText(h("button", { type: "submit", class: "primary", "data-testid": "handover-send" }), "tools.handover.send");
  const close = bindText(h("button", { type: "button", class: "secondary" }), "tools.close");
  close.addEventListener("click", () => {
    hide("handover");
    tools.opener.handover?.focus();
  });
  const form = h("form", { novalidate: true },
    modes, nowPart, bookPart,
    bindText(h("label", { for: "ho-note" }), "tools.handover.note"),
    bindText(h("p", { class: "hint", id: "ho-note-hint" }), "tools.handover.note_hint"),
    note, error,
    h("div", { class: "row-actions" }, send, close));
  note.setAttribute("aria-describedby", "ho-note-hint");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    sendRequest();
  });
  const root = h("section", { id: "handover-panel", class: "block handover-panel", "aria-labelledby": "handover-panel-h", "data-testid": "handover-panel", hidden: true },
    bindText(h("h3", { id: "handover-panel-h" }), "tools.handover.title"),
    bindText(h("p", { class: "hint" }), "tools.handover.lead"),
    form);
  // What became of the request: shown whether or not the panel is open.
  const status = h("p", { class: "block notice", role: "status", hidden: true, "data-testid": "handover-status" });
  return { root, form, nowMentor, nowNone, nowPart, bookMentor, day, slot, slotNone, bookPart, note, error, status, send };
}

function mode() {
  return tools.handover.root.querySelector("input[name=ho-mode]:checked")?.value || "now";
}

/** Who could take the chat now, or whom to book: read when the panel opens or the mode changes. */
async function paintHandoverForm() {
  const p = tools.handover;
  const c = tools.c;
  if (!c) return;
  const seq = ++tools.formSeq;
  const now = mode() === "now";
  p.nowPart.hidden = !now;
  p.bookPart.hidden = now;
  showError(p.error, null);
  try {
    if (now) {
      const data = await api.get(`/api/staff/consultations/${c.id}/alternatives`);
      if (seq !== tools.formSeq) return;
      paintOptions(p.nowMentor, data.mentors.map((m) => [m.id, `${m.display_name}（${pick(m.kind?.label) || m.kind?.id || ""}）`]));
      p.nowMentor.hidden = !data.mentors.length;
      p.nowNone.hidden = Boolean(data.mentors.length);
      return;
    }
    const data = await api.mentors(c.client.audience);
    if (seq !== tools.formSeq) return;
    const others = (data.mentors || []).filter((m) => m.id !== c.mentor_id);
    paintOptions(p.bookMentor, others.map((m) => [m.id, `${m.display_name}（${pick(m.kind?.label) || ""}）`]));
    const days = Array.from({ length: tools.service.horizon_days }, (_, i) => addDays(tools.service.today, i + 1));
    paintOptions(p.day, days.map((d) => [d, dayLabel(d)]));
    await paintSlots();
  } catch (err) {
    if (seq === tools.formSeq) showError(p.error, err);
  }
}

async function paintSlots() {
  const p = tools.handover;
  const mentorId = p.bookMentor.value;
  if (!mentorId || !p.day.value) {
    paintOptions(p.slot, []);
    return;
  }
  const seq = ++tools.formSeq;
  try {
    const data = await api.availability(mentorId, p.day.value);
    if (seq !== tools.formSeq) return;
    const free = data.slots.filter((s) => s.free);
    paintOptions(p.slot, free.map((s) => [s.start, `${hhmm(s.start)}〜${hhmm(s.end)}`]));
    p.slotNone.hidden = Boolean(free.length);
  } catch (err) {
    if (seq === tools.formSeq) showError(p.error, err);
  }
}

async function sendRequest() {
  const p = tools.handover;
  const c = tools.c;
  if (!c) return;
  showError(p.error, null);
  const now = mode() === "now";
  const mentorId = Number(now ? p.nowMentor.value : p.bookMentor.value);
  const note = p.note.value.trim();
  if (!mentorId || (!now && !p.slot.value)) {
    showError(p.error, plain(t(now ? "tools.handover.pick_mentor" : "tools.handover.pick_slot")));
    (now ? p.nowMentor : p.slot).focus();
    return;
  }
  if (!note) {
    showError(p.error, plain(t("tools.handover.need_note")));
    p.note.focus();
    return;
  }
  const body = { mentor_id: mentorId, mode: now ? "now" : "booking", note };
  if (!now) body.start = p.slot.value;
  p.send.disabled = true;
  try {
    tools.request = await api.post(`/api/staff/consultations/${c.id}/handover-requests`, body);
    resetInput(p.note);
    hide("handover");
    paintRequest();
    tools.opener.handover?.focus();
  } catch (err) {
    showError(p.error, err);
  } finally {
    p.send.disabled = false;
  }
}

async function loadRequests(c) {
  try {
    const data = await api.get(`/api/staff/consultations/${c.id}/handover-requests`);
    if (tools.c?.id !== c.id) return;
    tools.request = data.requests[0] || null;
    paintRequest();
  } catch {
    /* the panel still works; the state arrives with the next frame */
  }
}

/** What became of the latest request: waiting for the client, yes, no, or over. */
function paintRequest() {
  const p = tools.handover;
  if (!p) return;
  const r = tools.request;
  const pending = r && (r.state === "pending" || r.state === "booking");
  p.form.hidden = Boolean(pending);
  if (!r) {
    p.status.hidden = true;
    return;
  }
  const vars = { name: r.mentor.display_name, when: r.starts_at ? when(r.starts_at) : "" };
  const key = `tools.handover.state_${r.state === "booking" ? "pending" : r.state}${r.mode === "booking" ? "_booking" : ""}`;
  bindText(p.status, key, vars);
  p.status.dataset.state = r.state;
  p.status.hidden = false;
  if (tools.opener.handover) tools.opener.handover.disabled = Boolean(pending);
}

// --- canned replies --------------------------------------------------------------------------

function buildCanned() {
  const search = h("input", { id: "canned-q", type: "search", maxlength: 100, autocomplete: "off", "data-testid": "canned-search" });
  const list = h("ul", { class: "share-list canned-list", "aria-labelledby": "canned-h", "data-testid": "canned-list" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const forWhom = h("p", { class: "hint" });
  const close = bindText(h("button", { type: "button", class: "secondary" }), "tools.close");
  const root = h("section", { id: "canned-panel", class: "block share-panel canned-panel", "aria-labelledby": "canned-h", "data-testid": "canned-panel", hidden: true },
    bindText(h("h3", { id: "canned-h" }), "tools.canned.title"),
    forWhom,
    bindText(h("p", { class: "hint" }), "tools.canned.lead"),
    bindText(h("label", { for: "canned-q" }), "tools.canned.search"),
    search, error, list, close);
  search.addEventListener("input", paintReplies);
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      const first = matching()[0];
      if (first) insert(first);
    } else if (e.key === "Escape") {
      e.preventDefault();
      backToComposer();
    }
  });
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      backToComposer();
    }
  });
  close.addEventListener("click", () => backToComposer());
  return { root, search, list, error, forWhom };
}

function backToComposer() {
  hide("canned");
  tools.chat?.input.focus();
}

/** The replies for this client's audience (and "both") in the page's language. */
async function loadReplies() {
  const c = tools.c;
  if (!c) return;
  const seq = ++tools.repliesSeq;
  const audience = c.client.audience === "parent" ? "parent" : "child";
  bindText(tools.canned.forWhom, `tools.canned.for_${audience}`);
  const params = new URLSearchParams({ audience, language: getLang() });
  try {
    const data = await api.get(`/api/staff/canned-replies?${params}`);
    if (seq !== tools.repliesSeq) return;
    tools.replies = data.replies;
    showError(tools.canned.error, null);
    paintReplies();
  } catch (err) {
    if (seq === tools.repliesSeq) showError(tools.canned.error, err);
  }
}

function matching() {
  const q = tools.canned.search.value.trim().toLowerCase();
  if (!q) return tools.replies;
  return tools.replies.filter((r) => `${r.title} ${r.text} ${plain(t(`canned.cat.${r.category}`))}`.toLowerCase().includes(q));
}

function paintReplies() {
  paintRows(tools.canned.list, matching(), {
    key: (r) => r.id,
    render: replyItem,
    empty: () => bindText(h("li", { class: "empty" }), "tools.canned.none"),
  });
}

function replyItem(r) {
  const use = bindText(h("button", { type: "button", class: "primary" }), "tools.canned.insert");
  use.setAttribute("aria-label", `${plain(t("tools.canned.insert"))}: ${r.title}`);
  use.addEventListener("click", () => insert(r));
  return h("li", { class: "share-item canned-item", "data-reply": r.id },
    h("p", { class: "share-name" }, bindText(h("span", { class: "tag" }), `canned.cat.${r.category}`), " ", h("strong", {}, r.title)),
    h("p", { class: "hint canned-text" }, r.text),
    use);
}

/** Into the text box at the caret (replacing a selection); never sent: the mentor edits it. */
function insert(reply) {
  const input = tools.chat?.input;
  if (!input || input.disabled) return;
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  input.value = input.value.slice(0, start) + reply.text + input.value.slice(end);
  const caret = start + reply.text.length;
  hide("canned");
  input.focus();
  input.setSelectionRange(caret, caret);
  input.dispatchEvent(new Event("input", { bubbles: true })); // typing state, like a keystroke
}
