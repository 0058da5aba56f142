// Japanese first, English with one tap. The choice is remembered in localStorage.
// Texts are tables of {key: {ja, en}}. In a text, "{漢字|かんじ}" becomes <ruby> (furigana)
// and "{name}" is filled from vars.

const STORE = "yorisoi.lang";
const table = {};
let lang = "ja";
try {
  lang = localStorage.getItem(STORE) === "en" ? "en" : "ja";
} catch {
  lang = "ja";
}

export function addTexts(texts) {
  Object.assign(table, texts);
}

export function getLang() {
  return lang;
}

export function t(key, vars = {}) {
  const entry = table[key];
  let text = entry ? (entry[lang] ?? entry.ja) : key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

/** Plain text of a rich string: "{今|いま}" -> "今". */
export function plain(text) {
  return text.replace(/\{([^|{}]+)\|([^{}]+)\}/g, "$1");
}

/** A bilingual {ja, en} object from the API, in the current language. */
export function pick(obj) {
  if (!obj) return "";
  return obj[lang] ?? obj.ja ?? "";
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
  lang = next === "en" ? "en" : "ja";
  try {
    localStorage.setItem(STORE, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = lang;
  applyTexts();
  document.dispatchEvent(new CustomEvent("langchange", { detail: { lang } }));
}

/** Wire the language button: it shows the other language, in that language. */
export function setupLangToggle(button) {
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
  document.documentElement.lang = lang;
  paint();
  applyTexts();
}
