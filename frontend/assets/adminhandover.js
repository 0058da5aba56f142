// /admin/: hand an open consultation or a booking to another mentor ("担当を替える"), and
// "予約を移す": a mentor's bookings still ahead, each with the same control (what the roster's
// mentor_has_bookings refusal asks for before a mentor can be stopped).

import { api } from "./api.js";
import { $, busy, h, paintOptions, paintRows, showError } from "./dom.js";
import { bindText, pick, plain, t } from "./i18n.js";
import { hhmm, when } from "./time.js";

const move = { mentorId: null, rows: [], onDone: null };

/**
 * The reassign form for one consultation (c: a staff consultation shape), opened above
 * `host`; outside any repainted list, so a repaint never closes it.
 */
export async function openReassign(c, host, onDone) {
  $("#reassign-form")?.remove();
  const select = h("select", { id: "reassign-mentor", required: true });
  const note = h("textarea", { id: "reassign-note", rows: 2, maxlength: 1000 });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const submit = bindText(h("button", { type: "submit", class: "primary" }), "handover.go");
  const form = h(
    "form",
    { id: "reassign-form", class: "panel confirm", "data-testid": "reassign-form", "data-consultation": c.id },
    bindText(h("p", { class: "closed-title" }), "handover.title", {
      mentor: c.mentor?.display_name || "", client: c.client?.nickname || "", time: `${when(c.starts_at)}〜${hhmm(c.ends_at)}`,
    }),
    bindText(h("label", { for: "reassign-mentor" }), "handover.to"),
    select,
    bindText(h("label", { for: "reassign-note" }), "handover.note"),
    note,
    error,
    submit,
    bindText(h("button", { type: "button", class: "secondary", onclick: () => form.remove() }), "handover.cancel"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!select.value) {
      showError(error, plain(t("handover.pick")));
      return;
    }
    try {
      await busy(submit, () => api.post(`/api/staff/consultations/${c.id}/reassign`, { mentor_id: Number(select.value), note: note.value }));
      form.remove();
      onDone?.();
    } catch (err) {
      showError(error, err);
    }
  });
  host.prepend(form);
  try {
    const data = await api.get(`/api/staff/consultations/${c.id}/alternatives`);
    const options = data.mentors.map((m) => [m.id, `${m.display_name}（${pick(m.kind.label)}）${m.same_kind ? " ★" : ""}`]);
    paintOptions(select, [["", plain(t(options.length ? "handover.choose" : "handover.none"))], ...options]);
  } catch (err) {
    showError(error, err);
  }
  select.focus();
}

// --- 予約を移す: one mentor's bookings and open consultations still ahead ----------------

export function setupMoveBookings(mentors, onDone) {
  move.onDone = onDone;
  const pickMentor = $("#move-mentor");
  if (!pickMentor) return;
  paintMoveMentors(mentors);
  pickMentor.addEventListener("change", () => showMoveBookings(Number(pickMentor.value) || null));
}

export function paintMoveMentors(mentors) {
  const pickMentor = $("#move-mentor");
  if (!pickMentor) return;
  paintOptions(pickMentor, [["", plain(t("handover.pick_mentor"))], ...mentors.map((m) => [m.id, m.display_name])]);
}

/** Open "予約を移す" for a mentor (also from the roster's refusal to stop them). */
export async function showMoveBookings(mentorId) {
  move.mentorId = mentorId;
  const section = $("#move-bookings");
  if (!section) return;
  if (mentorId) $("#move-mentor").value = String(mentorId);
  section.scrollIntoView?.({ block: "nearest" });
  $("#move-mentor")?.focus({ preventScroll: true });
  await refreshMoveBookings();
}

async function refreshMoveBookings() {
  const list = $("#move-rows");
  if (!list) return;
  if (!move.mentorId) {
    move.rows = [];
  } else {
    try {
      move.rows = (await api.get(`/api/staff/mentors/${move.mentorId}/consultations`)).consultations;
      showError($("#move-error"), null);
    } catch (err) {
      showError($("#move-error"), err);
    }
  }
  paintRows(list, move.rows, {
    key: (c) => c.id,
    render: (c) => h("li", { class: "row", "data-consultation": c.id },
      h("div", { class: "row-body" },
        h("p", { class: "when" }, `${when(c.starts_at)}〜${hhmm(c.ends_at)}`),
        h("p", {}, c.client.nickname, " ", bindText(h("span", { class: "badge" }), `status.${c.status === "open" ? "in_progress" : "booked"}`))),
      h("div", { class: "row-actions" },
        bindText(h("button", { type: "button", class: "secondary", onclick: () => openReassign(c, $("#move-bookings"), async () => {
          await refreshMoveBookings();
          move.onDone?.();
        }) }), "handover.open"))),
    empty: () => bindText(h("li", { class: "empty" }), move.mentorId ? "handover.nothing" : "handover.pick_mentor"),
  });
}
