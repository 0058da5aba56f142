// The mentor console's calm cool-down banner: after a consultation with a crisis alert (or
// recorded as high/urgent risk) the mentor rests a while; no walk-ins or waiting-line offers
// reach her until then (app/actions/wellbeing.py). Pushed by a `resting` frame; refreshed
// with the console's lists.

import { api } from "./api.js";
import { $, h } from "./dom.js";
import { bindText } from "./i18n.js";
import { hhmm, serverNow } from "./time.js";

let until = null;

export function setupRestBanner(socket) {
  const console_ = document.querySelector('[data-view="console"]');
  if (!console_ || $("#rest-banner")) return;
  const banner = h("p", { id: "rest-banner", class: "notice rest-banner", role: "status", "data-testid": "rest-banner", hidden: true });
  console_.prepend(banner);
  socket.addEventListener("resting", (e) => {
    until = e.detail.until;
    paintRest();
  });
  document.addEventListener("langchange", paintRest);
}

/** Ask the server again (a reload, a missed frame); never throws. */
export async function refreshRest() {
  try {
    until = (await api.get("/api/staff/me/rest")).resting_until;
  } catch {
    /* the banner keeps what it knew */
  }
  paintRest();
}

function paintRest() {
  const banner = $("#rest-banner");
  if (!banner) return;
  const left = until ? Date.parse(until) - serverNow() : 0;
  if (!until || left <= 0) {
    banner.hidden = true;
    return;
  }
  bindText(banner, "rest.banner", { until: hhmm(until), minutes: Math.ceil(left / 60000) });
  banner.hidden = false;
}
