"""Retention with a moved clock, deleting an account, statistics and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlmodel import col

from app.actions.chat import check_access, do_send
from app.actions.context import Principal
from app.actions.lifecycle import sweep
from app.actions.privacy import purge_expired
from app.db.tables import Consultation, MentorNote, Message
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, jst, sign_up, staff_token


async def _talk(env: Env, token: str, mentor_id: int) -> int:
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(token))
    assert r.status_code == 201
    cid = int(r.json()["consultation"]["id"])
    me = (await env.http.get("/api/me", headers=bearer(token))).json()["account"]
    principal = Principal("client", me["id"], me["role"], me["display_name"], 0)
    access = await check_access(env.ctx, principal, cid)
    await do_send(env.ctx, principal, access, "m1", "ないしょの話")
    return cid


async def _count(env: Env, model) -> int:  # type: ignore[no-untyped-def]
    async with env.ctx.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_retention_deletes_transcripts_and_keeps_counts(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    await add_staff(env.ctx, "m", "mentor-pass", mentor_id=mentor)
    mentor_token = await staff_token(env.http, "m", "mentor-pass")
    token = await sign_up(env.http, "むかし")
    cid = await _talk(env, token, mentor)
    await env.http.put(
        f"/api/staff/consultations/{cid}/note", json={"text": "メモ"}, headers=bearer(mentor_token)
    )
    env.clock.set(jst(2026, 12, 1, 16, 30))
    await sweep(env.ctx)
    retention = env.ctx.settings.retention_days
    env.clock.set(jst(2026, 12, 1, 16, 29).replace(year=2027))  # 364 days later
    assert retention == 365 and await purge_expired(env.ctx) == 0
    env.clock.advance(days=1, minutes=2)
    assert await purge_expired(env.ctx) == 1
    assert await purge_expired(env.ctx) == 0  # idempotent
    assert await _count(env, Message) == 0 and await _count(env, MentorNote) == 0
    async with env.ctx.db.read() as s:
        kept = await s.get(Consultation, cid)
    assert kept is not None and kept.message_count == 1 and kept.status == "closed"


async def test_a_client_deletes_their_account(env: Env) -> None:
    m1 = await add_mentor(env.ctx, "m1")
    m2 = await add_mentor(env.ctx, "m2")
    token = await sign_up(env.http, "さよなら", secret="bye-secret")
    cid = await _talk(env, token, m1)
    booked = await env.http.post(
        "/api/bookings",
        json={"mentor_id": m2, "start": "2026-12-02T15:00:00+09:00"},
        headers=bearer(token),
    )
    assert booked.status_code == 201
    wrong = await env.http.request(
        "DELETE", "/api/me", json={"secret": "nope-nope"}, headers=bearer(token)
    )
    assert wrong.status_code == 401 and await _count(env, Message) == 1
    r = await env.http.request(
        "DELETE", "/api/me", json={"secret": "bye-secret"}, headers=bearer(token)
    )
    assert r.status_code == 200
    assert await _count(env, Message) == 0
    assert (await env.http.get("/api/me", headers=bearer(token))).status_code == 401
    again = await env.http.post(
        "/api/session/client", json={"nickname": "さよなら", "secret": "bye-secret"}
    )
    assert again.status_code == 401
    async with env.ctx.db.read() as s:
        statuses = [c.status for c in (await s.execute(select(Consultation))).scalars()]
    assert sorted(statuses) == ["cancelled", "closed"]  # lines freed, counts kept
    other = await sign_up(env.http, "つぎのこ")
    assert (
        await env.http.post(
            "/api/bookings",
            json={"mentor_id": m2, "start": "2026-12-02T15:00:00+09:00"},
            headers=bearer(other),
        )
    ).status_code == 201
    # the nickname is free again
    await sign_up(env.http, "さよなら")
    assert cid


async def test_statistics_and_csv(env: Env) -> None:
    mentors = [await add_mentor(env.ctx, f"m{i}", kind="nurse") for i in range(5)]
    await add_staff(env.ctx, "boss", "boss-pass1", role="supervisor")
    boss = await staff_token(env.http, "boss", "boss-pass1")
    tokens = [
        await sign_up(env.http, f"c{i}", audience="child" if i % 2 else "parent") for i in range(6)
    ]
    walk_ins = []
    for token, mentor in zip(tokens[:4], mentors, strict=False):
        r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
        assert r.status_code == 201
        walk_ins.append(r.json()["consultation"]["id"])
    async with env.ctx.db.write() as s:  # three mentors came; the fourth never did
        await s.execute(
            update(Consultation)
            .where(col(Consultation.id).in_(walk_ins[:3]))
            .values(mentor_joined_at=jst(2026, 12, 1, 16, 1))
        )
    refused = await env.http.post(
        "/api/chat-now", json={"mentor_id": mentors[4]}, headers=bearer(tokens[4])
    )
    assert error_code(refused) == "no_free_line"
    await env.http.post(
        "/api/bookings",
        json={"mentor_id": mentors[4], "start": "2026-12-01T17:00:00+09:00"},
        headers=bearer(tokens[5]),
    )
    for minute in (30, 60, 70):  # 16:30 walk-ins close; 17:00 it opens; 17:10 nobody came
        env.clock.set(jst(2026, 12, 1, 16) + timedelta(minutes=minute))
        await sweep(env.ctx)
    r = await env.http.get("/api/staff/stats?from=2026-12-01&to=2026-12-01", headers=bearer(boss))
    assert r.status_code == 200
    day = r.json()["days"][0]
    # a walk-in its mentor never joined is unanswered, not a consultation
    assert (day["consultations"], day["walk_in"], day["no_show"], day["unanswered"]) == (
        3,
        3,
        1,
        1,
    )
    assert day["no_show_rate"] == 1.0
    assert day["by_kind"] == {"nurse": 3}
    assert day["by_audience"] == {"parent": 2, "child": 1}
    # (m4's booking is a no-show: the client did not come, whoever else did not)
    assert [(m["display_name"], m["count"]) for m in r.json()["unanswered_by_mentor"]] == [
        ("m3", 1)
    ]
    assert day["refusals"] == {"no_free_line": 1}
    assert 0 < day["utilisation"] < 1
    slots = {s["slot"]: s for s in r.json()["slots"]}
    assert slots["16:00"]["walk_in"] == 3 and slots["16:00"]["unanswered"] == 1
    assert slots["16:00"]["refused_no_free_line"] == 1
    assert len(slots) == 14
    csv_r = await env.http.get(
        "/api/staff/stats.csv?from=2026-12-01&to=2026-12-01", headers=bearer(boss)
    )
    assert csv_r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_r.text)))
    assert rows[0]["refused_no_free_line"] == "1" and rows[0]["kind_nurse"] == "3"
    assert rows[0]["unanswered"] == "1"
    client = await sign_up(env.http, "c-late")  # the early ones went idle over 70 minutes
    assert (await env.http.get("/api/staff/stats", headers=bearer(client))).status_code == 403
    assert (
        await env.http.get("/api/staff/stats?from=2026-01-01&to=2026-12-01", headers=bearer(boss))
    ).status_code == 400
