// The HTTP JSON API. Every failure becomes an ApiError carrying a {ja, en, zh, ko} message
// that can be shown to a person; codes stay inside the program. The server answers the child
// face in a child's words (docs/api.md, "Errors"); the fallbacks here do the same.

const FALLBACK = {
  adult: {
    // Say what happened, blame nobody's connection, and say what to do.
    network: {
      ja: "よりそいチャットに届きませんでした。少し待ってから、もう一度お試しください。続くときは、ページを開き直してください。",
      en: "Yorisoi could not be reached. Please wait a moment and try again; if it keeps happening, reload the page.",
      zh: "暂时无法连接到Yorisoi。请稍等片刻再试；如果一直这样，请重新打开页面。",
      ko: "Yorisoi에 연결되지 않았습니다. 잠시 기다린 뒤 다시 시도해 주세요. 계속되면 페이지를 다시 열어 주세요.",
    },
    internal_error: {
      ja: "ごめんなさい、うまくいきませんでした。もう一度ためしてください。",
      en: "Sorry, something went wrong. Please try again.",
      zh: "抱歉，出了点问题。请再试一次。",
      ko: "죄송합니다. 문제가 생겼습니다. 다시 시도해 주세요.",
    },
  },
  child: {
    network: {
      ja: "いま よりそいチャットに とどかなかったよ。すこし まってから、もういちど おしてね。なんども つづく ときは、ページを ひらきなおしてね。",
      en: "It did not reach Yorisoi just now. Wait a little and press again. If it keeps happening, open the page again.",
      zh: "刚才没能连上Yorisoi。等一下再按一次吧。如果一直这样，请重新打开页面。",
      ko: "방금 Yorisoi에 닿지 않았어요. 조금 기다렸다가 다시 눌러 보세요. 계속 그러면 페이지를 다시 열어 주세요.",
    },
    internal_error: {
      ja: "ごめんね、こちらで うまく いかなかったよ。もういちど ためしてね。",
      en: "Sorry, something went wrong on our side. Please try again.",
      zh: "对不起，我们这边出了点问题。请再试一次吧。",
      ko: "미안해요, 우리 쪽에서 잘 안 됐어요. 다시 해 보세요.",
    },
  },
};

/** A client-side fallback message, in the child's words on the child page. */
export function fallback(code) {
  return FALLBACK[face() === "child" ? "child" : "adult"][code];
}

export class ApiError extends Error {
  constructor(code, message, status, field, details) {
    super(message?.en || code);
    this.code = code;
    this.messages = message || fallback("internal_error");
    this.status = status;
    this.field = field;
    this.details = details || {}; // e.g. details.bookings: the client's bookings in the way
  }
}

/**
 * Which face this page is: the child page, the parent page or a staff console. The server
 * keeps the child page's session apart from the grown-ups' one and shows an account only on
 * its own face (docs/api.md, "Faces and cookies").
 */
export function face() {
  const path = location.pathname;
  if (path.startsWith("/child/")) return "child";
  if (path.startsWith("/mentor/") || path.startsWith("/admin/")) return "staff";
  return "parent";
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json", "X-Yorisoi-Face": face() }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError("network", fallback("network"), 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const err = data && data.error;
    if (err && err.message) throw new ApiError(err.code, err.message, response.status, err.field, err.details);
    throw new ApiError("internal_error", fallback("internal_error"), response.status);
  }
  return data;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}) => request("POST", path, body),
  put: (path, body = {}) => request("PUT", path, body),
  patch: (path, body = {}) => request("PATCH", path, body),
  del: (path) => request("DELETE", path),

  service: () => request("GET", "/api/service"),
  me: () => request("GET", "/api/me"),
  signUp: (nickname, secret, audience) =>
    request("POST", "/api/clients", { nickname, secret, audience }),
  signInClient: (nickname, secret) => request("POST", "/api/session/client", { nickname, secret }),
  signInStaff: (username, password, otp = "") =>
    request("POST", "/api/session/staff", otp ? { username, password, otp } : { username, password }),
  signOut: () => request("DELETE", "/api/session"),
  reverify: (secret) => request("POST", "/api/session/reverify", { secret }),
  mentors: (audience) =>
    request("GET", `/api/mentors${audience ? `?audience=${encodeURIComponent(audience)}` : ""}`),
  availability: (mentorId, date) =>
    request("GET", `/api/mentors/${mentorId}/availability?date=${encodeURIComponent(date)}`),
  book: (mentorId, start) => request("POST", "/api/bookings", { mentor_id: mentorId, start }),
  bookings: () => request("GET", "/api/bookings"),
  cancel: (id) => request("DELETE", `/api/bookings/${id}`),
  chatNow: (mentorId) => request("POST", "/api/chat-now", { mentor_id: mentorId }),
  myMentors: () => request("GET", "/api/my-mentors"),
  staffConsultations: (date) =>
    request("GET", `/api/staff/consultations${date ? `?date=${date}` : ""}`),
  lineUse: (date) => request("GET", `/api/staff/line-use${date ? `?date=${date}` : ""}`),
  note: (id) => request("GET", `/api/staff/consultations/${id}/note`),
  lineUndelivered: (id) => request("GET", `/api/staff/consultations/${id}/line-undelivered`),
  saveNote: (id, text) => request("PUT", `/api/staff/consultations/${id}/note`, { text }),
  history: (id) => request("GET", `/api/staff/consultations/${id}/history`),
  alerts: () => request("GET", "/api/staff/alerts"),
  ackAlert: (id) => request("POST", `/api/staff/alerts/${id}/ack`),
};

/** Whether we are signed in: the account, or null. Other failures are thrown. */
export async function currentAccount() {
  try {
    return (await api.me()).account;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/**
 * Sign out on the server while the page is being left (quick exit): a keepalive request
 * outlives the page; a beacon (no custom headers, so the face goes in the query) if fetch
 * cannot be used.
 */
export function signOutAndLeave() {
  const url = `/api/session/end?face=${face()}`;
  try {
    fetch(url, { method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-Yorisoi-Face": face() } }).catch(() => {});
    return;
  } catch {
    /* fall back to a beacon */
  }
  try {
    navigator.sendBeacon?.(url);
  } catch {
    /* leaving anyway */
  }
}
