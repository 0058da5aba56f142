"""Booking, chat now, cancelling, continuity and staff views through the HTTP API."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import col

from app.db.tables import Consultation
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, jst, sign_up, staff_token


async def book(env: Env, token: str, mentor_id: int, start: str):  # type: ignore[no-untyped-def]
    return await env.http.post(
        "/api/bookings", json={"mentor_id": mentor_id, "start": start}, headers=bearer(token)
    )


async def test_mentor_list_filters_and_profiles(env: Env) -> None:
    await add_mentor(env.ctx, "a", kind="psychologist", audience="child")
    await add_mentor(env.ctx, "b", kind="nurse", audience="parent")
    await add_mentor(env.ctx, "c", kind="nurse", audience="both")
    r = await env.http.get("/api/mentors")
    assert [m["display_name"] for m in r.json()["mentors"]] == ["a", "b", "c"]
    child = (await env.http.get("/api/mentors?audience=child")).json()["mentors"]
    assert [m["display_name"] for m in child] == ["a", "c"]
    nurses = (await env.http.get("/api/mentors?audience=parent&kind=nurse")).json()["mentors"]
    assert [m["display_name"] for m in nurses] == ["b", "c"]
    first = child[0]
    assert first["kind"]["label"]["ja"] == "公認心理師・臨床心理士"
    assert first["profile"] == {"ja": "やさしい", "en": "Kind"}
    assert first["chat_now"]["possible"] is True and first["today"] == "now"
    assert first["next_free_slots"][0] == "2026-12-01T16:30:00+09:00"
    bad = await env.http.get("/api/mentors?kind=wizard")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "kind"


async def test_availability_for_a_day_with_reasons(env: Env) -> None:
    mentor = await add_mentor(
        env.ctx,
        start=jst(2026, 12, 1, 15).timetz().replace(tzinfo=None),
        end=jst(2026, 12, 1, 20).timetz().replace(tzinfo=None),
    )
    token = await sign_up(env.http, "こぐま")
    assert (await book(env, token, mentor, "2026-12-01T17:00:00+09:00")).status_code == 201
    r = await env.http.get(f"/api/mentors/{mentor}/availability?date=2026-12-01")
    assert r.status_code == 200
    slots = {s["start"][11:16]: (s["free"], s["reason"]) for s in r.json()["slots"]}
    assert len(slots) == 14
    assert slots["15:30"] == (False, "in_the_past")
    assert slots["16:00"] == (False, "in_the_past")  # started at 16:00 exactly
    assert slots["16:30"] == (True, None)
    assert slots["17:00"] == (False, "slot_taken")
    assert slots["19:30"] == (True, None)
    assert slots["20:00"] == (False, "mentor_off_shift")
    assert r.json()["chat_now"]["possible"] is True
    far = await env.http.get(f"/api/mentors/{mentor}/availability?date=2026-12-16")
    assert {s["reason"] for s in far.json()["slots"]} == {"too_far_ahead"}
    assert (await env.http.get(f"/api/mentors/{mentor}/availability?date=12/01")).status_code == 400
    assert (await env.http.get("/api/mentors/999/availability")).status_code == 404


async def test_book_list_cancel(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "ひよこ")
    r = await book(env, token, mentor, "2026-12-02T15:00:00+09:00")
    assert r.status_code == 201
    c = r.json()["consultation"]
    assert c["status"] == "booked" and c["ends_at"] == "2026-12-02T15:30:00+09:00"
    mine = (await env.http.get("/api/bookings", headers=bearer(token))).json()["consultations"]
    assert [m["id"] for m in mine] == [c["id"]]
    assert mine[0]["mentor"]["display_name"] == "さくら"
    # the slot is now taken for this mentor, for everyone
    other = await sign_up(env.http, "こねこ")
    taken = await book(env, other, mentor, "2026-12-02T15:00:00+09:00")
    assert taken.status_code == 409 and error_code(taken) == "slot_taken"
    # another client cannot cancel it
    assert (
        await env.http.delete(f"/api/bookings/{c['id']}", headers=bearer(other))
    ).status_code == 404
    cancelled = await env.http.delete(f"/api/bookings/{c['id']}", headers=bearer(token))
    assert (
        cancelled.status_code == 200 and cancelled.json()["consultation"]["status"] == "cancelled"
    )
    again = await env.http.delete(f"/api/bookings/{c['id']}", headers=bearer(token))
    assert again.status_code == 409 and error_code(again) == "not_cancellable"
    assert (await book(env, other, mentor, "2026-12-02T15:00:00+09:00")).status_code == 201


async def test_a_booking_that_started_cannot_be_cancelled(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "かめ")
    c = (await book(env, token, mentor, "2026-12-01T17:00:00+09:00")).json()["consultation"]
    env.clock.set(jst(2026, 12, 1, 17))
    r = await env.http.delete(f"/api/bookings/{c['id']}", headers=bearer(token))
    assert r.status_code == 409 and error_code(r) == "not_cancellable"


async def test_booking_limits_and_rules(env: Env) -> None:
    m1 = await add_mentor(env.ctx, "m1")
    m2 = await add_mentor(env.ctx, "m2")
    token = await sign_up(env.http, "きつね")
    assert (await book(env, token, m1, "2026-12-02T15:00:00+09:00")).status_code == 201
    same_time = await book(env, token, m2, "2026-12-02T15:00:00+09:00")
    assert error_code(same_time) == "client_busy"
    assert (await book(env, token, m2, "2026-12-03T15:00:00+09:00")).status_code == 201
    third = await book(env, token, m1, "2026-12-04T15:00:00+09:00")
    assert third.status_code == 409 and error_code(third) == "limit_reached"
    assert "2" in third.json()["error"]["message"]["en"]
    cases = {
        "2026-12-01T15:30:00+09:00": "in_the_past",
        "2026-12-16T15:00:00+09:00": "too_far_ahead",
        "2026-12-05T22:00:00+09:00": "outside_hours",
        "2026-12-05T16:15:00+09:00": "invalid_slot",
    }
    fresh = await sign_up(env.http, "たぬき")
    for start, code in cases.items():
        r = await book(env, fresh, m1, start)
        assert r.status_code == 409 and error_code(r) == code, (start, r.text)
    for body in (
        {"mentor_id": "1", "start": "2026-12-05T16:00:00+09:00"},
        {"mentor_id": m1, "start": "2026-12-05T16:00:00"},
        {"mentor_id": m1, "start": "soon"},
        {},
    ):
        r = await env.http.post("/api/bookings", json=body, headers=bearer(fresh))
        assert r.status_code == 400 and error_code(r) == "invalid_input", body
    unknown = await book(env, fresh, 999, "2026-12-05T16:00:00+09:00")
    assert unknown.status_code == 404


async def test_mentor_off_shift_and_wrong_audience(env: Env) -> None:
    parent_only = await add_mentor(env.ctx, "p", audience="parent")
    short = await add_mentor(env.ctx, "s", days=[date(2026, 12, 2)])
    child = await sign_up(env.http, "こども")
    r = await book(env, child, parent_only, "2026-12-02T15:00:00+09:00")
    assert r.status_code == 404  # a child never sees parent-only mentors
    off = await book(env, child, short, "2026-12-03T15:00:00+09:00")
    assert error_code(off) == "mentor_off_shift"


async def test_no_free_line_when_capacity_is_used(env: Env) -> None:
    mentors = [await add_mentor(env.ctx, f"m{i}") for i in range(5)]
    for i, mentor in enumerate(mentors[:4]):
        token = await sign_up(env.http, f"c{i}")
        assert (await book(env, token, mentor, "2026-12-02T18:00:00+09:00")).status_code == 201
    late = await sign_up(env.http, "c-late")
    r = await book(env, late, mentors[4], "2026-12-02T18:00:00+09:00")
    assert r.status_code == 409 and error_code(r) == "no_free_line"
    slots = (await env.http.get(f"/api/mentors/{mentors[4]}/availability?date=2026-12-02")).json()
    reasons = {s["start"][11:16]: s["reason"] for s in slots["slots"]}
    assert reasons["18:00"] == "no_free_line" and reasons["18:30"] is None


async def test_chat_now(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "ぱんだ")
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    assert r.status_code == 201
    c = r.json()["consultation"]
    assert c["status"] == "open" and c["mode"] == "walk_in"
    assert c["ends_at"] == "2026-12-01T16:30:00+09:00"
    again = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    assert error_code(again) == "client_busy"
    other = await sign_up(env.http, "こあら")
    busy = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(other))
    assert busy.status_code == 409 and error_code(busy) == "mentor_busy"
    state = (await env.http.get(f"/api/mentors/{mentor}/availability")).json()["chat_now"]
    assert state == {"possible": False, "reason": "mentor_busy", "until": None}


async def test_chat_now_outside_hours_edges(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "よる")
    env.clock.set(jst(2026, 12, 1, 21, 30, 1))
    late = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    assert late.status_code == 409 and error_code(late) == "outside_hours"
    env.clock.set(jst(2026, 12, 1, 14, 59, 59))
    early = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    assert error_code(early) == "outside_hours"
    env.clock.set(jst(2026, 12, 1, 21, 30, 0))
    ok = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    assert ok.status_code == 201
    assert ok.json()["consultation"]["ends_at"] == "2026-12-01T22:00:00+09:00"


async def test_chat_now_blocked_by_an_upcoming_booking(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    booker = await sign_up(env.http, "よやく")
    assert (await book(env, booker, mentor, "2026-12-01T16:30:00+09:00")).status_code == 201
    walker = await sign_up(env.http, "いますぐ")
    env.clock.set(jst(2026, 12, 1, 16, 5))
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(walker))
    assert error_code(r) == "mentor_busy"  # the walk-in would run into the booked slot


async def test_chat_now_with_any_mentor_of_a_kind(env: Env) -> None:
    await add_mentor(env.ctx, "n1", kind="nurse")
    await add_mentor(env.ctx, "n2", kind="nurse")
    tokens = [await sign_up(env.http, f"k{i}") for i in range(3)]
    got = set()
    for token in tokens[:2]:
        r = await env.http.post("/api/chat-now", json={"kind": "nurse"}, headers=bearer(token))
        assert r.status_code == 201
        got.add(r.json()["consultation"]["mentor_id"])
    assert len(got) == 2
    r = await env.http.post("/api/chat-now", json={"kind": "nurse"}, headers=bearer(tokens[2]))
    assert r.status_code == 409 and error_code(r) == "mentor_busy"
    none = await env.http.post(
        "/api/chat-now", json={"kind": "former_teacher"}, headers=bearer(tokens[2])
    )
    assert none.status_code == 404
    both = await env.http.post(
        "/api/chat-now", json={"kind": "nurse", "mentor_id": 1}, headers=bearer(tokens[2])
    )
    assert both.status_code == 400


async def test_chat_now_needs_a_signed_in_client(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor})
    assert r.status_code == 401 and error_code(r) == "not_signed_in"
    await add_staff(env.ctx, "boss", "boss-password", role="supervisor")
    staff = await staff_token(env.http, "boss", "boss-password")
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(staff))
    assert r.status_code == 403 and error_code(r) == "not_allowed"


async def test_my_mentors_for_same_mentor_as_last_time(env: Env) -> None:
    m1 = await add_mentor(env.ctx, "m1")
    await add_mentor(env.ctx, "m2")
    token = await sign_up(env.http, "また")
    assert (await env.http.get("/api/my-mentors", headers=bearer(token))).json()["mentors"] == []
    r = await env.http.post("/api/chat-now", json={"mentor_id": m1}, headers=bearer(token))
    # not before the mentor came: a mentor who never joined was not talked to
    assert (await env.http.get("/api/my-mentors", headers=bearer(token))).json()["mentors"] == []
    async with env.ctx.db.write() as s:
        await s.execute(
            update(Consultation)
            .where(col(Consultation.id) == r.json()["consultation"]["id"])
            .values(mentor_joined_at=env.clock.now())
        )
    mine = (await env.http.get("/api/my-mentors", headers=bearer(token))).json()["mentors"]
    assert [m["id"] for m in mine] == [m1]
    assert mine[0]["last_consultation_at"] == "2026-12-01T16:00:00+09:00"
    assert mine[0]["next_free_slots"][0] == "2026-12-01T16:30:00+09:00"
    # a booking that never opened is not "talked to before"
    other = await sign_up(env.http, "まだ")
    await book(env, other, m1, "2026-12-03T15:00:00+09:00")
    assert (await env.http.get("/api/my-mentors", headers=bearer(other))).json()["mentors"] == []


async def test_staff_views(env: Env) -> None:
    m1 = await add_mentor(env.ctx, "m1")
    m2 = await add_mentor(env.ctx, "m2")
    await add_staff(env.ctx, "mentor1", "pw-mentor-1", mentor_id=m1)
    await add_staff(env.ctx, "boss", "pw-boss-123", role="supervisor")
    a = await sign_up(env.http, "a")
    b = await sign_up(env.http, "b")
    await env.http.post("/api/chat-now", json={"mentor_id": m1}, headers=bearer(a))
    await book(env, b, m2, "2026-12-01T17:00:00+09:00")
    mentor_token = await staff_token(env.http, "mentor1", "pw-mentor-1")
    own = (
        await env.http.get("/api/staff/consultations?date=2026-12-01", headers=bearer(mentor_token))
    ).json()
    assert [c["mentor_id"] for c in own["consultations"]] == [m1]
    assert own["consultations"][0]["client"]["nickname"] == "a"
    boss = await staff_token(env.http, "boss", "pw-boss-123")
    everyone = (await env.http.get("/api/staff/consultations", headers=bearer(boss))).json()
    assert [c["mentor_id"] for c in everyone["consultations"]] == [m1, m2]
    use = (await env.http.get("/api/staff/line-use?date=2026-12-01", headers=bearer(boss))).json()
    assert use["lines"] == 4 and use["busy_now"] == 1
    per_slot = {s["start"][11:16]: s["used"] for s in use["slots"]}
    assert per_slot["16:00"] == 1 and per_slot["17:00"] == 1 and per_slot["18:00"] == 0
    forbidden = await env.http.get("/api/staff/line-use", headers=bearer(mentor_token))
    assert forbidden.status_code == 403
    child_try = await env.http.get("/api/staff/consultations", headers=bearer(a))
    assert child_try.status_code == 403


async def test_service_info_and_health(env: Env) -> None:
    info = (await env.http.get("/api/service")).json()
    assert info["now"] == "2026-12-01T16:00:00+09:00"
    assert (info["open_time"], info["last_start"], info["close_time"]) == (
        "15:00",
        "21:30",
        "22:00",
    )
    assert len(info["kinds"]) == 7
    health = await env.http.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"


async def test_health_is_503_when_the_database_is_gone(env: Env) -> None:
    url = env.ctx.db.url
    await env.ctx.db.dispose()
    env.ctx.db.__init__("sqlite+aiosqlite:////nonexistent-dir/x.db")  # type: ignore[misc]
    r = await env.http.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"
    # Give the database back before the app shuts down: otherwise a background job's failed
    # connect to the missing file can outlive the test's event loop (an aiosqlite thread
    # then reports into a closed loop, and the next test fails on that warning).
    await env.ctx.db.dispose()
    env.ctx.db.__init__(url)  # type: ignore[misc]
    assert (await env.http.get("/healthz")).status_code == 200
