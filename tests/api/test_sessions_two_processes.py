"""A session ended on one process is refused by another at its very next request.

Two app instances on one database stand for two processes (on SQLite as on PostgreSQL):
sign-out, a deactivated staff login and an erased account, each done through process A,
and the next request with the same token to process B is refused. Nothing is cached per
process, so nothing has to be told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.clock import ManualClock
from tests.conftest import Env, make_settings, open_env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token

BOSS_PASSWORD = "boss-pass-123"  # noqa: S105
MENTOR_PASSWORD = "mentor-pass-12"  # noqa: S105


@pytest.fixture
async def other(db_url: str, clock: ManualClock) -> AsyncIterator[Env]:
    """Process B: a second app on the same database and clock."""
    async for e in open_env(make_settings(db_url), clock):
        yield e


async def test_sign_out_on_one_process_is_refused_on_another(env: Env, other: Env) -> None:
    token = await sign_up(env.http, "ふたつめ")
    assert (await other.http.get("/api/me", headers=bearer(token))).status_code == 200
    assert (await env.http.delete("/api/session", headers=bearer(token))).status_code < 300
    refused = await other.http.get("/api/me", headers=bearer(token))
    assert refused.status_code == 401 and error_code(refused) == "not_signed_in"
    chat = await other.http.post("/api/chat-now", json={"kind": "nurse"}, headers=bearer(token))
    assert chat.status_code == 401


async def test_a_deactivated_login_is_refused_on_another_process(env: Env, other: Env) -> None:
    await add_staff(env.ctx, "boss", BOSS_PASSWORD, role="supervisor")
    boss = await staff_token(env.http, "boss", BOSS_PASSWORD)
    staff_id = await add_staff(
        env.ctx, "mentor9", MENTOR_PASSWORD, mentor_id=await add_mentor(env.ctx)
    )
    mentor = await staff_token(env.http, "mentor9", MENTOR_PASSWORD)
    assert (await other.http.get("/api/me", headers=bearer(mentor))).status_code == 200
    r = await env.http.patch(
        f"/api/staff/accounts/{staff_id}", json={"active": False}, headers=bearer(boss)
    )
    assert r.status_code == 200
    assert (await other.http.get("/api/me", headers=bearer(mentor))).status_code == 401


async def test_an_erased_account_is_refused_on_another_process(env: Env, other: Env) -> None:
    token = await sign_up(env.http, "けす")
    assert (await other.http.get("/api/me", headers=bearer(token))).status_code == 200
    gone = await env.http.request(
        "DELETE", "/api/me", json={"secret": "himitsu123"}, headers=bearer(token)
    )
    assert gone.status_code < 300, gone.text
    assert (await other.http.get("/api/me", headers=bearer(token))).status_code == 401
