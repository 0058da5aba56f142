// The help directory on /child/ and /: public support services, browsed by group and searched
// by words (GET /api/help?q=&category=&audience=). Reachable from the home screen and from the
// "こまったときは" dialog, signed in or not.

import { api } from "./api.js";
import { $, h, paintRows, showError, showView } from "./dom.js";
import { bindText, pick, t } from "./i18n.js";
import { categoryName, easyOr, entryDetails } from "./helpentry.js";

const CATEGORY_ORDER = ["emergency", "learn", "work", "live", "family"];

const dir = { audience: "child", categories: null, category: "", q: "", back: "welcome", seq: 0, entries: [] };

export function setupDirectory({ audience }) {
  dir.audience = audience;
  for (const id of ["#dir-open-home", "#dir-open-welcome"]) $(id)?.addEventListener("click", () => openDirectory());
  $("#dir-open-help").addEventListener("click", () => {
    $("#help-dialog").close();
    openDirectory();
  });
  $('[data-view="helpdir"] .back').addEventListener("click", closeDirectory);
  $("#dir-form").addEventListener("submit", (event) => {
    event.preventDefault();
    dir.q = $("#dir-q").value.trim();
    load();
  });
  $("#dir-q").addEventListener("search", () => {
    // The clear (×) button of a search field: show everything again.
    if (!$("#dir-q").value && dir.q) {
      dir.q = "";
      load();
    }
  });
  $("#dir-clear").addEventListener("click", () => {
    $("#dir-q").value = "";
    dir.q = "";
    load();
    $("#dir-q").focus();
  });
  document.addEventListener("langchange", () => {
    if (document.body.dataset.current === "helpdir") {
      paintGroups();
      paintEntries();
    }
  });
}

export function openDirectory() {
  const current = document.body.dataset.current;
  if (current && current !== "helpdir" && current !== "loading") dir.back = current;
  showView("helpdir");
  load();
}

function closeDirectory() {
  showView(dir.back || "welcome");
}

async function load() {
  const seq = ++dir.seq;
  const box = $("#dir-list");
  box.setAttribute("aria-busy", "true");
  showError($("#dir-error"), null);
  const params = new URLSearchParams({ audience: dir.audience });
  if (dir.q) params.set("q", dir.q);
  if (dir.category) params.set("category", dir.category);
  try {
    const data = await api.get(`/api/help?${params}`);
    if (seq !== dir.seq) return;
    dir.categories = data.categories;
    dir.entries = data.entries;
    paintGroups();
    paintEntries();
  } catch (err) {
    if (seq !== dir.seq) return;
    showError($("#dir-error"), err);
  } finally {
    if (seq === dir.seq) box.removeAttribute("aria-busy");
  }
}

function paintGroups() {
  const ids = CATEGORY_ORDER.filter((id) => dir.categories?.[id]);
  for (const id of Object.keys(dir.categories || {})) if (!ids.includes(id)) ids.push(id);
  paintRows($("#dir-groups"), ["", ...ids], {
    key: (id) => id || "all",
    sig: (id) => [id, dir.category === id, id ? dir.categories[id] : null],
    render: (id) => {
      const button = h("button", {
        type: "button",
        class: `group-btn cat-${id || "all"}`,
        "aria-pressed": String(dir.category === id),
        "data-category": id,
        onclick: () => {
          dir.category = id;
          paintGroups();
          load();
        },
      });
      if (id) bindText(button, `help.cat.${id}`);
      else bindText(button, "dir.all");
      if (id && t(`help.cat.${id}`) === `help.cat.${id}`) button.textContent = pick(dir.categories[id]);
      return button;
    },
  });
}

function paintEntries() {
  const count = $("#dir-count");
  $("#dir-clear").hidden = !dir.q;
  if (dir.entries.length) bindText(count, "dir.count", { n: dir.entries.length });
  else bindText(count, "dir.none");
  paintRows($("#dir-list"), dir.entries, {
    key: (entry) => entry.id,
    sig: (entry) => [entry, dir.categories],
    render: (entry) => {
      const headingId = `dir-entry-${entry.id}`;
      const tag = h("span", { class: `tag cat cat-${entry.category}` });
      const key = `help.cat.${entry.category}`;
      if (t(key) !== key) bindText(tag, key);
      else tag.textContent = categoryName(entry.category, dir.categories);
      return h("li", { class: `dir-entry cat-${entry.category}`, "data-entry": entry.id, "aria-labelledby": headingId },
        h("div", { class: "dir-head" }, tag, easyOr(entry.name, h("h3", { id: headingId, class: "dir-name" }))),
        ...entryDetails(entry));
    },
  });
}
