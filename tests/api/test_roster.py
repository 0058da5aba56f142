"""Headquarters manages mentors, shifts and the line capacity."""

from __future__ import annotations

import asyncio

from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token


async def _boss(env: Env) -> str:
    await add_staff(env.ctx, "boss", "boss-pass1", role="supervisor")
    return await staff_token(env.http, "boss", "boss-pass1")


async def test_create_edit_deactivate_a_mentor(env: Env) -> None:
    boss = await _boss(env)
    body = {
        "display_name": "なつき",
        "kind": "career_consultant",
        "audience": "child",
        "profile_ja": "しんろのこと",
        "profile_en": "Careers",
    }
    r = await env.http.post("/api/staff/mentors", json=body, headers=bearer(boss))
    assert r.status_code == 201
    mentor = r.json()["mentor"]
    assert mentor["active"] is True and mentor["kind"]["id"] == "career_consultant"
    r = await env.http.patch(
        f"/api/staff/mentors/{mentor['id']}",
        json={"profile_en": "Careers & school"},
        headers=bearer(boss),
    )
    assert r.json()["mentor"]["profile"]["en"] == "Careers & school"
    # a shift makes them bookable today
    r = await env.http.post(
        "/api/staff/shifts",
        json={"mentor_id": mentor["id"], "date": "2026-12-01", "start": "15:00", "end": "22:00"},
        headers=bearer(boss),
    )
    assert r.status_code == 201 and r.json()["shift"]["start"] == "15:00"
    shown = (await env.http.get("/api/mentors?audience=child")).json()["mentors"]
    assert [m["today"] for m in shown if m["id"] == mentor["id"]] == ["now"]
    child = await sign_up(env.http, "あたらしい")
    booked = await env.http.post(
        "/api/bookings",
        json={"mentor_id": mentor["id"], "start": "2026-12-01T18:00:00+09:00"},
        headers=bearer(child),
    )
    assert booked.status_code == 201
    r = await env.http.patch(
        f"/api/staff/mentors/{mentor['id']}", json={"active": False}, headers=bearer(boss)
    )
    assert r.status_code == 409 and error_code(r) == "mentor_has_bookings"
    await env.http.delete(
        f"/api/bookings/{booked.json()['consultation']['id']}", headers=bearer(child)
    )
    r = await env.http.patch(
        f"/api/staff/mentors/{mentor['id']}", json={"active": False}, headers=bearer(boss)
    )
    assert r.status_code == 200 and r.json()["mentor"]["active"] is False
    assert all(
        m["id"] != mentor["id"] for m in (await env.http.get("/api/mentors")).json()["mentors"]
    )
    everyone = (await env.http.get("/api/staff/mentors", headers=bearer(boss))).json()["mentors"]
    assert [m["active"] for m in everyone] == [False]
    for bad in (
        {"display_name": ""},
        {"kind": "wizard"},
        {"audience": "teacher"},
        {"active": "no"},
    ):
        r = await env.http.patch(
            f"/api/staff/mentors/{mentor['id']}", json=bad, headers=bearer(boss)
        )
        assert r.status_code == 400, bad
    assert (
        await env.http.post("/api/staff/mentors", json={"display_name": "x"}, headers=bearer(boss))
    ).status_code == 400
    assert (await env.http.get("/api/staff/mentors", headers=bearer(child))).status_code == 403


async def test_shift_rules(env: Env) -> None:
    boss = await _boss(env)
    mentor = await add_mentor(env.ctx, days=[])

    def shift(start: str, end: str, date: str = "2026-12-02") -> dict[str, object]:
        return {"mentor_id": mentor, "date": date, "start": start, "end": end}

    r = await env.http.post("/api/staff/shifts", json=shift("15:00", "18:00"), headers=bearer(boss))
    assert r.status_code == 201
    shift_id = r.json()["shift"]["id"]
    overlap = await env.http.post(
        "/api/staff/shifts", json=shift("17:00", "19:00"), headers=bearer(boss)
    )
    assert error_code(overlap) == "shift_overlap"
    assert (
        await env.http.post("/api/staff/shifts", json=shift("18:00", "22:00"), headers=bearer(boss))
    ).status_code == 201
    early = await env.http.post(
        "/api/staff/shifts", json=shift("14:00", "16:00", "2026-12-03"), headers=bearer(boss)
    )
    assert error_code(early) == "outside_hours"
    for bad in (
        shift("16:00", "15:00"),
        shift("1500", "1600"),
        shift("15:03", "16:00"),
        {"mentor_id": "1"},
        {**shift("15:00", "16:00"), "mentor_id": 2**70},
    ):
        r = await env.http.post("/api/staff/shifts", json=bad, headers=bearer(boss))
        assert r.status_code == 400, bad
    listed = (await env.http.get("/api/staff/shifts?date=2026-12-02", headers=bearer(boss))).json()
    assert [(s["start"], s["end"]) for s in listed["shifts"]] == [
        ("15:00", "18:00"),
        ("18:00", "22:00"),
    ]
    child = await sign_up(env.http, "しふと")
    await env.http.post(
        "/api/bookings",
        json={"mentor_id": mentor, "start": "2026-12-02T16:00:00+09:00"},
        headers=bearer(child),
    )
    in_use = await env.http.delete(f"/api/staff/shifts/{shift_id}", headers=bearer(boss))
    assert error_code(in_use) == "shift_in_use"
    assert (await env.http.delete("/api/staff/shifts/999", headers=bearer(boss))).status_code == 404


async def test_capacity_changes_at_run_time(env: Env) -> None:
    boss = await _boss(env)
    mentors = [await add_mentor(env.ctx, f"m{i}") for i in range(6)]
    tokens = [await sign_up(env.http, f"c{i}") for i in range(6)]
    assert (await env.http.get("/api/staff/settings", headers=bearer(boss))).json() == {
        "lines": 4,
        "default_lines": 4,
    }
    for token, mentor in zip(tokens[:4], mentors, strict=False):
        r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
        assert r.status_code == 201
    full = await env.http.post(
        "/api/chat-now", json={"mentor_id": mentors[4]}, headers=bearer(tokens[4])
    )
    assert error_code(full) == "no_free_line"
    lower = await env.http.put("/api/staff/settings", json={"lines": 3}, headers=bearer(boss))
    assert lower.status_code == 409 and error_code(lower) == "capacity_in_use"
    assert lower.json()["error"]["details"]["used"] == 4
    r = await env.http.put("/api/staff/settings", json={"lines": 5}, headers=bearer(boss))
    assert r.status_code == 200 and r.json()["lines"] == 5
    assert (
        await env.http.post(
            "/api/chat-now", json={"mentor_id": mentors[4]}, headers=bearer(tokens[4])
        )
    ).status_code == 201
    assert (
        error_code(
            await env.http.post(
                "/api/chat-now", json={"mentor_id": mentors[5]}, headers=bearer(tokens[5])
            )
        )
        == "no_free_line"
    )
    use = (await env.http.get("/api/staff/line-use", headers=bearer(boss))).json()
    assert (use["lines"], use["busy_now"]) == (5, 5)
    assert (await env.http.get("/api/service")).json()["lines"] == 5
    for bad in (0, 501, "5", True):
        assert (
            await env.http.put("/api/staff/settings", json={"lines": bad}, headers=bearer(boss))
        ).status_code == 400


async def test_concurrent_bookings_respect_a_raised_capacity(env: Env) -> None:
    boss = await _boss(env)
    await env.http.put("/api/staff/settings", json={"lines": 6}, headers=bearer(boss))
    mentors = [await add_mentor(env.ctx, f"m{i}") for i in range(10)]
    tokens = [await sign_up(env.http, f"c{i}") for i in range(30)]
    responses = await asyncio.gather(
        *(
            env.http.post(
                "/api/bookings",
                json={"mentor_id": mentors[i % 10], "start": "2026-12-02T18:00:00+09:00"},
                headers=bearer(t),
            )
            for i, t in enumerate(tokens)
        )
    )
    assert sum(r.status_code == 201 for r in responses) == 6
    assert {r.status_code for r in responses} == {201, 409}
