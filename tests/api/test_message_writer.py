"""Group commit: many senders at once, one transaction, dense seqs, duplicates isolated."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from app.actions.chat import check_access, close_consultation, do_send
from app.actions.context import Principal
from app.actions.message_writer import Draft
from app.db.tables import Consultation, Message
from app.errors import Refusal
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, sign_up


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


@pytest.mark.parametrize("poison", ["x\ud800", "\udfff", "a\x00b"])
async def test_an_unstorable_message_in_a_batch_refuses_only_itself(env: Env, poison: str) -> None:
    """The input boundary refuses such text; past it (called directly here), a batch that
    cannot be stored is replayed one by one, so the other children's messages are kept."""
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
    else:  # SQLite stores a NUL as it is: then it must come back unchanged
        assert "\x00" in poison and env.ctx.db.is_sqlite and stored == [poison]


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


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sqlite_one_trip_batch_stores_exactly_what_the_portable_path_stores(
    env: Env, db_url: str
) -> None:
    """app/actions/sqlite_batch.py binds through the same column types: the same text in
    every column (timestamps included) as a message stored through SQLAlchemy."""
    p, cid = await _open(env, "とり")
    access = await check_access(env.ctx, p, cid)
    batched, _ = await do_send(env.ctx, p, access, "b1", "バッチ")
    writer = env.ctx.messages
    portable = Draft(
        consultation_id=cid,
        seq=0,
        sender_role="client",
        sender_id=p.id,
        sender_name=batched.sender_name,
        client_msg_id="p1",
        text="ひとつずつ",
        created_at=batched.created_at,
        card_id=None,
    )
    stored, duplicate = await writer._store_one(portable)
    assert (batched.seq, stored.seq, duplicate) == (1, 2, False)
    with sqlite3.connect(db_url.removeprefix("sqlite+aiosqlite:///")) as raw:
        rows = raw.execute(
            "SELECT seq, sender_role, sender_id, sender_name, created_at, typeof(created_at),"
            " card_id FROM message WHERE consultation_id = ? ORDER BY seq",
            (cid,),
        ).fetchall()
    assert rows[0][1:] == rows[1][1:]
    assert rows[0][4] == batched.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
