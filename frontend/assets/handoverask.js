// The client's side of a handover their mentor proposes from the chat: a question in the chat
// ("○○さんに かわっても いい？" / "よやくしても いい？") with はい / いいえ. Nothing changes
// until they answer yes; no keeps everything as it is. Pushed as a `handover_request` frame,
// and read again (GET …/handover-requests) when the chat is opened, so a reload asks again.

import { api } from "./api.js";
import { h, showError } from "./dom.js";
import { bindText } from "./i18n.js";
import { when } from "./time.js";

export class HandoverAsk {
  constructor(view) {
    this.view = view;
    this.request = null;
    this.root = h("div", { class: "notice handover-ask", role: "group", hidden: true, "data-testid": "handover-ask" });
  }

  async load() {
    try {
      const data = await api.get(`/api/consultations/${this.view.id}/handover-requests`);
      this.show(data.requests[0] || null);
    } catch {
      /* the question also comes pushed */
    }
  }

  onFrame(frame) {
    const r = frame.request;
    if (r.state === "pending") this.show(r);
    else if (this.request && this.request.id === r.id) this.show(null);
  }

  vars(r) {
    return { name: r.mentor.display_name, when: r.starts_at ? when(r.starts_at) : "" };
  }

  show(r) {
    const same = r && this.request && r.id === this.request.id;
    this.request = r;
    if (same) return; // already asked: keep the buttons (and any answer on its way) as they are
    this.root.textContent = "";
    this.root.hidden = !r;
    if (!r) return;
    const question = bindText(h("p", { class: "closed-title", id: `handover-q-${r.id}` }), `chat.handover.ask_${r.mode}`, this.vars(r));
    this.root.setAttribute("aria-labelledby", question.id);
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const yes = bindText(h("button", { type: "button", class: "primary", "data-testid": "handover-yes" }), "chat.handover.yes");
    const no = bindText(h("button", { type: "button", class: "secondary", "data-testid": "handover-no" }), "chat.handover.no");
    const answer = async (accept) => {
      yes.disabled = true;
      no.disabled = true;
      showError(error, null);
      try {
        const done = await api.post(`/api/consultations/${this.view.id}/handover-requests/${r.id}`, { accept });
        this.request = null;
        this.root.hidden = true;
        this.root.textContent = "";
        // yes-now: the chat says who joined (the `reassigned` event); the others are said here
        if (!accept) this.view.systemLine("chat.handover.declined", this.vars(r));
        else if (done.mode === "booking") this.view.systemLine("chat.handover.booked", this.vars(r));
        this.view.input.focus();
      } catch (err) {
        yes.disabled = false;
        no.disabled = false;
        showError(error, err);
        if (err.code === "handover_request_closed") {
          this.request = null;
          this.root.hidden = true;
        }
      }
    };
    yes.addEventListener("click", () => answer(true));
    no.addEventListener("click", () => answer(false));
    this.root.append(
      question,
      bindText(h("p"), `chat.handover.about_${r.mode}`, this.vars(r)),
      h("div", { class: "row-actions" }, yes, no),
      error,
    );
  }
}
