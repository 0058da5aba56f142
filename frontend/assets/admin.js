// /admin/: live line use, per-slot use by day, open consultations (no content unless joined),
// group talk (join/leave), calls for help, statistics (adminstats.js), and the roster, shifts
// and line capacity (adminroster.js).

import { api } from "./api.js";
import { ChatView } from "./chatview.js";
import { $, busy, h, paintOptions, paintRows, showError } from "./dom.js";
import { applyTexts, bindText, plain, t } from "./i18n.js";
import { addDays, clockNow, dayLabel, hhmm, minutesSince } from "./time.js";
import { startRepaints } from "./repaint.js";
import { POLL_SECONDS, awayMinutes, startStaffFace, stateOf } from "./staff.js";
import { refreshRoster, setupRoster } from "./adminroster.js";
import { setupStats } from "./adminstats.js";
import { openReassign, setupMoveBookings } from "./adminhandover.js";
import { refreshStaffAccounts, setupStaffAccounts } from "./adminstaff.js";
import { setupAdminQueue } from "./adminqueue.js";
import { setupAdminLoad } from "./adminload.js";
import { setupCanned } from "./admincanned.js";
import { setupAdminRecords } from "./adminrecords.js";

// An alert's line on headquarters' list, by kind (crisis words are the default).
const ALERT_TEXTS = { mentor_absent: "admin.absent_alert", line_undelivered: "admin.line_alert" };
const st = { socket: null, service: null, day: null, open: [], chat: null, joinedId: null, mentors: [] };

startStaffFace({
  role: "supervisor",
  onReady: async (account, socket, service) => {
    st.socket = socket;
    st.service = service;
    st.day = service.today;
    socket.addEventListener("supervisor_called", (e) => {
      addAlert(e.detail);
      refresh();
    });
    // Pushed, so the board is current without polling: a walk-in opened, a booking made or
    // cancelled (consultation), a mentor who did not come, the waiting line moving.
    socket.addEventListener("consultation", () => refresh());
    for (const type of ["mentor_absent", "queue_changed"]) socket.addEventListener(type, () => refresh());
    // a client came, left or came back: pushed only when the board's state changes
    socket.addEventListener("presence", (e) => {
      if (e.detail.role === "client") refreshOpen();
    });
    socket.addEventListener("alert", (e) => addCrisisAlert(e.detail.alert));
    socket.addEventListener("mentor_absent", (e) => addCrisisAlert(e.detail.alert));
    socket.addEventListener("alert_acknowledged", (e) => dropAlert(e.detail.alert_id));
    $("#refresh").addEventListener("click", (e) => busy(e.currentTarget, () => Promise.all([refresh(), refreshRoster(), refreshStaffAccounts()])));
    $("#line-day").addEventListener("change", (e) => {
      st.day = e.currentTarget.value;
      refreshLines();
    });
    document.addEventListener("langchange", () => {
      paintDays();
      paintOpen();
      paintCapacity();
      refreshLines();
    });
    paintDays();
    paintCapacity();
    loadAlerts();
    startRepaints(service, refresh, POLL_SECONDS * 1000);
    await Promise.all([
      refreshLines(),
      refreshOpen(),
      setupRoster(service, { onCapacity: () => refreshLines() }),
      setupStats(service),
      setupStaffAccounts(account),
      setupAdminQueue(socket, service),
      setupAdminLoad(socket, service),
      setupCanned(),
      setupAdminRecords(socket),
      api.get("/api/staff/mentors").then((data) => setupMoveBookings(data.mentors, refresh)),
    ]);
  },
});

/** Live figures (polled and on socket events). The roster is repainted only on request,
 * so that a confirmation or an error under a mentor's row is not wiped away. */
async function refresh() {
  await Promise.all([refreshLines(), refreshOpen()]);
}

function paintDays() {
  const days = Array.from({ length: st.service.horizon_days + 1 }, (_, i) => addDays(st.service.today, i));
  paintOptions($("#line-day"), days.map((day) => [day, dayLabel(day)]));
  $("#line-day").value = st.day;
}

async function refreshLines() {
  try {
    const today = await api.lineUse(st.service.today);
    const lines = today.lines;
    bindText($("#busy-now"), "admin.busy_now", { busy: today.busy_now, lines });
    $("#busy-now").dataset.busy = String(today.busy_now);
    const meter = $("#busy-meter");
    meter.textContent = "";
    for (let i = 0; i < lines; i += 1) meter.append(h("span", { class: i < today.busy_now ? "on" : "off" }));
    const day = st.day;
    const data = day === st.service.today ? today : await api.lineUse(day);
    if (day !== st.day) return; // another day was chosen meanwhile
    paintRows($("#slot-rows"), data.slots, { key: (slot) => slot.start, render: slotRow });
    stamp();
    showError($("#page-error"), null);
  } catch (err) {
    if (err.status === 401) location.reload();
    showError($("#page-error"), err);
  }
}

function slotRow(slot) {
  const pct = Math.round((100 * slot.used) / (slot.capacity || 1));
  const bar = h("span", { class: `bar${slot.used >= slot.capacity ? " full" : ""}` });
  bar.style.width = `${pct}%`;
  return h("tr", { "data-start": slot.start },
    h("th", { scope: "row" }, hhmm(slot.start)),
    h("td", {},
      h("span", { class: "bar-track" }, bar),
      h("span", { class: "bar-num" }, `${slot.used} / ${slot.capacity}`, slot.used >= slot.capacity ? ` (${plain(t("admin.slot_full"))})` : "")));
}

function stamp() {
  bindText($("#refresh"), "refresh");
  $("#refresh").title = plain(t("updated_at", { time: clockNow() }));
}

let openSeq = 0;

async function refreshOpen() {
  const seq = ++openSeq;
  try {
    const data = await api.staffConsultations(st.service.today);
    if (seq !== openSeq) return; // a newer answer is on its way
    st.open = data.consultations.filter((c) => c.status === "open");
    paintOpen();
  } catch (err) {
    showError($("#page-error"), err);
  }
}

function paintOpen() {
  // while the mentor has not come: how long the client has waited for them
  const since = (c) => minutesSince((!c.mentor_joined_at && c.waiting_since) || c.opened_at || c.starts_at);
  paintRows($("#open-rows"), st.open, {
    key: (c) => c.id,
    sig: (c) => [c, st.joinedId === c.id, since(c), awayMinutes(c)],
    render: (c) => {
      const join = bindText(h("button", { type: "button", class: "primary", onclick: () => askReason(c) }), "admin.join");
      join.disabled = st.joinedId === c.id;
      join.setAttribute("aria-label", `${plain(t("admin.join"))}: ${c.mentor.display_name} / ${c.client.nickname}`);
      return h("tr", { "data-consultation": c.id },
        h("td", {}, c.mentor.display_name),
        h("td", {}, c.client.nickname, " ", bindText(h("span", { class: "tag" }), `audience.${c.client.audience}`), c.channel === "line" ? [" ", bindText(h("span", { class: "tag line-tag", "data-testid": "line" }), "mentor.line")] : null),
        h("td", {}, `${hhmm(c.opened_at || c.starts_at)}〜${hhmm(c.ends_at)}`, " ", bindText(h("span", { class: "tag" }), `mode.${c.mode}`)),
        h("td", {}, plain(t("admin.minutes", { n: since(c) }))),
        h("td", {}, boardState(c)),
        h("td", {}, join, reassignButton(c)));
    },
    empty: () => h("tr", {}, bindText(h("td", { colspan: 6, class: "empty" }), "admin.open_none")),
  });
}

/** waiting for mentor / client away / in progress (shapes.board_state), absence flagged. */
function boardState(c) {
  const state = c.state || stateOf(c);
  const away = state === "client_away" ? awayMinutes(c) : null;
  const badge = away === null
    ? bindText(h("span", { class: `badge board-${state}`, "data-testid": "board-state" }), `board.${state}`)
    : bindText(h("span", { class: `badge board-${state}`, "data-testid": "board-state" }), "board.client_left", { n: away });
  return c.mentor_absent_at ? [badge, " ", bindText(h("span", { class: "badge risk-badge" }), "board.absent")] : badge;
}

function reassignButton(c) {
  const button = bindText(h("button", { type: "button", class: "secondary", onclick: () => openReassign(c, $("#group-host"), refresh) }), "handover.open");
  button.setAttribute("aria-label", `${plain(t("handover.open"))}: ${c.mentor.display_name} / ${c.client.nickname}`);
  return button;
}

/** A supervisor's join is recorded with a reason: ask for it first. */
function askReason(c, preset = "") {
  $("#join-form")?.remove();
  const input = h("input", { id: "join-reason", maxlength: 400, autocomplete: "off", value: preset });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { id: "join-form", class: "panel confirm", "data-testid": "join-form" },
    bindText(h("label", { for: "join-reason" }), "admin.reason"),
    input,
    error,
    bindText(h("button", { type: "submit", class: "primary" }), "admin.join_go"),
    bindText(h("button", { type: "button", class: "secondary", onclick: () => form.remove() }), "admin.join_cancel"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = input.value.trim();
    if (!reason) {
      showError(error, plain(t("admin.reason_needed")));
      input.focus();
      return;
    }
    form.remove();
    joinGroup(c, reason);
  });
  $("#group-host").prepend(form);
  input.focus();
}

function joinGroup(c, reason) {
  leaveGroup();
  st.joinedId = c.id;
  st.chat = new ChatView({
    socket: st.socket,
    id: c.id,
    role: "supervisor",
    title: { key: "admin.joined_title", vars: { mentor: c.mentor.display_name, client: c.client.nickname } },
    onLeave: leaveGroup,
    joinExtra: { reason },
  });
  $("#group-host").append(st.chat.root);
  applyTexts(st.chat.root);
  st.chat.start();
  st.chat.heading.tabIndex = -1;
  st.chat.heading.focus();
  paintOpen();
}

function leaveGroup() {
  if (!st.chat) return;
  st.chat.stop({ leave: true });
  st.chat = null;
  st.joinedId = null;
  paintOpen();
}

function addAlert(frame) {
  $("#alerts").hidden = false;
  const c = st.open.find((x) => x.id === frame.consultation_id);
  const join = bindText(h("button", { type: "button", class: "primary" }), "admin.join");
  join.addEventListener("click", async () => {
    if (!c) await refreshOpen();
    const target = st.open.find((x) => x.id === frame.consultation_id) || {
      id: frame.consultation_id, mentor: frame.mentor, client: { nickname: "" },
    };
    askReason(target, plain(t("admin.reason_called")));
  });
  const text = bindText(h("p", { class: "alert-text" }), "admin.alert", {
    time: clockNow(), mentor: frame.mentor?.display_name || "", id: frame.consultation_id,
  });
  $("#alert-list").prepend(h("li", { class: "row alert" }, text, h("div", { class: "row-actions" }, join)));
}

function paintCapacity() {
  const s = st.service;
  const dl = $("#capacity");
  dl.textContent = "";
  const fact = (key, value) => dl.append(h("div", {}, bindText(h("dt"), key), h("dd", {}, value)));
  fact("admin.cap_hours", plain(t("admin.cap_hours_value", { open: s.open_time, close: s.close_time, last: s.last_start })));
  fact("admin.cap_session", plain(t("admin.minutes", { n: s.session_minutes })));
  fact("admin.cap_horizon", plain(t("admin.cap_horizon_value", { n: s.horizon_days })));
  fact("admin.cap_max", String(s.max_bookings));
}

// --- crisis alerts ------------------------------------------------------------------

async function loadAlerts() {
  try {
    const data = await api.alerts();
    for (const alert of data.alerts) addCrisisAlert(alert);
  } catch (err) {
    showError($("#page-error"), err);
  }
}

/** Acknowledged (here, by another supervisor, or by a handover that answered it). */
function dropAlert(id) {
  document.querySelector(`[data-alert="${id}"]`)?.remove();
  if (!$("#alert-list").children.length) $("#alerts").hidden = true;
}

function addCrisisAlert(alert) {
  if (!alert || document.querySelector(`[data-alert="${alert.id}"]`)) return;
  $("#alerts").hidden = false;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const join = bindText(h("button", { type: "button", class: "primary" }), "admin.join");
  join.addEventListener("click", async () => {
    await refreshOpen();
    const target = st.open.find((x) => x.id === alert.consultation_id) || {
      id: alert.consultation_id, mentor: alert.mentor || { display_name: "" }, client: { nickname: "" },
    };
    askReason(target, plain(t("admin.reason_alert")));
  });
  const ack = bindText(h("button", { type: "button", class: "secondary" }), "admin.ack");
  const item = h(
    "li",
    { class: `row alert ${alert.kind === "mentor_absent" ? "absent" : "crisis"}`, "data-alert": alert.id, "data-kind": alert.kind || "crisis" },
    bindText(h("p", { class: "alert-text" }), ALERT_TEXTS[alert.kind] || "admin.crisis", {
      time: hhmm(alert.created_at),
      category: { t: `risk.${alert.category}` },
      mentor: alert.mentor?.display_name || "",
      id: alert.consultation_id,
    }),
    h("div", { class: "row-actions" }, join, ack),
    error,
  );
  ack.addEventListener("click", async () => {
    try {
      await busy(ack, () => api.ackAlert(alert.id));
      item.remove();
      if (!$("#alert-list").children.length) $("#alerts").hidden = true;
    } catch (err) {
      showError(error, err);
    }
  });
  $("#alert-list").prepend(item);
}
