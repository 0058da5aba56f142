// Four languages: Japanese first, then English, Simplified Chinese and Korean, chosen from a
// menu and remembered per device (localStorage). Texts are tables of {key: {ja, en, zh, ko}}.
// In a text, "{漢字|かんじ}" becomes <ruby> (furigana) and "{name}" is filled from vars.
// A text or an API object without the chosen language falls back to English, then Japanese
// (a Chinese or Korean reader is likelier to read English than Japanese).

const STORE = "yorisoi.lang";
export const LANGS = ["ja", "en", "zh", "ko"];
/** Each language's name in that language: what the menu shows. */
export const LANG_NAMES = { ja: "日本語", en: "English", zh: "简体中文", ko: "한국어" };
/** The <html lang> of each: zh is Simplified Chinese (screen readers and CJK fonts need it). */
const HTML_LANG = { ja: "ja", en: "en", zh: "zh-Hans", ko: "ko" };
/** The lang attribute for a language code (zh is Simplified Chinese). */
export function htmlLang(code) {
  return HTML_LANG[code] || code;
}

const MENU_LABEL = { ja: "言語", en: "Language", zh: "语言", ko: "언어" };

const table = {};
let lang = "ja";
try {
  lang = known(localStorage.getItem(STORE)) || "ja";
} catch {
  lang = "ja";
}

function known(code) {
  return LANGS.includes(code) ? code : null;
}

export function addTexts(texts) {
  Object.assign(table, texts);
}

export function getLang() {
  return lang;
}

function inLang(obj) {
  if (!obj) return undefined;
  return obj[lang] ?? (lang === "ja" ? undefined : obj.en) ?? obj.ja;
}

export function t(key, vars = {}) {
  const entry = table[key];
  let text = entry ? (inLang(entry) ?? key) : key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.split(`{${name}}`).join(varText(value));
  }
  return text;
}

/**
 * A var's text. {t: key} (or {t: [keys]}) is itself translated when the text is rendered, so a
 * bound text ("危機のサイン「{category}」") follows a language switch in its vars too.
 */
function varText(value) {
  if (value && typeof value === "object" && "t" in value) {
    const keys = Array.isArray(value.t) ? value.t : [value.t];
    return keys.map((k) => plain(t(k))).join(lang === "ja" ? "・" : ", ");
  }
  return String(value);
}

/** Plain text of a rich string: "{今|いま}" -> "今". */
export function plain(text) {
  return text.replace(/\{([^|{}]+)\|([^{}]+)\}/g, "$1");
}

/** A localized {ja, en, zh?, ko?} object from the API, in the current language. */
export function pick(obj) {
  if (!obj) return "";
  return inLang(obj) ?? "";
}

/** Put a rich text into an element: ruby for {漢字|かな}, text nodes for the rest. */
export function renderRich(el, text) {
  el.textContent = "";
  const re = /\{([^|{}]+)\|([^{}]+)\}/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) el.append(text.slice(last, m.index));
    const ruby = document.createElement("ruby");
    const rt = document.createElement("rt");
    rt.textContent = m[2];
    ruby.append(m[1], rt);
    el.append(ruby);
    last = m.index + m[0].length;
  }
  if (last < text.length) el.append(text.slice(last));
}

/** Give an element a translated text that follows language changes. */
export function bindText(el, key, vars) {
  el.dataset.t = key;
  if (vars) el.dataset.tVars = JSON.stringify(vars);
  else delete el.dataset.tVars;
  renderRich(el, t(key, vars || {}));
  return el;
}

/** Fill every [data-t] (text) and [data-t-attr="attr:key;attr:key"] under root. */
export function applyTexts(root = document) {
  for (const el of root.querySelectorAll("[data-t]")) {
    let vars = {};
    try {
      vars = el.dataset.tVars ? JSON.parse(el.dataset.tVars) : {};
    } catch {
      vars = {};
    }
    renderRich(el, t(el.dataset.t, vars));
  }
  for (const el of root.querySelectorAll("[data-t-attr]")) {
    for (const pair of el.dataset.tAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr.trim(), plain(t(key.trim())));
    }
  }
}

export function setLang(next) {
  lang = known(next) || "ja";
  try {
    localStorage.setItem(STORE, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  paintLang();
  document.dispatchEvent(new CustomEvent("langchange", { detail: { lang } }));
}

function paintLang() {
  document.documentElement.lang = HTML_LANG[lang];
  applyTexts();
}

/**
 * Wire the language menu of a client face: a <select> whose options are the languages'
 * own names (each marked with its lang, so a screen reader reads 한국어 in Korean).
 */
export function setupLangMenu(select) {
  select.textContent = "";
  for (const code of LANGS) {
    const option = document.createElement("option");
    option.value = code;
    option.lang = HTML_LANG[code];
    option.textContent = LANG_NAMES[code];
    select.append(option);
  }
  const label = () => {
    // The menu's name in the current language and in English, so anyone can find it.
    const name = lang === "en" ? MENU_LABEL.en : `${MENU_LABEL[lang]} / ${MENU_LABEL.en}`;
    select.setAttribute("aria-label", name);
    select.title = name;
  };
  select.value = lang;
  select.addEventListener("change", () => {
    setLang(select.value);
    label();
  });
  document.addEventListener("langchange", () => {
    if (select.value !== lang) select.value = lang;
  });
  label();
  paintLang();
}

/**
 * Wire the staff consoles' language button (Japanese and English only): it shows the other
 * language, in that language. A device left on Chinese or Korean by a client face shows
 * the console in English without changing the stored choice.
 */
export function setupLangToggle(button) {
  if (lang !== "ja") lang = "en";
  const paint = () => {
    button.textContent = lang === "ja" ? "English" : "日本語";
    button.lang = lang === "ja" ? "en" : "ja";
    button.setAttribute(
      "aria-label",
      lang === "ja" ? "Switch to English" : "日本語に切り替える",
    );
  };
  button.addEventListener("click", () => {
    setLang(lang === "ja" ? "en" : "ja");
    paint();
  });
  paint();
  paintLang();
}
