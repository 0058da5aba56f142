// The client's optional survey inside the chat screen (/child/ and /): a small "how do you
// feel now?" above the messages when the chat opens (skippable, never in the way of writing),
// and after the chat closed: how they feel now, "また はなしたい？", and a comment of at most
// 200 characters. Anonymous: the server keeps no name with it and no mentor ever sees it.
//
// Built once per chat; the texts follow language changes (bindText), so a repaint never
// clears a choice or a half-written comment.

import { api } from "./api.js";
import { h, showError } from "./dom.js";
import { openHelp } from "./help.js";
import { bindText, t } from "./i18n.js";

const FACES = [1, 2, 3, 4, 5];
const SVG = "http://www.w3.org/2000/svg";
// The mouth of each face (1: very sad ... 5: very happy), drawn here rather than as emoji,
// which some school tablets lack.
const MOUTHS = { 1: "M11 25 Q18 17 25 25", 2: "M12 24 Q18 20 24 24", 3: "M12 23 L24 23", 4: "M12 22 Q18 26 24 22", 5: "M11 21 Q18 30 25 21" };

function faceIcon(n) {
  const el = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };
  const svg = el("svg", { viewBox: "0 0 36 36", width: 36, height: 36, class: "survey-icon", "aria-hidden": "true", focusable: "false" });
  svg.append(
    el("circle", { cx: 18, cy: 18, r: 16, class: `survey-face-bg f${n}` }),
    el("circle", { cx: 12.5, cy: 14, r: 2, class: "survey-face-ink" }),
    el("circle", { cx: 23.5, cy: 14, r: 2, class: "survey-face-ink" }),
    el("path", { d: MOUTHS[n], class: "survey-face-mouth" }),
  );
  return svg;
}
const AGAIN = ["yes", "maybe", "no"];
const MAX_COMMENT = 200;
const CLOSED = new Set(["closed", "no_show", "cancelled"]);
// A "not now" on the opening question is remembered for this tab only.
const dismissedKey = (id) => `yorisoi-survey-before-${id}`;

function faceChoices(name, legendKey, testid) {
  const legend = bindText(h("legend", { class: "survey-q" }), legendKey);
  const options = FACES.map((n) => {
    const input = h("input", { type: "radio", name, value: String(n), class: "survey-radio" });
    return h(
      "label",
      { class: "survey-face", "data-face": String(n) },
      input,
      faceIcon(n),
      bindText(h("span", { class: "survey-word" }), `survey.face.${n}`),
    );
  });
  return h("fieldset", { class: "survey-faces", "data-testid": testid }, legend, h("div", { class: "survey-row" }, ...options));
}

function checked(root, name) {
  const el = root.querySelector(`input[name="${name}"]:checked`);
  return el ? el.value : null;
}

export class SurveyPanel {
  /** view: the client's ChatView. Call paint(status) whenever its status is painted. */
  constructor(view) {
    this.view = view;
    this.id = view.id;
    this.state = null; // the server's view of this survey
    this.phase = null; // "open" or "closed": when it was asked
    this.loading = null;
    this.done = false; // answered or skipped here
    this.buildBefore();
    this.buildAfter();
    view.list.before(this.before);
    view.closedBox.after(this.after);
  }

  url(tail = "") {
    return `/api/consultations/${this.id}/survey${tail}`;
  }

  buildBefore() {
    const name = `survey-before-${this.id}`;
    this.beforeError = h("p", { class: "error", role: "alert", hidden: true });
    this.beforeChoices = faceChoices(name, "survey.before.question", "survey-before-faces");
    this.beforeForm = h(
      "form",
      { class: "survey-before-form", onsubmit: (e) => this.sendBefore(e, name) },
      bindText(h("p", { class: "hint" }), "survey.before.hint"),
      this.beforeChoices,
      this.beforeError,
      h(
        "div",
        { class: "survey-actions" },
        bindText(h("button", { type: "submit", class: "primary" }), "survey.before.send"),
        bindText(h("button", { type: "button", class: "secondary", onclick: () => this.dismissBefore() }), "survey.before.skip"),
      ),
    );
    this.beforeThanks = bindText(h("p", { role: "status", hidden: true }), "survey.before.thanks");
    this.before = h("div", { class: "survey-before", hidden: true, "data-testid": "survey-before" }, this.beforeForm, this.beforeThanks);
  }

  buildAfter() {
    const headingId = `survey-title-${this.id}`;
    const feel = `survey-feel-${this.id}`;
    const again = `survey-again-${this.id}`;
    const commentId = `survey-comment-${this.id}`;
    this.comment = h("textarea", { id: commentId, rows: 3, maxlength: MAX_COMMENT, autocomplete: "off", "aria-describedby": `${commentId}-left` });
    this.left = h("p", { id: `${commentId}-left`, class: "hint", "data-testid": "survey-left" });
    this.comment.addEventListener("input", () => this.paintLeft());
    const againChoices = h(
      "fieldset",
      { class: "survey-again", "data-testid": "survey-again" },
      bindText(h("legend", { class: "survey-q" }), "survey.again.question"),
      h(
        "div",
        { class: "survey-row" },
        ...AGAIN.map((value) =>
          h("label", { class: "survey-choice" }, h("input", { type: "radio", name: again, value, class: "survey-radio" }), bindText(h("span"), `survey.again.${value}`)),
        ),
      ),
    );
    this.afterError = h("p", { class: "error", role: "alert", hidden: true });
    this.sendButton = bindText(h("button", { type: "submit", class: "primary big" }), "survey.send");
    this.skipButton = bindText(h("button", { type: "button", class: "secondary", onclick: () => this.skip() }), "survey.skip");
    this.afterForm = h(
      "form",
      { class: "survey-form", novalidate: true, onsubmit: (e) => this.send(e, feel, again) },
      bindText(h("p", { class: "hint" }), "survey.lead"),
      faceChoices(feel, "survey.feel.question", "survey-feel"),
      againChoices,
      bindText(h("label", { for: commentId, class: "survey-q" }), "survey.comment"),
      this.comment,
      this.left,
      this.afterError,
      h("div", { class: "survey-actions" }, this.sendButton, this.skipButton),
    );
    this.thanks = bindText(h("p", { class: "survey-thanks", role: "status", hidden: true, "data-testid": "survey-thanks" }), "survey.thanks");
    // After an answer that says things are hard: the phone numbers, right here (nobody else is
    // told — the survey is anonymous).
    this.help = h(
      "div",
      { class: "notice survey-help", hidden: true, "data-testid": "survey-help" },
      bindText(h("p"), "survey.help"),
      bindText(h("button", { type: "button", class: "secondary big", "aria-haspopup": "dialog", onclick: () => openHelp() }), "survey.help_open"),
    );
    this.after = h(
      "section",
      { class: "survey panel", hidden: true, "aria-labelledby": headingId, "data-testid": "survey" },
      bindText(h("h3", { id: headingId }), "survey.title"),
      bindText(h("p", { class: "hint survey-anon" }), "survey.anonymous"),
      this.afterForm,
      this.thanks,
      this.help,
    );
    this.paintLeft();
  }

  paintLeft() {
    bindText(this.left, "survey.left", { n: MAX_COMMENT - this.comment.value.length });
  }

  /** The server's view of the survey, asked once while the chat is open and once after. */
  async load(phase) {
    if (this.phase === phase) return this.loading;
    this.phase = phase;
    this.loading = api
      .get(this.url())
      .then((state) => {
        this.state = state;
      })
      .catch(() => {
        this.state = null; // no survey this time: the chat works as before
      });
    return this.loading;
  }

  /** The chat's status was painted: show what fits it. */
  async paint(status) {
    if (status === "open") {
      await this.load("open");
      const dismissed = sessionStorage.getItem(dismissedKey(this.id)) === "1";
      const offer = Boolean(this.state?.can_feel_before) && !dismissed;
      if (offer || this.beforeThanks.hidden) this.before.hidden = !offer;
      return;
    }
    this.before.hidden = true;
    if (!CLOSED.has(status) || this.done) return;
    await this.load("closed"); // the server decides: an answered chat, not yet answered
    if (!this.done) this.after.hidden = !this.state?.can_answer;
  }

  dismissBefore() {
    sessionStorage.setItem(dismissedKey(this.id), "1");
    this.before.hidden = true;
    this.view.input.focus();
  }

  async sendBefore(event, name) {
    event.preventDefault();
    const value = checked(this.beforeForm, name);
    if (!value) {
      showError(this.beforeError, t("survey.pick_face"));
      return;
    }
    try {
      this.state = await api.post(this.url("/before"), { feel_before: Number(value) });
    } catch (err) {
      showError(this.beforeError, err);
      return;
    }
    showError(this.beforeError, null);
    this.beforeForm.hidden = true;
    this.beforeThanks.hidden = false;
  }

  async send(event, feel, again) {
    event.preventDefault();
    const body = {
      feel_after: checked(this.afterForm, feel) ? Number(checked(this.afterForm, feel)) : null,
      again: checked(this.afterForm, again),
      comment: this.comment.value.trim() || null,
    };
    if (body.feel_after === null && body.again === null && body.comment === null) {
      showError(this.afterError, t("survey.pick_one"));
      return;
    }
    await this.submit(body);
  }

  async skip() {
    await this.submit({ skip: true });
  }

  async submit(body) {
    this.sendButton.disabled = this.skipButton.disabled = true;
    try {
      this.state = await api.post(this.url(), body);
    } catch (err) {
      this.sendButton.disabled = this.skipButton.disabled = false;
      if (err.code !== "survey_done") {
        showError(this.afterError, err);
        if (err.field === "comment") this.comment.focus();
        return;
      }
    }
    this.done = true;
    showError(this.afterError, null);
    this.afterForm.hidden = true;
    bindText(this.thanks, body.skip ? "survey.skipped" : "survey.thanks");
    this.thanks.hidden = false;
    this.help.hidden = !(this.state?.help || (body.feel_after && body.feel_after <= 2));
    this.thanks.tabIndex = -1;
    this.thanks.focus({ preventScroll: true });
  }
}
