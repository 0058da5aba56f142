"""The waiting line at the action level, on SQLite and PostgreSQL, with a moved clock.

4 lines busy and 6 clients waiting: as consultations end, the line is offered strictly in
order, positions are published as they move, nobody is skipped or served twice, the
capacity is never exceeded, a client who left is never offered, an offer not joined moves
on, the first message written while waiting is seq 1, and the cutoff closes the line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from app.actions import Principal
from app.actions.accounts import principal_for_token
from app.actions.booking import do_chat_now, my_consultations
from app.actions.chat import check_access, do_end, do_join, do_send, messages_after
from app.actions.lifecycle import sweep
from app.actions.queue import (
    do_join_queue,
    do_leave_queue,
    my_place,
    promote,
    staff_queue,
)
from app.clock import ManualClock
from app.db.tables import Consultation, LineHold, QueueEntry
from app.errors import Refusal
from app.realtime.hub import SUPERVISORS, topic_client
from tests.actions.capture import Captured
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, jst, sign_up, staff_token

Capture = Callable[..., AbstractContextManager[Captured]]
LINES = 4


async def principal(env: Env, token: str) -> Principal:
    p = await principal_for_token(env.ctx, token)
    assert p is not None
    return p


async def busy_lines(env: Env, mentors: int = 8) -> tuple[list[int], list[Principal], list[int]]:
    """Every line taken by a walk-in: (mentor ids, the talking clients, their consultations)."""
    ids = [await add_mentor(env.ctx, f"m{i}") for i in range(mentors)]
    talkers, cids = [], []
    for i in range(LINES):
        p = await principal(env, await sign_up(env.http, f"talk{i}"))
        c = await do_chat_now(env.ctx, p, mentor_id=ids[i])
        assert c.id is not None
        talkers.append(p)
        cids.append(c.id)
    late = await principal(env, await sign_up(env.http, "おそい"))
    with pytest.raises(Refusal) as full:
        await do_chat_now(env.ctx, late, kind="psychologist")
    assert full.value.code == "no_free_line"
    return ids, talkers, cids


async def max_lines_held(env: Env) -> int:
    async with env.ctx.db.read() as s:
        rows = (await s.execute(select(LineHold.tick, func.count()).group_by(LineHold.tick))).all()
    return max((n for _t, n in rows), default=0)


async def offered_order(env: Env) -> list[int]:
    async with env.ctx.db.read() as s:
        rows = await s.execute(
            select(col(QueueEntry.client_id))
            .where(col(QueueEntry.offered_at).is_not(None))
            .order_by(col(QueueEntry.offered_at), col(QueueEntry.id))
        )
        return list(rows.scalars())


def positions(events: Captured) -> dict[int, int | None]:
    """The last position each client was told, by client id."""
    seen: dict[int, int | None] = {}
    for p in events.of("queue"):
        (topic,) = p.topics
        seen[int(topic.split(":")[1])] = p.event["position"]
    return seen


async def test_six_wait_for_four_lines_in_strict_order(
    env: Env, clock: ManualClock, capture_events: Capture
) -> None:
    _mentors, talkers, cids = await busy_lines(env)
    waiters = []
    with capture_events(env.ctx) as joined:
        for i in range(6):
            p = await principal(env, await sign_up(env.http, f"wait{i}"))
            message = "しゅくだいのことで…" if i == 3 else None
            place = await do_join_queue(env.ctx, p, message=message)
            assert place.entry.state == "waiting" and place.position == i + 1
            waiters.append(p)
            clock.advance(seconds=1)
    # each newcomer is told their place; headquarters a summary each time
    assert positions(joined) == {w.id: i + 1 for i, w in enumerate(waiters)}
    assert joined.of("queue_changed")[-1].event["waiting"] == 6
    assert all(p.topics == [SUPERVISORS] for p in joined.of("queue_changed"))
    first = await my_place(env.ctx, waiters[0])
    assert first is not None and first.estimated_wait_minutes == 30  # the lines end at 16:30
    places, lines = await staff_queue(env.ctx, await hq(env))
    assert lines == LINES and [p.entry.client_id for p in places] == [w.id for w in waiters]

    # the third leaves; everyone behind moves up at once
    with capture_events(env.ctx) as moved:
        await do_leave_queue(env.ctx, waiters[2])
    assert positions(moved) == {
        waiters[2].id: None,
        waiters[3].id: 3,
        waiters[4].id: 4,
        waiters[5].id: 5,
    }
    assert [
        p.event["state"] for p in moved.of("queue") if p.topics == [topic_client(waiters[2].id)]
    ] == ["left"]

    # a consultation ends: the first in line is offered its line, nothing else to call
    talker_access = await check_access(env.ctx, talkers[0], cids[0])
    with capture_events(env.ctx) as freed:
        await do_end(env.ctx, talkers[0], talker_access)
    opened = [p for p in freed.of("consultation") if p.event["event"] == "opened"]
    assert len(opened) == 1 and topic_client(waiters[0].id) in opened[0].topics
    assert opened[0].event["mode"] == "walk_in" and opened[0].event["status"] == "open"
    assert positions(freed) == {
        waiters[0].id: None,
        waiters[1].id: 1,
        waiters[3].id: 2,
        waiters[4].id: 3,
        waiters[5].id: 4,
    }
    offer = [p.event for p in freed.of("queue") if p.event["state"] == "offered"]
    assert offer[0]["consultation_id"] == opened[0].event["consultation_id"]
    listed = await my_consultations(env.ctx, waiters[0])
    assert [(c.id, c.mode, c.status) for c, _m in listed] == [
        (offer[0]["consultation_id"], "walk_in", "open")
    ]
    assert await max_lines_held(env) <= LINES
    # the offered client joins it: served
    await do_join(env.ctx, waiters[0], offer[0]["consultation_id"])
    await sweep(env.ctx)
    assert await my_place(env.ctx, waiters[0]) is None

    # the next offer is not taken in time: released, counted, and the next is offered
    access = await check_access(env.ctx, talkers[1], cids[1])
    await do_end(env.ctx, talkers[1], access)
    assert await offered_order(env) == [waiters[0].id, waiters[1].id]
    clock.advance(seconds=env.ctx.settings.queue_offer_seconds - 1)
    assert (await sweep(env.ctx))["queue_expired"] == 0
    clock.advance(seconds=1)
    with capture_events(env.ctx) as expiry:
        done = await sweep(env.ctx)
    assert done["queue_expired"] == 1 and done["queue_offered"] == 1
    closed = [p.event for p in expiry.of("consultation") if p.event["event"] == "closed"]
    assert closed[0]["reason"] == "offer_expired"
    assert await offered_order(env) == [waiters[0].id, waiters[1].id, waiters[3].id]
    assert await max_lines_held(env) <= LINES

    # the first message written while waiting arrived as seq 1; the client goes on at seq 2
    entry4 = await my_place(env.ctx, waiters[3])
    assert entry4 is not None and entry4.entry.state == "offered"
    cid4 = entry4.entry.consultation_id
    assert cid4 is not None
    access4 = await do_join(env.ctx, waiters[3], cid4)
    stored = await messages_after(env.ctx, cid4, 0)
    assert [(m.seq, m.text, m.sender_role) for m in stored] == [
        (1, "しゅくだいのことで…", "client")
    ]
    message, _dup = await do_send(env.ctx, waiters[3], access4, "next", "きこえる？")
    assert message.seq == 2
    async with env.ctx.db.read() as s:
        kept = await s.get(QueueEntry, entry4.entry.id)
    assert kept is not None and kept.first_message is None  # the words live on only as seq 1

    # the other two lines end: the last two in line, in order; nobody twice, nobody who left
    for talker, cid in zip(talkers[2:], cids[2:], strict=True):
        await do_end(env.ctx, talker, await check_access(env.ctx, talker, cid))
    order = await offered_order(env)
    assert order == [waiters[i].id for i in (0, 1, 3, 4, 5)]
    assert waiters[2].id not in order and len(set(order)) == len(order)
    assert await max_lines_held(env) <= LINES


async def hq(env: Env) -> Principal:
    await add_staff(env.ctx, "honbu", "honbu-pass-123", role="supervisor")
    return await principal(env, await staff_token(env.http, "honbu", "honbu-pass-123"))


async def test_concurrent_promoters_never_exceed_or_double(env: Env, clock: ManualClock) -> None:
    """Several promoters at once (as two processes would run them): every offer goes in
    order, once, within the capacity."""
    _mentors, _talkers, cids = await busy_lines(env)
    waiters = []
    for i in range(6):
        p = await principal(env, await sign_up(env.http, f"wait{i}"))
        await do_join_queue(env.ctx, p)
        waiters.append(p)
        clock.advance(seconds=1)
    # free three lines behind the promoters' backs, then let four promoters race
    async with env.ctx.db.write() as s:
        await s.execute(LineHold.__table__.delete().where(LineHold.consultation_id.in_(cids[:3])))  # type: ignore[attr-defined]
        await s.execute(
            Consultation.__table__.update()  # type: ignore[attr-defined]
            .where(Consultation.id.in_(cids[:3]))  # type: ignore[union-attr]
            .values(status="closed", closed_at=clock.now(), close_reason="time_up")
        )
    results = await asyncio.gather(*(promote(env.ctx) for _ in range(4)))
    assert sum(results) == 3
    assert await offered_order(env) == [w.id for w in waiters[:3]]
    assert await max_lines_held(env) <= LINES
    async with env.ctx.db.read() as s:
        per_client = (
            await s.execute(
                select(Consultation.client_id, func.count())
                .where(Consultation.status == "open")  # type: ignore[arg-type]
                .group_by(Consultation.client_id)
            )
        ).all()
    assert max(n for _c, n in per_client) == 1


async def test_waiting_for_one_mentor_lets_others_pass(env: Env, clock: ManualClock) -> None:
    """The first eligible is offered: a client waiting for a busy mentor keeps their place
    while someone waiting for anyone takes the free line of another mentor."""
    mentors, talkers, cids = await busy_lines(env)
    loyal = await principal(env, await sign_up(env.http, "まってる"))
    anyone = await principal(env, await sign_up(env.http, "だれでも"))
    place = await do_join_queue(env.ctx, loyal, mentor_id=mentors[1])  # busy with talkers[1]
    assert place.position == 1
    clock.advance(seconds=1)
    await do_join_queue(env.ctx, anyone, kind="psychologist")
    await do_end(env.ctx, talkers[0], await check_access(env.ctx, talkers[0], cids[0]))
    assert await offered_order(env) == [anyone.id]
    still = await my_place(env.ctx, loyal)
    assert still is not None and still.position == 1 and still.entry.state == "waiting"
    await do_end(env.ctx, talkers[1], await check_access(env.ctx, talkers[1], cids[1]))
    got = await my_place(env.ctx, loyal)
    assert got is not None and got.entry.state == "offered"
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, got.entry.consultation_id)
    assert c is not None and c.mentor_id == mentors[1]


async def test_the_cutoff_closes_the_line_kindly(
    env: Env, clock: ManualClock, capture_events: Capture
) -> None:
    clock.set(jst(2026, 12, 1, 21, 20))
    await busy_lines(env)
    waiter = await principal(env, await sign_up(env.http, "よるのこ"))
    await do_join_queue(env.ctx, waiter)
    clock.set(jst(2026, 12, 1, 21, 30, 0))
    assert (await sweep(env.ctx))["queue_closed"] == 0  # 21:30:00 is still in
    clock.advance(seconds=1)
    with capture_events(env.ctx) as events:
        assert (await sweep(env.ctx))["queue_closed"] == 1
    (told,) = [p.event for p in events.of("queue")]
    assert told["state"] == "closed" and told["next_open"] == "2026-12-02T15:00:00+09:00"
    assert await my_place(env.ctx, waiter) is None
    other = await principal(env, await sign_up(env.http, "おそすぎ"))
    with pytest.raises(Refusal) as refused:
        await do_join_queue(env.ctx, other)
    assert refused.value.code == "outside_hours"


async def test_joining_is_refused_as_chat_now_would_be(env: Env, clock: ManualClock) -> None:
    mentors, talkers, _cids = await busy_lines(env)
    # already talking
    with pytest.raises(Refusal) as busy:
        await do_join_queue(env.ctx, talkers[0])
    assert busy.value.code == "client_busy"
    waiter = await principal(env, await sign_up(env.http, "ひとり"))
    await do_join_queue(env.ctx, waiter)
    with pytest.raises(Refusal) as twice:
        await do_join_queue(env.ctx, waiter, kind="nurse")
    assert twice.value.code in {"already_waiting", "not_found"}
    with pytest.raises(Refusal) as again:
        await do_join_queue(env.ctx, waiter)
    assert again.value.code == "already_waiting"
    off = await add_mentor(env.ctx, "よる", days=[])  # never on shift
    other = await principal(env, await sign_up(env.http, "ふたり"))
    with pytest.raises(Refusal) as off_shift:
        await do_join_queue(env.ctx, other, mentor_id=off)
    assert off_shift.value.code == "mentor_off_shift"
    with pytest.raises(Refusal) as both:
        await do_join_queue(env.ctx, other, mentor_id=mentors[0], kind="nurse")
    assert both.value.code == "invalid_input"
    clock.advance(minutes=1)
    left = await do_leave_queue(env.ctx, waiter)
    assert left.entry.state == "left"
    with pytest.raises(Refusal) as gone:
        await do_leave_queue(env.ctx, waiter)
    assert gone.value.code == "not_waiting"
    rejoined = await do_join_queue(env.ctx, waiter)  # a new place, at the end
    assert rejoined.position == 1 and rejoined.entry.joined_at == clock.now()


async def test_declining_an_offer_frees_it_for_the_next(env: Env, clock: ManualClock) -> None:
    _mentors, talkers, cids = await busy_lines(env)
    first = await principal(env, await sign_up(env.http, "いちばん"))
    second = await principal(env, await sign_up(env.http, "にばん"))
    await do_join_queue(env.ctx, first)
    clock.advance(seconds=1)
    await do_join_queue(env.ctx, second)
    await do_end(env.ctx, talkers[0], await check_access(env.ctx, talkers[0], cids[0]))
    offered = await my_place(env.ctx, first)
    assert offered is not None and offered.entry.state == "offered"
    await do_leave_queue(env.ctx, first)
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, offered.entry.consultation_id)
    assert c is not None and c.status == "closed" and c.close_reason == "offer_declined"
    nxt = await my_place(env.ctx, second)
    assert nxt is not None and nxt.entry.state == "offered"
    assert await offered_order(env) == [first.id, second.id]
