// /admin/: the waiting line (順番待ち), live. GET /api/staff/queue lists everyone in line in
// order; the socket's `queue_changed` event (and every consultation event, since a line
// freeing or an offer being taken moves the line) re-reads it; a slow poll is the fallback.
// Rows are keyed by the place and patched in place (paintRows).

import { api } from "./api.js";
import { $, h, paintRows, showError } from "./dom.js";
import { bindText, pick, plain, t } from "./i18n.js";
import { POLL_SECONDS } from "./staff.js";
import { hhmm } from "./time.js";

const qs = { service: null, data: null, seq: 0 };

/** Called once from admin.js's onReady with the console's socket and the service facts. */
export function setupAdminQueue(socket, service) {
  qs.service = service;
  for (const type of ["queue_changed", "consultation"]) socket.addEventListener(type, () => refreshAdminQueue());
  document.addEventListener("langchange", (e) => {
    paint();
    if (e.detail?.forced) refreshAdminQueue();
  });
  setInterval(refreshAdminQueue, POLL_SECONDS * 1000); // the slow fallback beside the socket
  return refreshAdminQueue();
}

export async function refreshAdminQueue() {
  const seq = ++qs.seq;
  try {
    const data = await api.get("/api/staff/queue");
    if (seq !== qs.seq) return; // a newer answer is on its way
    qs.data = data;
    showError($("#queue-admin-error"), null);
    paint();
  } catch (err) {
    showError($("#queue-admin-error"), err);
  }
}

function kindLabel(id) {
  return pick((qs.service?.kinds || []).find((k) => k.id === id)?.label) || id;
}

function waitsFor(e) {
  const w = e.waiting_for || {};
  if (w.mentor_id) return plain(t("queue.for_mentor", { name: w.mentor_name || "" }));
  if (w.kind) return plain(t("queue.for_kind", { kind: kindLabel(w.kind) }));
  return plain(t("queue.for_anyone"));
}

function stateCell(e) {
  const badge = bindText(h("span", { class: `badge queue-${e.state}`, "data-testid": "queue-state" }), `queue.state_${e.state}`);
  if (e.state !== "offered") return badge;
  return [badge, " ", h("span", { class: "hint" }, plain(t("queue.offer_until", { time: hhmm(e.offer_expires_at) })))];
}

function paint() {
  const data = qs.data;
  if (!data) return;
  const entries = data.entries;
  const waiting = entries.filter((e) => e.state === "waiting").length;
  const offered = entries.length - waiting;
  bindText($("#queue-admin-count"), "queue.count", { waiting, offered });
  $("#queue-admin-count").dataset.waiting = String(waiting);
  paintRows($("#queue-admin-rows"), entries, {
    key: (e) => e.id,
    render: (e) => h("tr", { "data-entry": e.id, "data-state": e.state },
      h("td", { class: "num" }, e.position ?? "—"),
      h("td", {}, e.client.nickname, " ", bindText(h("span", { class: "tag" }), `audience.${e.audience}`)),
      h("td", {}, waitsFor(e)),
      h("td", {}, plain(t("admin.minutes", { n: e.waited_minutes }))),
      h("td", {}, e.estimated_wait_minutes === null || e.state !== "waiting" ? "—" : plain(t("admin.minutes", { n: e.estimated_wait_minutes }))),
      h("td", {}, stateCell(e), e.has_message ? [" ", bindText(h("span", { class: "tag" }), "queue.has_message")] : null)),
    empty: () => h("tr", {}, bindText(h("td", { colspan: 6, class: "empty" }), "queue.none")),
  });
}
