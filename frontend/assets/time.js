// Service time. The server speaks Asia/Tokyo ISO 8601 with an offset ("2026-12-01T16:30:00+09:00");
// its clock may differ from this device's (tests move it), so "now" is the server's now.

import { face } from "./api.js";
import { getLang } from "./i18n.js";

let offsetMs = 0;

/** Remember how far the server clock is from ours (from /api/service `now`). */
export function syncClock(serverIso) {
  const server = Date.parse(serverIso);
  if (!Number.isNaN(server)) offsetMs = server - Date.now();
}

export function serverNow() {
  return Date.now() + offsetMs;
}

/** "16:30" from an ISO string in service time (the wall clock is in the string). */
export function hhmm(iso) {
  return iso ? iso.slice(11, 16) : "";
}

/** "2026-12-01" from an ISO string in service time. */
export function dayOf(iso) {
  return iso ? iso.slice(0, 10) : "";
}

/** Add days to a YYYY-MM-DD date. */
export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + n));
  return date.toISOString().slice(0, 10);
}

const WEEK = {
  ja: ["日", "月", "火", "水", "木", "金", "土"],
  en: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
  zh: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
  ko: ["일", "월", "화", "수", "목", "금", "토"],
};
// The child face writes dates in kana: a kanji there carries furigana or is not used.
const WEEK_CHILD = ["にち", "げつ", "か", "すい", "もく", "きん", "ど"];
const childKana = () => face() === "child" && getLang() === "ja";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function parts(day) {
  const [y, m, d] = day.split("-").map(Number);
  return { y, m, d, w: new Date(Date.UTC(y, m - 1, d)).getUTCDay() };
}

/** "12月1日（火）" / "Tue 1 Dec" / "12月1日（周二）" / "12월 1일 (화)" */
export function dayLabel(day) {
  const { m, d, w } = parts(day);
  if (childKana()) return `${m}がつ${d}にち（${WEEK_CHILD[w]}ようび）`; // 12がつ2にち（すいようび）
  const lang = getLang();
  if (lang === "en") return `${WEEK.en[w]} ${d} ${MONTHS[m - 1]}`;
  if (lang === "zh") return `${m}月${d}日（${WEEK.zh[w]}）`;
  if (lang === "ko") return `${m}월 ${d}일 (${WEEK.ko[w]})`;
  return `${m}月${d}日（${WEEK.ja[w]}）`;
}

/** Short form for calendar buttons: { top: "火", main: "12/1" } */
export function dayShort(day) {
  const { m, d, w } = parts(day);
  if (childKana()) return { week: WEEK_CHILD[w], date: `${m}/${d}`, weekday: w };
  return { week: (WEEK[getLang()] || WEEK.ja)[w], date: `${m}/${d}`, weekday: w };
}

/** "12月1日（火）16:30" */
export function when(iso) {
  return `${dayLabel(dayOf(iso))} ${hhmm(iso)}`;
}

/** Minutes from now (server time) until iso; negative when past. */
export function minutesUntil(iso) {
  return Math.round((Date.parse(iso) - serverNow()) / 60000);
}

/** Whole minutes elapsed since iso. */
export function minutesSince(iso) {
  return Math.max(0, Math.floor((serverNow() - Date.parse(iso)) / 60000));
}

/** "16:05": the service's wall clock now. */
export function clockNow() {
  return new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(serverNow()));
}
