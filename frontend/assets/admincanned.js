// /admin/: the canned replies (定型文) mentors insert into their text box. Headquarters adds,
// edits and deletes them, each for children, parents or both, in one language, with a
// category. The list is repainted in place (paintRows), so an open delete confirmation or the
// form being filled in survives a repaint.

import { api } from "./api.js";
import { $, h, paintOptions, paintRows, resetInput, rowError, setRowError, showError, twoStep } from "./dom.js";
import { LANG_NAMES, bindText, plain, t } from "./i18n.js";

const AUDIENCES = ["child", "parent", "both"];
const LANGS = ["ja", "en", "zh", "ko"];
const CATEGORIES = ["greeting", "closing", "wait", "referral", "other"];
const st = { replies: [], editing: null };

export async function setupCanned() {
  const form = $("#canned-form");
  if (!form) return;
  paintChoices();
  document.addEventListener("langchange", () => {
    paintChoices();
    paintList();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    save();
  });
  $("#canned-cancel").addEventListener("click", () => edit(null));
  await refreshCanned();
}

function paintChoices() {
  paintOptions($("#cf-audience"), AUDIENCES.map((a) => [a, plain(t(`audience.${a}`))]));
  paintOptions($("#cf-language"), LANGS.map((l) => [l, LANG_NAMES[l]]));
  paintOptions($("#cf-category"), CATEGORIES.map((c) => [c, plain(t(`canned.cat.${c}`))]));
}

export async function refreshCanned() {
  try {
    const data = await api.get("/api/staff/canned-replies");
    st.replies = data.replies;
    paintList();
    showError($("#canned-error"), null);
  } catch (err) {
    showError($("#canned-error"), err);
  }
}

function paintList() {
  paintRows($("#canned-rows"), st.replies, {
    key: (r) => r.id,
    sig: (r) => [r, st.editing === r.id],
    render: row,
    empty: () => bindText(h("li", { class: "empty" }), "cannedadm.none"),
  });
}

function row(r) {
  const id = `canned:${r.id}`;
  const error = rowError(id);
  const editButton = bindText(h("button", { type: "button", class: "secondary" }), "cannedadm.edit");
  editButton.setAttribute("aria-label", `${plain(t("cannedadm.edit"))}: ${r.title}`);
  editButton.addEventListener("click", () => edit(r));
  const steps = twoStep(id, {
    ask: "cannedadm.delete",
    yes: "cannedadm.delete_yes",
    no: "cannedadm.delete_no",
    label: `${plain(t("cannedadm.delete"))}: ${r.title}`,
    onYes: async () => {
      await api.del(`/api/staff/canned-replies/${r.id}`);
      if (st.editing === r.id) edit(null);
      await refreshCanned();
    },
    onError: (err) => setRowError(id, error, err),
  });
  return h("li", { class: `citem canned-row${st.editing === r.id ? " current" : ""}`, "data-reply": r.id },
    h("p", { class: "who" },
      bindText(h("span", { class: "tag" }), `canned.cat.${r.category}`), " ",
      bindText(h("span", { class: "tag" }), `audience.${r.audience}`), " ",
      h("span", { class: "tag", lang: r.language }, LANG_NAMES[r.language] || r.language), " ",
      h("strong", {}, r.title)),
    h("p", { class: "hint", lang: r.language }, r.text),
    h("div", { class: "row-actions" }, editButton, ...steps),
    error);
}

/** Fill the form with a reply to change it (null: back to adding a new one). */
function edit(r) {
  st.editing = r ? r.id : null;
  $("#cf-audience").value = r ? r.audience : "child";
  $("#cf-language").value = r ? r.language : "ja";
  $("#cf-category").value = r ? r.category : "greeting";
  resetInput($("#cf-title"), r ? r.title : "");
  resetInput($("#cf-text"), r ? r.text : "");
  bindText($("#canned-form-h"), r ? "cannedadm.edit_title" : "cannedadm.add");
  bindText($("#canned-save"), r ? "cannedadm.save" : "cannedadm.add_go");
  $("#canned-cancel").hidden = !r;
  showError($("#canned-form-error"), null);
  paintList();
  if (r) $("#cf-title").focus();
}

async function save() {
  const box = $("#canned-form-error");
  showError(box, null);
  const body = {
    audience: $("#cf-audience").value,
    language: $("#cf-language").value,
    category: $("#cf-category").value,
    title: $("#cf-title").value.trim(),
    text: $("#cf-text").value.trim(),
  };
  if (!body.title || !body.text) {
    showError(box, plain(t("cannedadm.need")));
    (body.title ? $("#cf-text") : $("#cf-title")).focus();
    return;
  }
  const button = $("#canned-save");
  button.disabled = true;
  try {
    if (st.editing) await api.patch(`/api/staff/canned-replies/${st.editing}`, body);
    else await api.post("/api/staff/canned-replies", body);
    const notice = $("#canned-notice");
    bindText(notice, st.editing ? "cannedadm.saved" : "cannedadm.added", { title: body.title });
    notice.hidden = false;
    edit(null);
    await refreshCanned();
  } catch (err) {
    showError(box, err);
    if (err.field) $(`#cf-${err.field}`)?.focus();
  } finally {
    button.disabled = false;
  }
}
