// One entry of the help directory (GET /api/help), drawn the same way in the directory on
// /child/ and /, in a card shared into the chat, and in the mentor's picker.

import { h } from "./dom.js";
import { bindText, getLang, pick, renderRich, t } from "./i18n.js";

/** "0120-0-78310" -> "tel:0120078310" */
export function telHref(tel) {
  return `tel:${String(tel).replace(/[^0-9+]/g, "")}`;
}

/** The category's name, from the texts (so /child/ can use easy words), else from the API. */
export function categoryName(id, categories) {
  const key = `help.cat.${id}`;
  const text = t(key);
  if (text !== key) return text;
  return pick(categories?.[id]) || id;
}

/** How to reach the service: a tel: link (big, tappable) and/or words. */
export function contactBlock(contact, name) {
  const box = h("div", { class: "reach" });
  if (!contact) return box;
  box.append(bindText(h("p", { class: "reach-title" }), "help.entry.reach"));
  if (contact.tel) {
    // Whom the call goes to is said after the visible words, not instead of them (no
    // aria-label), so that what a speech user reads on the button is its name.
    const call = h("a", { class: "tel", href: telHref(contact.tel) },
      bindText(h("span", { class: "tel-label" }), "help.entry.call"), " ", h("strong", {}, contact.tel),
      h("span", { class: "visually-hidden" }, ` (${name})`));
    box.append(call);
  }
  if (contact.text) box.append(h("p", { class: "reach-text" }, pick(contact.text)));
  if (contact.note) box.append(h("p", { class: "hint" }, pick(contact.note)));
  return box;
}

/** On /child/ in Japanese, the entry's easy wording (mostly kana, {漢字|かな} furigana). */
function easyOr(text, el) {
  const child = document.body.classList.contains("face-child") && getLang() === "ja";
  if (child && text?.easy) renderRich(el, text.easy);
  else el.append(pick(text));
  return el;
}

/** The body of an entry: what it is, who it is for, how to reach it. */
export function entryDetails(entry) {
  const name = pick(entry.name);
  return [
    easyOr(entry.description, h("p", { class: "desc" })),
    h("p", { class: "for" }, bindText(h("span", { class: "for-label" }), "help.entry.for"), " ",
      easyOr(entry.for_whom, h("span", {}))),
    contactBlock(entry.contact, name),
  ];
}
