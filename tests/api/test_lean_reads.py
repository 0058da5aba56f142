"""Lean reads (app/db/lean.py): the same rows, values and types as the Session path, and a
connection lost under one is "not now" and never handed out again."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import func, literal, select

from app.actions import accounts, booking, take_reads
from app.actions.chat import check_access, do_send
from app.actions.context import Principal
from app.actions.events import message_event
from app.actions.pointers import pointed_messages
from app.db.failures import unavailable
from app.db.lean import Lean, SessionReader
from app.db.tables import Message
from app.security.tokens import token_hash
from tests.conftest import Env
from tests.helpers import (
    add_mentor,
    add_staff,
    bearer,
    jst,
    sign_up,
    staff_token,
    terminate_backend,
)


async def _both(env: Env, lean: Lean, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows read lean, after checking they equal the Session path's, value and type."""
    async with env.ctx.db.lean_read() as reader:
        lean_rows = await reader.rows(lean, params)
    async with env.ctx.db.read() as s:
        session_rows = [tuple(r) for r in await SessionReader(s).rows(lean, params)]
    assert lean_rows == session_rows
    for lean_row, session_row in zip(lean_rows, session_rows, strict=True):
        assert [type(v) for v in lean_row] == [type(v) for v in session_row]
    return lean_rows


async def test_lean_reads_equal_the_session_path(env: Env) -> None:
    sakura = await add_mentor(env.ctx, "さくら")
    kaede = await add_mentor(env.ctx, "かえで")
    token = await sign_up(env.http, "こぐま")
    r = await env.http.post(
        "/api/bookings",
        json={"mentor_id": sakura, "start": "2026-12-01T17:00:00+09:00"},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    r = await env.http.post("/api/chat-now", json={"mentor_id": kaede}, headers=bearer(token))
    assert r.status_code == 201, r.text
    client_id = (await env.http.get("/api/me", headers=bearer(token))).json()["account"]["id"]
    await add_staff(env.ctx, "kaede", "kaede-pass-1234", mentor_id=kaede)
    staff = await staff_token(env.http, "kaede", "kaede-pass-1234")
    secret = env.ctx.settings.secret_key

    for t in (token, staff):
        (row,) = await _both(env, *accounts.session_lookup([token_hash(t, secret)]))
        assert row[2].tzinfo is UTC  # created_at comes back aware, as UTCDateTime gives it
    hashes = [token_hash(token, secret), "0" * 64, token_hash(staff, secret)]
    both = {row[-1]: row for row in await _both(env, *accounts.session_lookup(hashes))}
    assert set(both) == {hashes[0], hashes[2]}  # one read for several; an unknown one: no row
    client_row = both[hashes[0]]
    assert client_row[1] == "client" and client_row[8] == "こぐま"
    assert both[hashes[2]][1] == "staff"
    assert await _both(env, *accounts.session_lookup(["0" * 64])) == []

    start, end = jst(2026, 12, 1, 17), jst(2026, 12, 1, 17, 30)
    params = take_reads._params([take_reads.TakeKey(client_id, sakura, start, end)])
    rows = await _both(env, take_reads.TAKE_VIEW, params)
    views = take_reads._params(
        [take_reads.TakeKey(c, sakura, start, end) for c in (client_id, client_id + 1000)]
    )
    assert sorted(await _both(env, take_reads.TAKE_VIEWS, views)) == sorted(rows)
    kinds = {kind: [r for r in rows if r[0] == kind] for kind in range(4)}
    (mentor_row,) = kinds[take_reads.MENTOR_ROW]
    assert mentor_row[8] is True and mentor_row[7] == "both"  # a boolean, not SQLite's 1
    holds = kinds[take_reads.HOLD_ROW]
    assert holds and {h[3] for h in holds} == {sakura}  # the booking's holds
    (shift,) = kinds[take_reads.SHIFT_ROW]
    assert shift[5].tzinfo is UTC and shift[6] > shift[5]  # her shift
    consultations = kinds[take_reads.CONSULTATION_ROW]
    assert sorted(c[7] for c in consultations) == ["booked", "open"]  # the IN lists' values
    assert all(c[5].tzinfo is UTC for c in consultations)
    # Inside the write transaction, after the locked mentor row: the same rows but hers.
    rest = await _both(env, take_reads._TAKE_REST, params)
    assert sorted(rest) == sorted(r for r in rows if r[0] != take_reads.MENTOR_ROW)
    own = await _both(env, booking._OWN, {"client_id": client_id})
    assert [(o[2], o[3]) for o in own] == [("かえで", "open"), ("さくら", "booked")]


async def test_a_parameter_left_out_is_an_error_not_a_null(env: Env) -> None:
    async with env.ctx.db.lean_read() as reader:
        with pytest.raises(KeyError):
            await reader.rows(booking._OWN, {})


async def _kill_the_next_connection(env: Env, db_url: str) -> None:
    """Terminate the backend of the pool's next connection out (the pool is LIFO)."""
    async with env.ctx.db.lean_read() as reader:
        (pid,) = await reader.first(_BACKEND, {}) or (None,)
    await terminate_backend(db_url, pid)


_BACKEND = Lean(select(func.pg_backend_pid()))


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_postgres_a_connection_lost_under_a_lean_read_is_busy_and_replaced(
    env: Env, db_url: str
) -> None:
    """A lean read goes around SQLAlchemy's execute: a connection that died in the pool is
    "not now" (a request gets 503 busy_try_again, not a bug) and is not handed out again."""
    token = await sign_up(env.http, "ねこ")
    await _kill_the_next_connection(env, db_url)
    with pytest.raises(ConnectionError) as info:
        async with env.ctx.db.lean_read() as reader:
            await reader.first(_BACKEND, {})
    assert unavailable(info.value)
    r = await env.http.get("/api/me", headers=bearer(token))  # the session lookup is lean
    assert r.status_code == 200, r.text
    await _kill_the_next_connection(env, db_url)
    r = await env.http.get("/api/me", headers=bearer(token))
    assert r.status_code == 503 and r.json()["error"]["code"] == "busy_try_again"
    r = await env.http.get("/api/me", headers=bearer(token))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_postgres_pointed_ranges_read_back_as_the_stored_messages(
    env: Env, db_url: str
) -> None:
    """The bridge's read-back (every range in one statement over arrays) gives exactly the
    events of the stored messages in those ranges, in order, and nothing outside them."""
    texts = {}
    for nickname in ("うさぎ", "きつね"):
        mentor = await add_mentor(env.ctx, f"m-{nickname}")
        token = await sign_up(env.http, nickname)
        r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
        cid = r.json()["consultation"]["id"]
        me = (await env.http.get("/api/me", headers=bearer(token))).json()["account"]
        client = Principal("client", me["id"], me["role"], me["display_name"], 0)
        access = await check_access(env.ctx, client, cid)
        for i in range(1, 6):
            await do_send(env.ctx, client, access, f"{nickname}{i}", f"{nickname} の {i}")
        texts[cid] = nickname
    first, second = sorted(texts)
    got = await pointed_messages(env.ctx, {second: (2, 3), first: (4, 9)})
    async with env.ctx.db.read() as s:
        stored = (
            await s.execute(select(Message).order_by(Message.consultation_id, Message.seq))
        ).scalars()
        expected = [
            message_event(env.ctx, m)
            for m in stored
            if (m.consultation_id, m.seq) in {(first, 4), (first, 5), (second, 2), (second, 3)}
        ]
    assert got == expected and len(got) == 4
    assert got[0]["sent_at"] == expected[0]["sent_at"]  # the same instant, the same zone
    assert await pointed_messages(env.ctx, {first: (6, 8)}) == []


async def test_a_lean_read_cancelled_mid_statement_leaves_the_pool_sound(env: Env) -> None:
    """A request cancelled while its read runs: the connection goes back to the pool and
    the next reads on it are answered as usual (asyncpg cancels the statement on the server;
    SQLite's thread finishes it before the connection's next one)."""
    counter = select(literal(1).label("x")).cte("counter", recursive=True)
    counter = counter.union_all(select(counter.c.x + 1).where(counter.c.x < 20_000_000))
    slow = Lean(select(func.count()).select_from(counter))

    async def read_slowly() -> None:
        async with env.ctx.db.lean_read() as reader:
            await reader.first(slow, {})

    task = asyncio.create_task(read_slowly())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    one = Lean(select(literal(1)))
    async with asyncio.timeout(60):
        for _ in range(3):  # the pool's most recent connection first (LIFO), then others
            async with env.ctx.db.lean_read() as reader:
                assert await reader.first(one, {}) == (1,)
    assert env.ctx.db.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
