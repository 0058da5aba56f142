"""Capacity under concurrency: the database decides, on SQLite and on PostgreSQL.

50 clients fire at once at one slot (bookings) and at one instant (chat now). Exactly LINES
succeed; every other request is refused with a clear code; the database never holds more.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from app.db.tables import Consultation, LineHold
from tests.conftest import Env
from tests.helpers import add_mentor, bearer, sign_up

CLIENTS = 50
MENTORS = 10
ALLOWED_REFUSALS = {"no_free_line", "slot_taken", "mentor_busy"}


async def _prepare(env: Env) -> tuple[list[int], list[str]]:
    mentors = [await add_mentor(env.ctx, f"m{i}") for i in range(MENTORS)]
    tokens = [await sign_up(env.http, f"c{i}") for i in range(CLIENTS)]
    return mentors, tokens


async def _assert_capacity_held(env: Env) -> None:
    async with env.ctx.db.read() as s:
        per_tick = (
            await s.execute(select(LineHold.tick, func.count()).group_by(LineHold.tick))
        ).all()
        assert per_tick and max(n for _, n in per_tick) <= env.ctx.rules.lines
        per_mentor = (
            await s.execute(
                select(LineHold.mentor_id, LineHold.tick, func.count()).group_by(
                    LineHold.mentor_id, LineHold.tick
                )
            )
        ).all()
        assert max(n for *_, n in per_mentor) == 1


def _tally(responses) -> tuple[int, Counter[str]]:  # type: ignore[no-untyped-def]
    ok = sum(1 for r in responses if r.status_code == 201)
    refusals: Counter[str] = Counter()
    for r in responses:
        if r.status_code != 201:
            assert r.status_code == 409, r.text  # never a 500, never "database is locked"
            body = r.json()["error"]
            assert body["message"]["ja"] and body["message"]["en"]
            refusals[body["code"]] += 1
    return ok, refusals


async def test_fifty_concurrent_bookings_at_one_slot(env: Env) -> None:
    mentors, tokens = await _prepare(env)
    responses = await asyncio.gather(
        *(
            env.http.post(
                "/api/bookings",
                json={"mentor_id": mentors[i % MENTORS], "start": "2026-12-02T18:00:00+09:00"},
                headers=bearer(token),
            )
            for i, token in enumerate(tokens)
        )
    )
    ok, refusals = _tally(responses)
    assert ok == env.ctx.rules.lines
    assert sum(refusals.values()) == CLIENTS - ok
    assert set(refusals) <= ALLOWED_REFUSALS and refusals["no_free_line"] > 0
    await _assert_capacity_held(env)
    async with env.ctx.db.read() as s:
        booked = (
            await s.execute(select(func.count()).where(Consultation.status == "booked"))  # type: ignore[arg-type]
        ).scalar_one()
    assert booked == env.ctx.rules.lines


async def test_fifty_concurrent_chat_now_requests(env: Env) -> None:
    mentors, tokens = await _prepare(env)
    responses = await asyncio.gather(
        *(
            env.http.post(
                "/api/chat-now", json={"mentor_id": mentors[i % MENTORS]}, headers=bearer(token)
            )
            for i, token in enumerate(tokens)
        )
    )
    ok, refusals = _tally(responses)
    assert ok == env.ctx.rules.lines
    assert set(refusals) <= ALLOWED_REFUSALS and refusals["no_free_line"] > 0
    await _assert_capacity_held(env)


async def test_one_client_racing_itself_gets_one_consultation_and_two_bookings(env: Env) -> None:
    mentors = [await add_mentor(env.ctx, f"m{i}") for i in range(6)]
    token = await sign_up(env.http, "せっかち")
    walk_ins = await asyncio.gather(
        *(
            env.http.post("/api/chat-now", json={"mentor_id": m}, headers=bearer(token))
            for m in mentors
        )
    )
    assert sum(r.status_code == 201 for r in walk_ins) == 1
    days = [f"2026-12-0{d}T15:00:00+09:00" for d in range(2, 8)]
    bookings = await asyncio.gather(
        *(
            env.http.post("/api/bookings", json={"mentor_id": m, "start": d}, headers=bearer(token))
            for m, d in zip(mentors, days, strict=True)
        )
    )
    assert sum(r.status_code == 201 for r in bookings) == env.ctx.rules.max_bookings
    assert {r.json()["error"]["code"] for r in bookings if r.status_code != 201} == {
        "limit_reached"
    }
