"""Mentor well-being: limits per day and per shift, the cool-down, and headquarters' load view.

A limit or a cool-down is a reason like any other: the availability view names it
(mentor_limit_reached, mentor_resting) and booking / chat-now refuse with it. A cool-down
stops walk-ins and waiting-line offers and bookings that would start while she rests;
bookings already made stay.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from app.actions import chat, queue, safety, wellbeing
from app.db.tables import Consultation, Mentor, QueueEntry
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, jst, sign_up, staff_token


async def book(env: Env, token: str, mentor_id: int, start: str) -> Any:
    return await env.http.post(
        "/api/bookings", json={"mentor_id": mentor_id, "start": start}, headers=bearer(token)
    )


async def chat_now(env: Env, token: str, mentor_id: int) -> Any:
    return await env.http.post(
        "/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(token)
    )


async def day_view(env: Env, mentor: int, day: str) -> dict[str, Any]:
    r = await env.http.get(f"/api/mentors/{mentor}/availability?date={day}")
    assert r.status_code == 200, r.text
    return {s["start"][11:16]: s for s in r.json()["slots"]} | {"chat_now": r.json()["chat_now"]}


async def boss(env: Env) -> str:
    await add_staff(env.ctx, "honbu", "password-honbu-1", role="supervisor")
    return await staff_token(env.http, "honbu", "password-honbu-1")


async def test_headquarters_sets_limits_and_they_are_reasons(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await boss(env)
    r = await env.http.patch(
        f"/api/staff/mentors/{mentor}", json={"max_per_day": 1}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    assert r.json()["mentor"]["max_per_day"] == 1 and r.json()["mentor"]["max_per_shift"] is None
    for bad in (0, 101, "3", True, 1.5):
        r = await env.http.patch(
            f"/api/staff/mentors/{mentor}", json={"max_per_day": bad}, headers=bearer(token)
        )
        assert r.status_code == 400 and r.json()["error"]["field"] == "max_per_day", bad
    child = await sign_up(env.http, "りす")
    assert (await book(env, child, mentor, "2026-12-02T16:30:00+09:00")).status_code == 201
    other = await sign_up(env.http, "うさぎ")
    r = await book(env, other, mentor, "2026-12-02T18:00:00+09:00")
    assert r.status_code == 409 and error_code(r) == "mentor_limit_reached"
    view = await day_view(env, mentor, "2026-12-02")
    assert view["18:00"]["reason"] == "mentor_limit_reached"
    assert view["16:30"]["reason"] == "slot_taken"
    # Another day is another day; null goes back to the service default (none).
    assert (await book(env, other, mentor, "2026-12-03T18:00:00+09:00")).status_code == 201
    r = await env.http.patch(
        f"/api/staff/mentors/{mentor}", json={"max_per_day": None}, headers=bearer(token)
    )
    assert r.json()["mentor"]["max_per_day"] is None
    assert (await day_view(env, mentor, "2026-12-02"))["18:00"]["free"] is True


async def test_limit_per_shift_counts_that_shift_only(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    async with env.ctx.db.write() as s:
        m = await s.get(Mentor, mentor)
        assert m is not None
        m.max_per_shift = 2
    a, b, c = [await sign_up(env.http, n) for n in ("あ", "い", "う")]
    assert (await chat_now(env, a, mentor)).status_code == 201  # today's walk-in counts
    assert (await book(env, b, mentor, "2026-12-01T18:00:00+09:00")).status_code == 201
    r = await book(env, c, mentor, "2026-12-01T19:00:00+09:00")
    assert error_code(r) == "mentor_limit_reached"
    assert (await book(env, c, mentor, "2026-12-02T19:00:00+09:00")).status_code == 201


async def test_service_default_limit_from_settings(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings, open_env

    async for env in open_env(make_settings(db_url, mentor_max_per_day=1), clock):
        mentor = await add_mentor(env.ctx)
        a, b = await sign_up(env.http, "あ"), await sign_up(env.http, "い")
        assert (await book(env, a, mentor, "2026-12-02T16:00:00+09:00")).status_code == 201
        assert error_code(await book(env, b, mentor, "2026-12-02T17:00:00+09:00")) == (
            "mentor_limit_reached"
        )


async def test_cooldown_refuses_walk_ins_and_early_slots_until_it_ends(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    child = await sign_up(env.http, "りす")
    later = await sign_up(env.http, "しか")
    # A booking made before the rest stays.
    kept = await book(env, later, mentor, "2026-12-01T17:30:00+09:00")
    assert kept.status_code == 201
    # From the end of her consultation (16:20 here) for cooldown_minutes (15).
    until = await wellbeing.start_cooldown(
        env.ctx, mentor, "crisis", since=jst(2026, 12, 1, 16, 20)
    )
    assert until == jst(2026, 12, 1, 16, 35)
    r = await chat_now(env, child, mentor)
    assert r.status_code == 409 and error_code(r) == "mentor_resting"
    assert r.json()["error"]["details"]["until"] == "16:35"
    view = await day_view(env, mentor, "2026-12-01")
    assert view["chat_now"]["possible"] is False and view["chat_now"]["reason"] == "mentor_resting"
    assert view["16:30"]["reason"] == "mentor_resting"  # would start while she rests
    assert view["17:30"]["reason"] == "slot_taken"  # still hers
    assert view["17:00"]["free"] is True  # a slot after the rest can be booked
    r = await book(env, child, mentor, "2026-12-01T16:30:00+09:00")
    assert error_code(r) == "mentor_resting"
    listed = {m["id"]: m for m in (await env.http.get("/api/mentors")).json()["mentors"]}
    assert listed[mentor]["chat_now"]["reason"] == "mentor_resting"
    # A shorter rest never cuts a running one short.
    assert (
        await wellbeing.start_cooldown(env.ctx, mentor, "risk_high", since=jst(2026, 12, 1, 16, 10))
        is None
    )
    env.clock.advance(minutes=35, seconds=1)
    assert (await chat_now(env, child, mentor)).status_code == 201


async def test_crisis_alert_starts_the_cooldown_from_the_consultations_end(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    await add_staff(env.ctx, "sakura", "password-sakura-1", mentor_id=mentor)
    staff = await staff_token(env.http, "sakura", "password-sakura-1")
    assert (await env.http.get("/api/staff/me/rest", headers=bearer(staff))).json() == {
        "resting_until": None,
        "reason": None,
    }
    child = await sign_up(env.http, "りす")
    opened = (await chat_now(env, child, mentor)).json()["consultation"]
    assert await safety.raise_alerts(env.ctx, opened["id"], 1, "もう死にたい")
    rest = (await env.http.get("/api/staff/me/rest", headers=bearer(staff))).json()
    assert rest == {"resting_until": "2026-12-01T16:45:00+09:00", "reason": "crisis"}
    # Ended early, at 16:05: she rests from then on.
    env.clock.advance(minutes=5)
    assert await chat.close_consultation(env.ctx, opened["id"], reason="ended_by_mentor")
    rest = (await env.http.get("/api/staff/me/rest", headers=bearer(staff))).json()
    assert rest == {"resting_until": "2026-12-01T16:20:00+09:00", "reason": "crisis"}
    # A longer rest from something else is not cut short by a close.
    await wellbeing.start_cooldown(env.ctx, mentor, "risk_urgent", since=jst(2026, 12, 1, 17, 0))
    async with env.ctx.db.read() as s:
        closed = await s.get(Consultation, opened["id"])
    assert closed is not None
    assert await wellbeing.cooldown_after_close(env.ctx, closed) is None


async def test_queue_offers_skip_a_resting_mentor(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    child = await sign_up(env.http, "りす")
    await wellbeing.start_cooldown(env.ctx, mentor, "crisis")
    r = await env.http.post("/api/queue", json={"mentor_id": mentor}, headers=bearer(child))
    assert r.status_code == 201, r.text
    await queue.promote(env.ctx)
    async with env.ctx.db.read() as s:
        entry = (await s.execute(select(QueueEntry))).scalars().one()
    assert entry.state == "waiting"  # no offer while she rests
    env.clock.advance(minutes=16)
    await queue.promote(env.ctx)
    async with env.ctx.db.read() as s:
        entry = (await s.execute(select(QueueEntry))).scalars().one()
        held = (
            (await s.execute(select(Consultation).where(col(Consultation.mentor_id) == mentor)))
            .scalars()
            .all()
        )
    assert entry.state == "offered" and len(held) == 1


async def test_headquarters_sees_each_mentors_load_and_can_end_a_rest(env: Env) -> None:
    mentor = await add_mentor(env.ctx, "さくら")
    idle = await add_mentor(env.ctx, "かえで")
    token = await boss(env)
    child = await sign_up(env.http, "りす")
    assert (await chat_now(env, child, mentor)).status_code == 201
    other = await sign_up(env.http, "しか")
    assert (await book(env, other, mentor, "2026-12-02T18:00:00+09:00")).status_code == 201
    env.clock.advance(minutes=10)
    await wellbeing.start_cooldown(env.ctx, mentor, "risk_urgent")
    r = await env.http.get("/api/staff/mentor-load", headers=bearer(token))
    assert r.status_code == 200, r.text
    rows = {row["mentor_id"]: row for row in r.json()["mentors"]}
    # 2026-12-01 is a Tuesday: the week runs Monday 11/30 to Sunday 12/6.
    assert rows[mentor]["today"] == {"consultations": 1, "minutes": 10}
    assert rows[mentor]["week"] == {"consultations": 2, "minutes": 10}
    assert rows[mentor]["resting_until"] == "2026-12-01T16:25:00+09:00"
    assert rows[idle]["today"] == {"consultations": 0, "minutes": 0}
    assert rows[idle]["resting_until"] is None
    # Clients and mentors do not see it.
    r = await env.http.get("/api/staff/mentor-load", headers=bearer(child))
    assert r.status_code == 403
    r = await env.http.delete(f"/api/staff/mentors/{mentor}/rest", headers=bearer(token))
    assert r.status_code == 200
    rows = {
        row["mentor_id"]: row
        for row in (await env.http.get("/api/staff/mentor-load", headers=bearer(token))).json()[
            "mentors"
        ]
    }
    assert rows[mentor]["resting_until"] is None


async def test_no_handover_to_a_resting_mentor(env: Env) -> None:
    absent = await add_mentor(env.ctx, "みどり")
    resting = await add_mentor(env.ctx, "やすみ")
    token = await boss(env)
    child = await sign_up(env.http, "りす")
    cid = (await chat_now(env, child, absent)).json()["consultation"]["id"]
    await wellbeing.start_cooldown(env.ctx, resting, "crisis")
    r = await env.http.post(
        f"/api/staff/consultations/{cid}/reassign",
        json={"mentor_id": resting},
        headers=bearer(token),
    )
    assert r.status_code == 409 and error_code(r) == "mentor_resting"
    r = await env.http.get(f"/api/staff/consultations/{cid}/alternatives", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert resting not in [m["id"] for m in r.json()["mentors"]]


async def test_a_limit_holds_when_many_book_her_at_once(env: Env) -> None:
    """Twelve children book twelve different slots of one mentor at once; her limit is 3 a
    day. The check runs under a lock on her row: exactly 3 bookings, the rest refused."""
    mentor = await add_mentor(env.ctx)
    async with env.ctx.db.write() as s:
        m = await s.get(Mentor, mentor)
        assert m is not None
        m.max_per_day = 3
    tokens = [await sign_up(env.http, f"c{i}") for i in range(12)]
    starts = [f"2026-12-02T{15 + i // 2}:{'30' if i % 2 else '00'}:00+09:00" for i in range(12)]
    responses = await asyncio.gather(
        *(book(env, token, mentor, start) for token, start in zip(tokens, starts, strict=True))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 3 + [409] * 9, [r.text for r in responses if r.status_code != 409]
    assert {error_code(r) for r in responses if r.status_code == 409} == {"mentor_limit_reached"}
    async with env.ctx.db.read() as s:
        held = (
            (await s.execute(select(Consultation).where(col(Consultation.status) == "booked")))
            .scalars()
            .all()
        )
    assert len(held) == 3
