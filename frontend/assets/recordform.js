// The consultation record form (staff only): topics from headquarters' taxonomy, risk level,
// referrals (a help-directory entry picked by name), follow-up, and the consultation's
// escalations read-only. One compact form, filled in under two minutes; used by the mentor
// console (mentorrecord.js) and by headquarters to see and correct a record (adminrecords.js).
//
// Built once per opening and never rebuilt by a repaint: what the person ticked stays.

import { api } from "./api.js";
import { busy, h, showError } from "./dom.js";
import { bindText, pick, plain, t } from "./i18n.js";
import { clockNow, when } from "./time.js";

export const RISKS = ["none", "low", "high", "urgent"];
export const REFERRALS = ["child_guidance", "police", "school", "medical", "189", "help_directory", "none"];

/** The escalations of a consultation, read only (the record form and the mentor's panel). */
export function escalationItem(e) {
  // Staff words follow a language switch (bindText); what people wrote is shown as written.
  const plainly = (key, vars) => bindText(h("span", {}), key, vars);
  const li = h("li", { class: `esc-item esc-${e.status}`, "data-escalation": e.id, "data-status": e.status },
    h("p", {}, bindText(h("strong", {}), `esc.dest.${e.destination}`), " ", bindText(h("span", { class: `badge esc-status esc-${e.status}`, "data-testid": "esc-status" }), `esc.status.${e.status}`)),
    h("p", { class: "hint" }, plainly("esc.admin_reason", { text: e.reason })),
    h("p", { class: "hint" }, plainly("esc.admin_shared", { text: e.shared })));
  if (e.decided_at) li.append(h("p", { class: "hint" }, plainly("esc.decided", { name: e.decided_by?.display_name || "", time: when(e.decided_at) })));
  if (e.decision_note) li.append(h("p", { class: "note" }, plainly("esc.note", { text: e.decision_note })));
  return li;
}

/** An escalation raised or decided (the `escalation` event): into any open record form of its
 * consultation, whose escalations part is read-only (nothing a person typed is touched). */
export function showEscalationInForms(e) {
  for (const form of document.querySelectorAll(`.record-form[data-consultation="${Number(e.consultation_id)}"]`)) {
    const list = form.querySelector(".record-escalations ul");
    if (!list) continue;
    const old = list.querySelector(`[data-escalation="${Number(e.id)}"]`);
    if (old) old.replaceWith(escalationItem(e));
    else {
      list.querySelector("li.empty")?.remove();
      list.append(escalationItem(e));
    }
  }
}

/** A name from the server in {ja, en}, kept in step with the language switch. */
function picked(tag, label, attrs = {}) {
  return h(tag, { ...attrs, "data-pick": JSON.stringify(label) }, pick(label));
}

document.addEventListener("langchange", () => {
  for (const el of document.querySelectorAll(".record-form [data-pick]")) {
    const text = pick(JSON.parse(el.dataset.pick));
    if (el.textContent !== text) el.textContent = text;
  }
});

function choice(type, name, value, labelKey, { checked = false, label = null, retired = false } = {}) {
  const input = h("input", { type, name, value, checked });
  const box = h("label", { class: "choice" }, input, " ");
  box.append(label !== null ? picked("span", label) : bindText(h("span", {}), labelKey));
  if (retired) box.append(" ", bindText(h("span", { class: "hint" }), "record.retired"));
  return box;
}

/**
 * recordForm({consultation: {id, nickname, starts_at, audience}, onSaved}) -> element.
 * Loads the taxonomy, the record and the escalations, then paints the form once.
 */
export function recordForm({ consultation, onSaved = null, onClose = null }) {
  const cid = consultation.id;
  const root = h("section", { class: "block record-form", "data-testid": "record-form", "data-consultation": cid, "aria-labelledby": `rec-${cid}-h` });
  const heading = bindText(h("h3", { id: `rec-${cid}-h` }), "record.title");
  const error = h("p", { class: "error", role: "alert", hidden: true, "data-testid": "record-error" });
  const status = h("p", { class: "hint", role: "status", "data-testid": "record-status" });
  root.append(heading);
  if (consultation.nickname) {
    root.append(bindText(h("p", { class: "hint" }), "record.for", { name: consultation.nickname, time: consultation.starts_at ? when(consultation.starts_at) : "" }));
  }
  root.append(bindText(h("p", { class: "hint" }), "record.lead"));
  const body = h("div", {});
  root.append(body, error, status);
  if (onClose) {
    const close = bindText(h("button", { type: "button", class: "secondary", "data-testid": "record-close" }), "record.close");
    close.addEventListener("click", onClose);
    root.append(close);
  }
  load(cid, consultation, body, { error, status, onSaved }).catch((err) => showError(error, err));
  return root;
}

async function load(cid, consultation, body, ui) {
  const [topics, view] = await Promise.all([api.get("/api/staff/record-topics"), api.get(`/api/staff/consultations/${cid}/record`)]);
  let entries = [];
  try {
    const audience = consultation.audience === "parent" ? "parent" : "child";
    entries = (await api.get(`/api/help?audience=${audience}`)).entries;
  } catch {
    entries = [];
  }
  paintForm(cid, body, topics.topics, view, entries, ui);
}

function paintForm(cid, body, topics, view, entries, ui) {
  body.textContent = "";
  const rec = view.record;
  if (!view.needed && !rec) {
    body.append(bindText(h("p", { class: "notice" }), "record.not_needed"));
    body.append(escalationBlock(view.escalations));
    return;
  }
  const form = h("form", { class: "record-fields", novalidate: true });
  const chosen = new Set((rec?.topics || []).map((x) => x.id));
  const topicSet = h("fieldset", { class: "choices", "data-testid": "record-topics" }, bindText(h("legend", {}), "record.topics"));
  for (const topic of topics) {
    if (topic.retired && !chosen.has(topic.id)) continue; // a retired topic only where it was chosen
    topicSet.append(choice("checkbox", "topic", String(topic.id), null, { checked: chosen.has(topic.id), label: topic.label, retired: topic.retired }));
  }
  const riskSet = h("fieldset", { class: "choices", "data-testid": "record-risk" }, bindText(h("legend", {}), "record.risk"));
  for (const risk of RISKS) riskSet.append(choice("radio", `risk-${cid}`, risk, `record.risk.${risk}`, { checked: rec?.risk === risk }));
  const refSet = h("fieldset", { class: "choices", "data-testid": "record-referrals" }, bindText(h("legend", {}), "record.referrals"));
  const had = new Set(rec?.referrals || []);
  for (const ref of REFERRALS) refSet.append(choice("checkbox", "referral", ref, `record.ref.${ref}`, { checked: had.has(ref) }));
  const entryId = `rec-${cid}-entry`;
  const entrySelect = h("select", { id: entryId, "data-testid": "record-help-entry" },
    bindText(h("option", { value: "" }), "record.help_pick"),
    ...entries.map((e) => picked("option", e.name, { value: e.id, selected: rec?.help_entry_id === e.id })));
  const entryBox = h("div", { class: "record-entry", hidden: !had.has("help_directory") },
    bindText(h("label", { for: entryId }), "record.help_entry"), entrySelect);
  refSet.append(entryBox);
  refSet.addEventListener("change", () => {
    entryBox.hidden = !refSet.querySelector('input[value="help_directory"]').checked;
  });
  const followSet = h("fieldset", { class: "choices", "data-testid": "record-follow-up" }, bindText(h("legend", {}), "record.follow_up"));
  for (const [value, key] of [["yes", "record.follow_up.yes"], ["no", "record.follow_up.no"]]) {
    const checked = rec ? (rec.follow_up ? value === "yes" : value === "no") : false;
    followSet.append(choice("radio", `follow-${cid}`, value, key, { checked }));
  }
  const save = bindText(h("button", { type: "submit", class: "primary", "data-testid": "record-save" }), "record.save");
  form.append(topicSet, riskSet, refSet, followSet, save);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(save, () => submit(cid, form, ui, body));
  });
  body.append(form);
  if (rec) body.append(savedLine(rec));
  body.append(escalationBlock(view.escalations));
}

function savedLine(rec) {
  const box = h("div", { class: "record-saved" });
  if (rec.updated_by) box.append(bindText(h("p", { class: "hint" }), "record.updated", { name: rec.updated_by, time: when(rec.updated_at) }));
  if (rec.corrected) box.append(bindText(h("p", { class: "hint", "data-testid": "record-corrected" }), "record.corrected"));
  return box;
}

function escalationBlock(escalations) {
  const box = h("div", { class: "record-escalations", "data-testid": "record-escalations" }, bindText(h("h4", {}), "record.escalations"));
  const list = h("ul", { class: "rows" });
  for (const e of escalations || []) list.append(escalationItem(e));
  if (!(escalations || []).length) list.append(bindText(h("li", { class: "empty" }), "record.escalations_none"));
  box.append(list);
  return box;
}

/** Check what the server would refuse, in words, and focus the first place to fix. */
function collect(cid, form) {
  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const topics = checked("topic").map(Number);
  const risk = checked(`risk-${cid}`)[0];
  const referrals = checked("referral");
  const follow = checked(`follow-${cid}`)[0];
  const entry = form.querySelector("select").value;
  const fail = (key, selector) => ({ error: key, focus: form.querySelector(selector) });
  if (!topics.length) return fail("record.check.topics", 'input[name="topic"]');
  if (!risk) return fail("record.check.risk", `input[name="risk-${cid}"]`);
  if (!referrals.length) return fail("record.check.referrals", 'input[name="referral"]');
  if (referrals.includes("none") && referrals.length > 1) return fail("record.check.none_alone", 'input[name="referral"]');
  if (referrals.includes("help_directory") && !entry) return fail("record.check.help_entry", "select");
  if (!follow) return fail("record.check.follow_up", `input[name="follow-${cid}"]`);
  const body = { topics, risk, referrals, follow_up: follow === "yes" };
  if (referrals.includes("help_directory")) body.help_entry_id = entry;
  return { body };
}

async function submit(cid, form, ui, container) {
  showError(ui.error, null);
  const got = collect(cid, form);
  if (got.error) {
    showError(ui.error, plain(t(got.error)));
    got.focus?.focus();
    return;
  }
  try {
    const view = await api.put(`/api/staff/consultations/${cid}/record`, got.body);
    bindText(ui.status, "record.saved", { time: clockNow() });
    const old = container.querySelector(".record-saved");
    if (old && view.record) old.replaceWith(savedLine(view.record));
    else if (view.record) form.after(savedLine(view.record));
    ui.onSaved?.(view);
  } catch (err) {
    showError(ui.error, err);
  }
}
