// /admin/: each mentor's load today and this week (consultations, minutes talked), her limits
// and a cool-down running now, with "end the rest" (GET /api/staff/mentor-load, DELETE
// /api/staff/mentors/{id}/rest). Well-being: app/actions/wellbeing.py.

import { api } from "./api.js";
import { $, h, paintRows, showError, twoStep } from "./dom.js";
import { bindText, plain, t } from "./i18n.js";
import { hhmm } from "./time.js";
import { POLL_SECONDS } from "./staff.js";

let rows = [];

export function setupAdminLoad(socket, service) {
  const after = $("#roster");
  if (!after || $("#load")) return Promise.resolve();
  const section = h("section", { id: "load", class: "block", "aria-labelledby": "load-h" },
    bindText(h("h3", { id: "load-h" }), "load.title"),
    bindText(h("p", { class: "hint" }), "load.lead"),
    h("p", { id: "load-error", class: "error", role: "alert", hidden: true }),
    h("div", { class: "table-wrap" },
      h("table", { "data-testid": "mentor-load" },
        h("thead", {}, h("tr", {},
          ...["load.col_name", "load.col_today", "load.col_week", "load.col_limits", "load.col_rest"].map((key) => bindText(h("th", { scope: "col" }), key)))),
        h("tbody", { id: "load-rows" }))),
  );
  after.after(section);
  for (const type of ["resting", "consultation"]) socket.addEventListener(type, () => refreshLoad());
  document.addEventListener("langchange", paint);
  // The slow fallback beside the socket; forced repaints reach it through "langchange" (one
  // timer per page: admin.js's startRepaints drives them).
  setInterval(refreshLoad, POLL_SECONDS * 1000);
  return refreshLoad();
}

export async function refreshLoad() {
  try {
    rows = (await api.get("/api/staff/mentor-load")).mentors;
    paint();
    showError($("#load-error"), null);
  } catch (err) {
    showError($("#load-error"), err);
  }
}

function paint() {
  paintRows($("#load-rows"), rows, {
    key: (r) => r.mentor_id,
    render: loadRow,
    empty: () => h("tr", {}, bindText(h("td", { colspan: 5, class: "empty" }), "roster.none")),
  });
}

function figures(f) {
  return plain(t("load.figures", { count: f.consultations, minutes: f.minutes }));
}

function loadRow(r) {
  const limits = [
    r.max_per_day ? plain(t("load.per_day", { n: r.max_per_day })) : null,
    r.max_per_shift ? plain(t("load.per_shift", { n: r.max_per_shift })) : null,
  ].filter(Boolean);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const rest = r.resting_until
    ? h("div", { class: "row-actions" },
        bindText(h("span", { class: "badge badge-rest", "data-testid": "resting" }), "load.resting", { until: hhmm(r.resting_until) }),
        ...twoStep(`endrest:${r.mentor_id}`, {
          ask: "load.end_rest",
          yes: "load.end_rest_confirm",
          no: "load.keep_rest",
          askClass: "chip",
          label: `${plain(t("load.end_rest"))}: ${r.display_name}`,
          onYes: async () => {
            await api.del(`/api/staff/mentors/${r.mentor_id}/rest`);
            await refreshLoad();
          },
          onError: (err) => showError(error, err),
        }))
    : h("span", {}, "—");
  return h("tr", { "data-mentor": r.mentor_id, class: r.active ? "" : "inactive" },
    h("th", { scope: "row" }, r.display_name),
    h("td", {}, figures(r.today)),
    h("td", {}, figures(r.week)),
    h("td", {}, limits.length ? limits.join(" / ") : "—"),
    h("td", {}, rest, error));
}
