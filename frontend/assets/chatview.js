// The chat screen, the same on every side: messages in seq order, pending -> sent,
// connection state, typing, presence, the 5-minute notice and the closed state.

import { bindText, pick, plain, t } from "./i18n.js";
import { api, face } from "./api.js";
import { h, showError, showRich } from "./dom.js";
import { easyOr, entryDetails, spoken } from "./helpentry.js";
import { kindLabel } from "./kinds.js";
import { openHelp } from "./help.js";
import { HandoverAsk } from "./handoverask.js";
import { secretPrompt } from "./reverify.js";
import { hhmm, minutesSince, minutesUntil } from "./time.js";

const CLOSED = new Set(["closed", "no_show", "cancelled"]);
/** A physical keyboard (and a pointer to go with it): only there are key hints shown. */
const hasKeyboard = () => Boolean(window.matchMedia?.("(hover: hover) and (pointer: fine)").matches);
// Below this visible height (px) the chat takes the whole screen down to its text box.
const SHORT_SCREEN = 560;
const FINAL_ERRORS = new Set(["message_too_long", "consultation_closed", "not_open_yet", "not_found", "not_allowed", "invalid_input"]);

/** The name a speaker is shown under. On the child face a supervisor is "おてつだいの ひと"
 * (chat.role.supervisor), not a staff title such as "本部 スーパーバイザー": "" lets the
 * caller fall back to the role's words. */
function speakerName(role, name) {
  return face() === "child" && role === "supervisor" ? "" : name || "";
}

export class ChatView {
  /**
   * socket: ChatSocket; id: consultation id; role: client | mentor | supervisor;
   * title: heading text; onLeave(): called by the back / leave button.
   */
  constructor({ socket, id, role, title, onLeave, extraActions = [], joinExtra = {}, onBookAnother = null, onStatus = null }) {
    this.socket = socket;
    // Told of every status the chat is painted with (the client's survey: survey.js).
    this.onStatus = onStatus;
    this.onBookAnother = onBookAnother;
    // Whether the mentor has come (client side): from the joined frame and consultation events.
    this.mentor = { name: "", joinedAt: null, since: null, absent: false, grace: 3, keepWaiting: false };
    this.joinExtra = joinExtra;
    this.id = id;
    this.role = role;
    this.onLeave = onLeave;
    this.status = null;
    this.endsAt = null;
    this.lastTyping = 0;
    this.listeners = [];
    this.title = title;
    this.build(title, extraActions);
  }

  build(title, extraActions) {
    const inputId = `chat-input-${this.id}`;
    this.conn = h("p", { class: "conn", role: "status", "data-testid": "connection" });
    this.timeInfo = h("p", { class: "chat-time" });
    this.warning = h("p", { class: "notice notice-warn", role: "alert", hidden: true, "data-testid": "warning" });
    // Focusable, so that the keyboard can scroll it when it is taller than its room.
    this.list = h("ol", { class: "messages", tabindex: "0", "aria-labelledby": `chat-title-${this.id}`, "data-testid": "messages" });
    // Screen readers hear each new incoming message once, "<speaker>: <text>", from this polite
    // region; the log itself is not live, or a replay or repaint would be read out again.
    this.announcer = h("div", { class: "visually-hidden", "aria-live": "polite", "data-testid": "announce" });
    this.atEnd = true;
    this.list.addEventListener("scroll", () => {
      this.atEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 48;
      if (this.atEnd) this.newPill.hidden = true;
    }, { passive: true });
    // Someone reading older messages is never pulled down: new ones wait behind this pill.
    this.newPill = bindText(h("button", { type: "button", class: "new-pill", hidden: true, "data-testid": "new-messages", onclick: () => this.scroll(true) }), "chat.new_messages");
    this.typingLine = h("p", { class: "typing", "aria-live": "polite" });
    this.errorBox = h("p", { class: "error", role: "alert", hidden: true });
    this.closedBox = h("div", { class: "closed", role: "status", hidden: true, "data-testid": "closed" });
    this.waitBox = h("p", { class: "notice", role: "status", hidden: true, "data-testid": "waiting" });
    // "waiting for ○○" until the mentor joins; after the grace, what the child can do.
    this.mentorWait = h("div", { class: "notice mentor-wait", role: "status", hidden: true, "data-testid": "mentor-waiting" });
    this.input = h("textarea", { id: inputId, rows: 2, maxlength: 2000, autocomplete: "off" });
    this.sendButton = h("button", { type: "submit", class: "primary" });
    bindText(this.sendButton, "chat.send");
    const label = bindText(h("label", { for: inputId, class: "visually-hidden" }), "chat.input_label");
    // "Ctrl+Enter to send" only where there is a keyboard to press it on.
    const placeholder = hasKeyboard() ? "chat.placeholder" : "chat.placeholder_touch";
    this.input.dataset.tAttr = `placeholder:${placeholder}`;
    this.input.setAttribute("placeholder", plain(t(placeholder)));
    this.form = h("form", { class: "composer", onsubmit: (e) => this.submit(e) }, label, this.input, this.sendButton);
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) this.submit(e);
    });

    this.endButton = bindText(h("button", { type: "button", class: "secondary", onclick: () => this.askEnd() }), "chat.end");
    this.endConfirm = h(
      "div",
      { class: "confirm", hidden: true },
      bindText(h("p"), "chat.end_confirm"),
      bindText(h("button", { type: "button", class: "danger", onclick: () => this.end() }), "chat.end_yes"),
      bindText(h("button", { type: "button", class: "secondary", onclick: () => this.cancelEnd() }), "chat.end_no"),
    );
    this.actions = h("div", { class: "chat-actions" }, ...extraActions);
    if (this.role !== "supervisor") this.actions.append(this.endButton);
    if (this.onLeave) {
      this.actions.append(
        bindText(h("button", { type: "button", class: "secondary", onclick: () => this.onLeave() }),
          this.role === "supervisor" ? "chat.leave_group" : "chat.back"),
      );
    }
    // The client is asked before their mentor hands them to another (handoverask.js).
    this.handoverAsk = this.role === "client" ? new HandoverAsk(this) : null;
    // title: a plain string, or {key, vars} to follow language changes.
    this.heading = h("h2", { class: "chat-title", id: `chat-title-${this.id}` });
    if (typeof title === "string") this.heading.textContent = title;
    else bindText(this.heading, title.key, title.vars);
    this.root = h(
      "section",
      { class: "chat", "aria-labelledby": this.heading.id, "data-testid": "chat" },
      h("div", { class: "chat-head" }, this.heading, this.conn, this.timeInfo),
      this.warning,
      this.waitBox,
      this.mentorWait,
      this.list,
      this.newPill,
      this.typingLine,
      this.closedBox,
      this.errorBox,
      ...(this.handoverAsk ? [this.handoverAsk.root] : []),
      this.form,
      this.actions,
      this.endConfirm,
    );
    this.root.append(this.announcer);
  }

  /** Attach to the socket and join. */
  start() {
    const on = (type, fn) => {
      const handler = (e) => fn(e.detail);
      this.socket.addEventListener(type, handler);
      this.listeners.push([type, handler]);
    };
    on("state", ({ state }) => this.paintConn(state));
    on("joined", (f) => f.consultation?.id === this.id && this.onJoined(f));
    on("message", (f) => f.consultation_id === this.id && this.onMessage(f));
    on("ack", (f) => f.consultation_id === this.id && this.onAck(f));
    on("typing", (f) => f.consultation_id === this.id && this.onTyping(f));
    on("presence", (f) => f.consultation_id === this.id && this.onPresence(f));
    on("consultation", (f) => f.consultation_id === this.id && this.onConsultation(f));
    on("error", (f) => this.onError(f));
    on("help_card", (f) => f.consultation_id === this.id && this.onHelpCard(f));
    on("at_risk", (f) => f.consultation_id === this.id && this.onAtRisk(f));
    on("read", (f) => f.consultation_id === this.id && this.onRead(f));
    on("line_undelivered", (f) => f.consultation_id === this.id && this.onUndelivered(f));
    on("handover_request", (f) => f.consultation_id === this.id && this.handoverAsk?.onFrame(f));
    this.handoverAsk?.load();
    on("notice", (f) => f.consultation_id === this.id && this.onNotice(f));
    this.watchReading();
    if (this.role === "client") this.fitToScreen();
    for (const item of this.socket.pending(this.id)) this.addPending(item);
    this.paintConn(this.socket.state);
    this.socket.join(this.id, this.joinExtra);
    this.tick = setInterval(() => this.checkTime(), 15000);
    return this;
  }

  stop({ leave = true } = {}) {
    for (const [type, handler] of this.listeners) this.socket.removeEventListener(type, handler);
    this.listeners = [];
    clearInterval(this.tick);
    this.unwatch();
    if (leave) this.socket.leave(this.id);
    this.root.remove();
  }

  paintConn(state) {
    const key = {
      idle: "chat.conn.connecting",
      connecting: "chat.conn.connecting",
      open: "chat.conn.open",
      reconnecting: "chat.conn.reconnecting",
      signed_out: "chat.conn.signed_out",
      stopped: "chat.conn.stopped",
    }[state] || "chat.conn.connecting";
    this.conn.dataset.state = state;
    bindText(this.conn, key);
  }

  setStatus(status, { reason = null, startsAt = null, endsAt = null } = {}) {
    this.status = status;
    if (endsAt) this.endsAt = endsAt;
    const closed = CLOSED.has(status);
    const waiting = status === "booked";
    this.input.disabled = closed || waiting;
    this.sendButton.disabled = closed || waiting;
    this.endButton.hidden = closed || waiting;
    this.form.hidden = closed;
    this.waitBox.hidden = !waiting;
    if (waiting && startsAt) bindText(this.waitBox, "chat.waiting", { time: hhmm(startsAt) });
    if (this.endsAt && !closed) bindText(this.timeInfo, "chat.until", { time: hhmm(this.endsAt) });
    if (closed) {
      this.timeInfo.textContent = "";
      this.warning.hidden = true;
      this.typingLine.textContent = "";
      this.endConfirm.hidden = true;
      this.closedBox.hidden = false;
      this.closedBox.textContent = "";
      const key = status === "no_show" ? "chat.closed.no_show" : `chat.closed.${reason || "other"}`;
      this.closedBox.append(bindText(h("p", { class: "closed-title" }), "chat.closed"), bindText(h("p"), t(key) === key ? "chat.closed.other" : key));
      if (this.role === "client") this.closedBox.append(bindText(h("p"), "chat.closed.again"));
    }
    this.checkTime();
    this.onStatus?.(status);
  }

  checkTime() {
    this.paintMentorWait();
    if (this.status !== "open" || !this.endsAt) return;
    const left = minutesUntil(this.endsAt);
    if (left <= 5 && left >= 0) this.showWarning();
  }

  showWarning() {
    if (!this.warning.hidden) return;
    bindText(this.warning, "chat.warning", { time: hhmm(this.endsAt) });
    this.warning.hidden = false;
  }

  onJoined(frame) {
    const c = frame.consultation;
    this.errorBox.hidden = true;
    this.mentor.name = c.mentor?.display_name || "";
    this.takePresence(c);
    this.setStatus(c.status, { reason: c.close_reason, startsAt: c.starts_at, endsAt: c.ends_at });
    this.takeReadMarks(c.read);
  }

  /** mentor_joined_at / waiting_since / mentor_absent / grace_minutes from a frame. */
  takePresence(c) {
    if (!("mentor_joined_at" in c)) return;
    const wasAbsent = this.mentor.absent;
    Object.assign(this.mentor, {
      joinedAt: c.mentor_joined_at,
      since: c.waiting_since,
      absent: Boolean(c.mentor_absent),
      grace: c.grace_minutes || this.mentor.grace,
    });
    if (this.mentor.absent && !wasAbsent) this.mentor.keepWaiting = false;
  }

  /** Client side: who we are waiting for, for how long, and what happens next. */
  paintMentorWait() {
    const m = this.mentor;
    const show = this.role === "client" && this.status === "open" && !m.joinedAt && Boolean(m.since);
    this.mentorWait.hidden = !show;
    if (!show) {
      this.mentorWait.textContent = "";
      delete this.mentorWait.dataset.state;
      return;
    }
    const minutes = Math.max(0, minutesSince(m.since));
    const offer = m.absent && !m.keepWaiting;
    const state = offer ? "offer" : m.absent ? "kept" : "waiting";
    const sig = JSON.stringify([state, minutes, m.name, m.grace, document.documentElement.lang]);
    if (this.mentorWait.dataset.sig === sig) return; // keep an open list of other mentors
    this.mentorWait.dataset.sig = sig;
    this.mentorWait.dataset.state = state;
    this.mentorWait.textContent = "";
    this.mentorWait.append(
      bindText(h("p", { class: "closed-title" }), "chat.mentor_wait", { name: m.name, n: minutes }),
      bindText(h("p"), m.absent ? "chat.mentor_wait.told" : "chat.mentor_wait.next", { n: m.grace }),
    );
    if (!offer) return;
    const others = h("div", { class: "mentor-others", "data-testid": "other-mentors" });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const button = (key, onclick, cls = "secondary") => bindText(h("button", { type: "button", class: cls, onclick }), key);
    this.mentorWait.append(
      bindText(h("p"), "chat.mentor_wait.choose"),
      h("div", { class: "row-actions" },
        button("chat.mentor_wait.keep", () => {
          this.mentor.keepWaiting = true;
          this.paintMentorWait();
        }),
        button("chat.mentor_wait.other", () => this.showOthers(others, error), "primary"),
        this.onBookAnother ? button("chat.mentor_wait.book", () => this.onBookAnother()) : null,
        button("chat.mentor_wait.help", () => openHelp())),
      others,
      error,
    );
  }

  /** The free mentors who could talk now (same kind first); choosing one keeps this chat. */
  async showOthers(box, error) {
    showError(error, null);
    box.textContent = "";
    try {
      const data = await api.get(`/api/consultations/${this.id}/alternatives`);
      if (!data.mentors.length) {
        box.append(bindText(h("p", { class: "hint" }), "chat.mentor_wait.none"));
        return;
      }
      const list = h("ul", { class: "other-list" });
      for (const m of data.mentors) {
        const take = bindText(h("button", { type: "button", class: "primary" }), "chat.mentor_wait.take", { name: m.display_name });
        take.addEventListener("click", async () => {
          take.disabled = true;
          try {
            await api.post(`/api/consultations/${this.id}/switch`, { mentor_id: m.id });
          } catch (err) {
            take.disabled = false;
            showError(error, err);
          }
        });
        list.append(h("li", { "data-mentor": m.id }, h("span", {}, m.display_name, " ", h("span", { class: "kind" }, kindLabel(m.kind))), take));
      }
      box.append(list);
    } catch (err) {
      showError(error, err);
    }
  }

  /** A line in the chat from the service itself (e.g. who joined instead, and why). */
  systemLine(key, vars) {
    const li = bindText(h("li", { class: "presence system", "data-testid": "system-line" }), key, vars);
    this.list.insertBefore(li, this.list.querySelector("li.pending"));
    this.scroll();
  }

  /** Words from the service to the client (e.g. YORISOI_ESCALATION_CLIENT_NOTICE), as set. */
  onNotice(frame) {
    const li = showRich(h("li", { class: "presence system notice-line", "data-testid": "notice-line" }), frame.text || "");
    this.list.insertBefore(li, this.list.querySelector("li.pending"));
    this.scroll();
  }

  onConsultation(frame) {
    this.takePresence(frame);
    if (frame.event === "reassigned") {
      const name = frame.mentor?.display_name || "";
      const reason = ["mentor_absent", "client_switch", "headquarters", "mentor_handover"].includes(frame.reason) ? frame.reason : "headquarters";
      if (this.role === "mentor" && frame.mentor?.id !== this.socket.account?.mentor_id) {
        this.systemLine("chat.reassigned_away", { name });
        this.setStatus("closed", { reason: "reassigned" });
        return;
      }
      this.mentor.name = name;
      this.systemLine(`chat.reassigned.${reason}`, { name });
      // The child's heading names the mentor they talk with: now the new one.
      if (this.role === "client" && this.title?.vars) bindText(this.heading, this.title.key, { ...this.title.vars, name });
    }
    if (frame.event === "mentor_joined") {
      this.paintMentorWait();
      return;
    }
    if (frame.event === "warning") {
      if (frame.ends_at) this.endsAt = frame.ends_at;
      this.showWarning();
      return;
    }
    this.setStatus(frame.status, { reason: frame.reason, endsAt: frame.ends_at });
  }

  /** Insert an <li> among the messages in seq order (pending ones stay last). */
  place(li, seq) {
    li.dataset.seq = String(seq);
    if (li.classList.contains("msg")) this.seenObserver?.observe(li);
    const after = [...this.list.children].find(
      (el) => el !== li && (el.classList.contains("pending") || (el.dataset.seq && Number(el.dataset.seq) > seq)),
    );
    this.list.insertBefore(li, after || null);
  }

  bubble({ mine, role, name: sender, text, at, card = null }) {
    const name = speakerName(role, sender);
    const who = h("span", { class: "who" });
    if (mine) bindText(who, "chat.me");
    else if (name) who.textContent = name;
    else bindText(who, `chat.role.${role}`);
    // A shared help entry: a line saying so, then the card itself (it stays in the chat).
    const body = card
      ? bindText(h("p", { class: "text" }), mine ? "chat.card.shared_by_me" : "chat.card.shared", { name: name || plain(t(`chat.role.${role}`)) })
      : h("p", { class: "text" }, text);
    const li = h(
      "li",
      { class: `msg ${mine ? "mine" : "theirs"} role-${role}${card ? " has-card" : ""}` },
      who,
      body,
      card ? this.card(card) : null,
      h("span", { class: "meta" }, h("time", {}, at ? hhmm(at) : ""), h("span", { class: "state" })),
    );
    return li;
  }

  setMsgState(li, state) {
    li.classList.remove("pending", "sent", "failed", "read", "undelivered");
    li.classList.add(state);
    bindText(li.querySelector(".state"), `chat.state.${state}`);
  }

  addPending(item) {
    const li = this.bubble({ mine: true, role: this.role, text: item.text, card: item.card });
    li.dataset.cmid = item.client_msg_id;
    this.setMsgState(li, "pending");
    this.list.append(li);
    this.scroll(true);
  }

  findPending(cmid) {
    return [...this.list.querySelectorAll("li.msg")].find((el) => el.dataset.cmid === cmid);
  }

  /** Whether a stored message is mine (sent from this or another of my tabs). */
  isMine(frame) {
    if (frame.client_msg_id && this.findPending(frame.client_msg_id)) return true;
    const role = frame.sender?.role;
    // A consultation handed over: the mentor before me wrote as a mentor too, under their name.
    if (this.role === "mentor") return role === "mentor" && (!this.mentor.name || frame.sender?.name === this.mentor.name);
    if (this.role !== "supervisor") return role === this.role;
    const me = this.socket.account?.display_name;
    return role === "supervisor" && Boolean(me) && frame.sender?.name === me;
  }

  onMessage(frame) {
    const mine = this.isMine(frame);
    let li = mine && frame.client_msg_id ? this.findPending(frame.client_msg_id) : null;
    if (li) {
      li.querySelector("time").textContent = hhmm(frame.sent_at);
    } else {
      li = this.bubble({ mine, role: frame.sender?.role, name: frame.sender?.name, text: frame.text, at: frame.sent_at, card: frame.card });
    }
    if (mine) this.setMsgState(li, this.undelivered?.has(frame.seq) ? "undelivered" : "sent");
    else if (!this.atEnd) this.newPill.hidden = false;
    else this.announce(frame);
    this.place(li, frame.seq);
    if (!mine) this.typingLine.textContent = "";
    this.scroll(mine);
    this.paintRead();
  }

  /** One new incoming message for screen readers. Messages older than a couple of minutes
   * (the transcript replayed when a chat is opened again) are in the log, not read out. */
  announce(frame) {
    if (minutesSince(frame.sent_at) > 2) return;
    const who = speakerName(frame.sender?.role, frame.sender?.name) || plain(t(`chat.role.${frame.sender?.role}`));
    const what = frame.card ? spoken(frame.card.name) : frame.text;
    this.say(`${who}: ${what}`);
  }

  /** Each line is its own node, so that two messages in a row are both read; old ones go. */
  say(text) {
    this.announcer.append(h("p", {}, text));
    while (this.announcer.children.length > 3) this.announcer.firstElementChild.remove();
  }

  /** A shared help-directory entry: its name always shown; opened, the whole entry. */
  card(card) {
    const key = `help.cat.${card.category}`;
    const tag = h("span", { class: `tag cat cat-${card.category}` });
    if (t(key) !== key) bindText(tag, key);
    const summary = h("summary", {},
      h("span", { class: "card-top" }, tag, easyOr(card.name, h("strong", { class: "card-name" }))),
      bindText(h("span", { class: "card-open" }), "chat.card.open"));
    return h("details", { class: "card-share", "data-testid": "shared-card", "data-entry": card.id }, summary,
      h("div", { class: "card-body" }, ...entryDetails(card)));
  }

  onAck(frame) {
    const li = this.findPending(frame.client_msg_id);
    if (!li) return;
    li.querySelector("time").textContent = hhmm(frame.sent_at);
    this.setMsgState(li, "sent");
    this.place(li, frame.seq);
    this.paintRead();
  }

  onTyping(frame) {
    if (frame.role === this.role && this.role !== "supervisor") return;
    bindText(this.typingLine, "chat.typing", { name: speakerName(frame.role, frame.name) || plain(t(`chat.role.${frame.role}`)) });
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      this.typingLine.textContent = "";
    }, 4000);
  }

  onPresence(frame) {
    if (frame.role === this.role && this.role !== "supervisor") return;
    const name = speakerName(frame.role, frame.name) || plain(t(`chat.role.${frame.role}`));
    const key = frame.role === "supervisor" ? `chat.presence.supervisor_${frame.state}` : `chat.presence.${frame.state}`;
    const li = h("li", { class: "presence" });
    bindText(li, key, { name });
    // Presence notes sit after the last stored message, before pending ones.
    const firstPending = this.list.querySelector("li.pending");
    this.list.insertBefore(li, firstPending);
    this.scroll();
  }

  onError(frame) {
    if (frame.consultation_id && frame.consultation_id !== this.id) return;
    if (frame.ref === "read") return; // a read mark that did not take: nothing for the reader to do
    const li = frame.ref ? this.findPending(frame.ref) : null;
    if (li) {
      this.setMsgState(li, "failed");
      li.querySelector(".retry")?.remove();
      if (FINAL_ERRORS.has(frame.code)) {
        this.socket.discard(frame.ref);
      } else {
        const retry = bindText(h("button", { type: "button", class: "retry link", onclick: () => {
          retry.remove();
          this.setMsgState(li, "pending");
          this.socket.resend(frame.ref);
        } }), "chat.retry");
        li.append(retry);
      }
      li.append(showRich(h("span", { class: "err-why" }), pick(frame.message)));
      return;
    }
    if (frame.code === "secret_needed" && frame.consultation_id === this.id && this.role === "client") {
      // A finished consultation: read again only after the secret is typed again.
      if (!this.root.querySelector(".reverify")) {
        this.root.insertBefore(secretPrompt(() => this.socket.join(this.id, this.joinExtra)), this.errorBox);
      }
      return;
    }
    if (frame.consultation_id === this.id || ["join", "end", "call_supervisor", "leave"].includes(frame.ref)) {
      showRich(this.errorBox, pick(frame.message));
      this.errorBox.hidden = false;
      if (frame.code === "consultation_closed") this.setStatus("closed");
    }
  }

  /** Emergency contacts shown beside the chat (the chat goes on). */
  onHelpCard(frame) {
    this.root.querySelector(".help-card")?.remove();
    const list = h("ul", { class: "contacts" });
    for (const c of frame.contacts || []) {
      const tel = c.contact?.tel;
      const label = [easyOr(c.name, h("span", {})), tel ? h("strong", {}, tel) : null];
      list.append(h("li", {}, tel ? h("a", { href: `tel:${tel.replace(/[^0-9+]/g, "")}` }, ...label) : h("span", {}, ...label)));
    }
    // Open at first; the person can fold it away and keep talking.
    const card = h("details", { class: "help-card notice", open: true, "data-testid": "help-card" },
      bindText(h("summary", { class: "closed-title" }), "chat.help_card"), list);
    this.root.insertBefore(card, this.form);
    this.say(plain(t("chat.help_card")));
  }

  onAtRisk(frame) {
    const names = { t: (frame.categories || []).map((c) => `risk.${c}`) };
    const box = this.root.querySelector(".risk") || h("p", { class: "risk error", role: "alert", "data-testid": "at-risk" });
    bindText(box, frame.acknowledged ? "chat.at_risk_seen" : "chat.at_risk", { categories: names });
    this.root.insertBefore(box, this.warning);
  }

  submit(event) {
    event.preventDefault();
    const text = this.input.value.trim();
    if (!text || this.input.disabled) return;
    const item = this.socket.send(this.id, text);
    this.addPending(item);
    this.input.value = "";
    this.input.focus();
  }

  /** Share a help-directory entry into the chat as a card; false when the chat is not open. */
  share(entry) {
    if (this.input.disabled || this.form.hidden) return false;
    this.addPending(this.socket.share(this.id, entry));
    return true;
  }

  typed() {
    const now = Date.now();
    if (now - this.lastTyping > 3000) {
      this.lastTyping = now;
      this.socket.typing(this.id);
    }
  }

  askEnd() {
    this.endConfirm.hidden = false;
    this.endConfirm.querySelector("button.danger").focus();
  }

  cancelEnd() {
    this.endConfirm.hidden = true;
    this.endButton.focus();
  }

  end() {
    this.endConfirm.hidden = true;
    if (!this.socket.end(this.id)) {
      bindText(this.errorBox, "chat.offline_action");
      this.errorBox.hidden = false;
    }
  }

  /** Follow new messages only while the reader is at the end: never pull someone re-reading. */
  scroll(force = false) {
    if (!force && !this.atEnd) return;
    this.list.scrollTop = this.list.scrollHeight;
    this.atEnd = true;
    this.newPill.hidden = true;
  }

  // --- read marks (docs/protocol.md, Read marks) -----------------------------------------

  /** The side this reader marks for: the client or the mentor; a supervisor does not mark. */
  get side() {
    return this.role === "client" || this.role === "mentor" ? this.role : null;
  }

  /** Which stored messages are on screen now, so "read" is sent only for what was seen. */
  watchReading() {
    this.onScreen = new Set();
    this.readSent = 0; // the highest seq this side is known to have read
    this.otherRead = 0; // the other side's mark: "read" under my messages up to it
    this.onVisible = () => this.markRead();
    document.addEventListener("visibilitychange", this.onVisible);
    if (!this.side || typeof IntersectionObserver === "undefined") return;
    this.seenObserver = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const seq = Number(e.target.dataset.seq);
        if (e.isIntersecting && seq) this.onScreen.add(seq);
        else this.onScreen.delete(seq);
      }
      this.markRead();
    });
  }

  unwatch() {
    this.seenObserver?.disconnect();
    clearTimeout(this.readTimer);
    document.removeEventListener("visibilitychange", this.onVisible);
    if (!this.onViewport) return;
    window.visualViewport?.removeEventListener("resize", this.onViewport);
    window.visualViewport?.removeEventListener("scroll", this.onViewport);
    window.removeEventListener("resize", this.onViewport);
    document.documentElement.classList.remove("chat-short");
  }

  takeReadMarks(marks) {
    if (!this.side || !marks) return;
    const other = this.side === "client" ? "mentor" : "client";
    this.readSent = Math.max(this.readSent, marks[this.side] || 0);
    this.otherRead = Math.max(this.otherRead, marks[other] || 0);
    this.paintRead();
    this.markRead();
  }

  onRead(frame) {
    if (!this.side) return;
    if (frame.by === this.side) {
      this.readSent = Math.max(this.readSent, frame.seq); // another tab of mine read it
      return;
    }
    this.otherRead = Math.max(this.otherRead, frame.seq);
    this.paintRead();
  }

  /** A LINE consultation: LINE refused this message or it stayed rate-limited; the mentor
   * sees it as not delivered (headquarters has an alert). */
  onUndelivered(frame) {
    if (frame.seq != null) this.markUndelivered([frame.seq]);
  }

  /** Mark these seqs not delivered, now and when they arrive (a reopened chat: the list from
   * GET /api/staff/consultations/{id}/line-undelivered). */
  markUndelivered(seqs) {
    this.undelivered ??= new Set();
    for (const seq of seqs) {
      this.undelivered.add(Number(seq));
      const li = this.list.querySelector(`li.msg[data-seq="${Number(seq)}"]`);
      if (li) this.setMsgState(li, "undelivered");
    }
  }

  /** "Read" under my sent messages the other side has seen. */
  paintRead() {
    if (!this.otherRead) return;
    for (const li of this.list.querySelectorAll("li.msg.mine.sent")) {
      if (Number(li.dataset.seq) <= this.otherRead) this.setMsgState(li, "read");
    }
  }

  /** Tell the server how far this reader has seen: only forward, only while the page is in
   * front, and coalesced (what came into view together goes as one frame). */
  markRead() {
    if (!this.side || this.readTimer || document.visibilityState !== "visible") return;
    if (Math.max(0, ...this.onScreen) <= this.readSent) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      const seq = Math.max(0, ...this.onScreen);
      if (document.visibilityState !== "visible" || seq <= this.readSent) return;
      if (this.socket.read(this.id, seq)) this.readSent = seq;
    }, 300);
  }

  // --- phones and tablets ------------------------------------------------------------------

  /** Size the chat to what is visible (the visual viewport: above an on-screen keyboard), so
   * the text box is never pushed below it; the message list takes what is left. */
  fitToScreen() {
    this.onViewport = () => {
      this.fit();
      if (document.activeElement === this.input) this.form.scrollIntoView({ block: "nearest" });
    };
    window.visualViewport?.addEventListener("resize", this.onViewport);
    window.visualViewport?.addEventListener("scroll", this.onViewport);
    window.addEventListener("resize", this.onViewport);
    this.fit();
    requestAnimationFrame(() => this.fit()); // again once the chat view is shown
  }

  fit() {
    const vv = window.visualViewport;
    const top = vv ? vv.offsetTop : 0;
    const height = vv ? vv.height : window.innerHeight;
    // A short screen (a phone with its keyboard up): the top bar scrolls away with the page and
    // the chat takes the whole height down to the text box; its buttons follow below it.
    const short = height < SHORT_SCREEN;
    document.documentElement.classList.toggle("chat-short", short);
    let room;
    if (short) {
      room = height - 16 + (this.actions.offsetHeight ? this.actions.offsetHeight + 8 : 0);
    } else {
      // Below the sticky top bar, and below whatever is above the chat when it is in view.
      const bar = document.querySelector(".topbar")?.getBoundingClientRect();
      let from = bar ? Math.max(top, Math.min(bar.bottom, top + height)) : top;
      const box = this.root.getBoundingClientRect();
      if (box.height && box.top > from && box.top < top + height) from = box.top;
      room = top + height - from - 12;
    }
    this.root.style.setProperty("--chat-room", `${Math.max(240, Math.floor(room))}px`);
    this.root.classList.add("fitted");
    if (this.atEnd) this.list.scrollTop = this.list.scrollHeight;
    // Once each time the screen becomes short (the keyboard came up): the chat to the top.
    if (!short) this.aligned = false;
    else if (!this.aligned && this.root.offsetParent !== null) {
      this.aligned = true;
      this.root.scrollIntoView({ block: "start" });
    }
  }

}
