// /mentor/: today's and upcoming consultations (live), the chat with the client's earlier
// consultations and my private notes beside it, end, and "call headquarters". Everything to
// act on is pushed: a badge per row, a count in the page title, an optional soft chime and a
// desktop notification (section "pushed to the console" below).

import { api } from "./api.js";
import { ChatView } from "./chatview.js";
import { $, busy, errorText, fillUntouched, h, paintOptions, paintRows, resetInput, showError } from "./dom.js";
import { applyTexts, bindText, pick, plain, t } from "./i18n.js";
import { categoryName } from "./helpentry.js";
import { registerWorker } from "./installable.js";
import { addDays, clockNow, dayLabel, hhmm, minutesSince, when } from "./time.js";
import { startRepaints } from "./repaint.js";
import { refreshRest, setupRestBanner } from "./rest.js";
import { attachChat, closeChatTools, setupChatTools, toolButtons } from "./mentortools.js";
import { POLL_SECONDS, awayMinutes, startStaffFace, stateOf } from "./staff.js";
import { escalateButton, recordsClosed, recordsOpened, refreshRecords, startRecords } from "./mentorrecord.js";

const UPCOMING_DAYS = 7;
const st = { socket: null, service: null, today: [], chat: null, current: null, consultation: null, savedNote: "", risks: [] };

registerWorker();
startStaffFace({
  role: "mentor",
  onReady: async (account, socket, service) => {
    st.socket = socket;
    st.service = service;
    socket.addEventListener("consultation", (e) => {
      onPushedConsultation(e.detail);
      refresh();
    });
    socket.addEventListener("activity", (e) => onActivity(e.detail));
    socket.addEventListener("presence", (e) => {
      if (e.detail.role === "client") refresh(); // arrived or left: the row's state changes
    });
    socket.addEventListener("joined", () => refresh()); // opened here: now "in progress"
    socket.addEventListener("at_risk", () => refresh());
    socket.addEventListener("alert_acknowledged", () => refresh()); // the crisis banner follows
    wirePush();
    setupRestBanner(socket); // well-being: "resting until 16:45"
    socket.addEventListener("state", (e) => {
      if (e.detail.state === "open") refresh();
    });
    $("#refresh").addEventListener("click", (e) => busy(e.currentTarget, refresh));
    $("#note-save").addEventListener("click", (e) => busy(e.currentTarget, saveNote));
    $("#note-text").addEventListener("input", () => {
      if ($("#note-text").value !== st.savedNote) bindText($("#note-status"), "mentor.note_unsaved");
    });
    document.addEventListener("langchange", () => {
      paintLists();
      if (!$("#share-panel").hidden) loadShare({ quiet: true });
    });
    wireShare();
    setupChatTools(socket, service, $(".side-col")); // handover with the client's yes, canned replies
    startRecords(socket);
    startRepaints(service, refresh, POLL_SECONDS * 1000);
    await refresh();
  },
});

let upcoming = [];
let refreshSeq = 0;

async function refresh() {
  const seq = ++refreshSeq;
  try {
    const today = st.service.today;
    const days = [today, ...Array.from({ length: UPCOMING_DAYS }, (_, i) => addDays(today, i + 1))];
    const results = await Promise.all(days.map((d) => api.staffConsultations(d)));
    if (seq !== refreshSeq) return; // a newer refresh is on its way: don't paint older news
    st.today = results[0].consultations;
    upcoming = results.slice(1).flatMap((r) => r.consultations).filter((c) => c.status === "booked");
    paintLists();
    refreshRest();
    const current = st.today.find((c) => c.id === st.current);
    if (current) paintRisk(current);
    announcePending();
    refreshRecords();
    showError($("#page-error"), null);
  } catch (err) {
    if (err.status === 401) location.reload();
    showError($("#page-error"), err);
  }
}

function statusBadge(c) {
  const s = stateOf(c);
  return bindText(h("span", { class: `badge st-${s}`, "data-testid": "state" }), `status.${s}`);
}

function item(c, { showDay = false } = {}) {
  const open = h("button", { type: "button", class: "primary", onclick: () => openConsultation(c) });
  bindText(open, "mentor.open");
  open.setAttribute("aria-label", `${plain(t("mentor.open"))}: ${c.client.nickname} ${hhmm(c.starts_at)}`);
  return h(
    "li",
    { class: `citem st-${stateOf(c)}${st.current === c.id ? " current" : ""}`, "data-consultation": c.id },
    h("p", { class: "when" }, showDay ? when(c.starts_at) : `${hhmm(c.starts_at)}〜${hhmm(c.ends_at)}`),
    h("p", { class: "who" }, c.client.nickname, " ", bindText(h("span", { class: "tag" }), `audience.${c.client.audience}`), " ", bindText(h("span", { class: "tag" }), `mode.${c.mode}`), c.channel === "line" ? [" ", bindText(h("span", { class: "tag line-tag", "data-testid": "line" }), "mentor.line")] : null),
    statusBadge(c),
    waitedLine(c),
    awayLine(c),
    c.at_risk ? bindText(h("span", { class: "badge risk-badge", "data-testid": "risk" }), "mentor.at_risk") : null,
    pushBadges(c.id),
    c.status !== "cancelled" && (["booked", "waiting", "in_progress"].includes(stateOf(c)) || st.current !== c.id) ? open : null,
  );
}

function paintLists() {
  const order = { in_progress: 0, waiting: 1, booked: 2 };
  // A cancelled booking is folded away: the same slot booked again must not look twice.
  const today = st.today
    .filter((c) => c.status !== "cancelled")
    .sort((a, b) => (order[stateOf(a)] ?? 3) - (order[stateOf(b)] ?? 3) || a.starts_at.localeCompare(b.starts_at));
  const cancelled = st.today.filter((c) => c.status === "cancelled");
  const sig = (c) => [c, st.current === c.id, push.badges.get(c.id) || null, waitedMinutes(c), awayMinutes(c)];
  paintTitle();
  paintRows($("#today-list"), today, {
    key: (c) => c.id,
    sig,
    render: (c) => item(c),
    empty: () => bindText(h("li", { class: "empty" }), "mentor.none_today"),
  });
  $("#cancelled-fold").hidden = !cancelled.length;
  bindText($("#cancelled-summary"), "mentor.cancelled_fold", { n: cancelled.length });
  paintRows($("#cancelled-list"), cancelled, { key: (c) => c.id, sig, render: (c) => item(c) });
  paintRows($("#upcoming-list"), upcoming, {
    key: (c) => c.id,
    sig,
    render: (c) => item(c, { showDay: true }),
    empty: () => bindText(h("li", { class: "empty" }), "mentor.none_upcoming"),
  });
}

/**
 * The chat's crisis banner stays while headquarters has not acknowledged the consultation's
 * crisis alerts (open_risks, also after a reload); once they have, it says so.
 */
function paintRisk(c) {
  if (!st.chat || st.current !== c.id) return;
  const open = c.open_risks || [];
  for (const category of open) if (!st.risks.includes(category)) st.risks.push(category);
  if (open.length) st.chat.onAtRisk({ categories: open });
  else if (st.risks.length) st.chat.onAtRisk({ categories: st.risks, acknowledged: true });
}

function closeWorkspace() {
  $("#share-panel").hidden = true;
  closeChatTools();
  st.chat?.stop();
  st.chat = null;
  st.current = null;
  $("#workspace").hidden = true;
  $("#pick-hint").hidden = false;
  recordsClosed();
  paintLists();
}

function openConsultation(c) {
  st.chat?.stop();
  st.consultation = c;
  push.badges.delete(c.id); // seen: the chat itself shows what is new
  $("#share-panel").hidden = true;
  st.current = c.id;
  $("#pick-hint").hidden = true;
  $("#workspace").hidden = false;
  const called = h("p", { class: "notice", role: "status", hidden: true });
  const call = h("button", {
    type: "button",
    class: "secondary call",
    onclick: () => {
      if (st.socket.callSupervisor(c.id)) {
        bindText(called, "mentor.called");
        called.hidden = false;
      }
    },
  });
  bindText(call, "mentor.call");
  const shareButton = h("button", {
    type: "button",
    class: "secondary share-open",
    "aria-controls": "share-panel",
    "aria-expanded": "false",
    onclick: () => toggleShare(shareButton),
  });
  bindText(shareButton, "share.open");
  const audience = plain(t(`audience.${c.client.audience}`));
  st.chat = new ChatView({
    socket: st.socket,
    id: c.id,
    role: "mentor",
    title: { key: "mentor.with", vars: { name: c.client.nickname, audience } },
    onLeave: closeWorkspace,
    extraActions: [...toolButtons(c), shareButton, call, escalateButton(), called],
  });
  $("#chat-host").append(st.chat.root);
  if (c.channel === "line") {
    const chat = st.chat;
    api.lineUndelivered(c.id).then((r) => chat.markUndelivered(r.seqs), () => {});
  }
  applyTexts(st.chat.root);
  st.chat.start();
  attachChat(st.chat, c);
  st.risks = [];
  paintRisk(c);
  const back = st.chat.root.querySelector(".chat-actions button:last-child");
  if (back) bindText(back, "mentor.close_chat");
  paintLists();
  loadSide(c);
  recordsOpened(c, st.chat);
  st.chat.heading.tabIndex = -1;
  st.chat.heading.focus();
}

async function loadSide(c) {
  paintHandover(c);
  const note = $("#note-text");
  resetInput(note);
  st.savedNote = "";
  $("#note-status").textContent = "";
  showError($("#note-error"), null);
  const history = $("#history-list");
  history.textContent = "";
  try {
    const data = await api.note(c.id);
    const text = data?.note?.text ?? data?.text ?? "";
    st.savedNote = text;
    if (!fillUntouched(note, text)) bindText($("#note-status"), "mentor.note_unsaved");
  } catch (err) {
    // 404: no note yet (or the server has no notes yet): start empty.
    if (err.status !== 404) showError($("#note-error"), err);
  }
  try {
    const data = await api.history(c.id);
    const items = data.earlier || data.consultations || [];
    if (!items.length) history.append(bindText(h("li", { class: "empty" }), "mentor.history_none"));
    for (const past of items) {
      const noteText = past.note?.text ?? (typeof past.note === "string" ? past.note : "");
      history.append(
        h("li", {},
          h("p", { class: "when" }, `${dayLabel(past.starts_at.slice(0, 10))} ${hhmm(past.starts_at)}`),
          noteText ? h("p", { class: "note" }, noteText) : bindText(h("p", { class: "hint" }), "mentor.history_no_note"),
          pastTranscript(past, c)),
      );
    }
  } catch (err) {
    if (err.status === 404) unavailable(history, true);
    else history.append(h("li", { class: "error" }, errorText(err)));
  }
}

/**
 * "Read that chat": an earlier consultation's words, fetched when first opened. Every staff
 * read of a transcript is audited with a reason; here the reason says which consultation the
 * mentor was preparing.
 */
function pastTranscript(past, current) {
  const body = h("div", { class: "past-transcript" });
  const fold = h("details", { class: "fold", "data-testid": "past-transcript" },
    bindText(h("summary", {}), "mentor.history_read"), body);
  fold.addEventListener("toggle", async () => {
    if (!fold.open || fold.dataset.loaded) return;
    fold.dataset.loaded = "1";
    try {
      const data = await api.post(`/api/staff/consultations/${past.id}/transcript`, {
        reason: `continuity: earlier consultation, read while in #${current.id}`,
      });
      const list = h("ol", { class: "transcript" });
      for (const m of data.messages) {
        const speaker = m.sender.role === "client" ? current.client.nickname : m.sender.name;
        list.append(h("li", { class: `from-${m.sender.role}` },
          h("span", { class: "who" }, `${hhmm(m.sent_at)} ${speaker}`), " ",
          m.card ? h("span", { class: "tag" }, pick(m.card.name)) : m.text));
      }
      if (!data.messages.length) list.append(bindText(h("li", { class: "hint" }), "mentor.history_empty"));
      body.append(list);
    } catch (err) {
      delete fold.dataset.loaded;
      body.append(h("p", { class: "error", role: "alert" }, errorText(err)));
    }
  });
  return fold;
}

function unavailable(box, asItem = false) {
  const el = asItem ? h("li", { class: "hint" }) : box;
  bindText(el, "mentor.unavailable");
  if (asItem) box.append(el);
  else box.hidden = false;
}

async function saveNote() {
  if (!st.current) return;
  const text = $("#note-text").value;
  showError($("#note-error"), null);
  try {
    await api.saveNote(st.current, text);
    st.savedNote = text;
    bindText($("#note-status"), "mentor.note_saved", { time: clockNow() });
  } catch (err) {
    showError($("#note-error"), err);
  }
}

// --- share a help-directory entry into the chat as a card ----------------------------------

const share = { seq: 0, timer: null, categories: null, opener: null };

function wireShare() {
  $("#share-q").addEventListener("input", () => {
    clearTimeout(share.timer);
    share.timer = setTimeout(loadShare, 250);
  });
  $("#share-q").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      clearTimeout(share.timer);
      loadShare();
    }
  });
  $("#share-cat").addEventListener("change", loadShare);
  $("#share-close").addEventListener("click", () => {
    $("#share-panel").hidden = true;
    share.opener?.setAttribute("aria-expanded", "false");
    share.opener?.focus();
  });
}

function toggleShare(button) {
  const panel = $("#share-panel");
  share.opener = button;
  panel.hidden = !panel.hidden;
  button.setAttribute("aria-expanded", String(!panel.hidden));
  if (panel.hidden) return;
  $("#share-status").hidden = true;
  showError($("#share-error"), null);
  loadShare();
  $("#share-q").focus();
}

function paintShareCategories() {
  const ids = Object.keys(share.categories || {});
  paintOptions($("#share-cat"), [["", plain(t("dir.all"))], ...ids.map((id) => [id, plain(categoryName(id, share.categories))])]);
}

/** Search the directory; a repaint (quiet) keeps a refusal on screen. */
async function loadShare(options) {
  const quiet = options?.quiet === true;
  const c = st.consultation;
  if (!c) return;
  const seq = ++share.seq;
  const audience = c.client.audience === "parent" ? "parent" : "child";
  bindText($("#share-for"), `share.for_${audience}`);
  const params = new URLSearchParams({ audience });
  const q = $("#share-q").value.trim();
  if (q) params.set("q", q);
  if ($("#share-cat").value) params.set("category", $("#share-cat").value);
  try {
    const data = await api.get(`/api/help?${params}`);
    if (seq !== share.seq) return;
    share.categories = data.categories;
    paintShareCategories();
    if (!quiet) showError($("#share-error"), null);
    paintRows($("#share-list"), data.entries, {
      key: (entry) => entry.id,
      sig: (entry) => [entry, share.categories],
      render: shareItem,
      empty: () => bindText(h("li", { class: "empty" }), "dir.none"),
    });
  } catch (err) {
    if (seq === share.seq) showError($("#share-error"), err);
  }
}

function shareItem(entry) {
  const name = pick(entry.name);
  const send = bindText(h("button", { type: "button", class: "primary" }), "share.send");
  send.setAttribute("aria-label", `${plain(t("share.send"))}: ${name}`);
  send.addEventListener("click", () => {
    if (!st.chat?.share(entry)) {
      showError($("#share-error"), plain(t("chat.closed.other")));
      return;
    }
    bindText($("#share-status"), "share.sent", { name });
    $("#share-status").hidden = false;
  });
  return h("li", { class: "share-item", "data-entry": entry.id },
    h("p", { class: "share-name" }, h("span", { class: "tag" }, plain(categoryName(entry.category, share.categories))), " ", h("strong", {}, name)),
    h("p", { class: "hint" }, pick(entry.description)),
    send);
}

// --- pushed to the console: badges, title count, chime, desktop notification -------------
//
// What the mentor has not seen yet lives here, keyed by consultation id (a repaint rebuilds
// every row from it): {event: "opened" | "booked" | "cancelled" | null, unread: n}. Opening
// the consultation clears it.

const SOUND_KEY = "yorisoi.mentor.sound";
const push = { badges: new Map(), audio: null, sound: false, baseTitle: document.title, pending: [] };

function wirePush() {
  try {
    push.sound = localStorage.getItem(SOUND_KEY) === "1";
  } catch {
    push.sound = false;
  }
  const sound = $("#sound-toggle");
  const paintSound = () => {
    sound.setAttribute("aria-pressed", String(push.sound));
    bindText(sound, push.sound ? "mentor.sound_on" : "mentor.sound_off");
  };
  paintSound();
  sound.addEventListener("click", () => {
    push.sound = !push.sound;
    try {
      localStorage.setItem(SOUND_KEY, push.sound ? "1" : "0");
    } catch {
      /* private mode: the choice lasts for this page */
    }
    paintSound();
    if (push.sound) chime(); // a sample, and the click lets the browser play sound later
  });
  const notify = $("#notify-enable");
  const paintNotify = () => {
    const supported = "Notification" in window;
    notify.hidden = !supported || Notification.permission === "granted";
    if (supported && Notification.permission === "denied") {
      notify.disabled = true;
      bindText(notify, "mentor.notify_denied");
    }
  };
  paintNotify();
  notify.addEventListener("click", async () => {
    // Asked only from this button, never on load.
    try {
      await Notification.requestPermission();
    } catch {
      /* an old browser without the promise form: nothing to ask */
    }
    paintNotify();
  });
}

function badgeOf(id) {
  let badge = push.badges.get(id);
  if (!badge) {
    badge = { event: null, unread: 0 };
    push.badges.set(id, badge);
  }
  return badge;
}

function onPushedConsultation(frame) {
  const id = frame.consultation_id;
  const event = frame.event;
  if (!["opened", "booked", "cancelled"].includes(event)) {
    if (["closed", "no_show"].includes(event)) push.badges.delete(id);
    return;
  }
  if (st.current === id && event !== "cancelled") return; // already on screen
  badgeOf(id).event = event;
  paintLists();
  push.pending.push({ id, event, startsAt: frame.starts_at }); // announced once the list knows who
  chime();
}

function onActivity(frame) {
  const id = frame.consultation_id;
  if (st.current === id) return; // this page has that chat open
  badgeOf(id).unread += 1;
  paintLists();
  chime();
  notifyDesktop(id, "mentor.notify_message");
}

/** The desktop notifications waiting for the refreshed list (for the client's nickname). */
function announcePending() {
  const pending = push.pending;
  push.pending = [];
  for (const { id, event, startsAt } of pending) {
    const key = { opened: "mentor.notify_opened", booked: "mentor.notify_booked", cancelled: "mentor.notify_cancelled" }[event];
    notifyDesktop(id, key, startsAt);
  }
}

function findConsultation(id) {
  return st.today.find((c) => c.id === id) || upcoming.find((c) => c.id === id) || null;
}

function notifyDesktop(id, key, startsAt = null) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return; // the page shows it
  const c = findConsultation(id);
  const name = c?.client?.nickname || "";
  const at = startsAt || c?.starts_at;
  try {
    const note = new Notification(plain(t("mentor.notify_title")), {
      body: plain(t(key, { name, when: at ? when(at) : "" })),
      tag: `yorisoi-${id}`,
    });
    note.onclick = () => {
      window.focus();
      if (c) openConsultation(c);
      note.close();
    };
  } catch {
    /* notifications unavailable here (e.g. needs a service worker): the badge remains */
  }
}

/** A soft two-note chime made here (Web Audio), only when the mentor turned sound on. */
function chime() {
  if (!push.sound) return;
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    push.audio = push.audio || new Ctx();
    const audio = push.audio;
    const start = audio.currentTime + 0.01;
    [660, 880].forEach((freq, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const at = start + i * 0.18;
      osc.type = "sine";
      osc.frequency.setValueAtTime(freq, at);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.06, at + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.45);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.5);
    });
  } catch {
    /* no sound on this device: the badge and title remain */
  }
}

/** The row's badges: what happened, and how many messages came while it was not open. */
function pushBadges(id) {
  const badge = push.badges.get(id);
  if (!badge || id === st.current) return null;
  const box = h("span", { class: "push-badges" });
  if (badge.event) box.append(bindText(h("span", { class: `badge push-badge push-${badge.event}`, "data-testid": "push-badge" }), `mentor.push.${badge.event}`));
  if (badge.unread) box.append(bindText(h("span", { class: "badge push-badge push-unread", "data-testid": "unread" }), "mentor.push.unread", { n: badge.unread }));
  return box.childNodes.length ? box : null;
}

/** "(2) よりそい メンター": how many listed consultations have something new. */
function paintTitle() {
  const listed = new Set([...st.today, ...upcoming].map((c) => c.id));
  let count = 0;
  for (const [id, badge] of push.badges) {
    if (id !== st.current && listed.has(id) && (badge.event || badge.unread)) count += 1;
  }
  document.title = count ? `(${count}) ${push.baseTitle}` : push.baseTitle;
}

// --- presence and handover -----------------------------------------------------------------

/** Minutes the client has been waiting for me (an open consultation I have not joined). */
function waitedMinutes(c) {
  if (c.status !== "open" || c.mentor_joined_at || !c.waiting_since) return null;
  return Math.max(0, minutesSince(c.waiting_since));
}

function waitedLine(c) {
  const n = waitedMinutes(c);
  if (n === null) return null;
  return bindText(h("p", { class: "waited", role: "status", "data-testid": "waited" }), "mentor.waited", { name: c.client.nickname, n });
}

/** The client had joined and left (closed the chat, lost the connection): for how long. */
function awayLine(c) {
  const n = c.mentor_joined_at ? awayMinutes(c) : null;
  if (n === null) return null;
  return bindText(h("p", { class: "waited", role: "status", "data-testid": "client-away" }), "board.client_left", { n });
}

/** Handed over to me: who had it, why, and headquarters' note (staff only). */
function paintHandover(c) {
  const box = $("#handover");
  if (!box) return;
  const ho = c.handover;
  box.hidden = !ho;
  box.textContent = "";
  if (!ho) return;
  box.append(
    bindText(h("p", { class: "closed-title" }), `mentor.handover.${ho.reason}`, { name: ho.from_mentor?.display_name || "", time: hhmm(ho.at) }),
    ho.note ? h("p", { class: "note", "data-testid": "handover-note" }, ho.note) : null,
    bindText(h("p", { class: "hint" }), "mentor.handover.transcript"),
  );
}
