"""Group commit: many senders at once, one transaction, dense seqs, duplicates isolated."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlmodel import col

from app.actions.chat import check_access, close_consultation, do_send
from app.actions.context import Principal
from app.actions.message_writer import Draft
from app.db.tables import Client, Consultation, Mentor, Message
from app.errors import Refusal
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, sign_up, terminate_backend


async def _open(env: Env, nickname: str) -> tuple[Principal, int]:
    mentor = await add_mentor(env.ctx, f"m-{nickname}")
    token = await sign_up(env.http, nickname)
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    me = (await env.http.get("/api/me", headers=bearer(token))).json()["account"]
    return Principal("client", me["id"], me["role"], me["display_name"], 0), r.json()[
        "consultation"
    ]["id"]


async def test_concurrent_sends_share_transactions_and_keep_every_guarantee(env: Env) -> None:
    (a, ca), (b, cb), (c, cc) = [await _open(env, n) for n in ("a", "b", "c")]
    acc_a, acc_b, acc_c = [
        await check_access(env.ctx, p, cid) for p, cid in ((a, ca), (b, cb), (c, cc))
    ]
    first = await do_send(env.ctx, a, acc_a, "dup", "first")
    await close_consultation(env.ctx, cc, reason="ended_by_client")
    jobs = [do_send(env.ctx, a, acc_a, f"a{i}", f"a{i}") for i in range(30)]
    jobs += [do_send(env.ctx, b, acc_b, f"b{i}", f"b{i}") for i in range(30)]
    jobs.insert(10, do_send(env.ctx, a, acc_a, "dup", "first"))  # a resend inside the burst
    jobs.insert(20, do_send(env.ctx, c, acc_c, "late", "too late"))  # into a closed one
    results = await asyncio.gather(*jobs, return_exceptions=True)
    refusals = [r for r in results if isinstance(r, Refusal)]
    assert [r.code for r in refusals] == ["consultation_closed"]
    duplicates = [m for m, dup in (r for r in results if not isinstance(r, BaseException)) if dup]
    assert [(m.seq, m.text) for m in duplicates] == [(first[0].seq, "first")]
    async with env.ctx.db.read() as s:
        rows = (
            (await s.execute(select(Message).order_by(Message.consultation_id, Message.seq)))
            .scalars()
            .all()
        )
    seqs_a = [m.seq for m in rows if m.consultation_id == ca]
    seqs_b = [m.seq for m in rows if m.consultation_id == cb]
    assert seqs_a == list(range(1, 32)) and seqs_b == list(range(1, 31))
    assert [m.text for m in rows if m.consultation_id == cb] == [f"b{i}" for i in range(30)]
    assert not [m for m in rows if m.consultation_id == cc]


async def test_a_message_into_a_booking_that_has_not_opened(env: Env) -> None:
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "まつ")
    r = await env.http.post(
        "/api/bookings",
        json={"mentor_id": mentor, "start": "2026-12-01T17:00:00+09:00"},
        headers=bearer(token),
    )
    me = (await env.http.get("/api/me", headers=bearer(token))).json()["account"]
    p = Principal("client", me["id"], me["role"], me["display_name"], 0)
    access = await check_access(env.ctx, p, r.json()["consultation"]["id"])
    with pytest.raises(Refusal) as info:
        await do_send(env.ctx, p, access, "x", "hello?")
    assert info.value.code == "not_open_yet"


@pytest.mark.parametrize("poison", ["x\ud800", "\udfff", "a\x00b", "あ" * 2001])
async def test_an_unstorable_message_in_a_batch_refuses_only_itself(env: Env, poison: str) -> None:
    """The input boundary refuses such text; past it (called directly here), a batch that
    cannot be stored is replayed one by one, so the other children's messages are kept.
    (On PostgreSQL a text over the column's 2,000 characters fails the one-statement batch
    too: its arrays are plain text, so no cast truncates it.)"""
    (a, ca), (b, cb) = [await _open(env, n) for n in ("a", "b")]
    acc_a, acc_b = [await check_access(env.ctx, p, cid) for p, cid in ((a, ca), (b, cb))]
    jobs = [do_send(env.ctx, b, acc_b, f"b{i}", f"b{i}") for i in range(27)]
    poisoned = Message(
        consultation_id=ca,
        seq=0,
        sender_role="client",
        sender_id=a.id,
        sender_name="a",
        client_msg_id="poison",
        text=poison,
        created_at=env.ctx.now(),
    )
    jobs.insert(3, env.ctx.messages.store(poisoned))
    results = await asyncio.gather(*jobs, return_exceptions=True)
    poison_result = results.pop(3)
    async with env.ctx.db.read() as s:
        rows = (await s.execute(select(Message).order_by(Message.seq))).scalars().all()
    assert [m.text for m in rows if m.consultation_id == cb] == [f"b{i}" for i in range(27)]
    assert all(not isinstance(r, BaseException) and not r[1] for r in results), results
    stored = [m.text for m in rows if m.consultation_id == ca]
    if isinstance(poison_result, Refusal):
        assert (poison_result.code, poison_result.field) == ("invalid_input", "text")
        assert stored == []
    else:  # SQLite stores a NUL (and any length) as it is: then it must come back unchanged
        assert env.ctx.db.is_sqlite and stored == [poison]
        assert "\x00" in poison or len(poison) > 2000


async def test_a_mentor_handed_over_meanwhile_is_refused_by_the_write_itself(env: Env) -> None:
    """A mentor's socket keeps the access it joined with; a consultation handed to another
    mentor before the socket hears of it refuses the old mentor's message (not_joined) in
    the seq reservation itself, even inside a batch, and the client's messages go on."""
    _child, cid = await _open(env, "h")
    client = _child
    async with env.ctx.db.read() as s:
        old_mentor = (await s.get(Consultation, cid)).mentor_id  # type: ignore[union-attr]
    new_mentor = await add_mentor(env.ctx, "n-h")
    staff = await add_staff(env.ctx, "old-h", "pass-h-123456", mentor_id=old_mentor)
    mentor = Principal("staff", staff, "mentor", "old-h", 0, mentor_id=old_mentor)
    stale = await check_access(env.ctx, mentor, cid)
    await do_send(env.ctx, mentor, stale, "m0", "before")
    async with env.ctx.db.write() as s:
        await s.execute(
            update(Consultation).where(col(Consultation.id) == cid).values(mentor_id=new_mentor)
        )
    acc_client = await check_access(env.ctx, client, cid)
    jobs = [do_send(env.ctx, client, acc_client, f"c{i}", f"c{i}") for i in range(5)]
    jobs.insert(2, do_send(env.ctx, mentor, stale, "m1", "after"))
    jobs.insert(4, do_send(env.ctx, mentor, stale, "m0", "before"))  # a resend: refused too
    results = await asyncio.gather(*jobs, return_exceptions=True)
    refused = [r.code for r in results if isinstance(r, Refusal)]
    assert refused == ["not_joined", "not_joined"]
    async with env.ctx.db.read() as s:
        rows = (
            (await s.execute(select(Message).where(col(Message.consultation_id) == cid)))
            .scalars()
            .all()
        )
    assert sorted((m.seq, m.text) for m in rows) == [(1, "before")] + [
        (i + 2, f"c{i}") for i in range(5)
    ]
    # Alone with other consultations' messages (one shared seq reservation): refused too.
    other, other_cid = await _open(env, "h2")
    acc_other = await check_access(env.ctx, other, other_cid)
    jobs = [do_send(env.ctx, other, acc_other, f"o{i}", f"o{i}") for i in range(3)]
    jobs.insert(1, do_send(env.ctx, mentor, stale, "m2", "still here?"))
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert [r.code for r in results if isinstance(r, Refusal)] == ["not_joined"]
    assert [m.seq for m, _dup in (r for r in results if not isinstance(r, BaseException))] == [
        1,
        2,
        3,
    ]


async def _store_again_one_by_one(env: Env, batched: Any) -> tuple[Any, bool]:
    """The same sender, time and columns as a batched message, stored by the portable path."""
    portable = Draft(
        consultation_id=batched.consultation_id,
        seq=0,
        sender_role=batched.sender_role,
        sender_id=batched.sender_id,
        sender_name=batched.sender_name,
        client_msg_id="p1",
        text="ひとつずつ",
        created_at=batched.created_at,
        card_id=None,
    )
    return await env.ctx.messages._store_one(portable)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sqlite_one_trip_batch_stores_exactly_what_the_portable_path_stores(
    env: Env, db_url: str
) -> None:
    """app/actions/sqlite_batch.py binds through the same column types: the same text in
    every column (timestamps included) as a message stored through SQLAlchemy."""
    p, cid = await _open(env, "とり")
    access = await check_access(env.ctx, p, cid)
    batched, _ = await do_send(env.ctx, p, access, "b1", "バッチ")
    stored, duplicate = await _store_again_one_by_one(env, batched)
    assert (batched.seq, stored.seq, duplicate) == (1, 2, False)
    with sqlite3.connect(db_url.removeprefix("sqlite+aiosqlite:///")) as raw:
        rows = raw.execute(
            "SELECT seq, sender_role, sender_id, sender_name, created_at, typeof(created_at),"
            " card_id FROM message WHERE consultation_id = ? ORDER BY seq",
            (cid,),
        ).fetchall()
    assert rows[0][1:] == rows[1][1:]
    assert rows[0][4] == batched.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def _mentor_of(env: Env, cid: int, username: str) -> tuple[Principal, int]:
    """A staff sign-in for the consultation's current mentor."""
    async with env.ctx.db.read() as s:
        mentor_id = (await s.get(Consultation, cid)).mentor_id  # type: ignore[union-attr]
    assert mentor_id is not None
    staff = await add_staff(env.ctx, username, f"pass-{username}-123456", mentor_id=mentor_id)
    return Principal("staff", staff, "mentor", username, 0, mentor_id=mentor_id), mentor_id


async def _stored(env: Env, cid: int) -> list[tuple[int, str]]:
    async with env.ctx.db.read() as s:
        rows = (
            (await s.execute(select(Message).where(col(Message.consultation_id) == cid)))
            .scalars()
            .all()
        )
    return sorted((m.seq, m.text) for m in rows)


async def test_a_client_and_its_mentor_in_one_batch_get_dense_seqs(env: Env) -> None:
    """One consultation, both sides at once (the mentor's messages guarded, the client's
    not): one reservation for both on PostgreSQL (pg_batch.plan), two on SQLite; either way
    every message stored once, seqs dense, each side's in the order sent."""
    client, cid = await _open(env, "both")
    mentor, _ = await _mentor_of(env, cid, "both-m")
    acc_client = await check_access(env.ctx, client, cid)
    acc_mentor = await check_access(env.ctx, mentor, cid)
    jobs = []
    for i in range(12):
        jobs.append(do_send(env.ctx, client, acc_client, f"c{i}", f"c{i}"))
        jobs.append(do_send(env.ctx, mentor, acc_mentor, f"m{i}", f"m{i}"))
    results = await asyncio.gather(*jobs)
    assert all(not dup for _m, dup in results)
    stored = await _stored(env, cid)
    assert [seq for seq, _t in stored] == list(range(1, 25))
    texts = [t for _s, t in stored]
    assert [t for t in texts if t[0] == "c"] == [f"c{i}" for i in range(12)]
    assert [t for t in texts if t[0] == "m"] == [f"m{i}" for i in range(12)]
    assert sorted(m.seq for m, _d in results) == list(range(1, 25))


async def test_two_mentors_guarding_one_consultation_in_one_batch(env: Env) -> None:
    """A handover racing the old mentor's last message: the same batch holds the old
    mentor's (refused: not_joined), the new mentor's and the client's (stored). PostgreSQL's
    one statement cannot reserve under two guards at once: that batch takes the portable
    path, with the same outcome (and another consultation's message in the batch with it:
    that path too locks the batch's consultations in id order)."""
    other, other_cid = await _open(env, "two-other")
    acc_other = await check_access(env.ctx, other, other_cid)
    client, cid = await _open(env, "two")
    old, _ = await _mentor_of(env, cid, "two-old")
    stale = await check_access(env.ctx, old, cid)
    new_mentor = await add_mentor(env.ctx, "n-two")
    async with env.ctx.db.write() as s:
        await s.execute(
            update(Consultation).where(col(Consultation.id) == cid).values(mentor_id=new_mentor)
        )
    staff = await add_staff(env.ctx, "two-new", "pass-two-new-123456", mentor_id=new_mentor)
    new = Principal("staff", staff, "mentor", "two-new", 0, mentor_id=new_mentor)
    acc_new = await check_access(env.ctx, new, cid)
    acc_client = await check_access(env.ctx, client, cid)
    results = await asyncio.gather(
        do_send(env.ctx, client, acc_client, "c0", "c0"),
        do_send(env.ctx, old, stale, "o0", "old"),
        do_send(env.ctx, new, acc_new, "n0", "new"),
        do_send(env.ctx, client, acc_client, "c1", "c1"),
        do_send(env.ctx, other, acc_other, "x0", "other"),
        return_exceptions=True,
    )
    assert [r.code if isinstance(r, Refusal) else "ok" for r in results] == [
        "ok",
        "not_joined",
        "ok",
        "ok",
        "ok",
    ]
    assert sorted(t for _s, t in await _stored(env, cid)) == ["c0", "c1", "new"]
    assert [s for s, _t in await _stored(env, cid)] == [1, 2, 3]
    assert await _stored(env, other_cid) == [(1, "other")]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_postgres_one_statement_batch_stores_exactly_what_the_portable_path_stores(
    env: Env,
) -> None:
    """app/actions/pg_batch.py: one statement, nothing through SQLAlchemy's INSERT, and the
    same value in every column (the timestamp to the microsecond) as the portable path."""
    client, cid = await _open(env, "pg")
    access = await check_access(env.ctx, client, cid)
    seen: list[str] = []

    def statement(_conn, _cursor, sql: str, *_rest) -> None:  # type: ignore[no-untyped-def]
        seen.append(sql)

    engine = env.ctx.db.writer_engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        batched, _ = await do_send(env.ctx, client, access, "b1", "バッチ")
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert not [sql for sql in seen if "INSERT INTO message" in sql], seen
    stored, _dup = await _store_again_one_by_one(env, batched)
    assert (batched.seq, stored.seq) == (1, 2)
    async with env.ctx.db.read() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT seq, sender_role, sender_id, sender_name, created_at::text, card_id"
                    " FROM message WHERE consultation_id = :c ORDER BY seq"
                ),
                {"c": cid},
            )
        ).all()
    assert rows[0][1:] == rows[1][1:]
    assert rows[0][4].startswith(batched.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_postgres_a_connection_lost_under_the_batch_is_busy_and_replaced(
    env: Env, db_url: str
) -> None:
    """The one statement goes around SQLAlchemy's execute: a connection that died in the pool
    still makes the sender's answer busy_try_again (503, not a bug), and is not handed out
    again (the resend is stored, once)."""
    client, cid = await _open(env, "lost")
    access = await check_access(env.ctx, client, cid)
    engine = env.ctx.db.writer_engine
    async with engine.connect() as conn:  # back on top of the pool: the writer's next one
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await terminate_backend(db_url, pid)
    with pytest.raises(Refusal) as info:
        await do_send(env.ctx, client, access, "x1", "きえた？")
    assert info.value.code == "busy_try_again"
    stored, _dup = await do_send(env.ctx, client, access, "x1", "きえた？")
    assert stored.seq == 1
    assert await _stored(env, cid) == [(1, "きえた？")]


ROUNDS = 6


async def _open_many(env: Env, n: int) -> list[int]:
    """n open consultations, each with a client and a mentor of its own, written directly
    (more than the lines the API would open at once)."""
    now = env.ctx.now()
    async with env.ctx.db.write() as s:
        clients = [
            Client(
                nickname=f"dl{i}",
                nickname_key=f"dl{i}",
                secret_hash="!",
                audience="child",
                created_at=now,
            )
            for i in range(n)
        ]
        mentors = [
            Mentor(
                display_name=f"dl{i}",
                kind="psychologist",
                audience="both",
                profile_ja="",
                profile_en="",
                active=True,
                created_at=now,
            )
            for i in range(n)
        ]
        s.add_all(clients + mentors)
        await s.flush()
        rows = [
            Consultation(
                client_id=c.id,
                mentor_id=m.id,
                mode="walk_in",
                status="open",
                starts_at=now,
                ends_at=now,
                created_at=now,
                opened_at=now,
                last_seq=0,
                at_risk=False,
            )
            for c, m in zip(clients, mentors, strict=True)
        ]
        s.add_all(rows)
        await s.flush()
        return [row.id for row in rows if row.id is not None]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_postgres_two_processes_batches_never_deadlock(env: Env) -> None:
    """Two processes' writers store a batch each for the same consultations at the same
    moment, in opposite orders (a client's messages on one process, the mentor's on the
    other): each may wait for the other's row locks, never in a cycle. Locked in the order of
    each batch, 8 rounds of 10 deadlocked; PostgreSQL took a second to find each, and the
    refused batch was replayed message by message."""
    import asyncpg

    from app.actions import pg_batch
    from app.actions.message_rows import COLUMNS
    from app.realtime.pg import asyncpg_dsn

    cids = await _open_many(env, 300)
    now = env.ctx.now()
    fixed = {"seq": 0, "sender_role": "client", "sender_id": 1, "sender_name": "x", "text": "t"}

    def arguments(order: list[int], tag: str) -> list[Any]:
        batch: list[Any] = []
        for cid in order:
            values = {**fixed, "consultation_id": cid, "created_at": now, "card_id": None}
            rows = [
                [{**values, "client_msg_id": f"{tag}{cid}-{k}"}[c] for c in COLUMNS]
                for k in range(3)
            ]
            batch.append(((cid, None), rows))
        planned = pg_batch.plan(batch)
        assert planned is not None
        return pg_batch._arguments(planned, batch)  # noqa: SLF001

    async def process() -> asyncpg.Connection:
        """Planning row by row in the order given, as PostgreSQL does for a few consultations
        in a large table (a pass over this test's small table would lock in its own order)."""
        conn = await asyncpg.connect(asyncpg_dsn(env.ctx.db.url))
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            await conn.execute(f"SET {setting} = off")
        return conn

    one, other = await process(), await process()
    try:
        for round_no in range(ROUNDS):
            outcomes = await asyncio.gather(
                one.fetch(pg_batch.STATEMENT, *arguments(cids, f"a{round_no}-")),
                other.fetch(pg_batch.STATEMENT, *arguments(cids[::-1], f"b{round_no}-")),
                return_exceptions=True,
            )
            failed = [o for o in outcomes if isinstance(o, BaseException)]
            assert not failed, (round_no, failed)
            assert [len(rows) for rows in outcomes] == [300, 300]  # type: ignore[arg-type]
    finally:
        await one.close()
        await other.close()
    for cid in (cids[0], cids[-1]):
        seqs = await _stored(env, cid)
        assert [seq for seq, _text in seqs] == list(range(1, ROUNDS * 2 * 3 + 1))
