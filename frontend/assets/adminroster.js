// /admin/: the mentor roster (create / edit / deactivate), the per-day shift editor and the
// line capacity (supervisor only; GET/POST/PATCH /api/staff/mentors, /api/staff/shifts,
// GET/PUT /api/staff/settings). Every refusal is shown in the server's words.

import { api } from "./api.js";
import { $, busy, fillUntouched, h, paintOptions, paintRows, resetInput, rowError, rowErrorOf, setRowError, showError, twoStep } from "./dom.js";
import { showMoveBookings } from "./adminhandover.js";
import { bindText, pick, plain, t } from "./i18n.js";
import { addDays, dayLabel, dayOf, hhmm, when } from "./time.js";

const rs = { service: null, mentors: [], public: new Map(), editing: null, day: null, shifts: [], settings: null, onCapacity: null };

/** onCapacity(lines): called after the number of lines changed (to repaint line use). */
export function setupRoster(service, { onCapacity } = {}) {
  rs.service = service;
  rs.day = service.today;
  rs.onCapacity = onCapacity;
  paintKindOptions();
  paintShiftDays();
  paintTimeOptions();
  bindText($("#shifts .hint"), "shifts.lead", { open: service.open_time, close: service.close_time });
  $("#mentor-add").addEventListener("click", () => openMentorForm(null));
  $("#mentor-cancel").addEventListener("click", closeMentorForm);
  $("#mentor-form").addEventListener("submit", saveMentor);
  $("#shift-day").addEventListener("change", (e) => {
    rs.day = e.currentTarget.value;
    loadShifts();
  });
  $("#shift-form").addEventListener("submit", addShift);
  $("#cap-form").addEventListener("submit", saveCapacity);
  document.addEventListener("langchange", () => {
    paintKindOptions();
    paintMentorOptions();
    paintShiftDays();
    paintRoster();
    paintShifts();
    paintSettings();
    bindText($("#shifts .hint"), "shifts.lead", { open: service.open_time, close: service.close_time });
  });
  return Promise.all([refreshRoster(), loadShifts(), loadSettings()]);
}

function notice(box, key, vars) {
  if (!key) {
    box.hidden = true;
    return;
  }
  bindText(box, key, vars);
  box.hidden = false;
}

// --- roster ------------------------------------------------------------------------------

export async function refreshRoster() {
  try {
    const [all, pub] = await Promise.all([api.get("/api/staff/mentors"), api.mentors()]);
    rs.mentors = all.mentors;
    rs.public = new Map(pub.mentors.map((m) => [m.id, m]));
    paintRoster();
    paintMentorOptions();
    paintShifts();
  } catch (err) {
    showError($("#page-error"), err);
  }
}

function paintKindOptions() {
  paintOptions($("#mf-kind"), (rs.service.kinds || []).map((k) => [k.id, pick(k.label)]));
}

function nextFree(view) {
  if (!view || !view.next_free_slots?.length) return "—";
  const first = view.next_free_slots[0];
  return dayOf(first) === rs.service.today ? hhmm(first) : when(first);
}

function paintRoster() {
  paintRows($("#roster-rows"), rs.mentors, {
    key: (m) => m.id,
    sig: (m) => [m, rs.public.get(m.id) || null],
    render: rosterRow,
    empty: () => h("tr", {}, bindText(h("td", { colspan: 6, class: "empty" }), "roster.none")),
  });
}

function rosterRow(m) {
  const view = rs.public.get(m.id);
  const error = rowError(`mentor:${m.id}`);
  const edit = bindText(h("button", { type: "button", class: "chip", onclick: () => openMentorForm(m) }), "roster.edit");
  edit.setAttribute("aria-label", `${plain(t("roster.edit"))}: ${m.display_name}`);
  const actions = h("div", { class: "row-actions" }, edit);
  if (m.active) {
    actions.append(...twoStep(`deactivate:${m.id}`, {
      ask: "roster.deactivate",
      yes: "roster.deactivate_confirm",
      no: "roster.keep",
      askClass: "chip",
      label: `${plain(t("roster.deactivate"))}: ${m.display_name}`,
      onYes: () => setActive(m, false, error),
      onError: (err) => setRefusal(m, error, err),
    }));
  } else {
    const start = bindText(h("button", { type: "button", class: "chip" }), "roster.activate");
    start.setAttribute("aria-label", `${plain(t("roster.activate"))}: ${m.display_name}`);
    start.addEventListener("click", () => busy(start, () => setActive(m, true, error)).catch((err) => setRowError(`mentor:${m.id}`, error, err)));
    actions.append(start);
  }
  const today = m.active && view
    ? bindText(h("span", { class: `badge badge-${view.today}` }), `today.${view.today}`)
    : m.active ? h("span", {}, "—") : bindText(h("span", { class: "badge badge-inactive" }), "roster.inactive");
  return h("tr", { "data-mentor": m.id, class: m.active ? "" : "inactive" },
    h("th", { scope: "row" }, m.display_name),
    h("td", {}, pick(m.kind.label)),
    h("td", {}, plain(t(`audience.${m.audience}`))),
    h("td", {}, today),
    h("td", {}, m.active ? nextFree(view) : "—"),
    h("td", {}, actions, error, moveFirstHost(m)));
}

// A mentor_has_bookings refusal leads straight to "予約を移す" for that mentor: the button is
// drawn from the remembered refusal, so a rebuilt row keeps it.
function setRefusal(m, box, err) {
  setRowError(`mentor:${m.id}`, box, err);
  for (const host of document.querySelectorAll(`[data-move-first="${m.id}"]`)) fillMoveFirst(host, m);
}

function moveFirstHost(m) {
  const host = h("div", { class: "row-actions", "data-move-first": m.id });
  fillMoveFirst(host, m);
  return host;
}

function fillMoveFirst(host, m) {
  host.textContent = "";
  if (rowErrorOf(`mentor:${m.id}`)?.code !== "mentor_has_bookings") return;
  const button = bindText(h("button", { type: "button", class: "secondary", "data-testid": "move-first", onclick: () => showMoveBookings(m.id) }), "handover.move_first");
  button.setAttribute("aria-label", `${plain(t("handover.move_first"))}: ${m.display_name}`);
  host.append(button);
}

/** Stop or restart a mentor; a refusal is thrown for the row to show. */
async function setActive(m, active, error) {
  setRefusal(m, error, null);
  await api.patch(`/api/staff/mentors/${m.id}`, { active });
  notice($("#roster-notice"), active ? "roster.activated" : "roster.deactivated", { name: m.display_name });
  await refreshRoster();
}

function openMentorForm(m) {
  rs.editing = m;
  const form = $("#mentor-form");
  form.hidden = false;
  showError(form.querySelector(".error"), null);
  notice($("#roster-notice"), null);
  if (m) bindText($("#mentor-form-h"), "roster.edit_title", { name: m.display_name });
  else bindText($("#mentor-form-h"), "roster.new_title");
  form.elements.display_name.value = m ? m.display_name : "";
  form.elements.kind.value = m ? m.kind.id : (rs.service.kinds?.[0]?.id || "");
  form.elements.audience.value = m ? m.audience : "child";
  form.elements.profile_ja.value = m ? m.profile?.ja || "" : "";
  form.elements.profile_en.value = m ? m.profile?.en || "" : "";
  form.elements.max_per_day.value = m?.max_per_day ?? "";
  form.elements.max_per_shift.value = m?.max_per_shift ?? "";
  const spoken = m ? m.languages || ["ja"] : ["ja"];
  for (const box of form.querySelectorAll('input[name="languages"]')) box.checked = spoken.includes(box.value);
  $("#mentor-add").setAttribute("aria-expanded", "true");
  form.elements.display_name.focus();
}

function closeMentorForm() {
  $("#mentor-form").hidden = true;
  $("#mentor-add").setAttribute("aria-expanded", "false");
  rs.editing = null;
  $("#mentor-add").focus();
}

function limitOf(value) {
  const text = value.trim();
  return text === "" ? null : Number(text);
}

async function saveMentor(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".error");
  showError(error, null);
  const body = {
    display_name: form.elements.display_name.value.trim(),
    kind: form.elements.kind.value,
    audience: form.elements.audience.value,
    profile_ja: form.elements.profile_ja.value.trim(),
    profile_en: form.elements.profile_en.value.trim(),
    languages: [...form.querySelectorAll('input[name="languages"]:checked')].map((box) => box.value),
    // well-being limits: empty is the service default (null); the server checks the number
    max_per_day: limitOf(form.elements.max_per_day.value),
    max_per_shift: limitOf(form.elements.max_per_shift.value),
  };
  if (!body.display_name) {
    showError(error, plain(t("roster.check_name")));
    form.elements.display_name.focus();
    return;
  }
  if (!body.languages.length) {
    showError(error, plain(t("roster.check_languages")));
    form.querySelector('input[name="languages"]').focus();
    return;
  }
  const editing = rs.editing;
  try {
    const result = await busy(form.querySelector("button[type=submit]"), () =>
      editing ? api.patch(`/api/staff/mentors/${editing.id}`, body) : api.post("/api/staff/mentors", body));
    form.hidden = true;
    rs.editing = null;
    $("#mentor-add").setAttribute("aria-expanded", "false");
    notice($("#roster-notice"), editing ? "roster.saved" : "roster.created", { name: result.mentor.display_name });
    await refreshRoster();
    if (!editing) $("#sf-mentor").value = String(result.mentor.id);
  } catch (err) {
    showError(error, err);
    // languages is a group of boxes: focus its first one
    const field = err.field && form.elements[err.field];
    if (field?.focus) field.focus();
    else if (field?.[0]) field[0].focus();
  }
}

// --- shifts ------------------------------------------------------------------------------

function paintShiftDays() {
  const days = Array.from({ length: rs.service.horizon_days + 1 }, (_, i) => addDays(rs.service.today, i));
  paintOptions($("#shift-day"), days.map((day) => [day, dayLabel(day)]));
  $("#shift-day").value = rs.day;
}

function minutesOf(hm) {
  const [hh, mm] = hm.split(":").map(Number);
  return hh * 60 + mm;
}

function hm(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function paintTimeOptions() {
  const open = minutesOf(rs.service.open_time);
  const close = minutesOf(rs.service.close_time);
  const start = $("#sf-start");
  const end = $("#sf-end");
  for (let m = open; m < close; m += 30) start.append(h("option", { value: hm(m) }, hm(m)));
  for (let m = open + 30; m <= close; m += 30) end.append(h("option", { value: hm(m) }, hm(m)));
  start.value = hm(open);
  end.value = hm(close);
}

function paintMentorOptions() {
  paintOptions($("#sf-mentor"), rs.mentors.filter((m) => m.active).map((m) => [m.id, `${m.display_name}（${pick(m.kind.label)}）`]));
}

async function loadShifts() {
  const day = rs.day;
  try {
    const data = await api.get(`/api/staff/shifts?date=${encodeURIComponent(day)}`);
    if (day !== rs.day) return;
    rs.shifts = data.shifts;
    paintShifts();
  } catch (err) {
    showError($("#page-error"), err);
  }
}

function paintShifts() {
  bindText($("#shift-caption"), "shifts.caption", { day: dayLabel(rs.day) });
  const names = new Map(rs.mentors.map((m) => [m.id, m.display_name]));
  const shifts = [...rs.shifts].sort((a, b) => a.start.localeCompare(b.start) || (names.get(a.mentor_id) || "").localeCompare(names.get(b.mentor_id) || ""));
  paintRows($("#shift-rows"), shifts, {
    key: (x) => x.id,
    sig: (x) => [x, names.get(x.mentor_id) || null],
    render: (x) => shiftRow(x, names.get(x.mentor_id) || `#${x.mentor_id}`),
    empty: () => h("tr", {}, bindText(h("td", { colspan: 4, class: "empty" }), "shifts.none")),
  });
}

function shiftRow(x, name) {
  const open = minutesOf(rs.service.open_time);
  const span = minutesOf(rs.service.close_time) - open;
  const error = rowError(`shift:${x.id}`);
  const steps = twoStep(`remove-shift:${x.id}`, {
    ask: "shifts.remove",
    yes: "shifts.remove_confirm",
    no: "roster.keep",
    askClass: "chip",
    label: `${plain(t("shifts.remove"))}: ${name} ${x.start}〜${x.end}`,
    onYes: async () => {
      setRowError(`shift:${x.id}`, error, null);
      await api.del(`/api/staff/shifts/${x.id}`);
      notice($("#shift-notice"), "shifts.removed");
      await loadShifts();
      refreshRoster();
    },
    onError: (err) => setRowError(`shift:${x.id}`, error, err),
  });
  const bar = h("span", { class: "shift-bar" });
  bar.style.marginLeft = `${(100 * (minutesOf(x.start) - open)) / span}%`;
  bar.style.width = `${(100 * (minutesOf(x.end) - minutesOf(x.start))) / span}%`;
  return h("tr", { "data-shift": x.id, "data-mentor": x.mentor_id },
    h("th", { scope: "row" }, name),
    h("td", { class: "num" }, `${x.start}〜${x.end}`),
    h("td", { "aria-hidden": "true" }, h("span", { class: "shift-track" }, bar)),
    h("td", {}, h("div", { class: "row-actions" }, ...steps), error));
}

async function addShift(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".error");
  showError(error, null);
  notice($("#shift-notice"), null);
  const mentorId = Number(form.elements.mentor_id.value);
  const start = form.elements.start.value;
  const end = form.elements.end.value;
  if (!mentorId) return showError(error, plain(t("shifts.no_mentors")));
  if (minutesOf(end) <= minutesOf(start)) {
    showError(error, plain(t("shifts.check_order")));
    form.elements.end.focus();
    return undefined;
  }
  try {
    await busy(form.querySelector("button[type=submit]"), () =>
      api.post("/api/staff/shifts", { mentor_id: mentorId, date: rs.day, start, end }));
    const name = rs.mentors.find((m) => m.id === mentorId)?.display_name || "";
    notice($("#shift-notice"), "shifts.added", { name, start, end });
    await loadShifts();
    refreshRoster();
  } catch (err) {
    showError(error, err);
  }
  return undefined;
}

// --- capacity ------------------------------------------------------------------------------

async function loadSettings() {
  try {
    rs.settings = await api.get("/api/staff/settings");
    fillUntouched($("#cap-lines"), String(rs.settings.lines));
    paintSettings();
  } catch (err) {
    showError($("#cap-error"), err);
  }
}

function paintSettings() {
  if (!rs.settings) return;
  bindText($("#cap-default"), "cap.default", { lines: rs.settings.lines, default: rs.settings.default_lines });
}

async function saveCapacity(event) {
  event.preventDefault();
  const form = event.currentTarget;
  showError($("#cap-error"), null);
  notice($("#cap-notice"), null);
  const raw = form.elements.lines.value.trim();
  const lines = Number(raw);
  if (!/^\d+$/.test(raw) || lines < 1) {
    showError($("#cap-error"), plain(t("cap.check")));
    form.elements.lines.focus();
    return;
  }
  try {
    const result = await busy(form.querySelector("button[type=submit]"), () => api.put("/api/staff/settings", { lines }));
    rs.settings = { ...rs.settings, lines: result.lines, default_lines: result.default_lines ?? rs.settings?.default_lines };
    paintSettings();
    resetInput(form.elements.lines, String(result.lines));
    notice($("#cap-notice"), "cap.saved", { lines: result.lines });
    rs.service.lines = result.lines;
    rs.onCapacity?.(result.lines);
  } catch (err) {
    showError($("#cap-error"), err);
    if (rs.settings) resetInput(form.elements.lines, String(rs.settings.lines));
  }
}
