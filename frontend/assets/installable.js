// The installable web app: register the service worker (/sw.js, see frontend/sw.js) so the
// face can be added to a tablet's home screen and its shell, help and directory open offline.
// Nothing depends on it: a browser without service workers gets the same pages online.

export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    /* not installable here (e.g. a private window): the page works as before */
  });
}
