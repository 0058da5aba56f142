// Both staff consoles: change one's own password (forced after a one-time password) and set up
// two-factor sign-in (QR code drawn by the server, the key, the otpauth:// link, confirm with a
// code, recovery codes shown once). PUT /api/staff/me/password,
// POST /api/staff/me/second-factor[/confirm].

import { api } from "./api.js";
import { $, busy, h, showError, showView } from "./dom.js";
import { bindText, plain, t } from "./i18n.js";

const MIN_PASSWORD = 12;

function field(id, key, attrs = {}) {
  return [
    bindText(h("label", { for: id }), key),
    h("input", { id, name: id, ...attrs }),
  ];
}

/** The security view (built once, into <main>). */
function view() {
  let section = $('[data-view="security"]');
  if (section) return section;
  const pwForm = h(
    "form",
    { id: "password-form", class: "panel narrow", novalidate: true, "data-testid": "password-form" },
    bindText(h("h3"), "security.pw_title"),
    h("label", { for: "pw-current", id: "pw-current-label" }),
    h("input", { id: "pw-current", name: "current_password", type: "password", autocomplete: "current-password" }),
    ...field("pw-new", "security.pw_new", { type: "password", autocomplete: "new-password", "aria-describedby": "pw-new-hint" }),
    bindText(h("p", { id: "pw-new-hint", class: "hint" }), "security.pw_new_hint"),
    ...field("pw-repeat", "security.pw_repeat", { type: "password", autocomplete: "new-password" }),
    h("p", { class: "error", role: "alert", hidden: true }),
    bindText(h("button", { type: "submit", class: "primary" }), "security.pw_submit"),
  );
  const enrol = h(
    "div",
    { id: "enrol-block", class: "panel narrow", "data-testid": "enrol" },
    bindText(h("h3"), "security.tf_title"),
    bindText(h("p", { class: "hint" }), "security.tf_lead"),
    bindText(h("button", { type: "button", id: "enrol-start", class: "primary" }), "security.tf_start"),
    h(
      "form",
      { id: "enrol-form", novalidate: true, hidden: true },
      bindText(h("p"), "security.tf_scan"),
      h("img", { id: "enrol-qr", class: "qr", width: 220, height: 220, alt: "" }),
      bindText(h("p", { class: "hint" }), "security.tf_secret"),
      h("p", {}, h("code", { id: "enrol-secret", class: "secret-value" })),
      h("details", {}, bindText(h("summary"), "security.tf_uri"), h("p", {}, h("code", { id: "enrol-uri", class: "uri" }))),
      ...field("enrol-code", "security.tf_code", { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }),
      h("p", { class: "error", role: "alert", hidden: true }),
      bindText(h("button", { type: "submit", class: "primary" }), "security.tf_confirm"),
    ),
    h(
      "div",
      { id: "recovery-block", hidden: true },
      bindText(h("h4"), "security.tf_codes_title"),
      bindText(h("p"), "security.tf_codes_lead"),
      h("ol", { id: "recovery-codes", class: "recovery-codes", "data-testid": "recovery-codes" }),
      bindText(h("button", { type: "button", id: "recovery-done", class: "primary" }), "security.tf_done"),
    ),
    h("p", { id: "enrol-error", class: "error", role: "alert", hidden: true }),
  );
  section = h(
    "section",
    { "data-view": "security", hidden: true },
    bindText(h("h2"), "security.title"),
    h("p", { id: "security-lead", class: "notice", role: "status", hidden: true }),
    h("p", { id: "security-notice", class: "notice notice-ok", role: "status", hidden: true }),
    pwForm,
    enrol,
    bindText(h("button", { type: "button", id: "security-back", class: "secondary" }), "security.back"),
  );
  $("#main").append(section);
  return section;
}

function lead(key) {
  const box = $("#security-lead");
  if (!key) {
    box.hidden = true;
    return;
  }
  bindText(box, key);
  box.hidden = false;
}

/**
 * Open the security view. forced: the account's restriction (the server refuses everything
 * else until it is done), or null when opened by choice. onDone(account) runs once nothing
 * is left to do (forced) or when the person goes back (by choice).
 */
export function openSecurity(account, onDone) {
  const section = view();
  let current = account;
  const state = { forced: account.restricted || null };

  const paint = () => {
    const forced = state.forced;
    lead(forced === "password_change_required" ? "security.must_change" : forced === "second_factor_enrolment_required" ? "security.must_enrol" : null);
    $("#password-form").hidden = forced === "second_factor_enrolment_required";
    $("#enrol-block").hidden = forced === "password_change_required";
    $("#security-back").hidden = Boolean(forced);
    bindText($("#pw-current-label"), forced === "password_change_required" ? "security.pw_current_once" : "security.pw_current");
  };

  const settle = (next) => {
    current = next;
    state.forced = next.restricted || null;
    if (!state.forced && account.restricted) {
      onDone(next); // the restriction is gone: on to the console
      return;
    }
    paint();
  };

  const pwForm = $("#password-form");
  pwForm.onsubmit = async (event) => {
    event.preventDefault();
    const error = pwForm.querySelector(".error");
    const now = $("#pw-current").value;
    const next = $("#pw-new").value;
    showError(error, null);
    if (next.length < MIN_PASSWORD) return showError(error, plain(t("security.pw_short")));
    if (next !== $("#pw-repeat").value) return showError(error, plain(t("security.pw_mismatch")));
    try {
      const result = await busy(pwForm.querySelector("button[type=submit]"), () =>
        api.put("/api/staff/me/password", { current_password: now, new_password: next }));
      pwForm.reset();
      const notice = $("#security-notice");
      bindText(notice, "security.pw_changed");
      notice.hidden = false;
      settle(result.account);
    } catch (err) {
      showError(error, err);
    }
  };

  const start = $("#enrol-start");
  const enrolError = $("#enrol-error");
  start.onclick = async () => {
    showError(enrolError, null);
    try {
      const begun = await busy(start, () => api.post("/api/staff/me/second-factor"));
      $("#enrol-qr").src = begun.qr_svg;
      $("#enrol-qr").alt = plain(t("security.tf_qr_alt"));
      $("#enrol-secret").textContent = begun.secret.replace(/(.{4})(?=.)/g, "$1 ");
      $("#enrol-uri").textContent = begun.uri;
      $("#enrol-form").hidden = false;
      start.hidden = true;
      $("#enrol-code").focus();
    } catch (err) {
      if (err.code === "second_factor_enrolled") showError(enrolError, plain(t("security.tf_already")));
      else showError(enrolError, err);
    }
  };

  const enrolForm = $("#enrol-form");
  enrolForm.onsubmit = async (event) => {
    event.preventDefault();
    const error = enrolForm.querySelector(".error");
    showError(error, null);
    try {
      const result = await busy(enrolForm.querySelector("button[type=submit]"), () =>
        api.post("/api/staff/me/second-factor/confirm", { otp: $("#enrol-code").value.trim() }));
      enrolForm.hidden = true;
      enrolForm.reset();
      const list = $("#recovery-codes");
      list.textContent = "";
      for (const code of result.recovery_codes) list.append(h("li", {}, h("code", {}, code)));
      $("#recovery-block").hidden = false;
      $("#recovery-done").onclick = () => {
        list.textContent = ""; // shown once: gone from the page as well
        $("#recovery-block").hidden = true;
        start.hidden = false;
        if (state.forced) settle(result.account);
        else current = result.account;
      };
    } catch (err) {
      showError(error, err);
    }
  };

  $("#security-back").onclick = () => onDone(current);
  $("#security-notice").hidden = true;
  paint();
  showView("security");
  return section;
}
