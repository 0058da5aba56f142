// The client face, shared by /child/ and / (parents): sign up / in, mentor cards,
// chat now, the 14-day calendar, bookings, "talk again", and the chat screen.

import { api, currentAccount, face } from "./api.js";
import { registerWorker } from "./installable.js";
import { ChatSocket } from "./chat.js";
import { ChatView } from "./chatview.js";
import { $, busy, h, paintOptions, paintRows, rowError, rowErrorOf, setRowError, showError, showRich, showView, twoStep } from "./dom.js";
import { openHelp, setupHelp } from "./help.js";
import { setupDirectory } from "./helpdir.js";
import { kindAbout, kindLabel } from "./kinds.js";
import { noteRefusal, offerOpened, paintWaitOffer, queueActive, queueFrame, queueSig, readQueue, resetQueue, setupQueue, waitOffer } from "./queue.js";
import { LANGS, LANG_NAMES, addTexts, applyTexts, bindText, getLang, htmlLang, pick, plain, renderRich, setupLangMenu, t } from "./i18n.js";
import { refreshLinks, setupLinks } from "./links.js";
import { startRepaints } from "./repaint.js";
import { SurveyPanel } from "./survey.js";
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
  homeSeq: 0, // only the latest refresh paints (a slow answer must not paint over a newer one)
  bookings: [], // the client's booked and open consultations (GET /api/bookings), soonest first
  pointed: null, // the booking a "show this booking" button led to: marked in the list
  focusPointed: false, // move focus to it when the list next shows it
};

export async function startClientFace({ audience, texts }) {
  registerWorker();
  state.audience = audience;
  for (const table of texts) addTexts(table);
  setupLangMenu($("#lang-menu"));
  setupHelp();
  setupDirectory({ audience });
  wireWelcome();
  wireHome();
  wireMentorView();
  setupTopics();
  setupLinks(audience);
  setupQueue({
    getSocket: ensureSocket,
    kindLabel: (id) => kindLabel(state.service?.kinds?.find((k) => k.id === id)) || id,
    onChange: () => {
      paintMentors();
      if (state.mentor) paintWaitOffer($("#now-queue"), state.mentor);
    },
    onJoined: () => {
      if (document.body.dataset.current !== "home") showView("home", { focus: false });
    },
    onOffered: openOffered,
  });
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

function rerender(event) {
  if (document.body.dataset.current === "home") {
    paintMentors();
    paintTopics();
    // A forced repaint refreshes from the server by itself.
    if (!event?.detail?.forced) refreshHome({ quiet: true });
  }
  if (document.body.dataset.current === "mentor" && state.mentor) {
    paintMentorHead();
    paintDays();
    if (state.day) loadSlots(state.day, { quiet: true });
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
  // A forgotten secret cannot be recovered (an account is a nickname and a secret, nothing
  // else): the disclosure says what can be done, and these two buttons do it.
  $("#forgot-new").addEventListener("click", () => choose(true));
  $("#forgot-help").addEventListener("click", openHelp);
  for (const box of document.querySelectorAll(".show-secret")) {
    box.addEventListener("change", () => {
      document.getElementById(box.dataset.for).type = box.checked ? "text" : "password";
    });
  }
  // A new secret: 6 or more characters (the server also refuses common ones). Signing in
  // takes any secret an account already has (older ones may be 4 characters).
  const submit = (form, call, minimum) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector(".error");
      const nickname = form.elements.nickname.value.trim();
      const secret = form.elements.secret.value;
      showError(error, null);
      if (!nickname) return fail(error, form.elements.nickname, t("check.nickname"));
      if (secret.length < minimum) return fail(error, form.elements.secret, t(minimum > 1 ? "check.secret" : "check.secret_empty"));
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
  submit(signup, (n, s) => api.signUp(n, s, state.audience), 6);
  submit(signin, (n, s) => api.signInClient(n, s), 1);
}

function fail(box, input, text) {
  showError(box, text); // ruby on the child face, plain words elsewhere
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
    resetQueue();
    try {
      sessionStorage.clear();
    } catch {
      /* nothing to clear */
    }
    notice(null);
    showView("welcome");
  });
  $("#kind-filter").addEventListener("change", paintMentors);
  $("#lang-filter").addEventListener("change", paintMentors);
}

function ensureSocket() {
  if (!state.socket) {
    state.socket = new ChatSocket();
    state.socket.addEventListener("consultation", (e) => {
      const f = e.detail;
      // Opened while waiting in line: the offer, whose chat opens by itself.
      if (f.event === "opened" && queueActive()) offerOpened(f.consultation_id);
      else if (f.event === "opened" && !state.chat) notice("chat.opened_notice");
      if (!state.chat) refreshHome({ quiet: true });
    });
    state.socket.addEventListener("queue", (e) => queueFrame(e.detail));
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
  state.refreshTimer = startRepaints(state.service, () => {
    if (document.body.dataset.current === "home") return refreshHome({ quiet: true });
    if (document.body.dataset.current === "mentor") return refreshMentorView();
    return undefined;
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
  const seq = ++state.homeSeq;
  try {
    const [bookings, mentors, again, paintQueue] = await Promise.all([api.bookings(), api.mentors(state.audience), api.myMentors(), readQueue()]);
    open = bookings.consultations.find((c) => c.status === "open") || null;
    if (seq !== state.homeSeq) return open;
    state.mentors = mentors.mentors;
    state.bookings = bookings.consultations;
    paintKindFilter();
    paintLangFilter();
    paintMentors();
    paintNowWhy();
    paintTopics();
    paintBookings(bookings.consultations);
    remindSoon(bookings.consultations);
    paintAgain(again.mentors);
    paintQueue?.();
    refreshLinks(state.service); // the parent-child link block paints itself
    if (bookings.consultations.length || queueActive()) ensureSocket();
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
  const kinds = state.service?.kinds || [];
  const present = new Set(state.mentors.map((m) => m.kind.id));
  paintOptions($("#kind-filter"), [["", plain(t("mentors.all"))], ...kinds.filter((k) => present.has(k.id)).map((k) => [k.id, kindLabel(k)])]);
}

/** The languages some listed mentor speaks, each named in its own language; all by default. */
function paintLangFilter() {
  const spoken = new Set(state.mentors.flatMap((m) => m.languages || []));
  paintOptions($("#lang-filter"), [
    ["", plain(t("mentors.lang_all"))],
    ...LANGS.filter((code) => spoken.has(code)).map((code) => [code, LANG_NAMES[code], { lang: htmlLang(code) }]),
  ]);
}

function languageChips(m) {
  const codes = m.languages || [];
  if (!codes.length) return null;
  return h("p", { class: "langs", "data-testid": "languages" },
    h("span", { class: "langs-label" }, `${plain(t("mentor.languages"))}: `),
    ...codes.map((code) => h("span", { class: "lang-chip", lang: htmlLang(code) }, LANG_NAMES[code] || code)));
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
  const kind = $("#kind-filter").value;
  const language = $("#lang-filter").value;
  const shown = state.mentors.filter(
    (m) => (!kind || m.kind.id === kind) && (!language || (m.languages || []).includes(language)) && fitsTopic(m),
  );
  paintRows($("#mentor-list"), shown, {
    key: (m) => m.id,
    sig: (m) => [m, queueSig(m)],
    render: mentorCard,
    empty: () => h("li", { class: "empty" }, plain(t("mentors.none"))),
  });
}

function mentorCard(m) {
  const error = rowError(`mentor:${m.id}`);
  explainRefusal(error, rowErrorOf(`mentor:${m.id}`));
  const nowButton = h("button", { type: "button", class: "primary", onclick: (e) => chatNow(m, e.currentTarget, error) });
  bindText(nowButton, "action.chat_now");
  const pickButton = h("button", { type: "button", class: m.today === "now" ? "secondary" : "primary", onclick: () => openMentor(m) });
  bindText(pickButton, "action.choose_time");
  pickButton.setAttribute("aria-label", `${plain(t("action.choose_time"))}: ${m.display_name}`);
  nowButton.setAttribute("aria-label", `${plain(t("action.chat_now"))}: ${m.display_name}`);
  return h(
    "li",
    { class: "card mentor-card", "data-mentor": m.id },
    h("img", { src: picture(m.kind.id), alt: "", width: 80, height: 80, class: "avatar" }),
    h("div", { class: "card-body" },
      h("h4", { class: "name" }, m.display_name),
      h("p", { class: "kind" }, kindLabel(m.kind)),
      kindAbout(m.kind) ? h("p", { class: "kind-about hint" }, kindAbout(m.kind)) : null,
      statusBadge(m.today),
      languageChips(m),
      showRich(h("p", { class: "profile" }), pick(m.profile)),
      h("p", { class: "next hint" }, nextSlotsText(m.next_free_slots))),
    h("div", { class: "card-actions" }, m.chat_now.possible ? nowButton : null, pickButton),
    error,
    waitOffer(m),
  );
}

function paintBookings(items) {
  paintRows($("#bookings-list"), items, {
    key: (c) => c.id,
    // Whether "enter" is offered depends on the time as well as on the booking.
    sig: (c) => [c, enterable(c), state.pointed === c.id],
    render: bookingRow,
    empty: () => bindText(h("li", { class: "empty" }), "bookings.none"),
  });
  focusPointed();
}

function calendarUrl(c) {
  // A link cannot send the face header: the face (whose session cookie) goes in the query.
  return `/api/bookings/${c.id}/calendar.ics?lang=${getLang()}&face=${face()}`;
}

/** Once per booking and device: a booking about to start is announced on the home page. */
function remindSoon(bookings) {
  for (const c of bookings) {
    const left = minutesUntil(c.starts_at);
    if (c.status !== "booked" || left > 10 || left < 0) continue;
    const key = `yorisoi.reminded.${c.id}`;
    try {
      if (sessionStorage.getItem(key)) continue;
      sessionStorage.setItem(key, "1");
    } catch {
      /* storage refused: remind on every refresh rather than never */
    }
    notice("bookings.soon", { time: hhmm(c.starts_at), name: c.mentor?.display_name || "" });
  }
}

function enterable(c) {
  return c.status === "open" || minutesUntil(c.starts_at) <= 10;
}

function bookingRow(c) {
  const name = c.mentor?.display_name || "";
  const error = rowError(`booking:${c.id}`);
  const actions = h("div", { class: "row-actions" });
  const isOpen = c.status === "open";
  if (enterable(c)) {
    actions.append(bindText(h("button", { type: "button", class: "primary", onclick: () => openChat(c.id, name) }), "bookings.enter"));
  }
  if (c.status === "booked") {
    // The file is asked for when tapped, in the language of that moment.
    const calendar = bindText(h("a", { class: "button secondary", href: calendarUrl(c), download: "event.ics", title: plain(t("bookings.calendar_hint")) }), "bookings.calendar");
    calendar.addEventListener("click", () => { calendar.href = calendarUrl(c); });
    actions.append(calendar);
    actions.append(...twoStep(`cancel:${c.id}`, {
      ask: "bookings.cancel",
      yes: "bookings.cancel_confirm",
      no: "bookings.keep",
      onYes: async () => {
        setRowError(`booking:${c.id}`, error, null);
        await api.cancel(c.id);
        notice("bookings.cancelled");
        await refreshHome();
      },
      onError: (err) => setRowError(`booking:${c.id}`, error, err),
    }));
  }
  return h(
    "li",
    { class: `row booking status-${c.status}${state.pointed === c.id ? " pointed" : ""}`, "data-booking": c.id },
    h("img", { src: picture(c.mentor?.kind?.id), alt: "", width: 48, height: 48, class: "avatar small" }),
    h("div", { class: "row-body" },
      h("p", { class: "when" }, `${when(c.starts_at)}〜${hhmm(c.ends_at)}`),
      h("p", {}, plain(t("bookings.with", { name })), " ", bindText(h("span", { class: "badge" }), isOpen ? "bookings.open" : "bookings.booked")),
      c.booked_by_parent ? bindText(h("p", { class: "hint", "data-testid": "booked-by-parent" }), "link.booked_by_parent") : null),
    actions,
    error,
  );
}

function paintAgain(mentors) {
  paintRows($("#again-list"), mentors, {
    key: (m) => m.id,
    render: againRow,
    empty: () => bindText(h("li", { class: "empty" }), "again.none"),
  });
}

function againRow(m) {
  // Look the mentor up when tapped: the row may outlive several refreshes of the list.
  const choose = () => openMentor(state.mentors.find((x) => x.id === m.id) || { ...m, chat_now: { possible: false }, today: "bookable" });
  const button = bindText(h("button", { type: "button", class: "primary", onclick: choose }), "again.choose");
  button.setAttribute("aria-label", `${plain(t("again.choose"))}: ${m.display_name}`);
  return h(
    "li",
    { class: "row", "data-mentor": m.id },
    h("img", { src: picture(m.kind.id), alt: "", width: 48, height: 48, class: "avatar small" }),
    h("div", { class: "row-body" },
      h("p", { class: "name" }, m.display_name, " ", h("span", { class: "kind" }, kindLabel(m.kind))),
      h("p", { class: "hint" }, t("again.last", { when: when(m.last_consultation_at) }))),
    h("div", { class: "row-actions" }, button),
  );
}

async function chatNow(mentor, button, errorBox) {
  // The card's status changes after a refusal and the card is rebuilt: the refusal must
  // still be there for the child to read, so it is remembered by mentor.
  setRowError(`mentor:${mentor.id}`, errorBox, null);
  try {
    const { consultation } = await busy(button, () => api.chatNow(mentor.id));
    openChat(consultation.id, mentor.display_name);
  } catch (err) {
    setRowError(`mentor:${mentor.id}`, errorBox, err);
    const boxes = new Set([errorBox, ...document.querySelectorAll(`[data-row-error="mentor:${mentor.id}"]`)]);
    for (const box of boxes) explainRefusal(box, err);
    noteRefusal(mentor, err);
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
      explainRefusal($("#book-error"), err);
      loadSlots(state.day);
    }
  });
}

function openMentor(mentor) {
  state.mentor = mentor;
  state.slot = null;
  state.pointed = null;
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
  // The card it was opened from may be older than the mentor's state now.
  refreshMentorView({ slots: false });
}

/** Bring the open mentor's "talk now" state (and the day's slots) up to date. */
async function refreshMentorView({ slots = true } = {}) {
  const id = state.mentor?.id;
  try {
    const [{ mentors }, mine] = await Promise.all([api.mentors(state.audience), api.bookings()]);
    const fresh = mentors.find((m) => m.id === id);
    if (!fresh || state.mentor?.id !== id) return;
    state.mentors = mentors;
    state.bookings = mine.consultations;
    state.mentor = fresh;
    paintMentorHead();
    paintDays();
  } catch (err) {
    if (err.status !== 401) showError($("#page-error"), err);
    return;
  }
  if (slots && state.day) await loadSlots(state.day, { quiet: true });
}

function paintMentorHead() {
  const m = state.mentor;
  $("#mentor-picture").src = picture(m.kind.id);
  $("#mentor-name").textContent = m.display_name;
  $("#mentor-kind").textContent = [kindLabel(m.kind), kindAbout(m.kind)].filter(Boolean).join(" — ");
  showRich($("#mentor-profile"), pick(m.profile));
  const possible = m.chat_now?.possible;
  $("#now-button").hidden = !possible;
  // Kept by paintRows: a "show this booking" button in it keeps its focus through repaints.
  paintRows($("#now-text"), [nowWhy(m)], { key: (x) => x.id, render: whyLine });
  paintWaitOffer($("#now-queue"), m);
}

function paintDays() {
  const today = state.service.today;
  const days = Array.from({ length: state.service.horizon_days + 1 }, (_, i) => addDays(today, i));
  // Days with a booking (or chat) of the client's own are marked: its time is not theirs to take.
  const mine = new Set(state.bookings.map((c) => dayOf(c.starts_at)));
  paintRows($("#day-list"), days, {
    key: (day) => day,
    sig: (day) => [day, day === state.day, day === today, mine.has(day)],
    render: (day) => {
      const s = dayShort(day);
      return h(
        "button",
        {
          type: "button",
          class: `day wd-${s.weekday}`,
          "aria-pressed": String(day === state.day),
          "data-day": day,
          onclick: () => {
            state.day = day;
            state.slot = null;
            paintDays();
            loadSlots(day);
          },
        },
        h("span", { class: "wk" }, day === today ? plain(t("calendar.today")) : s.week),
        h("span", { class: "dt" }, s.date),
        mine.has(day) ? h("span", { class: "day-mine", "data-testid": "day-mine" }, plain(t("calendar.mine"))) : null,
        // The whole date for screen readers, after the words on the chip (an aria-label would
        // replace them, and a speech user says what they see).
        h("span", { class: "visually-hidden" }, ` ${dayLabel(day)}`),
      );
    },
  });
}

/**
 * Show the slots of a day. A repaint (quiet) keeps what is on screen until the answer comes,
 * and keeps an open "book this?" question while its slot is still free.
 */
async function loadSlots(day, { quiet = false } = {}) {
  const box = $("#slot-list");
  bindText($("#slots-h"), "calendar.slots", { day: dayLabel(day) });
  if (!quiet) {
    $("#book-confirm").hidden = true;
    box.textContent = "";
    box.append(bindText(h("p", { class: "hint", "data-key": "loading" }), "calendar.loading"));
  }
  box.setAttribute("aria-busy", "true");
  try {
    const [data, mine] = await Promise.all([api.availability(state.mentor.id, day), quiet ? null : api.bookings()]);
    if (state.day !== day) return;
    if (mine) {
      state.bookings = mine.consultations;
      paintDays();
    }
    const limited = paintLimit(data.slots);
    const anyFree = data.slots.some((s) => s.free);
    // At the limit the box above says why and what to do; "no free time" would mislead.
    const rows = anyFree || limited ? data.slots : [...data.slots, null];
    paintRows(box, rows, {
      key: (slot) => slot?.start ?? "none",
      render: (slot) => (slot ? slotButton(slot) : bindText(h("p", { class: "hint full" }), "calendar.none")),
    });
    if (state.slot && !data.slots.some((s) => s.start === state.slot && s.free)) {
      // Taken meanwhile: the question no longer stands.
      $("#book-confirm").hidden = true;
      state.slot = null;
    }
  } catch (err) {
    if (!quiet) box.textContent = "";
    showError($("#book-error"), err);
  } finally {
    box.removeAttribute("aria-busy");
  }
}

function slotButton(slot) {
  const why = plain(t(`reason.${slot.reason}`, { max: state.service?.max_bookings ?? "" }));
  return h(
    "button",
    {
      type: "button",
      class: `slot ${slot.free ? "free" : "taken"}${slot.reason === "client_busy" ? " mine" : ""}`,
      disabled: !slot.free,
      "data-start": slot.start,
      onclick: () => chooseSlot(slot.start),
    },
    h("span", { class: "time" }, hhmm(slot.start)),
    h("span", { class: "slot-why" }, slot.free ? plain(t("calendar.free")) : why === `reason.${slot.reason}` ? "—" : why),
  );
}

function chooseSlot(start) {
  state.slot = start;
  showError($("#book-error"), null);
  const confirm = $("#book-confirm");
  bindText($("#book-question"), "book.confirm", { when: when(start), name: state.mentor.display_name });
  confirm.hidden = false;
  $("#book-yes").focus();
}

// --- what the client cannot take, and why ---------------------------------------------
//
// The server marks, for the signed-in client, the slots at the time of their own bookings
// (client_busy, with booking_id), every slot once max_bookings is reached (limit_reached) and
// chat-now blocked by their own booking or open chat (client_busy); a refusal for those
// reasons names the bookings in details.bookings. Here they become words that name the
// booking ("12/2 16:00 の さくらさんとの よやく") and a button that leads to it.

/** "12/2 16:00": short and the same in every language (no kanji on the child face). */
function shortWhen(iso) {
  return `${dayShort(dayOf(iso)).date} ${hhmm(iso)}`;
}

/** A consultation of GET /api/bookings in the shape of a refusal's details.bookings. */
function named(c) {
  return { id: c.id, mentor_name: c.mentor?.display_name || "", starts_at: c.starts_at, status: c.status };
}

/** Words naming one of the client's bookings, and a button to it (to its chat when open). */
function pointLine(b, key) {
  const go = b.status === "open"
    ? bindText(h("button", { type: "button", class: "link", onclick: () => openChat(b.id, b.mentor_name) }), "bookings.enter")
    : bindText(h("button", { type: "button", class: "link", onclick: () => showBooking(b.id) }), "conflict.show");
  return h("span", { class: "conflict", "data-conflict": b.id },
    bindText(h("span"), key, { when: shortWhen(b.starts_at), name: b.mentor_name }), " ", go);
}

/** After a refusal shown in box: name the client's own bookings it is about. */
function explainRefusal(box, err) {
  const list = err?.details?.bookings;
  if (!box || !Array.isArray(list) || !list.length) return;
  const key = err.code === "limit_reached" ? "conflict.booked" : "conflict.with";
  box.append(...list.map((b) => pointLine(b, b.status === "open" ? "conflict.open" : key)));
}

/**
 * Lead to one of the client's bookings in the home list: marked, in view, its button focused
 * by the paint that first shows it (a refresh already on its way may be the one that does).
 */
async function showBooking(id) {
  state.pointed = id;
  state.focusPointed = true;
  if (document.body.dataset.current !== "home") {
    showView("home", { focus: false });
    await refreshHome({ quiet: true });
  } else paintBookings(state.bookings);
}

function focusPointed() {
  const row = state.focusPointed && $(`#bookings-list [data-booking="${state.pointed}"]`);
  if (!row) return;
  state.focusPointed = false;
  row.scrollIntoView({ block: "center" });
  (row.querySelector("button:not([hidden])") || row).focus({ preventScroll: true });
}

/** Why "talk now" is not offered with a mentor (or when it would end), as one keyed item. */
function nowWhy(m) {
  if (m.chat_now?.possible) return { id: "possible", key: "chatnow.possible", vars: { time: hhmm(m.chat_now.until) } };
  const reason = m.chat_now?.reason || "mentor_off_shift";
  const mine = reason === "client_busy" ? state.bookings.find((c) => c.id === m.chat_now.booking_id) : null;
  if (mine) return { id: `mine:${mine.id}`, booking: named(mine) };
  return { id: reason, key: `reason.${reason}` };
}

function whyLine(x) {
  if (x.booking) return pointLine(x.booking, x.booking.status === "open" ? "conflict.open" : "conflict.now");
  return bindText(h("span"), x.key, x.vars);
}

/**
 * Above the mentor cards: when "talk now" is closed for this client with every mentor (their
 * own booking about to start or chat open, or outside the hours), say so once, and why.
 */
function paintNowWhy() {
  const mine = state.mentors.find((m) => m.chat_now?.reason === "client_busy");
  const outside = state.mentors.length > 0 && state.mentors.every((m) => m.chat_now?.reason === "outside_hours");
  const why = mine ? nowWhy(mine) : outside ? { id: "outside_hours", key: "reason.outside_hours" } : null;
  paintRows($("#now-why"), why ? [why] : [], {
    key: (x) => x.id,
    render: (x) => h("p", { class: "notice", "data-why": x.id }, whyLine(x)),
  });
}

/**
 * In the calendar: at max_bookings, say so and list the bookings, each with its cancel step
 * (the same two-step as in the home list). True when the limit is reached.
 */
function paintLimit(slots) {
  const max = state.service?.max_bookings ?? 0;
  const booked = state.bookings.filter((c) => c.status === "booked");
  const limited = slots.some((s) => s.reason === "limit_reached") || (max > 0 && booked.length >= max);
  $("#limit-box").hidden = !limited;
  if (limited) bindText($("#limit-text"), "limit.explain", { max });
  paintRows($("#limit-list"), limited ? booked : [], {
    key: (c) => c.id,
    render: limitRow,
  });
  return limited;
}

function limitRow(c) {
  const error = rowError(`limit:${c.id}`);
  const b = named(c);
  return h(
    "li",
    { class: "row", "data-limit-booking": c.id },
    h("p", { class: "row-body" }, bindText(h("span"), "conflict.booked", { when: shortWhen(b.starts_at), name: b.mentor_name })),
    h("div", { class: "row-actions" }, ...twoStep(`cancel:${c.id}`, {
      ask: "bookings.cancel",
      yes: "bookings.cancel_confirm",
      no: "bookings.keep",
      onYes: async () => {
        setRowError(`limit:${c.id}`, error, null);
        await api.cancel(c.id);
        notice("bookings.cancelled");
        await loadSlots(state.day);
      },
      onError: (err) => setRowError(`limit:${c.id}`, error, err),
    })),
    error,
  );
}

// --- chat -----------------------------------------------------------------------------

/** A line offered from the waiting line: open its chat (once), with words not yet saved. */
async function openOffered(id, draft) {
  let name = "";
  try {
    name = (await api.bookings()).consultations.find((c) => c.id === id)?.mentor?.display_name || "";
  } catch {
    /* the chat shows who joined */
  }
  if (state.chat?.id !== id) openChat(id, name);
  if (draft && state.chat && !state.chat.input.value) state.chat.input.value = draft;
}

function openChat(id, mentorName) {
  notice(null);
  const socket = ensureSocket();
  if (state.chat) state.chat.stop();
  const title = { key: "chat.title", vars: { name: mentorName } };
  let survey = null;
  state.chat = new ChatView({
    socket,
    id,
    role: "client",
    title,
    onStatus: (status) => survey?.paint(status),
    onLeave: () => {
      state.chat?.stop({ leave: true });
      state.chat = null;
      showView("home");
      refreshHome({ quiet: true });
    },
    // The mentor did not come: back to the mentors to book another time (this chat stays open).
    onBookAnother: () => {
      state.chat?.stop({ leave: false });
      state.chat = null;
      showView("home");
      refreshHome({ quiet: true });
    },
  });
  survey = new SurveyPanel(state.chat);
  $("#chat-host").append(state.chat.root);
  state.chat.start();
  applyTexts(state.chat.root);
  showView("chat");
}

// --- "what is it about?": a topic shows the mentor kinds that fit, each with why ------------
//
// The rules come from the server (GET /api/topics, headquarters' topics.json), in this face's
// words. Choosing a topic lists the kinds that fit with one line of why, and keeps the mentor
// list to those kinds; the choice lives here, so a repaint keeps it.

const topics = { list: [], chosen: "" };

async function setupTopics() {
  try {
    const data = await api.get(`/api/topics?audience=${state.audience}`);
    topics.list = data.topics;
  } catch {
    return; // without the guide the mentor list works as before
  }
  $("#topics").hidden = !topics.list.length;
  paintTopics();
}

function chosenTopic() {
  return topics.list.find((topic) => topic.id === topics.chosen) || null;
}

function fitsTopic(m) {
  const topic = chosenTopic();
  return !topic || topic.kinds.some((k) => k.id === m.kind.id);
}

function chooseTopic(id) {
  topics.chosen = topics.chosen === id ? "" : id;
  paintTopics();
  paintMentors();
}

function paintTopics() {
  if (!topics.list.length) return;
  const items = [{ id: "", label: null }, ...topics.list];
  paintRows($("#topic-list"), items, {
    key: (topic) => topic.id || "all",
    sig: (topic) => [topic, topics.chosen === topic.id],
    render: (topic) => {
      const button = h("button", {
        type: "button",
        class: `chip topic${topics.chosen === topic.id ? " chosen" : ""}`,
        "aria-pressed": String(topics.chosen === topic.id),
        "data-topic": topic.id || "all",
        onclick: () => chooseTopic(topic.id),
      });
      if (topic.label) renderRich(button, pick(topic.label));
      else bindText(button, "topics.all");
      return button;
    },
  });
  const topic = chosenTopic();
  const present = new Set(state.mentors.map((m) => m.kind.id));
  paintRows($("#topic-fits"), topic ? topic.kinds : [], {
    key: (k) => k.id,
    sig: (k) => [k, topic?.id, present.has(k.id)],
    render: (k) => h("li", { class: "topic-fit", "data-kind": k.id },
      h("img", { src: picture(k.id), alt: "", width: 40, height: 40, class: "avatar small" }),
      h("div", {},
        h("p", { class: "kind" }, kindLabel(k)),
        h("p", { class: "why", rich: pick(k.why) }),
        present.has(k.id) ? null : bindText(h("p", { class: "hint" }), "topics.none_now"))),
  });
}
