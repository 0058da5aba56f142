"""A stopped staff login loses its live sockets at once, on this process and on every other."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pyotp
import pytest
from sqlalchemy import update
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.clock import ManualClock
from app.db.tables import Consultation, Staff
from tests.conftest import _truncate, make_settings
from tests.helpers import add_mentor, add_staff, bearer, staff_token
from tests.protocol.conftest import Live, Ws, live_server, ws_client
from tests.protocol.helpers import chat_pair, join_all, supervisor_token
from tests.servers import serve_process

CLOSE_SIGNED_OUT = 4401


async def closed_within(ws: Ws, seconds: float) -> int:
    """Read until the server closes the socket; return its close code."""
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(seconds):
            while True:
                await ws.next(seconds)
    assert info.value.rcvd is not None
    return info.value.rcvd.code


async def refused(live: Live, token: str) -> bool:
    try:
        async with ws_client(live, token):
            return False
    except InvalidStatus:
        return True


async def test_deactivating_a_mentor_closes_its_socket_within_two_seconds(live: Live) -> None:
    pair = await chat_pair(live)
    boss = await supervisor_token(live)
    async with ws_client(live, pair.mentor) as mentor, ws_client(live, pair.child) as child:
        await join_all(pair.consultation_id, mentor, child)
        async with live.ctx.db.write() as s:  # the talk is over; nothing upcoming
            await s.execute(
                update(Consultation)
                .where(Consultation.id == pair.consultation_id)  # type: ignore[arg-type]
                .values(status="closed")
            )
        r = await live.http.patch(
            f"/api/staff/mentors/{pair.mentor_id}", json={"active": False}, headers=bearer(boss)
        )
        assert r.status_code == 200, r.text
        assert await closed_within(mentor, 2.0) == CLOSE_SIGNED_OUT
        await child.send(type="ping")
        await child.expect("pong")  # the child's socket is untouched
    assert await refused(live, pair.mentor)  # the old token opens no new socket
    r = await live.http.post(
        "/api/session/staff", json={"username": "staff-さくら", "password": "mentor-pass"}
    )
    assert r.status_code == 401


async def test_deactivating_a_staff_login_closes_its_socket(live: Live) -> None:
    mentor_id = await add_mentor(live.ctx)
    staff_id = await add_staff(live.ctx, "mentor9", "mentor-pass-12", mentor_id=mentor_id)
    token = await staff_token(live.http, "mentor9", "mentor-pass-12")
    boss = await supervisor_token(live)
    async with ws_client(live, token) as mentor, ws_client(live, boss) as hq:
        r = await live.http.patch(
            f"/api/staff/accounts/{staff_id}", json={"active": False}, headers=bearer(boss)
        )
        assert r.status_code == 200
        assert await closed_within(mentor, 2.0) == CLOSE_SIGNED_OUT
        await hq.send(type="ping")
        await hq.expect("pong")
    assert await refused(live, token)


async def test_periodic_check_closes_the_socket_of_an_inactive_account(live: Live) -> None:
    """The 30-second check looks at the account too, not only at the session row: a login
    stopped by any other path (here, straight in the database) loses its socket there."""
    pair = await chat_pair(live)
    async with ws_client(live, pair.mentor) as mentor, ws_client(live, pair.child) as child:
        await join_all(pair.consultation_id, mentor, child)
        async with live.ctx.db.write() as s:
            await s.execute(update(Staff).values(active=False))
        registry = live.server.config.app.state.connections  # type: ignore[union-attr]
        assert await registry.close_revoked(live.ctx) == 1  # the periodic check, run now
        assert await closed_within(mentor, 2.0) == CLOSE_SIGNED_OUT
        await child.send(type="ping")
        await child.expect("pong")


@pytest.fixture
async def live2fa(db_url: str, clock: ManualClock) -> AsyncIterator[Live]:
    async with live_server(make_settings(db_url, staff_2fa=True), clock) as running:
        yield running


async def test_a_login_that_must_enrol_opens_no_socket_until_it_has(live2fa: Live) -> None:
    live = live2fa
    mentor_id = await add_mentor(live.ctx)
    await add_staff(live.ctx, "mentor9", "mentor-pass-12", mentor_id=mentor_id)
    token = await staff_token(live.http, "mentor9", "mentor-pass-12")
    assert await refused(live, token)
    begun = (
        await live.http.post("/api/staff/me/second-factor", json={}, headers=bearer(token))
    ).json()
    code = pyotp.TOTP(begun["secret"]).at(live.ctx.now())
    r = await live.http.post(
        "/api/staff/me/second-factor/confirm", json={"otp": code}, headers=bearer(token)
    )
    assert r.status_code == 200
    async with ws_client(live, token) as ws:
        await ws.send(type="ping")
        await ws.expect("pong")


# -- two processes --------------------------------------------------------------------------


async def _open(base: str, token: str) -> Ws:
    conn = await connect(
        base.replace("http", "ws") + "/ws",
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=base,  # type: ignore[arg-type]
        compression=None,
    )
    ws = Ws(conn)
    assert (await ws.next())["type"] == "hello"
    return ws


@pytest.mark.postgres
async def test_deactivation_on_one_process_closes_the_socket_on_another(
    pg_database: str, tmp_path: Path
) -> None:
    await _truncate(pg_database)
    with (
        serve_process(tmp_path, name="a", DATABASE_URL=pg_database) as (a, _log_a, _proc_a),
        serve_process(tmp_path, "--no-seed", name="b", DATABASE_URL=pg_database) as (
            b,
            _log_b,
            _proc_b,
        ),
    ):
        async with httpx.AsyncClient() as http:
            tokens = {}
            for who in ("honbu", "mentor1"):
                r = await http.post(
                    f"{a}/api/session/staff", json={"username": who, "password": "yorisoi-demo"}
                )
                assert r.status_code == 200, r.text
                tokens[who] = r.json()["token"]
            me = (await http.get(f"{b}/api/me", headers=bearer(tokens["mentor1"]))).json()
            mentor_id = me["account"]["mentor_id"]
            on_b = await _open(b, tokens["mentor1"])
            hq_on_b = await _open(b, tokens["honbu"])
            try:
                await on_b.send(type="ping")
                await on_b.expect("pong")
                r = await http.patch(
                    f"{a}/api/staff/mentors/{mentor_id}",
                    json={"active": False},
                    headers=bearer(tokens["honbu"]),
                )
                assert r.status_code == 200, r.text
                assert await closed_within(on_b, 2.0) == CLOSE_SIGNED_OUT
                await hq_on_b.send(type="ping")
                assert (await hq_on_b.expect("pong"))["type"] == "pong"
                r = await http.get(f"{b}/api/me", headers=bearer(tokens["mentor1"]))
                assert r.status_code == 401
                assert json.loads(r.text)["error"]["code"] == "not_signed_in"
            finally:
                await on_b.close()
                await hq_on_b.close()


async def test_join_is_refused_once_the_login_is_stopped(live: Live) -> None:
    """Even before any event or periodic check reaches the socket, a join looks again."""
    pair = await chat_pair(live)
    async with ws_client(live, pair.mentor) as mentor:
        async with live.ctx.db.write() as s:
            await s.execute(update(Staff).values(active=False))
        await mentor.send(type="join", consultation_id=pair.consultation_id)
        assert await closed_within(mentor, 2.0) == CLOSE_SIGNED_OUT
        assert not [f for f in mentor.seen if f.get("type") in ("joined", "message")]
