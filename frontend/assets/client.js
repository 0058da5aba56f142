// The client face, shared by /child/ and / (parents): sign up / in, mentor cards,
// chat now, the 14-day calendar, bookings, "talk again", and the chat screen.

import { api, currentAccount } from "./api.js";
import { ChatSocket } from "./chat.js";
import { ChatView } from "./chatview.js";
import { $, busy, h, showError, showView } from "./dom.js";
import { setupHelp } from "./help.js";
import { setupDirectory } from "./helpdir.js";
import { addTexts, applyTexts, bindText, pick, plain, setupLangToggle, t } from "./i18n.js";
import { addDays, dayLabel, dayOf, dayShort, hhmm, minutesUntil, syncClock, when } from "./time.js";

const KINDS = ["psychologist", "nurse", "social_worker", "financial_planner", "career_consultant", "former_teacher", "student_mentor"];

export function picture(kindId) {
  return `/assets/img/kind-${KINDS.includes(kindId) ? kindId : "psychologist"}.svg`;
}

const state = {
  audience: "child",
  service: null,
  account: null,
  mentors: [],
  mentor: null,
  day: null,
  slot: null,
  socket: null,
  chat: null,
  refreshTimer: null,
  // The last "chat now" refusal per mentor: the list is repainted right after a refusal
  // (the mentor's status changed), and the child must still read why.
  cardErrors: new Map(),
};

export async function startClientFace({ audience, texts }) {
  state.audience = audience;
  for (const table of texts) addTexts(table);
  setupLangToggle($("#lang-toggle"));
  setupHelp();
  setupDirectory({ audience });
  wireWelcome();
  wireHome();
  wireMentorView();
  document.addEventListener("langchange", rerender);
  try {
    state.service = await api.service();
    syncClock(state.service.now);
    paintHours();
    state.account = await currentAccount();
  } catch (err) {
    showError($("#page-error"), err);
  }
  if (state.account && state.account.kind === "client") await enterHome();
  else showView("welcome", { focus: false });
}

function notice(key, vars) {
  const box = $("#page-notice");
  if (!key) {
    box.hidden = true;
    return;
  }
  bindText(box, key, vars);
  box.hidden = false;
}

function paintHours() {
  const s = state.service;
  if (!s) return;
  for (const el of document.querySelectorAll(".hours-text")) {
    bindText(el, "hours.explain", {
      open: s.open_time,
      close: s.close_time,
      last: s.last_start,
      minutes: s.session_minutes,
      days: s.horizon_days,
      max: s.max_bookings,
    });
  }
}

function rerender() {
  if (document.body.dataset.current === "home") {
    paintMentors();
    refreshHome({ quiet: true });
  }
  if (document.body.dataset.current === "mentor" && state.mentor) {
    paintMentorHead();
    paintDays();
    if (state.day) loadSlots(state.day);
  }
}

// --- sign up / sign in -------------------------------------------------------------

function wireWelcome() {
  const signup = $("#signup-form");
  const signin = $("#signin-form");
  const tabs = [$("#tab-new"), $("#tab-back")];
  const choose = (showSignUp) => {
    signup.hidden = !showSignUp;
    signin.hidden = showSignUp;
    tabs[0].setAttribute("aria-pressed", String(showSignUp));
    tabs[1].setAttribute("aria-pressed", String(!showSignUp));
    (showSignUp ? signup : signin).querySelector("input").focus();
  };
  tabs[0].addEventListener("click", () => choose(true));
  tabs[1].addEventListener("click", () => choose(false));
  for (const box of document.querySelectorAll(".show-secret")) {
    box.addEventListener("change", () => {
      document.getElementById(box.dataset.for).type = box.checked ? "text" : "password";
    });
  }
  const submit = (form, call) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector(".error");
      const nickname = form.elements.nickname.value.trim();
      const secret = form.elements.secret.value;
      showError(error, null);
      if (!nickname) return fail(error, form.elements.nickname, t("check.nickname"));
      if (secret.length < 4) return fail(error, form.elements.secret, t("check.secret"));
      try {
        const result = await busy(form.querySelector("button[type=submit]"), () => call(nickname, secret));
        state.account = { ...result.account, display_name: result.account.nickname };
        form.reset();
        await enterHome();
      } catch (err) {
        showError(error, err);
        const field = err.field && form.elements[err.field];
        if (field) field.focus();
      }
    });
  };
  submit(signup, (n, s) => api.signUp(n, s, state.audience));
  submit(signin, (n, s) => api.signInClient(n, s));
}

function fail(box, input, text) {
  showError(box, plain(text));
  input.setAttribute("aria-invalid", "true");
  input.focus();
  input.addEventListener("input", () => input.removeAttribute("aria-invalid"), { once: true });
}

// --- home ---------------------------------------------------------------------------

function wireHome() {
  $("#sign-out").addEventListener("click", async () => {
    try {
      await api.signOut();
    } catch {
      /* signed out locally anyway */
    }
    state.account = null;
    state.socket?.stop();
    state.socket = null;
    clearInterval(state.refreshTimer);
    try {
      sessionStorage.clear();
    } catch {
      /* nothing to clear */
    }
    notice(null);
    showView("welcome");
  });
  $("#kind-filter").addEventListener("change", paintMentors);
}

function ensureSocket() {
  if (!state.socket) {
    state.socket = new ChatSocket();
    state.socket.addEventListener("consultation", (e) => {
      const f = e.detail;
      if (f.event === "opened" && !state.chat) notice("chat.opened_notice");
      if (!state.chat) refreshHome({ quiet: true });
    });
    state.socket.addEventListener("state", (e) => {
      if (e.detail.state === "signed_out") {
        state.socket.stop();
        state.socket = null;
        showView("welcome");
      }
    });
    state.socket.connect();
  }
  return state.socket;
}

async function enterHome() {
  renderRichGreeting();
  showView("home");
  clearInterval(state.refreshTimer);
  state.refreshTimer = setInterval(() => {
    state.cardErrors.clear(); // a minute later the refusal no longer describes the present
    if (document.body.dataset.current === "home") refreshHome({ quiet: true });
  }, 60000);
  const open = await refreshHome();
  // Reloaded in the middle of a chat: go straight back into it.
  if (open) openChat(open.id, open.mentor?.display_name || "");
}

function renderRichGreeting() {
  bindText($("#greeting"), "greeting", { name: state.account?.display_name || state.account?.nickname || "" });
}

/** Reload bookings, mentors and "talk again"; returns an open consultation, if any. */
async function refreshHome({ quiet = false } = {}) {
  let open = null;
  try {
    const [bookings, mentors, again] = await Promise.all([api.bookings(), api.mentors(state.audience), api.myMentors()]);
    state.mentors = mentors.mentors;
    paintKindFilter();
    paintMentors();
    paintBookings(bookings.consultations);
    paintAgain(again.mentors);
    open = bookings.consultations.find((c) => c.status === "open") || null;
    if (bookings.consultations.length) ensureSocket();
    if (!quiet) showError($("#page-error"), null);
  } catch (err) {
    if (err.status === 401) {
      state.account = null;
      showView("welcome");
      return null;
    }
    showError($("#page-error"), err);
  }
  return open;
}

function paintKindFilter() {
  const select = $("#kind-filter");
  const current = select.value;
  const kinds = state.service?.kinds || [];
  const present = new Set(state.mentors.map((m) => m.kind.id));
  select.textContent = "";
  select.append(h("option", { value: "" }, plain(t("mentors.all"))));
  for (const k of kinds.filter((k) => present.has(k.id))) select.append(h("option", { value: k.id }, pick(k.label)));
  select.value = current;
}

function statusBadge(today) {
  const badge = h("span", { class: `badge badge-${today}`, "data-testid": "status" });
  bindText(badge, `status.${today}`);
  return badge;
}

function nextSlotsText(slots) {
  if (!slots.length) return t("mentor.next_none");
  const today = state.service?.today;
  const list = slots.map((s) => (dayOf(s) === today ? hhmm(s) : `${dayShort(dayOf(s)).date} ${hhmm(s)}`));
  return t("mentor.next", { list: list.join(" / ") });
}

function paintMentors() {
  const list = $("#mentor-list");
  const kind = $("#kind-filter").value;
  list.textContent = "";
  const shown = state.mentors.filter((m) => !kind || m.kind.id === kind);
  if (!shown.length) list.append(h("li", { class: "empty" }, plain(t("mentors.none"))));
  for (const m of shown) {
    const error = h("p", { class: "error", role: "alert", hidden: true });
    if (state.cardErrors.has(m.id)) showError(error, state.cardErrors.get(m.id));
    const nowButton = h("button", { type: "button", class: "primary", onclick: (e) => chatNow(m, e.currentTarget, error) });
    bindText(nowButton, "action.chat_now");
    const pickButton = h("button", { type: "button", class: m.today === "now" ? "secondary" : "primary", onclick: () => openMentor(m) });
    bindText(pickButton, "action.choose_time");
    pickButton.setAttribute("aria-label", `${plain(t("action.choose_time"))}: ${m.display_name}`);
    nowButton.setAttribute("aria-label", `${plain(t("action.chat_now"))}: ${m.display_name}`);
    list.append(
      h(
        "li",
        { class: "card mentor-card", "data-mentor": m.id },
        h("img", { src: picture(m.kind.id), alt: "", width: 80, height: 80, class: "avatar" }),
        h("div", { class: "card-body" },
          h("h4", { class: "name" }, m.display_name),
          h("p", { class: "kind" }, pick(m.kind.label)),
          statusBadge(m.today),
          h("p", { class: "profile" }, pick(m.profile)),
          h("p", { class: "next hint" }, nextSlotsText(m.next_free_slots))),
        h("div", { class: "card-actions" }, m.chat_now.possible ? nowButton : null, pickButton),
        error,
      ),
    );
  }
}

function paintBookings(items) {
  const list = $("#bookings-list");
  list.textContent = "";
  if (!items.length) {
    list.append(bindText(h("li", { class: "empty" }), "bookings.none"));
    return;
  }
  for (const c of items) {
    const name = c.mentor?.display_name || "";
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const actions = h("div", { class: "row-actions" });
    const isOpen = c.status === "open";
    if (isOpen || minutesUntil(c.starts_at) <= 10) {
      actions.append(bindText(h("button", { type: "button", class: "primary", onclick: () => openChat(c.id, name) }), "bookings.enter"));
    }
    if (c.status === "booked") {
      const cancel = bindText(h("button", { type: "button", class: "secondary" }), "bookings.cancel");
      const sure = bindText(h("button", { type: "button", class: "danger", hidden: true }), "bookings.cancel_confirm");
      const keep = bindText(h("button", { type: "button", class: "secondary", hidden: true }), "bookings.keep");
      cancel.addEventListener("click", () => {
        cancel.hidden = true;
        sure.hidden = false;
        keep.hidden = false;
        sure.focus();
      });
      keep.addEventListener("click", () => {
        cancel.hidden = false;
        sure.hidden = true;
        keep.hidden = true;
        cancel.focus();
      });
      sure.addEventListener("click", async () => {
        try {
          await busy(sure, () => api.cancel(c.id));
          notice("bookings.cancelled");
          await refreshHome();
        } catch (err) {
          showError(error, err);
        }
      });
      actions.append(cancel, sure, keep);
    }
    list.append(
      h(
        "li",
        { class: `row booking status-${c.status}`, "data-booking": c.id },
        h("img", { src: picture(c.mentor?.kind?.id), alt: "", width: 48, height: 48, class: "avatar small" }),
        h("div", { class: "row-body" },
          h("p", { class: "when" }, `${when(c.starts_at)}〜${hhmm(c.ends_at)}`),
          h("p", {}, plain(t("bookings.with", { name })), " ", bindText(h("span", { class: "badge" }), isOpen ? "bookings.open" : "bookings.booked"))),
        actions,
        error,
      ),
    );
  }
}

function paintAgain(mentors) {
  const list = $("#again-list");
  list.textContent = "";
  if (!mentors.length) {
    list.append(bindText(h("li", { class: "empty" }), "again.none"));
    return;
  }
  for (const m of mentors) {
    const current = state.mentors.find((x) => x.id === m.id);
    const button = bindText(h("button", { type: "button", class: "primary", onclick: () => openMentor(current || { ...m, chat_now: { possible: false }, today: "bookable" }) }), "again.choose");
    button.setAttribute("aria-label", `${plain(t("again.choose"))}: ${m.display_name}`);
    list.append(
      h(
        "li",
        { class: "row", "data-mentor": m.id },
        h("img", { src: picture(m.kind.id), alt: "", width: 48, height: 48, class: "avatar small" }),
        h("div", { class: "row-body" },
          h("p", { class: "name" }, m.display_name, " ", h("span", { class: "kind" }, pick(m.kind.label))),
          h("p", { class: "hint" }, t("again.last", { when: when(m.last_consultation_at) }))),
        h("div", { class: "row-actions" }, button),
      ),
    );
  }
}

async function chatNow(mentor, button, errorBox) {
  showError(errorBox, null);
  state.cardErrors.delete(mentor.id);
  try {
    const { consultation } = await busy(button, () => api.chatNow(mentor.id));
    openChat(consultation.id, mentor.display_name);
  } catch (err) {
    state.cardErrors.set(mentor.id, err);
    showError(errorBox, err);
    refreshHome({ quiet: true });
  }
}

// --- one mentor: chat now + calendar ---------------------------------------------------

function wireMentorView() {
  $('[data-view="mentor"] .back').addEventListener("click", () => {
    showView("home");
    refreshHome({ quiet: true });
  });
  $("#now-button").addEventListener("click", (e) => chatNow(state.mentor, e.currentTarget, $("#now-error")));
  $("#book-no").addEventListener("click", () => {
    $("#book-confirm").hidden = true;
    state.slot = null;
  });
  $("#book-yes").addEventListener("click", async (e) => {
    const slot = state.slot;
    if (!slot) return;
    try {
      await busy(e.currentTarget, () => api.book(state.mentor.id, slot));
      $("#book-confirm").hidden = true;
      notice("book.done", { when: when(slot), name: state.mentor.display_name });
      showView("home");
      await refreshHome();
      const reminder = $("#page-notice");
      reminder.append(" ", plain(t("book.reminder")));
    } catch (err) {
      showError($("#book-error"), err);
      loadSlots(state.day);
    }
  });
}

function openMentor(mentor) {
  state.mentor = mentor;
  state.slot = null;
  notice(null);
  showError($("#now-error"), null);
  showError($("#book-error"), null);
  $("#book-confirm").hidden = true;
  paintMentorHead();
  const today = state.service.today;
  const first = mentor.next_free_slots?.[0];
  state.day = first ? dayOf(first) : today;
  paintDays();
  showView("mentor");
  loadSlots(state.day);
}

function paintMentorHead() {
  const m = state.mentor;
  $("#mentor-picture").src = picture(m.kind.id);
  $("#mentor-name").textContent = m.display_name;
  $("#mentor-kind").textContent = pick(m.kind.label);
  $("#mentor-profile").textContent = pick(m.profile);
  const possible = m.chat_now?.possible;
  $("#now-button").hidden = !possible;
  if (possible) bindText($("#now-text"), "chatnow.possible", { time: hhmm(m.chat_now.until) });
  else bindText($("#now-text"), `reason.${m.chat_now?.reason || "mentor_off_shift"}`);
}

function paintDays() {
  const box = $("#day-list");
  box.textContent = "";
  const today = state.service.today;
  for (let i = 0; i <= state.service.horizon_days; i += 1) {
    const day = addDays(today, i);
    const s = dayShort(day);
    const button = h(
      "button",
      {
        type: "button",
        class: `day wd-${s.weekday}`,
        "aria-pressed": String(day === state.day),
        "aria-label": dayLabel(day),
        "data-day": day,
        onclick: () => {
          state.day = day;
          for (const b of box.children) b.setAttribute("aria-pressed", String(b.dataset.day === day));
          loadSlots(day);
        },
      },
      h("span", { class: "wk" }, i === 0 ? plain(t("calendar.today")) : s.week),
      h("span", { class: "dt" }, s.date),
    );
    box.append(button);
  }
}

async function loadSlots(day) {
  const box = $("#slot-list");
  $("#book-confirm").hidden = true;
  bindText($("#slots-h"), "calendar.slots", { day: dayLabel(day) });
  box.textContent = "";
  box.setAttribute("aria-busy", "true");
  box.append(bindText(h("p", { class: "hint" }), "calendar.loading"));
  try {
    const data = await api.availability(state.mentor.id, day);
    if (state.day !== day) return;
    box.textContent = "";
    for (const slot of data.slots) {
      const button = h(
        "button",
        {
          type: "button",
          class: `slot ${slot.free ? "free" : "taken"}`,
          disabled: !slot.free,
          "data-start": slot.start,
          onclick: () => chooseSlot(slot.start),
        },
        h("span", { class: "time" }, hhmm(slot.start)),
        h("span", { class: "slot-why" }, slot.free ? plain(t("calendar.free")) : plain(t(`reason.${slot.reason}`)) === `reason.${slot.reason}` ? "—" : plain(t(`reason.${slot.reason}`))),
      );
      box.append(button);
    }
    if (!data.slots.some((s) => s.free)) box.append(bindText(h("p", { class: "hint full" }), "calendar.none"));
  } catch (err) {
    box.textContent = "";
    showError($("#book-error"), err);
  } finally {
    box.removeAttribute("aria-busy");
  }
}

function chooseSlot(start) {
  state.slot = start;
  showError($("#book-error"), null);
  const confirm = $("#book-confirm");
  bindText($("#book-question"), "book.confirm", { when: when(start), name: state.mentor.display_name });
  confirm.hidden = false;
  $("#book-yes").focus();
}

// --- chat -----------------------------------------------------------------------------

function openChat(id, mentorName) {
  notice(null);
  const socket = ensureSocket();
  if (state.chat) state.chat.stop();
  const title = { key: "chat.title", vars: { name: mentorName } };
  state.chat = new ChatView({
    socket,
    id,
    role: "client",
    title,
    onLeave: () => {
      state.chat?.stop({ leave: true });
      state.chat = null;
      showView("home");
      refreshHome({ quiet: true });
    },
  });
  $("#chat-host").append(state.chat.root);
  state.chat.start();
  applyTexts(state.chat.root);
  showView("chat");
}
