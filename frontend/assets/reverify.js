// "Enter your secret again to read it": shown where a finished consultation would open on a
// client face (the server refuses the re-read with secret_needed until the secret is typed
// again; docs/api.md, POST /api/session/reverify).

import { api } from "./api.js";
import { busy, h, showError } from "./dom.js";
import { applyTexts, bindText } from "./i18n.js";

/** A small form; onDone() runs once the server has accepted the secret. */
export function secretPrompt(onDone) {
  const input = h("input", { type: "password", name: "secret", autocomplete: "current-password", id: `reverify-${Math.random().toString(36).slice(2)}` });
  const label = bindText(h("label", { for: input.id }), "reverify.label");
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const button = bindText(h("button", { type: "submit", class: "primary" }), "reverify.submit");
  const form = h("form", { class: "reverify panel", novalidate: true, "data-testid": "reverify" },
    bindText(h("p"), "reverify.lead"), label, input, button, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, null);
    if (!input.value) {
      input.focus();
      return;
    }
    try {
      await busy(button, () => api.reverify(input.value));
      form.remove();
      onDone();
    } catch (err) {
      input.value = "";
      showError(error, err);
      input.focus();
    }
  });
  applyTexts(form);
  return form;
}
