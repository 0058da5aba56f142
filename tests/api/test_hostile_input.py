"""Odd identifiers, far dates and oversized numbers are clear refusals, never a 500."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

from app.actions.lifecycle import sweep
from app.web.errors import ErrorBoundary
from tests.conftest import Env
from tests.helpers import add_mentor, bearer, error_code, jst, sign_up


async def test_odd_ids_and_dates(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "へん")
    for path in (
        "/api/mentors/²",
        "/api/mentors/99999999999999",
        f"/api/mentors/{mentor}/availability?date=0001-01-01",
        f"/api/mentors/{mentor}/availability?date=1500-01-01",
        f"/api/mentors/{mentor}/availability?date=9999-12-31",
        f"/api/mentors/{mentor}/availability?date=2026-13-01",
    ):
        r = await env.http.get(path)
        assert r.status_code == 400 and error_code(r) == "invalid_input", path
    for mentor_id in (2**70, -1, 0, True, 1.5, "1"):
        r = await env.http.post(
            "/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(token)
        )
        assert r.status_code == 400, mentor_id
    r = await env.http.post("/api/chat-now", json={"kind": "wizard"}, headers=bearer(token))
    assert r.status_code == 400 and r.json()["error"]["field"] == "kind"
    r = await env.http.delete("/api/bookings/4294967296", headers=bearer(token))
    assert r.status_code == 400


async def test_outside_hours_message_states_the_configured_hours(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "よふかし")
    env.clock.set(jst(2026, 12, 1, 23))
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    body = r.json()["error"]
    assert body["code"] == "outside_hours"
    assert "15:00" in body["message"]["ja"] and "21:30" in body["message"]["en"]
    assert body["details"]["close_time"] == "22:00"


async def test_a_walk_in_past_its_end_but_not_yet_closed_is_client_busy(env: Env) -> None:
    m1 = await add_mentor(env.ctx, "m1")
    m2 = await add_mentor(env.ctx, "m2")
    token = await sign_up(env.http, "まだ")
    assert (
        await env.http.post("/api/chat-now", json={"mentor_id": m1}, headers=bearer(token))
    ).status_code == 201
    env.clock.set(jst(2026, 12, 1, 16, 31))  # over, but no sweep has run
    r = await env.http.post("/api/chat-now", json={"mentor_id": m2}, headers=bearer(token))
    assert r.status_code == 409 and error_code(r) == "client_busy"
    await sweep(env.ctx)
    r = await env.http.post("/api/chat-now", json={"mentor_id": m2}, headers=bearer(token))
    assert r.status_code == 201


async def test_sign_ups_per_address_are_limited(env: Env) -> None:
    env.ctx.signups.limit = 3
    for i in range(3):
        await sign_up(env.http, f"n{i}")
    r = await env.http.post(
        "/api/clients", json={"nickname": "n4", "secret": "kirin-42", "audience": "child"}
    )
    assert r.status_code == 429 and error_code(r) == "rate_limited"


async def test_error_boundary_hides_the_traceback() -> None:
    async def boom(_request: Request) -> None:
        raise RuntimeError("SELECT ... parameters: ['a child's words']")

    app = Starlette(routes=[Route("/boom", boom)], middleware=[Middleware(ErrorBoundary)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        r = await http.get("/boom")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert "child" not in r.text
