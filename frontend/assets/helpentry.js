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
  if (contact.text) box.append(easyOr(contact.text, h("p", { class: "reach-text" })));
  if (contact.note) box.append(easyOr(contact.note, h("p", { class: "hint" })));
  return box;
}

/** On /child/ in Japanese, the entry's easy wording (kana, {漢字|かな} as furigana); the
 * entry's own words elsewhere. Names, descriptions, "for whom" and contact lines all have one. */
export function easyOr(text, el) {
  if (easy(text)) renderRich(el, text.easy);
  else el.append(pick(text));
  return el;
}

const easy = (text) => Boolean(text?.easy) && document.body.classList.contains("face-child") && getLang() === "ja";

/** Words for a screen reader alone: on /child/ the easy wording read as kana. */
export function spoken(text) {
  return easy(text) ? text.easy.replace(/\{([^|{}]+)\|([^{}]+)\}/g, "$2") : pick(text);
}

/** The body of an entry: what it is, who it is for, how to reach it. */
export function entryDetails(entry) {
  const name = spoken(entry.name);
  return [
    easyOr(entry.description, h("p", { class: "desc" })),
    h("p", { class: "for" }, bindText(h("span", { class: "for-label" }), "help.entry.for"), " ",
      easyOr(entry.for_whom, h("span", {}))),
    contactBlock(entry.contact, name),
  ];
}
