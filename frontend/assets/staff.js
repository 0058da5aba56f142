// What the mentor and headquarters consoles share: staff sign-in/out, who is signed in,
// the live-update indicator and how a consultation's state is named.

import { api, currentAccount } from "./api.js";
import { ChatSocket } from "./chat.js";
import { $, busy, h, showError, showView } from "./dom.js";
import { addTexts, bindText, plain, setupLangToggle, t } from "./i18n.js";
import { COMMON } from "./texts/common.js";
import { CHAT } from "./texts/chat.js";
import { STAFF } from "./texts/staff.js";
import { HELP } from "./texts/help.js";
import { openSecurity } from "./staffsecurity.js";
import { minutesSince, syncClock } from "./time.js";

/**
 * The slow fallback poll beside the live socket, in seconds: everything a mentor must act on
 * is pushed, so this only mends what a lost event would leave stale. The server names it
 * (GET /api/service poll_seconds, at least 60); a live binding, set once the service is known.
 */
export let POLL_SECONDS = 60;

/**
 * booked | waiting | in_progress | closed | no_show | cancelled. "In progress" only once the
 * mentor has opened the chat (mentor_joined_at), never just because the client is there.
 */
export function stateOf(c) {
  if (c.status !== "open") return c.status;
  const here = "mentor_joined_at" in c ? c.mentor_joined_at : c.client_joined_at;
  return here ? "in_progress" : "waiting";
}

/** Minutes since the client who had joined left (closed the chat or lost it); null: here. */
export function awayMinutes(c) {
  return c.status === "open" && c.client_left_at ? Math.max(0, minutesSince(c.client_left_at)) : null;
}

/**
 * Start a console. role: "mentor" | "supervisor". onReady(account, socket, service) runs once
 * signed in with the right role; the returned socket is connected.
 */
export async function startStaffFace({ role, onReady }) {
  addTexts(COMMON);
  addTexts(STAFF);
  addTexts(CHAT);
  addTexts(HELP);
  setupLangToggle($("#lang-toggle"));
  let service = null;
  let started = false;

  const ready = async (account) => {
    const right = role === "supervisor" ? account.role === "supervisor" : account.role === "mentor";
    if (!right) {
      showView("signin", { focus: false });
      showError($("#signin-form .error"), plain(t(`signin.wrong_face.${role}`)));
      return;
    }
    bindText($("#whoami"), "signed_in_as", { name: account.display_name || account.username });
    $("#sign-out").hidden = false;
    if (account.restricted) {
      // A one-time password or a missing second factor: only that can be done first.
      openSecurity(account, (next) => ready(next));
      return;
    }
    securityButton(account);
    showView("console", { focus: false });
    if (started) return;
    started = true;
    const socket = new ChatSocket();
    socket.addEventListener("state", (e) => {
      paintLive(e.detail.state);
      if (e.detail.state === "signed_out") location.reload();
    });
    socket.connect();
    await onReady(account, socket, service);
  };

  $("#signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const error = form.querySelector(".error");
    const username = form.elements.username.value.trim();
    const password = form.elements.password.value;
    const otpField = $("#otp-field");
    const otp = otpField && !otpField.hidden ? form.elements.otp.value.trim() : "";
    showError(error, null);
    if (!username || !password) {
      showError(error, plain(t("signin.check")));
      return;
    }
    try {
      const result = await busy(form.querySelector("button[type=submit]"), () => api.signInStaff(username, password, otp));
      form.reset();
      if (otpField) otpField.hidden = true;
      await ready(result.account);
    } catch (err) {
      if (otpField && (err.code === "second_factor_required" || err.code === "bad_second_factor")) {
        // The password was right: ask for the code, keep what was typed.
        otpField.hidden = false;
        form.elements.otp.value = "";
        form.elements.otp.focus();
      }
      showError(error, err);
    }
  });

  $("#sign-out").addEventListener("click", async () => {
    try {
      await api.signOut();
    } catch {
      /* signed out locally anyway */
    }
    location.reload();
  });

  try {
    service = await api.service();
    syncClock(service.now);
    POLL_SECONDS = Math.max(60, Number(service.poll_seconds) || 60);
    const account = await currentAccount();
    if (account && account.kind === "staff") await ready(account);
    else showView("signin", { focus: false });
  } catch (err) {
    showView("signin", { focus: false });
    showError($("#page-error"), err);
  }
}

/** The "password & two-factor" button in the top bar (added once). */
function securityButton(account) {
  if ($("#security-open")) return;
  const button = bindText(h("button", { id: "security-open", type: "button", class: "chip" }), "security.open");
  button.addEventListener("click", () => openSecurity(account, () => showView("console")));
  $("#sign-out").before(button);
}

function paintLive(state) {
  const live = $("#live");
  if (!live) return;
  if (state === "open") bindText(live, "live.on");
  else bindText(live, "live.off", { sec: POLL_SECONDS });
  live.dataset.state = state;
}
