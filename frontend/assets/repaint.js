// When each face repaints itself. Normally on its own schedule (a slow poll beside the live
// socket); with the test-only setting YORISOI_UI_REPAINT_MS (served as repaint_ms), every
// face repaints that often: a full repaint from state (as on a language switch) and a
// refresh from the server, so no flow may depend on not being repainted.

import { forceRepaint } from "./dom.js";
import { getLang } from "./i18n.js";

/** Run refresh() every everyMs (or every repaint_ms, with a full repaint), never two at once. */
export function startRepaints(service, refresh, everyMs) {
  const forced = service?.repaint_ms;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (forced) {
        forceRepaint();
        document.dispatchEvent(new CustomEvent("langchange", { detail: { lang: getLang(), forced: true } }));
      }
      await refresh();
    } finally {
      running = false;
    }
  };
  return setInterval(tick, forced || everyMs);
}
