// The HTTP JSON API. Every failure becomes an ApiError carrying a {ja, en} message that
// can be shown to a person; codes stay inside the program.

const FALLBACK = {
  network: {
    ja: "つながりませんでした。インターネットを確かめて、もう一度ためしてください。",
    en: "Could not connect. Please check the internet connection and try again.",
  },
  internal_error: {
    ja: "ごめんなさい、うまくいきませんでした。もう一度ためしてください。",
    en: "Sorry, something went wrong. Please try again.",
  },
};

export class ApiError extends Error {
  constructor(code, message, status, field) {
    super(message?.en || code);
    this.code = code;
    this.messages = message || FALLBACK.internal_error;
    this.status = status;
    this.field = field;
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
    throw new ApiError("network", FALLBACK.network, 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const err = data && data.error;
    if (err && err.message) throw new ApiError(err.code, err.message, response.status, err.field);
    throw new ApiError("internal_error", FALLBACK.internal_error, response.status);
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
