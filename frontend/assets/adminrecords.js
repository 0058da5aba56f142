// /admin/: escalations waiting for a supervisor (pushed: the `escalation` event; they stay
// until one of us confirms or declines), the consultation records (unrecorded ones of every
// mentor; any record opened by consultation number, seen and corrected — each correction is
// audited on the server), and the record's topic taxonomy (add, rename, retire, restore).
// Rows are keyed and patched in place (paintRows); what a person is typing in a row lives in
// drafts here, so a repaint never takes it away.

import { api } from "./api.js";
import { $, busy, h, paintRows, rowError, setRowError, showError } from "./dom.js";
import { applyTexts, bindText, pick, plain, t } from "./i18n.js";
import { POLL_SECONDS } from "./staff.js";
import { when } from "./time.js";
import { recordForm, showEscalationInForms } from "./recordform.js";

const ar = { pending: [], open: null, topics: [], seq: 0, notes: new Map(), drafts: new Map(), formFor: null };

/** Called once from admin.js's onReady with the console's socket. */
export function setupAdminRecords(socket) {
  build();
  socket.addEventListener("escalation", (e) => {
    showEscalationInForms(e.detail.escalation);
    refreshEscalations();
  });
  socket.addEventListener("consultation", (e) => {
    if (e.detail.event === "closed") refreshOpen();
  });
  socket.addEventListener("state", (e) => {
    if (e.detail.state === "open") refreshAdminRecords();
  });
  document.addEventListener("langchange", (e) => {
    paint();
    if (e.detail?.forced) refreshEscalations();
  });
  setInterval(refreshAdminRecords, POLL_SECONDS * 1000);
  return refreshAdminRecords();
}

export function refreshAdminRecords() {
  return Promise.all([refreshEscalations(), refreshOpen(), refreshTopics()]);
}

function build() {
  const esc = h("section", { id: "escalations", class: "block alerts escalations", "aria-labelledby": "escalations-h", "data-testid": "admin-escalations" },
    h("h3", { id: "escalations-h", "data-t": "esc.admin_title" }),
    h("p", { id: "escalations-error", class: "error", role: "alert", hidden: true }),
    h("ul", { id: "escalation-list", class: "rows", "aria-live": "polite" }));
  $("#alerts").after(esc);
  const records = h("section", { id: "records", class: "block", "aria-labelledby": "records-h", "data-testid": "admin-records" },
    h("h3", { id: "records-h", "data-t": "records.admin_title" }),
    h("p", { id: "records-open-count", class: "hint", role: "status", "data-testid": "admin-open-records" }),
    h("ul", { id: "records-open-list", class: "rows" }),
    h("form", { id: "record-lookup", class: "topic-add", novalidate: true },
      h("div", {}, h("label", { for: "record-lookup-id", "data-t": "records.lookup_id" }), h("input", { id: "record-lookup-id", inputmode: "numeric", maxlength: 10 })),
      h("button", { type: "submit", class: "secondary", "data-t": "records.lookup" })),
    h("p", { id: "records-error", class: "error", role: "alert", hidden: true }),
    h("div", { id: "admin-record-host" }),
    h("h4", { id: "topics-h", "data-t": "topics.title" }),
    h("p", { class: "hint", "data-t": "topics.lead" }),
    h("ul", { id: "topic-list", class: "rows", "aria-labelledby": "topics-h", "data-testid": "record-topics-admin" }),
    h("form", { id: "topic-add", class: "topic-add", novalidate: true },
      h("div", {}, h("label", { for: "topic-add-ja", "data-t": "topics.ja" }), h("input", { id: "topic-add-ja", maxlength: 40 })),
      h("div", {}, h("label", { for: "topic-add-en", "data-t": "topics.en" }), h("input", { id: "topic-add-en", maxlength: 60 })),
      h("button", { type: "submit", class: "primary", "data-t": "topics.add" }),
      h("p", { id: "topic-add-error", class: "error", role: "alert", hidden: true })));
  $("#stats").before(records);
  applyTexts(esc);
  applyTexts(records);
  $("#record-lookup").addEventListener("submit", (e) => {
    e.preventDefault();
    const raw = $("#record-lookup-id").value.trim();
    if (!/^\d{1,10}$/.test(raw)) {
      showError($("#records-error"), plain(t("records.lookup_bad")));
      $("#record-lookup-id").focus();
      return;
    }
    showError($("#records-error"), null);
    openRecord({ id: Number(raw) });
  });
  $("#topic-add").addEventListener("submit", (e) => {
    e.preventDefault();
    busy(e.submitter, addTopic);
  });
}

function paint() {
  paintEscalations();
  paintOpen();
  paintTopics();
}

// --- escalations --------------------------------------------------------------------------

async function refreshEscalations() {
  const seq = ++ar.seq;
  try {
    const data = await api.get("/api/staff/escalations");
    if (seq !== ar.seq) return;
    ar.pending = data.escalations;
    showError($("#escalations-error"), null);
    paintEscalations();
  } catch (err) {
    if (seq === ar.seq) showError($("#escalations-error"), err);
  }
}

function paintEscalations() {
  paintRows($("#escalation-list"), ar.pending, {
    key: (e) => e.id,
    render: escalationRow,
    empty: () => bindText(h("li", { class: "empty" }), "esc.admin_none"),
  });
}

function escalationRow(e) {
  const id = `esc:${e.id}`;
  const noteId = `esc-note-${e.id}`;
  const note = h("input", { id: noteId, maxlength: 1000, "data-testid": "escalation-note" });
  note.value = ar.notes.get(e.id) || "";
  note.addEventListener("input", () => ar.notes.set(e.id, note.value));
  const error = rowError(id);
  const decide = (decision) => async (ev) => {
    await busy(ev.currentTarget, async () => {
      try {
        const body = { decision };
        if (note.value.trim()) body.note = note.value.trim();
        await api.post(`/api/staff/escalations/${e.id}/decision`, body);
        ar.notes.delete(e.id);
        setRowError(id, error, null);
        await refreshEscalations();
      } catch (err) {
        setRowError(id, error, err);
        if (err.code === "already_decided") refreshEscalations();
      }
    });
  };
  const confirm = bindText(h("button", { type: "button", class: "danger", onclick: decide("confirm"), "data-testid": "escalation-confirm" }), "esc.confirm");
  const decline = bindText(h("button", { type: "button", class: "secondary", onclick: decide("decline"), "data-testid": "escalation-decline" }), "esc.decline");
  return h("li", { class: "alert-row escalation-row", "data-escalation": e.id },
    h("p", {}, h("strong", {}, plain(t(`esc.dest.${e.destination}`))), " ",
      h("span", { class: "hint" }, plain(t("esc.admin_from", { mentor: e.mentor?.display_name || "", id: e.consultation_id, time: when(e.raised_at) })))),
    h("p", {}, plain(t("esc.admin_reason", { text: e.reason }))),
    h("p", {}, plain(t("esc.admin_shared", { text: e.shared }))),
    bindText(h("label", { for: noteId }), "esc.admin_note"),
    note,
    h("div", { class: "row-actions" }, confirm, decline),
    error);
}

// --- records ------------------------------------------------------------------------------

async function refreshOpen() {
  try {
    ar.open = await api.get("/api/staff/records/open");
    showError($("#records-error"), null);
    paintOpen();
  } catch (err) {
    showError($("#records-error"), err);
  }
}

function paintOpen() {
  const data = ar.open;
  if (!data) return;
  bindText($("#records-open-count"), "records.admin_open", { n: data.count });
  $("#records-open-count").dataset.count = String(data.count);
  paintRows($("#records-open-list"), data.consultations, {
    key: (o) => o.consultation_id,
    render: (o) => {
      const open = bindText(h("button", { type: "button", class: "secondary" }), "record.show");
      open.setAttribute("aria-label", `${plain(t("record.show"))}: #${o.consultation_id}`);
      open.addEventListener("click", () => openRecord({ id: o.consultation_id, nickname: o.client.nickname, starts_at: o.starts_at, audience: o.client.audience }));
      return h("li", { "data-open-record": o.consultation_id },
        h("span", {}, `#${o.consultation_id} ${when(o.starts_at)} ${o.mentor.display_name} / ${o.client.nickname} `), open);
    },
  });
}

function openRecord(c) {
  const host = $("#admin-record-host");
  ar.formFor = c.id;
  host.textContent = "";
  const form = recordForm({
    consultation: c,
    onSaved: () => refreshOpen(),
    onClose: () => {
      host.textContent = "";
      ar.formFor = null;
      $("#record-lookup-id").focus();
    },
  });
  host.append(form);
  applyTexts(form);
  const heading = form.querySelector("h3");
  heading.tabIndex = -1;
  heading.focus();
}

// --- the topic taxonomy ------------------------------------------------------------------

async function refreshTopics() {
  try {
    ar.topics = (await api.get("/api/staff/record-topics")).topics;
    paintTopics();
  } catch (err) {
    showError($("#records-error"), err);
  }
}

function draft(topic) {
  return ar.drafts.get(topic.id) || { ja: topic.label.ja, en: topic.label.en };
}

function paintTopics() {
  paintRows($("#topic-list"), ar.topics, {
    key: (x) => x.id,
    sig: (x) => [x, ar.drafts.get(x.id) || null],
    render: topicRow,
  });
}

function topicRow(topic) {
  const id = `topic:${topic.id}`;
  const d = draft(topic);
  const ja = h("input", { id: `topic-${topic.id}-ja`, maxlength: 40, value: d.ja });
  const en = h("input", { id: `topic-${topic.id}-en`, maxlength: 60, value: d.en });
  const keep = () => ar.drafts.set(topic.id, { ja: ja.value, en: en.value });
  ja.addEventListener("input", keep);
  en.addEventListener("input", keep);
  const error = rowError(id);
  const change = (body) => async (ev) => {
    await busy(ev.currentTarget, async () => {
      try {
        await api.patch(`/api/staff/record-topics/${topic.id}`, body());
        ar.drafts.delete(topic.id);
        setRowError(id, error, null);
        await refreshTopics();
      } catch (err) {
        setRowError(id, error, err);
      }
    });
  };
  const save = bindText(h("button", { type: "button", class: "secondary", onclick: change(() => ({ label_ja: ja.value.trim(), label_en: en.value.trim() })) }), "topics.save");
  const retire = bindText(h("button", { type: "button", class: "secondary", onclick: change(() => ({ retired: !topic.retired })) }), topic.retired ? "topics.restore" : "topics.retire");
  return h("li", { class: `topic-row${topic.retired ? " retired" : ""}`, "data-topic": topic.key },
    h("span", { class: "tag" }, pick(topic.label)),
    topic.retired ? bindText(h("span", { class: "badge" }), "topics.retired") : null,
    bindText(h("label", { for: ja.id, class: "visually-hidden" }), "topics.ja"), ja,
    bindText(h("label", { for: en.id, class: "visually-hidden" }), "topics.en"), en,
    save, retire, error);
}

async function addTopic() {
  const ja = $("#topic-add-ja").value.trim();
  const en = $("#topic-add-en").value.trim();
  showError($("#topic-add-error"), null);
  try {
    await api.post("/api/staff/record-topics", { label_ja: ja, label_en: en });
    $("#topic-add-ja").value = "";
    $("#topic-add-en").value = "";
    await refreshTopics();
  } catch (err) {
    showError($("#topic-add-error"), err);
    (err.field === "label_en" ? $("#topic-add-en") : $("#topic-add-ja")).focus();
  }
}
