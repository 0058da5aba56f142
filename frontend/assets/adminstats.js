// /admin/ statistics: GET /api/staff/stats?from=&to= drawn as inline SVG charts built here
// (no library). Each chart is an <svg role="img"> with <title> and <desc>, and the same
// numbers as a table beside it; the CSV export is a plain link (same cookie).

import { api } from "./api.js";
import { $, busy, h, rebuild, showError } from "./dom.js";
import { bindText, getLang, pick, plain, t } from "./i18n.js";
import { addDays, dayShort } from "./time.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_DAYS = 92;
const ss = { service: null, from: null, to: null, data: null, seq: 0, uid: 0 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000);
}

function pct(x) {
  return x === null || x === undefined ? plain(t("stats.none")) : `${Math.round(x * 1000) / 10}%`;
}

export function setupStats(service) {
  ss.service = service;
  ss.to = service.today;
  ss.from = addDays(service.today, -6);
  const form = $("#stats-form");
  form.elements.from.value = ss.from;
  form.elements.to.value = ss.to;
  form.elements.from.max = service.today;
  form.elements.to.max = addDays(service.today, service.horizon_days);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const from = form.elements.from.value;
    const to = form.elements.to.value;
    if (!from || !to || from > to || daysBetween(from, to) >= MAX_DAYS) {
      showError($("#stats-error"), plain(t("stats.check_range")));
      return;
    }
    ss.from = from;
    ss.to = to;
    busy(form.querySelector("button[type=submit]"), load);
  });
  const preset = (days) => () => {
    ss.to = service.today;
    ss.from = addDays(service.today, -(days - 1));
    form.elements.from.value = ss.from;
    form.elements.to.value = ss.to;
    load();
  };
  $("#stats-7").addEventListener("click", preset(7));
  $("#stats-30").addEventListener("click", preset(30));
  document.addEventListener("langchange", () => ss.data && paint());
  return load();
}

export async function load() {
  const seq = ++ss.seq;
  const query = `from=${encodeURIComponent(ss.from)}&to=${encodeURIComponent(ss.to)}`;
  $("#stats-csv").href = `/api/staff/stats.csv?${query}`;
  $("#stats-csv").setAttribute("download", `yorisoi-stats-${ss.from}-${ss.to}.csv`);
  $("#stats-charts").setAttribute("aria-busy", "true");
  try {
    const data = await api.get(`/api/staff/stats?${query}`);
    if (seq !== ss.seq) return;
    ss.data = data;
    showError($("#stats-error"), null);
    paint();
  } catch (err) {
    if (seq === ss.seq) showError($("#stats-error"), err);
  } finally {
    if (seq === ss.seq) $("#stats-charts").removeAttribute("aria-busy");
  }
}

function kindLabel(id) {
  const k = (ss.service.kinds || []).find((x) => x.id === id);
  return k ? pick(k.label) : id;
}

function paint() {
  const d = ss.data;
  const sum = (f) => d.days.reduce((n, day) => n + (f(day) || 0), 0);
  const total = sum((x) => x.consultations);
  const walkIn = sum((x) => x.walk_in);
  const booked = sum((x) => x.booked);
  const noShow = sum((x) => x.no_show);
  const turnedAway = sum((x) => x.refusals.no_free_line);
  const refusedAll = sum((x) => Object.values(x.refusals).reduce((a, b) => a + b, 0));
  const util = d.days.length ? sum((x) => x.utilisation) / d.days.length : 0;
  bindText($("#stats-range"), "stats.range", { from: d.from, to: d.to, n: d.days.length, lines: d.lines });

  const summary = $("#stats-summary");
  summary.textContent = "";
  const fact = (key, value, extra = {}) => summary.append(
    h("div", { class: `fact ${extra.cls || ""}`, "data-testid": extra.id },
      bindText(h("dt"), key), h("dd", {}, String(value)), extra.hint ? bindText(h("dd", { class: "hint" }), extra.hint) : null));
  fact("stats.turned_away", turnedAway, { cls: "fact-key", id: "turned-away", hint: "stats.turned_away_hint" });
  fact("stats.total", total, { id: "total" });
  fact("stats.walk_in", walkIn);
  fact("stats.booked", booked);
  fact("stats.no_show_rate", booked ? pct(noShow / booked) : plain(t("stats.none")));
  fact("stats.utilisation", pct(util));
  fact("stats.refused_total", refusedAll);

  const dayLabels = d.days.map((x) => {
    const p = dayShort(x.date);
    return d.days.length > 14 ? p.date : `${p.date}(${p.week})`;
  });
  // A chart's table opened by the reader stays open through repaints.
  rebuild($("#stats-charts"), (charts) => charts.append(
    barChart({
      id: "c-day",
      title: plain(t("stats.c_day")),
      desc: plain(t("stats.c_day_desc", { from: d.from, to: d.to, total, walk_in: walkIn, booked })),
      head: "stats.col_date",
      labels: dayLabels,
      series: [
        { key: "walk_in", label: plain(t("stats.walk_in")), values: d.days.map((x) => x.walk_in) },
        { key: "booked", label: plain(t("stats.booked")), values: d.days.map((x) => x.booked - x.no_show) },
        { key: "no_show", label: plain(t("stats.no_show")), values: d.days.map((x) => x.no_show) },
      ],
    }),
    barChart({
      id: "c-slot",
      title: plain(t("stats.c_slot")),
      desc: plain(t("stats.c_slot_desc")),
      head: "stats.col_slot",
      labels: d.slots.map((x) => x.slot),
      series: [
        { key: "walk_in", label: plain(t("stats.walk_in")), values: d.slots.map((x) => x.walk_in || 0) },
        { key: "booked", label: plain(t("stats.booked")), values: d.slots.map((x) => x.booked || 0) },
        { key: "no_show", label: plain(t("stats.no_show")), values: d.slots.map((x) => x.no_show || 0) },
        { key: "refused", label: plain(t("refusal.no_free_line")), values: d.slots.map((x) => x.refused_no_free_line || 0) },
      ],
    }),
    hbarChart({
      id: "c-refusals",
      title: plain(t("stats.c_refusals")),
      items: totals(d.days.map((x) => x.refusals)).map(([code, n]) => ({
        label: plain(t(`refusal.${code}`)) === `refusal.${code}` ? code : plain(t(`refusal.${code}`)),
        value: n,
        cls: code === "no_free_line" ? "refused" : "other",
      })),
    }),
    hbarChart({
      id: "c-kind",
      title: plain(t("stats.c_kind")),
      items: totals(d.days.map((x) => x.by_kind)).map(([kind, n]) => ({ label: kindLabel(kind), value: n, cls: "kind" })),
    }),
    hbarChart({
      id: "c-audience",
      title: plain(t("stats.c_audience")),
      items: ["child", "parent"].map((a) => ({ label: plain(t(`stats.${a}`)), value: sum((x) => x.by_audience[a]), cls: a })),
    }),
    barChart({
      id: "c-util",
      title: plain(t("stats.c_util")),
      desc: plain(t("stats.c_util_desc")),
      head: "stats.col_date",
      labels: dayLabels,
      percent: true,
      grouped: true,
      series: [
        { key: "util", label: plain(t("stats.col_util")), values: d.days.map((x) => x.utilisation) },
        { key: "no_show", label: plain(t("stats.col_no_show_rate")), values: d.days.map((x) => x.no_show_rate) },
      ],
    }),
  ));
}

/** [[key, total]] over a list of {key: n}, largest first. */
function totals(objs) {
  const sum = {};
  for (const o of objs) for (const [k, v] of Object.entries(o || {})) sum[k] = (sum[k] || 0) + v;
  return Object.entries(sum).sort((a, b) => b[1] - a[1]);
}

function figure(id, title, svg, table, legend) {
  return h("figure", { class: "chart", id, "data-testid": id },
    h("figcaption", {}, title),
    legend,
    svg,
    h("details", { class: "chart-table" }, bindText(h("summary"), "stats.table"), h("div", { class: "table-wrap" }, table)));
}

function legendOf(series) {
  return h("ul", { class: "legend", "aria-hidden": "true" },
    ...series.map((x) => h("li", {}, h("span", { class: `swatch s-${x.key}` }), x.label)));
}

function svgFrame(id, title, desc, width, height) {
  ss.uid += 1;
  const tid = `${id}-t${ss.uid}`;
  const did = `${id}-d${ss.uid}`;
  return s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${tid} ${did}`, class: "chart-svg", preserveAspectRatio: "xMinYMin meet" },
    s("title", { id: tid }, title), s("desc", { id: did }, desc));
}

/** A top for the axis that gives four whole-number steps: 4, 8, 20, 40, 80, 200… */
function niceMax(max) {
  const raw = Math.max(1, max / 4);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.ceil(m * p) * 4;
  return 40 * p;
}

/** Vertical bars per label; stacked series (counts) or side by side (percentages). */
function barChart({ id, title, desc, head, labels, series, percent = false, grouped = false }) {
  const W = 480;
  const H = 220;
  const left = 40;
  const bottom = 40;
  const top = 12;
  const plotW = W - left - 10;
  const plotH = H - top - bottom;
  const totalsAt = labels.map((_, i) => series.reduce((n, x) => n + (x.values[i] || 0), 0));
  const max = percent ? 1 : niceMax(Math.max(0, ...(grouped ? series.flatMap((x) => x.values.map((v) => v || 0)) : totalsAt)));
  const svg = svgFrame(id, title, desc, W, H);
  const y = (v) => top + plotH - (plotH * v) / max;
  for (let i = 0; i <= 4; i += 1) {
    const v = (max * i) / 4;
    svg.append(s("line", { x1: left, x2: W - 10, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(s("text", { x: left - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" }, percent ? `${Math.round(v * 100)}%` : String(Math.round(v * 10) / 10)));
  }
  const band = plotW / Math.max(1, labels.length);
  const barW = Math.max(2, Math.min(40, band * 0.7));
  const longest = Math.max(1, ...labels.map((l) => l.length));
  const every = Math.max(1, Math.ceil((labels.length * (longest * 7 + 8)) / plotW));
  labels.forEach((label, i) => {
    const x0 = left + band * i + (band - barW) / 2;
    let acc = 0;
    series.forEach((ser, k) => {
      const v = ser.values[i];
      if (!v) return;
      if (grouped) {
        const w = barW / series.length;
        svg.append(s("rect", { x: x0 + w * k, y: y(v), width: Math.max(1, w - 1), height: top + plotH - y(v), class: `s-${ser.key}` },
          s("title", {}, `${label} ${ser.label}: ${percent ? pct(v) : v}`)));
      } else {
        svg.append(s("rect", { x: x0, y: y(acc + v), width: barW, height: y(acc) - y(acc + v), class: `s-${ser.key}` },
          s("title", {}, `${label} ${ser.label}: ${v}`)));
        acc += v;
      }
    });
    if (!grouped && totalsAt[i] && labels.length <= 31) {
      svg.append(s("text", { x: x0 + barW / 2, y: y(totalsAt[i]) - 3, class: "value", "text-anchor": "middle" }, String(totalsAt[i])));
    }
    if (i % every === 0) {
      svg.append(s("text", { x: left + band * i + band / 2, y: H - bottom + 16, class: "axis", "text-anchor": "middle" }, label));
    }
  });
  svg.append(s("line", { x1: left, x2: W - 10, y1: top + plotH, y2: top + plotH, class: "base" }));

  const table = h("table", {},
    h("thead", {}, h("tr", {}, bindText(h("th", { scope: "col" }), head), ...series.map((x) => h("th", { scope: "col" }, x.label)))),
    h("tbody", {}, ...labels.map((label, i) => h("tr", {},
      h("th", { scope: "row" }, label),
      ...series.map((x) => h("td", { class: "num" }, percent ? pct(x.values[i]) : String(x.values[i] || 0)))))));
  return figure(id, title, svg, table, legendOf(series));
}

/** Horizontal bars: one per item (a total over the period). */
export function hbarChart({ id, title, items }) {
  const W = 480;
  const row = 30;
  const labelW = 215;
  const H = Math.max(1, items.length) * row + 10;
  const max = niceMax(Math.max(0, ...items.map((x) => x.value)));
  const words = items.length
    ? items.map((x) => `${x.label} ${x.value}`).join(getLang() === "en" ? ", " : "、")
    : plain(t("stats.empty"));
  const svg = svgFrame(id, title, words, W, H);
  if (!items.length) {
    svg.append(s("text", { x: 8, y: 24, class: "axis" }, plain(t("stats.empty"))));
  }
  items.forEach((item, i) => {
    const yy = 5 + i * row;
    const w = ((W - labelW - 40) * item.value) / max;
    svg.append(s("text", { x: labelW - 8, y: yy + 19, class: "axis label", "text-anchor": "end" }, item.label));
    svg.append(s("rect", { x: labelW, y: yy + 4, width: Math.max(item.value ? 2 : 0, w), height: row - 10, class: `s-${item.cls}` },
      s("title", {}, `${item.label}: ${item.value}`)));
    svg.append(s("text", { x: labelW + w + 6, y: yy + 19, class: "value" }, String(item.value)));
  });
  const table = h("table", {},
    h("thead", {}, h("tr", {}, bindText(h("th", { scope: "col" }), "stats.col_item"), bindText(h("th", { scope: "col" }), "stats.col_count"))),
    h("tbody", {}, ...(items.length
      ? items.map((x) => h("tr", {}, h("th", { scope: "row" }, x.label), h("td", { class: "num" }, String(x.value))))
      : [h("tr", {}, bindText(h("td", { colspan: 2, class: "empty" }), "stats.empty"))])));
  return figure(id, title, svg, table, null);
}
