// The parent-child link on the client faces. The child makes a one-time code and sees who is
// linked; the parent enters the code, books for the child and sees the times of the bookings
// they made — nothing else of the child's (the server gives nothing else; docs/api.md).

import { api } from "./api.js";
import { $, busy, h, paintOptions, paintRows, showError, twoStep } from "./dom.js";
import { bindText, plain, t } from "./i18n.js";
import { addDays, dayLabel, hhmm, when } from "./time.js";

const st = { audience: "child", service: null, links: [], bookings: new Map(), seq: 0, slotSeq: 0 };

/** Build the block on the home view (before the sign-out button). */
export function setupLinks(audience) {
  st.audience = audience;
  const home = document.querySelector('[data-view="home"]');
  if (!home || $("#link-block")) return;
  const block = h("section", { id: "link-block", class: "block link-block", "aria-labelledby": "link-h", "data-testid": "links" },
    bindText(h("h3", { id: "link-h" }), "link.title"),
    bindText(h("p", { class: "hint link-explain", "data-testid": "link-explain" }), "link.explain"),
    h("p", { id: "link-notice", class: "notice notice-ok", role: "status", hidden: true }),
    ...(audience === "child" ? childParts() : parentParts()),
    h("p", { id: "link-error", class: "error", role: "alert", hidden: true }),
  );
  home.insertBefore(block, $("#sign-out"));
  if (audience === "parent") wireBooking();
}

function notice(key, vars) {
  const box = $("#link-notice");
  if (!key) {
    box.hidden = true;
    return;
  }
  bindText(box, key, vars);
  box.hidden = false;
}

function childParts() {
  const make = bindText(h("button", { id: "link-make", type: "button", class: "secondary big" }), "link.make_code");
  make.addEventListener("click", (e) =>
    busy(e.currentTarget, async () => {
      showError($("#link-error"), null);
      try {
        const made = await api.post("/api/link-codes");
        const box = $("#link-code");
        box.textContent = "";
        box.append(
          bindText(h("span", { class: "link-code", "data-testid": "link-code", "data-code": made.code }), "link.code_is", { code: made.code }),
          bindText(h("span", { class: "hint" }), "link.code_until", { until: hhmm(made.expires_at) }),
        );
        box.hidden = false;
      } catch (err) {
        showError($("#link-error"), err);
      }
    }),
  );
  return [make, h("p", { id: "link-code", class: "link-code-box", role: "status", hidden: true }), h("ul", { id: "link-list", class: "rows", "data-testid": "link-list" })];
}

function parentParts() {
  const form = h("form", { id: "link-form", class: "panel", novalidate: true },
    bindText(h("label", { for: "link-code-input" }), "link.code_label"),
    h("input", { id: "link-code-input", name: "code", autocomplete: "off", maxlength: 16, autocapitalize: "characters", spellcheck: "false" }),
    h("p", { class: "error", role: "alert", hidden: true }),
    bindText(h("button", { type: "submit", class: "primary" }), "link.submit"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".error");
    showError(error, null);
    try {
      const made = await busy(form.querySelector("button[type=submit]"), () => api.post("/api/links", { code: form.elements.code.value }));
      form.reset();
      notice("link.linked", { name: made.link.nickname });
      await refreshLinks();
    } catch (err) {
      showError(error, err);
      form.elements.code.focus();
    }
  });
  const book = h("form", { id: "link-book", class: "panel", novalidate: true, hidden: true, "data-testid": "link-book" },
    h("h4", { id: "link-book-h" }),
    bindText(h("label", { for: "link-book-mentor" }), "link.mentor"),
    h("select", { id: "link-book-mentor" }),
    bindText(h("label", { for: "link-book-day" }), "link.day"),
    h("select", { id: "link-book-day" }),
    bindText(h("label", { for: "link-book-slot" }), "link.slot"),
    h("select", { id: "link-book-slot" }),
    h("p", { class: "error", role: "alert", hidden: true }),
    bindText(h("button", { type: "submit", class: "primary" }), "link.book"),
  );
  return [form, h("ul", { id: "link-list", class: "rows", "data-testid": "link-list" }), book];
}

/** Reload the links (and, for a parent, the bookings made for each child). Never throws. */
export async function refreshLinks(service) {
  if (service) st.service = service;
  if (!$("#link-block")) return;
  const seq = ++st.seq;
  try {
    const { links } = await api.get("/api/links");
    const bookings = new Map();
    if (st.audience === "parent") {
      const lists = await Promise.all(links.map((l) => api.get(`/api/links/${l.id}/bookings`)));
      links.forEach((l, i) => bookings.set(l.id, lists[i].bookings));
    }
    if (seq !== st.seq) return;
    st.links = links;
    st.bookings = bookings;
    paintLinks();
    if (st.audience === "parent") await paintBookingForm();
  } catch (err) {
    if (err.status !== 401) showError($("#link-error"), err);
  }
}

function paintLinks() {
  paintRows($("#link-list"), st.links, {
    key: (l) => l.id,
    sig: (l) => [l, st.bookings.get(l.id) || null],
    render: linkRow,
    empty: () => bindText(h("li", { class: "empty" }), "link.none"),
  });
}

function linkRow(l) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const unlink = twoStep(`unlink:${l.id}`, {
    ask: "link.unlink",
    yes: "link.unlink_confirm",
    no: "link.keep",
    onYes: async () => {
      await api.del(`/api/links/${l.id}`);
      notice("link.unlinked");
      await refreshLinks();
    },
    onError: (err) => showError(error, err),
  });
  const made = st.bookings.get(l.id);
  return h("li", { class: "row link-row", "data-link": l.id },
    h("div", { class: "row-body" },
      bindText(h("p", { class: "name" }), "link.with", { name: l.nickname }),
      made ? bindText(h("p", { class: "hint" }), "link.booked_list") : null,
      made ? h("ul", { class: "link-bookings", "data-testid": "link-bookings" },
        ...(made.length ? made.map((b) => bindText(h("li", {}), "link.booked_at", { when: `${when(b.starts_at)}〜${hhmm(b.ends_at)}` })) : [bindText(h("li", { class: "empty" }), "link.booked_none")])) : null),
    h("div", { class: "row-actions" }, ...unlink),
    error,
  );
}

// --- a parent books for the child ----------------------------------------------------------

function wireBooking() {
  $("#link-book-mentor").addEventListener("change", () => loadSlots());
  $("#link-book-day").addEventListener("change", () => loadSlots());
  $("#link-book").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const error = form.querySelector(".error");
    showError(error, null);
    const link = st.links[0];
    const mentorId = Number($("#link-book-mentor").value);
    const start = $("#link-book-slot").value;
    if (!link || !mentorId || !start) return showError(error, t("link.pick_all"));
    try {
      const made = await busy(form.querySelector("button[type=submit]"), () =>
        api.post(`/api/links/${link.id}/bookings`, { mentor_id: mentorId, start }),
      );
      notice("link.booked", { when: when(made.booking.starts_at) });
      await refreshLinks();
      await loadSlots();
    } catch (err) {
      showError(error, err);
    }
    return undefined;
  });
}

let mentorsForChildren = null;

async function paintBookingForm() {
  const form = $("#link-book");
  const link = st.links[0]; // the first linked child (a family rarely links more)
  form.hidden = !link;
  if (!link) return;
  bindText($("#link-book-h"), "link.book_title", { name: link.nickname });
  if (!st.service) st.service = await api.service();
  if (!mentorsForChildren) mentorsForChildren = (await api.mentors("child")).mentors;
  paintOptions($("#link-book-mentor"), [["", plain(t("link.choose"))], ...mentorsForChildren.map((m) => [String(m.id), m.display_name])]);
  const today = st.service.today;
  const days = Array.from({ length: st.service.horizon_days + 1 }, (_, i) => addDays(today, i));
  paintOptions($("#link-book-day"), days.map((d) => [d, plain(dayLabel(d))]));
  if (!$("#link-book-slot").options.length) paintOptions($("#link-book-slot"), [["", plain(t("link.choose"))]]);
}

async function loadSlots() {
  const mentorId = $("#link-book-mentor").value;
  const day = $("#link-book-day").value;
  const seq = ++st.slotSeq;
  if (!mentorId || !day) {
    paintOptions($("#link-book-slot"), [["", plain(t("link.choose"))]]);
    return;
  }
  try {
    // The mentor's own view, without this parent's session: the parent's own bookings and
    // limit are not the child's (the child's own are checked when booking, and not shown).
    const response = await fetch(`/api/mentors/${encodeURIComponent(mentorId)}/availability?date=${encodeURIComponent(day)}`, {
      credentials: "omit",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    const { slots } = await response.json();
    if (seq !== st.slotSeq) return;
    const free = slots.filter((s) => s.free);
    paintOptions($("#link-book-slot"), free.length ? free.map((s) => [s.start, hhmm(s.start)]) : [["", plain(t("link.no_slot"))]]);
  } catch (err) {
    showError($("#link-book .error"), err);
  }
}
