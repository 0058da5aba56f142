// "こまったときは" (emergency contacts) and the quick-exit button, on the child and parent pages.

import { signOutAndLeave } from "./api.js";

const NEUTRAL = "/assets/weather.html";

/** Leave at once for a neutral page, signed out on the server too (on a shared tablet the
 * next person must not find this session); replace() so Back does not come back here. */
export function quickExit() {
  signOutAndLeave();
  try {
    sessionStorage.clear();
  } catch {
    /* nothing to clear */
  }
  document.body.hidden = true;
  window.location.replace(NEUTRAL);
}

export function setupHelp() {
  const dialog = document.getElementById("help-dialog");
  const open = document.getElementById("help-open");
  const close = document.getElementById("help-close");
  open.addEventListener("click", () => {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  });
  close.addEventListener("click", () => dialog.close());
  document.getElementById("quick-exit").addEventListener("click", quickExit);
  // Escape twice quickly is a keyboard quick exit.
  let lastEscape = 0;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const now = Date.now();
    if (now - lastEscape < 600) quickExit();
    lastEscape = now;
  });
}

/** Show the help dialog (used when the chat shows emergency contacts). */
export function openHelp() {
  const dialog = document.getElementById("help-dialog");
  if (dialog && !dialog.open) dialog.showModal();
}
