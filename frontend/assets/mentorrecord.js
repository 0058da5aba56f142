// /mentor/: the consultation record and the two-person escalation.
//
// - "記録が まだの 相談": closed consultations I answered without a record, with a count,
//   listed (paintRows) until the record is saved; each opens the record form.
// - When the consultation open in the workspace closes (I ended it, the client did, or its
//   time ran out) and I had joined it, its record form opens above the chat.
// - "Escalate" in the chat: to whom, why, what will be shared; headquarters decides, and the
//   decision comes back live (the `escalation` event) into the panel and the chat.

import { api } from "./api.js";
import { $, busy, h, paintRows, showError } from "./dom.js";
import { applyTexts, bindText, plain, t } from "./i18n.js";
import { POLL_SECONDS } from "./staff.js";
import { when } from "./time.js";
import { escalationItem, recordForm, showEscalationInForms } from "./recordform.js";

const DESTINATIONS = ["child_guidance", "police", "school", "medical", "189", "other"];
const rs = { socket: null, current: null, chat: null, open: null, seq: 0, formFor: null, opener: null, escalations: new Map() };

/** Called once from mentor.js's onReady. */
export function startRecords(socket) {
  rs.socket = socket;
  buildOpenList();
  buildEscalationPanel();
  const host = h("div", { id: "record-host" });
  $(".work-col").prepend(host);
  socket.addEventListener("consultation", (e) => onConsultation(e.detail));
  socket.addEventListener("escalation", (e) => onEscalation(e.detail.escalation));
  socket.addEventListener("state", (e) => {
    if (e.detail.state === "open") refreshRecords();
  });
  document.addEventListener("langchange", () => paintOpen());
  setInterval(refreshRecords, POLL_SECONDS * 1000);
  return refreshRecords();
}

// --- open records -------------------------------------------------------------------------

function buildOpenList() {
  const section = h("section", { id: "open-records", class: "open-records", "aria-labelledby": "open-records-h", "data-testid": "open-records" },
    h("h3", { id: "open-records-h" }, bindText(h("span", {}), "record.open_title"), " ",
      h("span", { id: "open-records-count", class: "badge count-badge", "data-testid": "open-records-count" })),
    h("p", { id: "open-records-error", class: "error", role: "alert", hidden: true }),
    h("ul", { id: "open-records-list", class: "clist" }));
  $(".list-col").prepend(section);
  applyTexts(section);
}

export async function refreshRecords() {
  const seq = ++rs.seq;
  try {
    const data = await api.get("/api/staff/records/open");
    if (seq !== rs.seq) return;
    rs.open = data;
    showError($("#open-records-error"), null);
    paintOpen();
  } catch (err) {
    if (seq === rs.seq) showError($("#open-records-error"), err);
  }
}

function paintOpen() {
  const data = rs.open;
  if (!data) return;
  const count = $("#open-records-count");
  count.textContent = plain(t("record.open_count", { n: data.count }));
  count.dataset.count = String(data.count);
  paintRows($("#open-records-list"), data.consultations, {
    key: (o) => o.consultation_id,
    sig: (o) => [o, rs.formFor === o.consultation_id],
    render: (o) => {
      const fill = bindText(h("button", { type: "button", class: "secondary", "data-testid": "record-fill" }), "record.fill");
      fill.setAttribute("aria-label", plain(t("record.fill_label", { name: o.client.nickname, time: when(o.starts_at) })));
      fill.addEventListener("click", () => showForm({ id: o.consultation_id, nickname: o.client.nickname, starts_at: o.starts_at, audience: o.client.audience }));
      return h("li", { class: `citem${rs.formFor === o.consultation_id ? " current" : ""}`, "data-open-record": o.consultation_id },
        h("p", { class: "when" }, when(o.starts_at)),
        h("p", { class: "who" }, o.client.nickname, " ", bindText(h("span", { class: "tag" }), `audience.${o.client.audience}`)),
        fill);
    },
    empty: () => bindText(h("li", { class: "empty" }), "record.open_none"),
  });
}

/** Open the record form of one consultation above the chat (once: a repaint keeps it). */
function showForm(c) {
  const host = $("#record-host");
  if (rs.formFor === c.id && host.firstChild) {
    host.querySelector("h3")?.focus();
    return;
  }
  rs.formFor = c.id;
  host.textContent = "";
  const form = recordForm({
    consultation: c,
    onSaved: () => refreshRecords(),
    onClose: () => {
      host.textContent = "";
      rs.formFor = null;
      paintOpen();
    },
  });
  host.append(form);
  applyTexts(form);
  paintOpen();
  const heading = form.querySelector("h3");
  heading.tabIndex = -1;
  heading.focus();
}

function onConsultation(frame) {
  if (!["closed", "no_show", "reassigned", "mentor_joined"].includes(frame.event)) return;
  refreshRecords();
  const c = rs.current;
  if (frame.event === "closed" && c && frame.consultation_id === c.id && frame.mentor_joined_at) {
    showForm({ id: c.id, nickname: c.client.nickname, starts_at: c.starts_at, audience: c.client.audience });
  }
}

// --- the chat's escalation ----------------------------------------------------------------

function buildEscalationPanel() {
  const options = [h("option", { value: "" }, ""), ...DESTINATIONS.map((d) => h("option", { value: d, "data-dest": d }))];
  const panel = h("section", { id: "esc-panel", class: "block esc-panel", "aria-labelledby": "esc-h", "data-testid": "escalation-panel", hidden: true },
    h("h3", { id: "esc-h", "data-t": "esc.title" }),
    h("p", { class: "hint", "data-t": "esc.lead" }),
    h("form", { id: "esc-form", novalidate: true, hidden: true, "data-testid": "escalation-form" },
      h("label", { for: "esc-destination", "data-t": "esc.destination" }),
      h("select", { id: "esc-destination" }, ...options),
      h("label", { for: "esc-reason", "data-t": "esc.reason" }),
      h("textarea", { id: "esc-reason", rows: 3, maxlength: 1000 }),
      h("label", { for: "esc-shared", "data-t": "esc.shared" }),
      h("textarea", { id: "esc-shared", rows: 3, maxlength: 1000 }),
      h("p", { id: "esc-error", class: "error", role: "alert", hidden: true }),
      h("div", { class: "row-actions" },
        h("button", { type: "submit", class: "danger", "data-t": "esc.submit", "data-testid": "escalation-submit" }),
        h("button", { type: "button", id: "esc-cancel", class: "secondary", "data-t": "esc.cancel" }))),
    h("ul", { id: "esc-list", class: "rows", "aria-live": "polite", "data-testid": "escalations" }));
  const side = $(".side-col");
  side.prepend(panel);
  paintDestinations();
  document.addEventListener("langchange", paintDestinations);
  applyTexts(panel);
  $("#esc-cancel").addEventListener("click", () => {
    $("#esc-form").hidden = true;
    paintPanel();
    rs.opener?.focus();
  });
  $("#esc-form").addEventListener("submit", (e) => {
    e.preventDefault();
    busy(e.submitter || $("#esc-form button[type=submit]"), raise);
  });
}

function paintDestinations() {
  for (const option of $("#esc-destination").options) {
    const text = plain(t(option.value ? `esc.dest.${option.value}` : "esc.pick"));
    if (option.textContent !== text) option.textContent = text; // an open menu stays open
  }
}

/** The button beside "call headquarters" in the chat's actions. */
export function escalateButton() {
  const button = bindText(h("button", { type: "button", class: "secondary escalate", "aria-controls": "esc-panel", "data-testid": "escalate" }), "esc.open");
  button.addEventListener("click", () => {
    rs.opener = button;
    $("#esc-form").hidden = false;
    paintPanel();
    $("#esc-destination").focus();
  });
  return button;
}

async function raise() {
  const c = rs.current;
  if (!c) return;
  const destination = $("#esc-destination").value;
  const reason = $("#esc-reason").value.trim();
  const shared = $("#esc-shared").value.trim();
  showError($("#esc-error"), null);
  if (!destination || !reason || !shared) {
    showError($("#esc-error"), plain(t("esc.check")));
    (!destination ? $("#esc-destination") : !reason ? $("#esc-reason") : $("#esc-shared")).focus();
    return;
  }
  try {
    const data = await api.post(`/api/staff/consultations/${c.id}/escalations`, { destination, reason, shared });
    $("#esc-form").hidden = true;
    $("#esc-reason").value = "";
    $("#esc-shared").value = "";
    $("#esc-destination").value = "";
    remember(data.escalation, true);
  } catch (err) {
    showError($("#esc-error"), err);
  }
}

/** Keep what we know of an escalation; a line in the chat when it is new news. */
function remember(e, announce) {
  const before = rs.escalations.get(e.id);
  rs.escalations.set(e.id, e);
  paintPanel();
  if (!announce || !rs.chat || rs.current?.id !== e.consultation_id) return;
  if (before && before.status === e.status) return;
  const dest = plain(t(`esc.dest.${e.destination}`));
  const key = e.status === "pending" ? "esc.line.raised" : `esc.line.${e.status}`;
  rs.chat.systemLine(key, { dest, name: e.decided_by?.display_name || "" });
}

function onEscalation(e) {
  if (!e) return;
  showEscalationInForms(e);
  if (rs.current?.id !== e.consultation_id) return;
  remember(e, true);
}

function paintPanel() {
  const c = rs.current;
  const panel = $("#esc-panel");
  const mine = [...rs.escalations.values()].filter((e) => c && e.consultation_id === c.id);
  panel.hidden = !c || ($("#esc-form").hidden && !mine.length);
  paintRows($("#esc-list"), mine, { key: (e) => e.id, render: escalationItem });
}

/** mentor.js opened a consultation in the workspace. */
export async function recordsOpened(c, chat) {
  rs.current = c;
  rs.chat = chat;
  rs.escalations = new Map();
  $("#esc-form").hidden = true;
  showError($("#esc-error"), null);
  paintPanel();
  if (c.status === "closed" && c.mentor_joined_at) {
    showForm({ id: c.id, nickname: c.client.nickname, starts_at: c.starts_at, audience: c.client.audience });
  }
  try {
    const view = await api.get(`/api/staff/consultations/${c.id}/record`);
    if (rs.current?.id !== c.id) return;
    for (const e of view.escalations) if (!rs.escalations.has(e.id)) rs.escalations.set(e.id, e);
    paintPanel();
  } catch {
    /* the panel stays as it is; the decision still arrives pushed */
  }
}

/** mentor.js closed the workspace. */
export function recordsClosed() {
  rs.current = null;
  rs.chat = null;
  paintPanel();
}
