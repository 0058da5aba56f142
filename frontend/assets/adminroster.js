// /admin/: the mentor roster (create / edit / deactivate), the per-day shift editor and the
// line capacity (supervisor only; GET/POST/PATCH /api/staff/mentors, /api/staff/shifts,
// GET/PUT /api/staff/settings). Every refusal is shown in the server's words.

import { api } from "./api.js";
import { $, busy, h, showError } from "./dom.js";
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
  const select = $("#mf-kind");
  const current = select.value;
  select.textContent = "";
  for (const k of rs.service.kinds || []) select.append(h("option", { value: k.id }, pick(k.label)));
  if (current) select.value = current;
}

function nextFree(view) {
  if (!view || !view.next_free_slots?.length) return "—";
  const first = view.next_free_slots[0];
  return dayOf(first) === rs.service.today ? hhmm(first) : when(first);
}

function paintRoster() {
  const rows = $("#roster-rows");
  rows.textContent = "";
  if (!rs.mentors.length) rows.append(h("tr", {}, bindText(h("td", { colspan: 6, class: "empty" }), "roster.none")));
  for (const m of rs.mentors) {
    const view = rs.public.get(m.id);
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const edit = bindText(h("button", { type: "button", class: "chip", onclick: () => openMentorForm(m) }), "roster.edit");
    edit.setAttribute("aria-label", `${plain(t("roster.edit"))}: ${m.display_name}`);
    const actions = h("div", { class: "row-actions" }, edit);
    if (m.active) {
      const stop = bindText(h("button", { type: "button", class: "chip" }), "roster.deactivate");
      stop.setAttribute("aria-label", `${plain(t("roster.deactivate"))}: ${m.display_name}`);
      const sure = bindText(h("button", { type: "button", class: "danger", hidden: true }), "roster.deactivate_confirm");
      const keep = bindText(h("button", { type: "button", class: "secondary", hidden: true }), "roster.keep");
      const ask = (asking) => {
        stop.hidden = asking;
        sure.hidden = !asking;
        keep.hidden = !asking;
        (asking ? sure : stop).focus();
      };
      stop.addEventListener("click", () => ask(true));
      keep.addEventListener("click", () => ask(false));
      sure.addEventListener("click", () => setActive(m, false, sure, error));
      actions.append(stop, sure, keep);
    } else {
      const start = bindText(h("button", { type: "button", class: "chip" }), "roster.activate");
      start.setAttribute("aria-label", `${plain(t("roster.activate"))}: ${m.display_name}`);
      start.addEventListener("click", () => setActive(m, true, start, error));
      actions.append(start);
    }
    const today = m.active && view
      ? bindText(h("span", { class: `badge badge-${view.today}` }), `today.${view.today}`)
      : m.active ? h("span", {}, "—") : bindText(h("span", { class: "badge badge-inactive" }), "roster.inactive");
    rows.append(
      h("tr", { "data-mentor": m.id, class: m.active ? "" : "inactive" },
        h("th", { scope: "row" }, m.display_name),
        h("td", {}, pick(m.kind.label)),
        h("td", {}, plain(t(`audience.${m.audience}`))),
        h("td", {}, today),
        h("td", {}, m.active ? nextFree(view) : "—"),
        h("td", {}, actions, error)),
    );
  }
}

async function setActive(m, active, button, error) {
  showError(error, null);
  try {
    await busy(button, () => api.patch(`/api/staff/mentors/${m.id}`, { active }));
    notice($("#roster-notice"), active ? "roster.activated" : "roster.deactivated", { name: m.display_name });
    await refreshRoster();
  } catch (err) {
    showError(error, err);
    const row = document.querySelector(`#roster-rows tr[data-mentor="${m.id}"]`);
    // Repainting would lose the message: keep the row, show why, put the buttons back.
    if (row) {
      for (const b of row.querySelectorAll("button")) b.hidden = b.classList.contains("danger") || b.classList.contains("secondary");
    }
  }
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
  $("#mentor-add").setAttribute("aria-expanded", "true");
  form.elements.display_name.focus();
}

function closeMentorForm() {
  $("#mentor-form").hidden = true;
  $("#mentor-add").setAttribute("aria-expanded", "false");
  rs.editing = null;
  $("#mentor-add").focus();
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
  };
  if (!body.display_name) {
    showError(error, plain(t("roster.check_name")));
    form.elements.display_name.focus();
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
    const field = err.field && form.elements[err.field];
    if (field) field.focus();
  }
}

// --- shifts ------------------------------------------------------------------------------

function paintShiftDays() {
  const select = $("#shift-day");
  select.textContent = "";
  for (let i = 0; i <= rs.service.horizon_days; i += 1) {
    const day = addDays(rs.service.today, i);
    select.append(h("option", { value: day, selected: day === rs.day }, dayLabel(day)));
  }
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
  const select = $("#sf-mentor");
  const current = select.value;
  select.textContent = "";
  for (const m of rs.mentors.filter((x) => x.active)) {
    select.append(h("option", { value: m.id }, `${m.display_name}（${pick(m.kind.label)}）`));
  }
  if (current && rs.mentors.some((m) => String(m.id) === current && m.active)) select.value = current;
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
  const rows = $("#shift-rows");
  rows.textContent = "";
  const names = new Map(rs.mentors.map((m) => [m.id, m.display_name]));
  const shifts = [...rs.shifts].sort((a, b) => a.start.localeCompare(b.start) || (names.get(a.mentor_id) || "").localeCompare(names.get(b.mentor_id) || ""));
  if (!shifts.length) rows.append(h("tr", {}, bindText(h("td", { colspan: 4, class: "empty" }), "shifts.none")));
  const open = minutesOf(rs.service.open_time);
  const span = minutesOf(rs.service.close_time) - open;
  for (const s of shifts) {
    const name = names.get(s.mentor_id) || `#${s.mentor_id}`;
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const remove = bindText(h("button", { type: "button", class: "chip" }), "shifts.remove");
    remove.setAttribute("aria-label", `${plain(t("shifts.remove"))}: ${name} ${s.start}〜${s.end}`);
    const sure = bindText(h("button", { type: "button", class: "danger", hidden: true }), "shifts.remove_confirm");
    const keep = bindText(h("button", { type: "button", class: "secondary", hidden: true }), "roster.keep");
    const ask = (asking) => {
      remove.hidden = asking;
      sure.hidden = !asking;
      keep.hidden = !asking;
      (asking ? sure : remove).focus();
    };
    remove.addEventListener("click", () => ask(true));
    keep.addEventListener("click", () => ask(false));
    sure.addEventListener("click", async () => {
      showError(error, null);
      try {
        await busy(sure, () => api.del(`/api/staff/shifts/${s.id}`));
        notice($("#shift-notice"), "shifts.removed");
        await loadShifts();
        refreshRoster();
      } catch (err) {
        ask(false);
        showError(error, err);
      }
    });
    const bar = h("span", { class: "shift-bar" });
    bar.style.marginLeft = `${(100 * (minutesOf(s.start) - open)) / span}%`;
    bar.style.width = `${(100 * (minutesOf(s.end) - minutesOf(s.start))) / span}%`;
    rows.append(
      h("tr", { "data-shift": s.id, "data-mentor": s.mentor_id },
        h("th", { scope: "row" }, name),
        h("td", { class: "num" }, `${s.start}〜${s.end}`),
        h("td", { "aria-hidden": "true" }, h("span", { class: "shift-track" }, bar)),
        h("td", {}, h("div", { class: "row-actions" }, remove, sure, keep), error)),
    );
  }
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
    $("#cap-lines").value = String(rs.settings.lines);
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
    notice($("#cap-notice"), "cap.saved", { lines: result.lines });
    rs.service.lines = result.lines;
    rs.onCapacity?.(result.lines);
  } catch (err) {
    showError($("#cap-error"), err);
    if (rs.settings) form.elements.lines.value = String(rs.settings.lines);
  }
}
