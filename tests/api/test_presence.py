"""Mentor presence: the absence alert (exactly once, also from two processes), reassignment
with its refusals and its race, the client's switch, my-mentors and `unanswered` statistics."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from app.actions import Principal
from app.actions.accounts import principal_for_token
from app.actions.chat import do_join, do_send
from app.actions.lifecycle import absent_due, sweep
from app.clock import ManualClock
from app.db.tables import AuditLog, Consultation, CrisisAlert, Handover, LineHold, Mentor
from app.rules.capacity import current_tick
from tests.conftest import Env, make_settings, open_env
from tests.helpers import add_mentor, add_staff, bearer, error_code, jst, sign_up, staff_token


async def _principal(env: Env, token: str) -> Principal:
    p = await principal_for_token(env.ctx, token)
    assert p is not None
    return p


async def _boss(env: Env) -> str:
    await add_staff(env.ctx, "honbu", "honbu-pass", role="supervisor")
    return await staff_token(env.http, "honbu", "honbu-pass")


async def _walk_in(env: Env, token: str, mentor_id: int) -> int:
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(token))
    assert r.status_code == 201, r.text
    return int(r.json()["consultation"]["id"])


async def _mentor_login(env: Env, name: str, mentor_id: int) -> str:
    await add_staff(env.ctx, name, f"{name}-pass", mentor_id=mentor_id)
    return await staff_token(env.http, name, f"{name}-pass")


async def test_absence_is_raised_once_at_the_grace_and_listed_until_acknowledged(
    env: Env,
) -> None:
    absent = await add_mentor(env.ctx, "みどり", kind="nurse")
    boss = await _boss(env)
    child = await sign_up(env.http, "まつこ")
    cid = await _walk_in(env, child, absent)
    env.clock.set(jst(2026, 12, 1, 16, 2, 59))
    assert (await sweep(env.ctx))["absent"] == 0
    env.clock.set(jst(2026, 12, 1, 16, 3))
    assert (await sweep(env.ctx))["absent"] == 1
    assert (await sweep(env.ctx))["absent"] == 0  # the second sweep finds nothing to raise
    alerts = (await env.http.get("/api/staff/alerts", headers=bearer(boss))).json()["alerts"]
    assert [(a["kind"], a["category"], a["consultation_id"]) for a in alerts] == [
        ("mentor_absent", "mentor_absent", cid)
    ]
    assert alerts[0]["mentor"]["display_name"] == "みどり"
    board = (await env.http.get("/api/staff/consultations", headers=bearer(boss))).json()
    row = board["consultations"][0]
    assert row["state"] == "waiting_for_mentor"
    assert row["mentor_absent_at"] == "2026-12-01T16:03:00+09:00"
    assert row["waiting_since"] == "2026-12-01T16:00:00+09:00"
    mine = (await env.http.get("/api/bookings", headers=bearer(child))).json()["consultations"]
    assert mine[0]["mentor_joined_at"] is None and mine[0]["mentor_absent"] is True
    r = await env.http.post(f"/api/staff/alerts/{alerts[0]['id']}/ack", headers=bearer(boss))
    assert r.status_code == 200
    assert (await env.http.get("/api/staff/alerts", headers=bearer(boss))).json()["alerts"] == []
    assert (await sweep(env.ctx))["absent"] == 0  # acknowledged is not a reason to raise again
    async with env.ctx.db.read() as s:
        audited = (
            await s.execute(select(AuditLog).where(col(AuditLog.action) == "mentor_absent"))
        ).scalars()
        assert [a.consultation_id for a in audited] == [cid]


async def test_a_mentor_who_joins_in_time_raises_nothing(env: Env) -> None:
    mentor_id = await add_mentor(env.ctx, "さくら")
    mentor = await _principal(env, await _mentor_login(env, "sakura", mentor_id))
    child = await sign_up(env.http, "うさぎ")
    cid = await _walk_in(env, child, mentor_id)
    env.clock.set(jst(2026, 12, 1, 16, 2))
    access = await do_join(env.ctx, mentor, cid)
    assert access.consultation.mentor_joined_at == jst(2026, 12, 1, 16, 2)
    env.clock.set(jst(2026, 12, 1, 16, 10))
    assert (await sweep(env.ctx))["absent"] == 0
    mine = (await env.http.get("/api/bookings", headers=bearer(child))).json()["consultations"]
    assert mine[0]["mentor_joined_at"] == "2026-12-01T16:02:00+09:00"


@pytest.fixture
async def second_process(db_url: str, clock: ManualClock) -> AsyncIterator[Env]:
    """Another app on the same database: a second process's sweep."""
    async for other in open_env(make_settings(db_url), clock):
        yield other


async def test_absence_raised_exactly_once_when_two_processes_sweep_at_once(
    env: Env, second_process: Env
) -> None:
    mentors = [await add_mentor(env.ctx, f"m{i}") for i in range(3)]
    for i, mentor_id in enumerate(mentors):
        await _walk_in(env, await sign_up(env.http, f"c{i}"), mentor_id)
    env.clock.set(jst(2026, 12, 1, 16, 5))
    counts = await asyncio.gather(
        absent_due(env.ctx), absent_due(second_process.ctx), absent_due(env.ctx)
    )
    assert sum(counts) == 3
    async with env.ctx.db.read() as s:
        alerts = (
            await s.execute(select(CrisisAlert).where(col(CrisisAlert.kind) == "mentor_absent"))
        ).scalars()
        assert sorted(a.mentor_id or 0 for a in alerts) == sorted(mentors)


async def _setup_reassign(env: Env) -> dict[str, int]:
    """An open walk-in with みどり (never came), and mentors with every reason to refuse."""
    ids = {
        "absent": await add_mentor(env.ctx, "みどり", kind="nurse"),
        "busy": await add_mentor(env.ctx, "いそがし", kind="nurse"),
        "off": await add_mentor(
            env.ctx, "よる", kind="nurse", days=[date(2026, 12, 1)], start=time(20), end=time(22)
        ),
        "parents": await add_mentor(env.ctx, "おや", kind="nurse", audience="parent"),
        "stopped": await add_mentor(env.ctx, "おやすみ", kind="nurse"),
        "free": await add_mentor(env.ctx, "えみ", kind="nurse"),
    }
    async with env.ctx.db.write() as s:
        await s.execute(update(Mentor).where(col(Mentor.id) == ids["stopped"]).values(active=False))
    await _walk_in(env, await sign_up(env.http, "ほかのこ"), ids["busy"])
    return ids


async def test_reassign_refusals_have_stable_codes(env: Env) -> None:
    ids = await _setup_reassign(env)
    boss = await _boss(env)
    cid = await _walk_in(env, await sign_up(env.http, "まつこ"), ids["absent"])

    async def reassign(mentor_id: object, **extra: object) -> tuple[int, str | None]:
        r = await env.http.post(
            f"/api/staff/consultations/{cid}/reassign",
            json={"mentor_id": mentor_id, "note": "みどりさん欠勤", **extra},
            headers=bearer(boss),
        )
        return r.status_code, error_code(r) if r.status_code != 200 else None

    assert await reassign(ids["busy"]) == (409, "mentor_busy")
    assert await reassign(ids["off"]) == (409, "mentor_off_shift")
    assert await reassign(ids["parents"]) == (409, "wrong_audience")
    assert await reassign(ids["stopped"]) == (409, "mentor_inactive")
    assert await reassign(9999) == (404, "not_found")
    assert await reassign(ids["absent"]) == (400, "invalid_input")
    assert await reassign("2") == (400, "invalid_input")
    assert await reassign(ids["free"], note="x" * 1001) == (400, "invalid_input")
    mentor = await _mentor_login(env, "midori", ids["absent"])
    r = await env.http.post(
        f"/api/staff/consultations/{cid}/reassign",
        json={"mentor_id": ids["free"]},
        headers=bearer(mentor),
    )
    assert r.status_code == 403 and error_code(r) == "not_allowed"
    async with env.ctx.db.read() as s:  # nothing moved
        holds = (
            await s.execute(select(LineHold.mentor_id).where(col(LineHold.consultation_id) == cid))
        ).scalars()
        assert set(holds) == {ids["absent"]}
        assert (await s.execute(select(Handover))).first() is None


async def test_reassign_moves_the_line_and_keeps_the_transcript(env: Env) -> None:
    ids = await _setup_reassign(env)
    boss = await _boss(env)
    child_token = await sign_up(env.http, "まつこ")
    child = await _principal(env, child_token)
    cid = await _walk_in(env, child_token, ids["absent"])
    access = await do_join(env.ctx, child, cid)
    await do_send(env.ctx, child, access, "a", "みどりさん いますか？")
    env.clock.set(jst(2026, 12, 1, 16, 6))
    await sweep(env.ctx)
    async with env.ctx.db.read() as s:
        before = {
            (h.tick, h.line_no, h.client_id)
            for h in (
                await s.execute(select(LineHold).where(col(LineHold.consultation_id) == cid))
            ).scalars()
        }
    r = await env.http.post(
        f"/api/staff/consultations/{cid}/reassign",
        json={"mentor_id": ids["free"], "note": "みどりさんが来られないため"},
        headers=bearer(boss),
    )
    assert r.status_code == 200, r.text
    assert r.json()["reason"] == "mentor_absent"
    assert r.json()["consultation"]["mentor"]["display_name"] == "えみ"
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, cid)
        assert c is not None and c.mentor_id == ids["free"] and c.last_seq == 1
        assert c.mentor_joined_at is None and c.mentor_absent_at is None
        assert c.mentor_assigned_at == jst(2026, 12, 1, 16, 6)
        holds = (
            await s.execute(select(LineHold).where(col(LineHold.consultation_id) == cid))
        ).scalars()
        after = list(holds)
        # the same line and ticks; the ticks still ahead are the new mentor's
        assert {(h.tick, h.line_no, h.client_id) for h in after} == before
        now_tick = current_tick(jst(2026, 12, 1, 16, 6))
        assert {h.mentor_id for h in after if h.tick >= now_tick} == {ids["free"]}
        audit = (
            await s.execute(select(AuditLog).where(col(AuditLog.action) == "reassigned"))
        ).scalar_one()
        assert audit.subject == f"mentor:{ids['absent']}->{ids['free']}"
        # the absence it answers is off the alert list
        open_alerts = (
            await s.execute(
                select(CrisisAlert).where(
                    col(CrisisAlert.consultation_id) == cid,
                    col(CrisisAlert.acknowledged_at).is_(None),
                )
            )
        ).first()
        assert open_alerts is None
    # the new mentor sees the handover note; the child's consultation is the same one
    emi = await _mentor_login(env, "emi", ids["free"])
    mine = (await env.http.get("/api/staff/consultations", headers=bearer(emi))).json()
    (row,) = mine["consultations"]
    assert row["id"] == cid and row["handover"]["note"] == "みどりさんが来られないため"
    assert row["handover"]["from_mentor"]["display_name"] == "みどり"
    assert row["handover"]["from_joined"] is False
    kids = (await env.http.get("/api/bookings", headers=bearer(child_token))).json()
    assert [c["id"] for c in kids["consultations"]] == [cid]
    assert "handover" not in kids["consultations"][0]  # the note is for staff only
    # the old mentor can no longer read it
    midori = await _mentor_login(env, "midori", ids["absent"])
    r = await env.http.get(f"/api/staff/consultations/{cid}/note", headers=bearer(midori))
    assert r.status_code == 404
    # the new mentor, once here, ends the waiting: nothing more is raised
    await do_join(env.ctx, await _principal(env, emi), cid)
    env.clock.set(jst(2026, 12, 1, 16, 20))
    assert (await sweep(env.ctx))["absent"] == 0


async def test_a_future_booking_can_be_moved_and_the_roster_refusal_points_there(
    env: Env,
) -> None:
    ids = await _setup_reassign(env)
    boss = await _boss(env)
    child = await sign_up(env.http, "よやく")
    r = await env.http.post(
        "/api/bookings",
        json={"mentor_id": ids["absent"], "start": "2026-12-02T17:00:00+09:00"},
        headers=bearer(child),
    )
    bid = r.json()["consultation"]["id"]
    stop = await env.http.patch(
        f"/api/staff/mentors/{ids['absent']}", json={"active": False}, headers=bearer(boss)
    )
    assert error_code(stop) == "mentor_has_bookings"
    assert "予約を移す" in stop.json()["error"]["message"]["ja"]
    upcoming = await env.http.get(
        f"/api/staff/mentors/{ids['absent']}/consultations", headers=bearer(boss)
    )
    assert [c["id"] for c in upcoming.json()["consultations"]] == [bid]
    options = await env.http.get(
        f"/api/staff/consultations/{bid}/alternatives", headers=bearer(boss)
    )
    names = [m["display_name"] for m in options.json()["mentors"]]
    assert "えみ" in names and "いそがし" in names  # busy now, free tomorrow
    assert "おや" not in names and "おやすみ" not in names and "よる" not in names
    r = await env.http.post(
        f"/api/staff/consultations/{bid}/reassign",
        json={"mentor_id": ids["free"], "note": ""},
        headers=bearer(boss),
    )
    assert r.status_code == 200 and r.json()["reason"] == "headquarters"
    stop = await env.http.patch(
        f"/api/staff/mentors/{ids['absent']}", json={"active": False}, headers=bearer(boss)
    )
    assert stop.status_code == 200
    # a finished consultation cannot be moved
    cancelled = await env.http.delete(f"/api/bookings/{bid}", headers=bearer(child))
    assert cancelled.status_code == 200
    r = await env.http.post(
        f"/api/staff/consultations/{bid}/reassign",
        json={"mentor_id": ids["busy"]},
        headers=bearer(boss),
    )
    assert error_code(r) == "not_reassignable"


async def test_two_reassignments_to_the_same_mentor_at_once_one_wins(env: Env) -> None:
    absent = [await add_mentor(env.ctx, f"absent{i}") for i in range(2)]
    target = await add_mentor(env.ctx, "えみ")
    boss = await _boss(env)
    cids = [
        await _walk_in(env, await sign_up(env.http, f"c{i}"), mentor_id)
        for i, mentor_id in enumerate(absent)
    ]
    responses = await asyncio.gather(
        *(
            env.http.post(
                f"/api/staff/consultations/{cid}/reassign",
                json={"mentor_id": target, "note": "同時"},
                headers=bearer(boss),
            )
            for cid in cids
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.text for r in responses]
    assert [error_code(r) for r in responses if r.status_code == 409] == ["mentor_busy"]
    async with env.ctx.db.read() as s:
        taken = (
            await s.execute(select(Consultation.id).where(col(Consultation.mentor_id) == target))
        ).scalars()
        assert len(list(taken)) == 1


async def test_the_child_switches_only_after_the_absence(env: Env) -> None:
    absent = await add_mentor(env.ctx, "みどり", kind="nurse")
    other_kind = await add_mentor(env.ctx, "けい", kind="psychologist")
    same_kind = await add_mentor(env.ctx, "えみ", kind="nurse")
    parents = await add_mentor(env.ctx, "おや", kind="nurse", audience="parent")
    child = await sign_up(env.http, "まつこ")
    stranger = await sign_up(env.http, "よそのこ")
    cid = await _walk_in(env, child, absent)
    r = await env.http.post(
        f"/api/consultations/{cid}/switch", json={"mentor_id": same_kind}, headers=bearer(child)
    )
    assert r.status_code == 409 and error_code(r) == "switch_not_offered"
    env.clock.set(jst(2026, 12, 1, 16, 3))
    await sweep(env.ctx)
    r = await env.http.get(f"/api/consultations/{cid}/alternatives", headers=bearer(child))
    assert [(m["id"], m["same_kind"]) for m in r.json()["mentors"]] == [
        (same_kind, True),
        (other_kind, False),
    ]
    r = await env.http.get(f"/api/consultations/{cid}/alternatives", headers=bearer(stranger))
    assert r.status_code == 404
    r = await env.http.post(
        f"/api/consultations/{cid}/switch", json={"mentor_id": parents}, headers=bearer(child)
    )
    assert error_code(r) == "not_found"  # a mentor who does not serve children does not exist
    r = await env.http.post(
        f"/api/consultations/{cid}/switch", json={"mentor_id": same_kind}, headers=bearer(stranger)
    )
    assert r.status_code == 404
    r = await env.http.post(
        f"/api/consultations/{cid}/switch", json={"mentor_id": same_kind}, headers=bearer(child)
    )
    assert r.status_code == 200 and r.json()["reason"] == "client_switch"
    assert r.json()["consultation"]["id"] == cid
    # once switched, the new mentor has their own grace: no second offer at once
    r = await env.http.post(
        f"/api/consultations/{cid}/switch", json={"mentor_id": other_kind}, headers=bearer(child)
    )
    assert error_code(r) == "switch_not_offered"
    env.clock.set(jst(2026, 12, 1, 16, 6))
    assert (await sweep(env.ctx))["absent"] == 1  # えみ did not come either: told again


async def test_my_mentors_lists_only_mentors_who_came(env: Env) -> None:
    came = await add_mentor(env.ctx, "さくら")
    never = await add_mentor(env.ctx, "えみ")
    sakura = await _principal(env, await _mentor_login(env, "sakura", came))
    child = await sign_up(env.http, "うさぎ")
    cid = await _walk_in(env, child, never)
    env.clock.set(jst(2026, 12, 1, 16, 30))
    await sweep(env.ctx)  # expired unanswered
    cid2 = await _walk_in(env, child, came)
    await do_join(env.ctx, sakura, cid2)
    env.clock.set(jst(2026, 12, 1, 17, 0))
    await sweep(env.ctx)
    r = await env.http.get("/api/my-mentors", headers=bearer(child))
    assert [m["display_name"] for m in r.json()["mentors"]] == ["さくら"]
    assert cid != cid2


async def test_statistics_count_unanswered_apart_with_a_count_per_mentor(env: Env) -> None:
    answered = await add_mentor(env.ctx, "さくら", kind="nurse")
    silent = await add_mentor(env.ctx, "えみ", kind="nurse")
    handed = await add_mentor(env.ctx, "みどり", kind="nurse")
    taker = await add_mentor(env.ctx, "けい", kind="nurse")
    boss = await _boss(env)
    sakura = await _principal(env, await _mentor_login(env, "sakura", answered))
    kei = await _principal(env, await _mentor_login(env, "kei", taker))
    c1 = await _walk_in(env, await sign_up(env.http, "a"), answered)
    await _walk_in(env, await sign_up(env.http, "b"), silent)
    c3 = await _walk_in(env, await sign_up(env.http, "c"), handed)
    await do_join(env.ctx, sakura, c1)
    env.clock.set(jst(2026, 12, 1, 16, 4))
    await sweep(env.ctx)
    r = await env.http.post(
        f"/api/staff/consultations/{c3}/reassign",
        json={"mentor_id": taker, "note": ""},
        headers=bearer(boss),
    )
    assert r.status_code == 200
    await do_join(env.ctx, kei, c3)
    env.clock.set(jst(2026, 12, 1, 16, 30) + timedelta(seconds=1))
    await sweep(env.ctx)
    r = await env.http.get("/api/staff/stats?from=2026-12-01&to=2026-12-01", headers=bearer(boss))
    day = r.json()["days"][0]
    assert (day["consultations"], day["unanswered"], day["walk_in"]) == (2, 1, 2)
    assert {m["display_name"]: m["count"] for m in r.json()["unanswered_by_mentor"]} == {
        "えみ": 1,
        "みどり": 1,
    }
    slots = {s["slot"]: s for s in r.json()["slots"]}
    assert slots["16:00"]["unanswered"] == 1 and slots["16:00"]["walk_in"] == 2
    csv_r = await env.http.get(
        "/api/staff/stats.csv?from=2026-12-01&to=2026-12-01", headers=bearer(boss)
    )
    rows = list(csv.DictReader(io.StringIO(csv_r.text)))
    assert rows[0]["unanswered"] == "1" and rows[0]["consultations"] == "2"
