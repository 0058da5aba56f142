// /admin/report.html: the municipal report (GET /api/staff/report) for a month or any range,
// as tables of figures and inline SVG charts drawn by adminstats.js's hbarChart (no library:
// the charts are bars with labels, which a few lines of SVG draw exactly, print sharply at any
// scale and keep under the strict CSP; a vendored charting library would add ~200 KB to keep
// up to date for nothing these charts need). Printing gives an A4 page without the console's
// chrome (report.css). The CSV is a plain link (same cookie).

import { api } from "./api.js";
import { hbarChart } from "./adminstats.js";
import { $, busy, h, rebuild, showError } from "./dom.js";
import { addTexts, bindText, pick, plain, t } from "./i18n.js";
import { startRepaints } from "./repaint.js";
import { startStaffFace } from "./staff.js";
import { REPORT } from "./texts/report.js";

const MAX_DAYS = 366;
const KINDS = ["psychologist", "nurse", "social_worker", "financial_planner", "career_consultant", "former_teacher", "student_mentor"];
const rs = { service: null, query: "", data: null, seq: 0 };

addTexts(REPORT);

function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000);
}

function num(v) {
  return v === null || v === undefined ? plain(t("report.none")) : String(v);
}

function kindLabel(id) {
  const k = (rs.service?.kinds || []).find((x) => x.id === id);
  return k ? pick(k.label) : id;
}

startStaffFace({
  role: "supervisor",
  onReady: async (_account, _socket, service) => {
    rs.service = service;
    const form = $("#report-form");
    const month = service.today.slice(0, 7);
    form.elements.month.value = month;
    form.elements.month.max = month;
    form.elements.from.value = `${month}-01`;
    form.elements.to.value = service.today;
    bindText(form.querySelector("[data-t='report.lead']"), "report.lead", { n: 3 });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const from = form.elements.from.value;
      const to = form.elements.to.value;
      if (!from || !to || from > to || daysBetween(from, to) >= MAX_DAYS) {
        showError($("#report-error"), plain(t("report.check_range")));
        return;
      }
      rs.query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
      busy(form.querySelector("button[type=submit]"), load);
    });
    $("#report-month-go").addEventListener("click", (event) => {
      const value = form.elements.month.value;
      if (!/^\d{4}-\d{2}$/.test(value)) {
        showError($("#report-error"), plain(t("report.check_range")));
        return;
      }
      rs.query = `month=${encodeURIComponent(value)}`;
      busy(event.currentTarget, load);
    });
    $("#report-print").addEventListener("click", () => window.print());
    document.addEventListener("langchange", () => rs.data && paint());
    rs.query = `month=${encodeURIComponent(month)}`;
    await load();
    // Figures of today move while the page is open: asked again now and then (and, in the
    // browser tests, repainted from scratch as often as every face is).
    startRepaints(service, load, 10 * 60 * 1000);
  },
});

async function load() {
  const seq = ++rs.seq;
  $("#report").setAttribute("aria-busy", "true");
  try {
    const data = await api.get(`/api/staff/report?${rs.query}`);
    if (seq !== rs.seq) return;
    rs.data = data;
    const csv = $("#report-csv");
    csv.href = `/api/staff/report.csv?${rs.query}`;
    csv.setAttribute("download", `yorisoi-report-${data.from}-${data.to}.csv`);
    showError($("#report-error"), null);
    paint();
  } catch (err) {
    if (seq === rs.seq) showError($("#report-error"), err);
  } finally {
    if (seq === rs.seq) $("#report").removeAttribute("aria-busy");
  }
}

// figure id -> how to read it from a group
const FIGURES = [
  ["consultations", (g) => g.consultations],
  ["walk_in", (g) => g.modes.walk_in],
  ["booked", (g) => g.modes.booked],
  ["queue", (g) => g.modes.queue],
  ["unanswered", (g) => g.unanswered],
  ["no_show", (g) => g.no_show],
  ["turned_away", (g) => g.turned_away?.total],
  ["under_10", (g) => g.durations.under_10],
  ["10_20", (g) => g.durations["10_20"]],
  ["20_30", (g) => g.durations["20_30"]],
  ["handovers", (g) => g.handovers],
  ["escalations_raised", (g) => g.escalations.raised],
  ["escalations", (g) => g.escalations.confirmed],
  ["queued", (g) => g.waiting_line?.queued],
  ["served", (g) => g.waiting_line?.served],
  ["wait_p50", (g) => g.waiting_line?.wait_p50_minutes],
  ["wait_p90", (g) => g.waiting_line?.wait_p90_minutes],
  ["survey_answered", (g) => g.survey.answered],
  ["survey_skipped", (g) => g.survey.skipped],
];
const KIND_FIGURES = ["consultations", "walk_in", "booked", "queue", "unanswered", "under_10", "10_20", "20_30", "handovers", "escalations", "survey_answered"];
const MONTH_FIGURES = ["consultations", "walk_in", "booked", "queue", "unanswered", "turned_away", "handovers", "escalations", "survey_answered"];
const read = (id, g) => FIGURES.find(([f]) => f === id)[1](g);

// Wide tables scroll sideways on a narrow screen: the wrapper is focusable and named, so a
// keyboard can scroll it too.
function table(testid, headCells, rows) {
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": `${testid}-h` },
    h("table", { class: "report-table", "data-testid": testid },
      h("thead", {}, h("tr", {}, ...headCells.map((cell) => (typeof cell === "string" ? bindText(h("th", { scope: "col" }), cell) : cell)))),
      h("tbody", {}, ...rows)));
}

function overview(d) {
  const groups = [["all", d.total], ["child", d.by_audience.child], ["parent", d.by_audience.parent]];
  return table(
    "report-overview",
    ["report.col_figure", "report.col_all", "stats.child", "stats.parent"],
    FIGURES.map(([id]) => h("tr", { "data-figure": id },
      bindText(h("th", { scope: "row" }), `report.f.${id}`),
      ...groups.map(([name, g]) => h("td", { class: "num", "data-group": name }, num(read(id, g)))))),
  );
}

function byKind(d) {
  return table(
    "report-kinds",
    ["report.col_kind", ...KIND_FIGURES.map((id) => `report.f.${id}`)],
    KINDS.map((kind) => h("tr", { "data-kind": kind },
      h("th", { scope: "row" }, kindLabel(kind)),
      ...KIND_FIGURES.map((id) => h("td", { class: "num", "data-figure": id }, num(read(id, d.by_kind[kind])))))),
  );
}

function byMonth(d) {
  return table(
    "report-months",
    ["report.col_month", ...MONTH_FIGURES.map((id) => `report.f.${id}`)],
    d.months.map((m) => h("tr", { "data-month": m.month },
      h("th", { scope: "row" }, m.month),
      ...MONTH_FIGURES.map((id) => h("td", { class: "num", "data-figure": id }, num(read(id, m.total)))))),
  );
}

function items(counts, label, cls) {
  return Object.entries(counts || {}).map(([key, value]) => ({ label: label(key), value, cls }));
}

function charts(d) {
  const g = d.total;
  const topicLabel = (key) => (d.topic_labels[key] ? pick(d.topic_labels[key]) : key);
  const refusal = (code) => (plain(t(`refusal.${code}`)) === `refusal.${code}` ? code : plain(t(`refusal.${code}`)));
  const list = [
    hbarChart({ id: "r-modes", title: plain(t("report.c_modes")), items: items(g.modes, (k) => plain(t(`report.mode.${k}`)), "walk_in") }),
    hbarChart({ id: "r-durations", title: plain(t("report.c_durations")), items: items(g.durations, (k) => plain(t(`report.f.${k}`)), "booked") }),
    hbarChart({ id: "r-topics", title: plain(t("report.c_topics")), items: items(g.topics, topicLabel, "kind") }),
    hbarChart({ id: "r-risk", title: plain(t("report.c_risk")), items: items(g.risk, (k) => plain(t(`report.risk.${k}`)), "no_show") }),
    hbarChart({ id: "r-escalations", title: plain(t("report.c_escalations")), items: items(g.escalations.by_destination, (k) => plain(t(`report.dest.${k}`)), "refused") }),
    hbarChart({ id: "r-turned-away", title: plain(t("report.c_turned_away")), items: items(g.turned_away?.by_code, refusal, "refused") }),
  ];
  if (!g.survey.suppressed) {
    list.push(
      hbarChart({ id: "r-feel-before", title: plain(t("report.c_feel_before")), items: items(g.survey.feel_before, (k) => plain(t(`report.face.${k}`)), "child") }),
      hbarChart({ id: "r-feel-after", title: plain(t("report.c_feel_after")), items: items(g.survey.feel_after, (k) => plain(t(`report.face.${k}`)), "child") }),
      hbarChart({ id: "r-change", title: plain(t("report.c_change")), items: items(g.survey.change, (k) => plain(t(`report.change.${k}`)), "parent") }),
      hbarChart({ id: "r-again", title: plain(t("report.c_again")), items: items(g.survey.again, (k) => plain(t(`report.again.${k}`)), "parent") }),
    );
  }
  return h("div", { class: "charts report-charts", "data-testid": "report-charts" }, ...list);
}

function comments(d) {
  const survey = d.total.survey;
  const rows = survey.comments || [];
  return h("section", { class: "report-section", "aria-labelledby": "report-comments-h" },
    bindText(h("h3", { id: "report-comments-h" }), "report.comments"),
    survey.suppressed ? bindText(h("p", { class: "notice", "data-testid": "report-suppressed" }), "report.survey_suppressed", { n: d.min_group }) : null,
    bindText(h("p", { class: "hint" }), "report.comments_note"),
    rows.length
      ? h("ul", { class: "report-comments", "data-testid": "report-comments" },
        ...rows.map((c) => h("li", {}, h("span", { class: "report-day" }, c.day), " ", c.text)))
      : bindText(h("p", { class: "hint" }), "report.no_comments"));
}

function section(titleKey, id, ...content) {
  return h("section", { class: "report-section", "aria-labelledby": id }, bindText(h("h3", { id }), titleKey), ...content);
}

function paint() {
  const d = rs.data;
  bindText($("#report-range"), "report.range", { from: d.from, to: d.to, n: daysBetween(d.from, d.to) + 1 });
  document.title = `${plain(t("report.title"))} ${d.from}–${d.to}`;
  const parts = [
    section("report.overview", "report-overview-h", overview(d)),
    section("report.by_kind", "report-kinds-h", byKind(d)),
    d.months.length > 1 ? section("report.months", "report-months-h", byMonth(d)) : null,
    section("report.charts", "report-charts-h", charts(d)),
    comments(d),
    bindText(h("p", { class: "hint report-made" }), "report.made", { day: rs.service.today }),
  ];
  rebuild($("#report-body"), (body) => body.append(...parts.filter(Boolean)));
}
