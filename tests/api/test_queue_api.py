"""The waiting line over HTTP: shapes, refusals, who may see the whole line, statistics."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.actions.accounts import principal_for_token
from app.actions.chat import check_access, do_end, do_join
from app.actions.lifecycle import sweep
from app.clock import ManualClock
from app.db.tables import QueueEntry
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, jst, sign_up, staff_token


async def full_house(env: Env) -> tuple[list[int], list[tuple[str, int]]]:
    mentors = [await add_mentor(env.ctx, f"m{i}") for i in range(6)]
    talking = []
    for i in range(env.ctx.rules.lines):
        token = await sign_up(env.http, f"talk{i}")
        r = await env.http.post(
            "/api/chat-now", json={"mentor_id": mentors[i]}, headers=bearer(token)
        )
        assert r.status_code == 201
        talking.append((token, r.json()["consultation"]["id"]))
    return mentors, talking


async def test_join_see_rewrite_and_leave(env: Env, clock: ManualClock) -> None:
    mentors, _talking = await full_house(env)
    token = await sign_up(env.http, "まつこ")
    refused = await env.http.post(
        "/api/chat-now", json={"mentor_id": mentors[0]}, headers=bearer(token)
    )
    assert error_code(refused) == "mentor_busy"
    r = await env.http.post(
        "/api/queue",
        json={"mentor_id": mentors[0], "message": "  きいてほしいことがある  "},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    place = r.json()["queue"]
    assert place["state"] == "waiting" and place["position"] == 1
    assert place["estimated_wait_minutes"] == 30
    assert place["waiting_for"] == {"mentor_id": mentors[0], "mentor_name": "m0", "kind": None}
    assert place["has_message"] is True and place["consultation_id"] is None
    mine = (await env.http.get("/api/queue", headers=bearer(token))).json()["queue"]
    assert mine["id"] == place["id"] and mine["message"] == "きいてほしいことがある"
    r = await env.http.patch("/api/queue", json={"message": "やっぱり"}, headers=bearer(token))
    assert r.status_code == 200
    assert (await env.http.get("/api/queue", headers=bearer(token))).json()["queue"][
        "message"
    ] == "やっぱり"
    too_long = await env.http.patch(
        "/api/queue", json={"message": "あ" * 2001}, headers=bearer(token)
    )
    assert error_code(too_long) == "message_too_long"
    again = await env.http.post("/api/queue", json={}, headers=bearer(token))
    assert again.status_code == 409 and error_code(again) == "already_waiting"
    left = await env.http.delete("/api/queue", headers=bearer(token))
    assert left.status_code == 200 and left.json()["queue"]["state"] == "left"
    assert (await env.http.get("/api/queue", headers=bearer(token))).json()["queue"] is None
    gone = await env.http.delete("/api/queue", headers=bearer(token))
    assert gone.status_code == 404 and error_code(gone) == "not_waiting"


async def test_refusals_and_staff_view(env: Env, clock: ManualClock) -> None:
    await full_house(env)
    token = await sign_up(env.http, "よる")
    assert (
        error_code(
            await env.http.post("/api/queue", json={"kind": "wizard"}, headers=bearer(token))
        )
        == "invalid_input"
    )
    assert (
        error_code(
            await env.http.post("/api/queue", json={"mentor_id": "1"}, headers=bearer(token))
        )
        == "invalid_input"
    )
    assert (
        error_code(await env.http.post("/api/queue", json={"kind": "nurse"}, headers=bearer(token)))
        == "not_found"
    )
    assert (await env.http.post("/api/queue", json={})).status_code == 401
    r = await env.http.post("/api/queue", json={"kind": "psychologist"}, headers=bearer(token))
    assert r.status_code == 201
    assert (
        error_code(await env.http.get("/api/staff/queue", headers=bearer(token))) == "not_allowed"
    )
    await add_staff(env.ctx, "hq", "hq-password-1", role="supervisor")
    hq = await staff_token(env.http, "hq", "hq-password-1")
    line = (await env.http.get("/api/staff/queue", headers=bearer(hq))).json()
    assert line["lines"] == 4 and line["offer_seconds"] == 60
    (entry,) = line["entries"]
    assert entry["client"]["nickname"] == "よる" and entry["position"] == 1
    assert entry["waiting_for"]["kind"] == "psychologist" and "message" not in entry
    clock.set(jst(2026, 12, 1, 21, 31))
    await sweep(env.ctx)
    later = await sign_up(env.http, "おそい")
    outside = await env.http.post("/api/queue", json={}, headers=bearer(later))
    assert outside.status_code == 409 and error_code(outside) == "outside_hours"


async def test_statistics_count_the_line(env: Env, clock: ManualClock) -> None:
    _mentors, talking = await full_house(env)
    tokens = [await sign_up(env.http, f"w{i}") for i in range(3)]
    for token in tokens:
        assert (
            await env.http.post("/api/queue", json={}, headers=bearer(token))
        ).status_code == 201
        clock.advance(minutes=1)
    await env.http.delete("/api/queue", headers=bearer(tokens[2]))
    # 16:10: two lines free by ending the first two talks (through the mentors' clients)
    clock.set(jst(2026, 12, 1, 16, 10))
    for token, cid in talking[:2]:
        p = await principal_for_token(env.ctx, token)
        assert p is not None
        await do_end(env.ctx, p, await check_access(env.ctx, p, cid))
    first = await principal_for_token(env.ctx, tokens[0])
    assert first is not None
    offered = (await env.http.get("/api/queue", headers=bearer(tokens[0]))).json()["queue"]
    await do_join(env.ctx, first, offered["consultation_id"])
    clock.advance(seconds=61)  # the second never comes
    await sweep(env.ctx)
    # everything else ends, so each consultation is finished: counted, or unanswered
    for token, cid in [*talking[2:], (tokens[0], offered["consultation_id"])]:
        p = await principal_for_token(env.ctx, token)
        assert p is not None
        await do_end(env.ctx, p, await check_access(env.ctx, p, cid))
    async with env.ctx.db.read() as s:
        still_waiting = await s.execute(select(QueueEntry).where(QueueEntry.state == "waiting"))  # type: ignore[arg-type]
        assert still_waiting.first() is None
    await add_staff(env.ctx, "hq", "hq-password-1", role="supervisor")
    hq = await staff_token(env.http, "hq", "hq-password-1")
    stats = (
        await env.http.get("/api/staff/stats?from=2026-12-01&to=2026-12-01", headers=bearer(hq))
    ).json()
    (day,) = stats["days"]
    assert day["queue"] == {
        "queued": 3,
        "served": 1,
        "left": 1,
        "offers_expired": 1,
        "closed": 0,
        "waiting": 0,
        "wait_p50_minutes": 9.0,
        "wait_p90_minutes": 10.0,
    }
    # four talks and the one served offer; the offer nobody took is neither a consultation
    # nor an unanswered one
    assert day["walk_in"] + day.get("unanswered", 0) == 5
    # the CSV carries the same figures, after every older column (none of them moves)
    r = await env.http.get("/api/staff/stats.csv?from=2026-12-01&to=2026-12-01", headers=bearer(hq))
    header, row = r.text.splitlines()
    names = header.split(",")
    assert names[:10] == [
        "date",
        "consultations",
        "walk_in",
        "booked",
        "no_show",
        "no_show_rate",
        "utilisation",
        "refused_no_free_line",
        "refused_total",
        "unanswered",
    ]
    assert names[names.index("parent") + 1 :] == [
        "queue_queued",
        "queue_served",
        "queue_left",
        "queue_offers_expired",
        "queue_closed",
        "queue_wait_p50_minutes",
        "queue_wait_p90_minutes",
    ]
    (values,) = csv.DictReader(io.StringIO(r.text))
    assert {k: v for k, v in values.items() if k.startswith("queue_")} == {
        "queue_queued": "3",
        "queue_served": "1",
        "queue_left": "1",
        "queue_offers_expired": "1",
        "queue_closed": "0",
        "queue_wait_p50_minutes": "9.0",
        "queue_wait_p90_minutes": "10.0",
    }
    assert row.startswith("2026-12-01,")


async def test_deleting_the_account_leaves_the_line_and_erases_the_words(env: Env) -> None:
    await full_house(env)
    token = await sign_up(env.http, "さよなら", secret="bye-secret")
    r = await env.http.post(
        "/api/queue", json={"message": "ないしょのはなし"}, headers=bearer(token)
    )
    assert r.status_code == 201
    r = await env.http.request(
        "DELETE", "/api/me", json={"secret": "bye-secret"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    async with env.ctx.db.read() as s:
        (entry,) = (await s.execute(select(QueueEntry))).scalars().all()
    assert entry.state == "left" and entry.first_message is None
