// /admin/: staff accounts (supervisor only; /api/staff/accounts). Create a login with a
// one-time password, deactivate / reactivate (two steps), reset its password (the new
// one-time password is shown once), lift a lockout, reset a lost second factor.

import { api } from "./api.js";
import { $, busy, h, paintOptions, paintRows, rowError, setRowError, showError, twoStep } from "./dom.js";
import { bindText, plain, t } from "./i18n.js";

const sa = { me: null, accounts: [], mentors: [] };

/** me: the signed-in supervisor (their own row offers no deactivation or reset). */
export function setupStaffAccounts(me) {
  sa.me = me;
  $("#staffacc-add").addEventListener("click", openForm);
  $("#staffacc-cancel").addEventListener("click", closeForm);
  $("#staffacc-form").addEventListener("submit", create);
  $("#sa-role").addEventListener("change", paintRoleFields);
  $("#staffacc-secret-hide").addEventListener("click", hideSecret);
  document.addEventListener("langchange", () => {
    paintAccounts();
    paintMentorOptions();
  });
  return refreshStaffAccounts();
}

export async function refreshStaffAccounts() {
  try {
    const [accounts, mentors] = await Promise.all([api.get("/api/staff/accounts"), api.get("/api/staff/mentors")]);
    sa.accounts = accounts.accounts;
    sa.mentors = mentors.mentors;
    showError($("#staffacc-error"), null);
    paintAccounts();
    paintMentorOptions();
  } catch (err) {
    showError($("#staffacc-error"), err);
  }
}

function notice(key, vars) {
  const box = $("#staffacc-notice");
  if (!key) {
    box.hidden = true;
    return;
  }
  bindText(box, key, vars);
  box.hidden = false;
}

/** A one-time password, shown once: it leaves the page when closed or replaced. */
function showSecret(username, password) {
  bindText($("#staffacc-secret-text"), "staffacc.secret", { user: username });
  $("#staffacc-secret-value").textContent = password;
  $("#staffacc-secret").hidden = false;
  $("#staffacc-secret-hide").focus();
}

function hideSecret() {
  $("#staffacc-secret-value").textContent = "";
  $("#staffacc-secret").hidden = true;
}

// --- create ------------------------------------------------------------------------------

function paintMentorOptions() {
  paintOptions($("#sa-mentor"), sa.mentors.filter((m) => m.active).map((m) => [String(m.id), m.display_name]));
}

function paintRoleFields() {
  const mentor = $("#sa-role").value === "mentor";
  $("#sa-mentor-field").hidden = !mentor;
  $("#sa-name-field").hidden = mentor;
}

function openForm() {
  const form = $("#staffacc-form");
  form.reset();
  showError(form.querySelector(".error"), null);
  paintRoleFields();
  form.hidden = false;
  $("#staffacc-add").setAttribute("aria-expanded", "true");
  $("#sa-username").focus();
}

function closeForm() {
  $("#staffacc-form").hidden = true;
  $("#staffacc-add").setAttribute("aria-expanded", "false");
  $("#staffacc-add").focus();
}

async function create(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".error");
  const username = $("#sa-username").value.trim();
  const role = $("#sa-role").value;
  const body = { username, role };
  showError(error, null);
  if (!username) return showError(error, plain(t("staffacc.check_username")));
  if (role === "mentor") body.mentor_id = Number($("#sa-mentor").value);
  else {
    body.display_name = $("#sa-name").value.trim();
    if (!body.display_name) return showError(error, plain(t("staffacc.check_name")));
  }
  try {
    const result = await busy(form.querySelector("button[type=submit]"), () => api.post("/api/staff/accounts", body));
    form.hidden = true;
    notice(null);
    showSecret(result.account.username, result.one_time_password);
    await refreshStaffAccounts();
  } catch (err) {
    showError(error, err);
  }
}

// --- the list ----------------------------------------------------------------------------

function paintAccounts() {
  paintRows($("#staffacc-rows"), sa.accounts, {
    key: (a) => a.id,
    render: accountRow,
    empty: () => h("tr", {}, bindText(h("td", { colspan: 6, class: "empty" }), "staffacc.none")),
  });
}

function replaceRow(account) {
  sa.accounts = sa.accounts.map((a) => (a.id === account.id ? account : a));
  paintAccounts();
}

function badge(cls, key, vars) {
  return bindText(h("span", { class: `badge ${cls}` }), key, vars);
}

function accountRow(a) {
  const id = `staff:${a.id}`;
  const error = rowError(id);
  const fail = (err) => setRowError(id, error, err);
  const label = (key) => `${plain(t(key))}: ${a.username}`;
  const isMe = sa.me && a.id === sa.me.id;
  const actions = h("div", { class: "row-actions" });
  const act = async (request, done) => {
    const result = await request();
    setRowError(id, error, null);
    replaceRow(result.account);
    if (done) done(result);
  };
  if (!isMe) {
    if (a.active) {
      actions.append(...twoStep(`staff-deactivate:${a.id}`, {
        ask: "staffacc.deactivate", yes: "staffacc.deactivate_confirm", no: "staffacc.keep", askClass: "chip",
        label: label("staffacc.deactivate"),
        onYes: () => act(() => api.patch(`/api/staff/accounts/${a.id}`, { active: false }),
          () => notice("staffacc.done_deactivated", { user: a.username })),
        onError: fail,
      }));
    } else {
      const start = bindText(h("button", { type: "button", class: "chip", "aria-label": label("staffacc.activate") }), "staffacc.activate");
      start.addEventListener("click", () => busy(start, () => act(() => api.patch(`/api/staff/accounts/${a.id}`, { active: true }),
        () => notice("staffacc.done_activated", { user: a.username }))).catch(fail));
      actions.append(start);
    }
    actions.append(...twoStep(`staff-reset:${a.id}`, {
      ask: "staffacc.reset", yes: "staffacc.reset_confirm", no: "staffacc.keep", askClass: "chip",
      label: label("staffacc.reset"),
      onYes: () => act(() => api.post(`/api/staff/accounts/${a.id}/password-reset`), (result) => {
        notice(null);
        showSecret(a.username, result.one_time_password);
      }),
      onError: fail,
    }));
    if (a.second_factor) {
      actions.append(...twoStep(`staff-2fa:${a.id}`, {
        ask: "staffacc.reset_2fa", yes: "staffacc.reset_2fa_confirm", no: "staffacc.keep", askClass: "chip",
        label: label("staffacc.reset_2fa"),
        onYes: () => act(() => api.del(`/api/staff/accounts/${a.id}/second-factor`),
          () => notice("staffacc.done_reset_2fa", { user: a.username })),
        onError: fail,
      }));
    }
  }
  if (a.locked) {
    const lift = bindText(h("button", { type: "button", class: "chip", "aria-label": label("staffacc.unlock") }), "staffacc.unlock");
    lift.addEventListener("click", () => busy(lift, () => act(() => api.del(`/api/staff/accounts/${a.id}/lockout`),
      () => notice("staffacc.done_unlocked", { user: a.username }))).catch(fail));
    actions.append(lift);
  }
  const state = h("div", { class: "badges" },
    a.active ? badge("badge-active", "staffacc.active") : badge("badge-inactive", "staffacc.inactive"),
    a.locked ? badge("badge-locked", "staffacc.locked") : null,
    a.must_change_password ? badge("badge-once", "staffacc.must_change") : null);
  const mentor = a.mentor
    ? h("span", {}, a.mentor.display_name, a.mentor.active ? null : bindText(h("span", { class: "hint" }), "staffacc.mentor_stopped"))
    : "—";
  return h("tr", { "data-staff": a.id, class: a.active ? "" : "inactive" },
    h("th", { scope: "row" }, h("span", { class: "username" }, a.username), " ", h("span", { class: "hint" }, a.display_name),
      isMe ? bindText(h("span", { class: "hint" }), "staffacc.you") : null),
    h("td", {}, plain(t(`staffacc.role_${a.role}`))),
    h("td", {}, mentor),
    h("td", {}, state),
    h("td", {}, a.second_factor ? plain(t("staffacc.tf_on", { n: a.recovery_codes_left })) : plain(t("staffacc.tf_off"))),
    h("td", {}, actions, error));
}
