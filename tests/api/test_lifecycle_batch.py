"""Opening a burst of reservations in one statement, and the slow path when it cannot."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select, update

from app.actions.lifecycle import open_due, sweep
from app.db.tables import Consultation
from tests.conftest import Env
from tests.helpers import add_mentor, bearer, jst, sign_up


async def _book(env: Env, n: int, start: str = "2026-12-01T17:00:00+09:00") -> list[int]:
    env.ctx.rules = replace(env.ctx.rules, lines=max(n, 4))  # room for everyone at 17:00
    ids = []
    for i in range(n):
        mentor = await add_mentor(env.ctx, f"m{i}")
        token = await sign_up(env.http, f"c{i}")
        r = await env.http.post(
            "/api/bookings", json={"mentor_id": mentor, "start": start}, headers=bearer(token)
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["consultation"]["id"])
    return ids


async def test_a_burst_opens_in_one_sweep(env: Env) -> None:
    ids = await _book(env, 30)
    env.clock.set(jst(2026, 12, 1, 17))
    assert (await sweep(env.ctx))["opened"] == 30
    async with env.ctx.db.read() as s:
        statuses = set((await s.execute(select(Consultation.status))).scalars())
    assert statuses == {"open"} and len(ids) == 30
    assert await open_due(env.ctx) == 0


async def test_one_stuck_client_does_not_hold_back_the_others(env: Env) -> None:
    ids = await _book(env, 3)
    async with env.ctx.db.write() as s:  # pretend client 1 still has another open consultation
        stuck = await s.get(Consultation, ids[0])
        assert stuck is not None
        s.add(
            Consultation(
                client_id=stuck.client_id,
                mentor_id=stuck.mentor_id,
                mode="walk_in",
                status="open",
                starts_at=jst(2026, 12, 1, 16, 40),
                ends_at=jst(2026, 12, 1, 17, 10),
                created_at=jst(2026, 12, 1, 16, 40),
            )
        )
    env.clock.set(jst(2026, 12, 1, 17))
    assert await open_due(env.ctx) == 2
    async with env.ctx.db.read() as s:
        first = await s.get(Consultation, ids[0])
    assert first is not None and first.status == "booked"  # opens once the other is closed
    async with env.ctx.db.write() as s:
        await s.execute(
            update(Consultation)
            .where(Consultation.status == "open", Consultation.mode == "walk_in")
            .values(status="closed")
        )
    assert await open_due(env.ctx) == 1
