"""The take path's reads and its per-mentor turns, on SQLite and PostgreSQL.

`load_take_view` must see exactly what `load_occupancy` + `load_care` see for one mentor,
plus the client's own booking numbers and open chat; and a rush at one mentor inside one
process must reach the writer once, the others being refused on a re-read.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from app.actions import booking
from app.actions.accounts import principal_for_token
from app.actions.booking import do_book, do_chat_now
from app.actions.occupancy import load_occupancy
from app.actions.take_reads import CLIENTS_PER_READ, TakeKey, load_take_view, load_take_views
from app.db.lean import Lean, Reader, SessionReader
from app.db.tables import Consultation, Mentor, ServiceSetting, Shift
from app.errors import Refusal
from app.rules.capacity import ticks_between
from tests.conftest import Env
from tests.helpers import add_mentor, jst, sign_up


async def _principal(env: Env, nickname: str):  # type: ignore[no-untyped-def]
    p = await principal_for_token(env.ctx, await sign_up(env.http, nickname))
    assert p is not None
    return p


async def test_take_view_sees_what_occupancy_and_care_see(env: Env) -> None:
    env.clock.set(jst(2026, 12, 1, 16, 0))
    mentor = await add_mentor(env.ctx, "さくら")
    other = await add_mentor(env.ctx, "ひまわり")
    me = await _principal(env, "わたし")
    someone = await _principal(env, "だれか")
    await do_book(env.ctx, me, mentor_id=mentor, start=jst(2026, 12, 1, 18, 0).isoformat())
    await do_book(env.ctx, me, mentor_id=other, start=jst(2026, 12, 2, 18, 0).isoformat())
    await do_book(env.ctx, someone, mentor_id=mentor, start=jst(2026, 12, 1, 17, 0).isoformat())
    await do_chat_now(env.ctx, someone, mentor_id=other)
    rest = jst(2026, 12, 1, 16, 20)
    async with env.ctx.db.write() as s:
        await s.execute(
            update(Mentor)
            .where(col(Mentor.id) == mentor)
            .values(max_per_day=7, max_per_shift=5, resting_until=rest)
        )
        s.add(ServiceSetting(key="lines", value=3, updated_at=env.ctx.now()))
    start, end = jst(2026, 12, 1, 17, 0), jst(2026, 12, 1, 17, 40)
    async with env.ctx.db.read() as s:
        occ = await load_occupancy(s, start=start, end=end, lines=9, mentor_ids=[mentor])
        view = await load_take_view(
            SessionReader(s), client_id=me.id, mentor_id=mentor, start=start, end=end, lines=9
        )
        nos = (
            await s.execute(
                select(col(Consultation.booking_no)).where(
                    col(Consultation.client_id) == me.id, col(Consultation.status) == "booked"
                )
            )
        ).scalars()
        expected_nos = sorted(n for n in nos if n is not None)
    async with env.ctx.db.lean_read() as reader:  # the early check's reads: the same view
        lean = await load_take_view(
            reader, client_id=me.id, mentor_id=mentor, start=start, end=end, lines=9
        )
    assert lean == view
    got = view.occ
    assert view.mentor is not None and view.mentor.active and view.mentor.audience == "both"
    assert got.lines == occ.lines == 3
    assert dict(got.line_use) == dict(occ.line_use) and got.line_use
    assert dict(got.mentor_ticks) == dict(occ.mentor_ticks)
    assert dict(got.client_ticks) == dict(occ.client_ticks)
    assert dict(got.shifts) == dict(occ.shifts) and got.shifts[mentor]
    assert got.limits == {mentor: (7, 5)} and occ.limits[mentor] == (7, 5)
    assert got.resting == {mentor: rest} == occ.resting
    assert sorted(got.starts[mentor]) == sorted(occ.starts[mentor]) and len(got.starts[mentor]) == 2
    assert sorted(view.booking_nos) == expected_nos == [1, 2]
    assert view.client_open is False
    async with env.ctx.db.lean_read() as reader:
        theirs = await load_take_view(
            reader, client_id=someone.id, mentor_id=other, start=start, end=end, lines=9
        )
        missing = await load_take_view(
            reader, client_id=me.id, mentor_id=mentor + other + 100, start=start, end=end, lines=9
        )
    assert theirs.client_open is True and theirs.booking_nos == [1]
    assert missing.mentor is None


def _count_takes(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """booking._take counted: one entry per call (a take that reached the writer)."""
    calls: list[None] = []
    real_take = booking._take

    async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(None)
        return await real_take(*args, **kwargs)

    monkeypatch.setattr(booking, "_take", counted)
    return calls


async def test_a_rush_at_one_mentor_reaches_the_writer_once(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.clock.set(jst(2026, 12, 1, 16, 0))
    mentor = await add_mentor(env.ctx, "さくら")
    clients = [await _principal(env, f"c{i}") for i in range(12)]
    takes = _count_takes(monkeypatch)
    slot = jst(2026, 12, 1, 18, 0).isoformat()
    results = await asyncio.gather(
        *(do_book(env.ctx, c, mentor_id=mentor, start=slot) for c in clients),
        return_exceptions=True,
    )
    refused = [r.code for r in results if isinstance(r, Refusal)]
    assert len(refused) == len(clients) - 1 and set(refused) == {"slot_taken"}
    assert len(takes) == 1  # the others were refused on a read, never by the writer
    async with env.ctx.db.read() as s:
        booked = (
            await s.execute(select(Consultation).where(col(Consultation.mentor_id) == mentor))
        ).scalars()
        assert [c.starts_at for c in booked] == [jst(2026, 12, 1, 18, 0)]


async def test_a_long_shift_stretches_the_span_her_limits_count(env: Env) -> None:
    """Her limit per shift counts every consultation that starts inside a shift around the
    window, however long the shift: the span reaches past a day either side only there. A
    client's own consultation with her outside that span is the client's, not her count.
    Read early (all in one statement) and inside the write transaction (her row locked
    first), the view is the same."""
    env.clock.set(jst(2026, 11, 28, 9, 0))
    mentor = await add_mentor(env.ctx, "さくら", days=[])
    me = await _principal(env, "わたし")
    async with env.ctx.db.write() as s:
        s.add(Shift(mentor_id=mentor, starts_at=jst(2026, 11, 28, 0), ends_at=jst(2026, 12, 2, 0)))

        def at(when: datetime, status: str, client: int, no: int | None = None) -> Consultation:
            return Consultation(
                client_id=client,
                mentor_id=mentor,
                mode="booked",
                status=status,
                starts_at=when,
                ends_at=when + timedelta(minutes=30),
                created_at=env.ctx.now(),
                booking_no=no,
            )

        inside = jst(2026, 11, 28, 10)  # in the shift, three days before the window
        s.add(at(inside, "closed", me.id))
        s.add(at(jst(2026, 11, 27, 10), "closed", me.id))  # before the shift: not counted
        s.add(at(jst(2026, 12, 3, 10), "booked", me.id, no=1))  # mine, past the span
    start, end = jst(2026, 12, 1, 17, 0), jst(2026, 12, 1, 17, 30)
    async with env.ctx.db.lean_read() as reader:
        early = await load_take_view(
            reader, client_id=me.id, mentor_id=mentor, start=start, end=end, lines=9
        )
    async with env.ctx.db.write() as s:
        locked = await load_take_view(
            SessionReader(s),
            client_id=me.id,
            mentor_id=mentor,
            start=start,
            end=end,
            lines=9,
            lock=True,
        )
    assert early == locked
    assert early.occ.starts[mentor] == [inside]
    assert early.occ.shifts[mentor] == [(jst(2026, 11, 28, 0), jst(2026, 12, 2, 0))]
    assert early.booking_nos == [1] and early.client_open is False


class _Counting:
    """A reader that counts its statements."""

    def __init__(self, reader: Reader) -> None:
        self.reader, self.statements = reader, 0

    async def rows(self, lean: Lean, params: Mapping[str, Any]) -> Sequence[Any]:
        self.statements += 1
        return await self.reader.rows(lean, params)

    async def first(self, lean: Lean, params: Mapping[str, Any]) -> Any:
        self.statements += 1
        return await self.reader.first(lean, params)


async def test_takes_read_together_see_what_each_would_alone(env: Env) -> None:
    """One read per mentor and window for up to CLIENTS_PER_READ takes: each view cut out of
    it equals the view read for that take alone (other slots, other clients, a walk-in a
    moment later, another mentor, a mentor that is not there)."""
    env.clock.set(jst(2026, 12, 1, 16, 0))
    sakura = await add_mentor(env.ctx, "さくら")
    kaede = await add_mentor(env.ctx, "かえで")
    people = [await _principal(env, f"c{i}") for i in range(CLIENTS_PER_READ + 4)]
    await do_book(env.ctx, people[0], mentor_id=sakura, start=jst(2026, 12, 1, 17).isoformat())
    await do_book(env.ctx, people[1], mentor_id=sakura, start=jst(2026, 12, 1, 18).isoformat())
    await do_book(env.ctx, people[1], mentor_id=kaede, start=jst(2026, 12, 1, 17).isoformat())
    await do_chat_now(env.ctx, people[2], mentor_id=kaede)
    now = env.ctx.now()
    walk_in = [
        (now, now + timedelta(minutes=30)),
        (now + timedelta(seconds=7), now + timedelta(minutes=30, seconds=7)),
    ]
    slots = [
        (jst(2026, 12, 1, 17), jst(2026, 12, 1, 17, 30)),
        (jst(2026, 12, 1, 18), jst(2026, 12, 1, 18, 30)),
    ]
    keys = [
        TakeKey(p.id, mentor, start, end)
        for i, p in enumerate(people)
        for mentor in (sakura, kaede)
        for start, end in (slots[i % 2], walk_in[i % 2])
    ]
    keys.append(TakeKey(people[0].id, sakura + kaede + 100, *slots[0]))
    async with env.ctx.db.lean_read() as reader:
        counting = _Counting(reader)
        together = await load_take_views(counting, keys, 9)  # type: ignore[arg-type]
        alone = {
            key: await load_take_view(
                reader,
                client_id=key.client_id,
                mentor_id=key.mentor_id,
                start=key.start,
                end=key.end,
                lines=9,
            )
            for key in keys
        }
    assert together == alone
    # a read per mentor and window (its first and last tick), for up to 16 clients
    groups = Counter((k.mentor_id, *_first_and_last(k)) for k in keys)
    assert counting.statements == sum(-(-n // CLIENTS_PER_READ) for n in groups.values())
    assert counting.statements < len(keys) / 5
    mine = together[TakeKey(people[1].id, sakura, *slots[1])]
    assert sorted(mine.booking_nos) == [1, 2]
    assert mine.occ.mentor_taken(sakura, ticks_between(*slots[1]))
    assert together[TakeKey(people[2].id, kaede, *walk_in[0])].client_open
    assert together[keys[-1]].mentor is None


def _first_and_last(key: TakeKey) -> tuple[int, int]:
    ticks = ticks_between(key.start, key.end)
    return ticks[0], ticks[-1]


async def test_an_early_read_older_than_a_take_here_is_read_again(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two children ask for one slot at the same moment: both pass the shared early read; the
    second, in its turn, sees a take made here since that read, reads again (shared again,
    with whoever else that take turned away) and is refused without the writer."""
    env.clock.set(jst(2026, 12, 1, 16, 0))
    mentor = await add_mentor(env.ctx, "さくら")
    a, b = await _principal(env, "a"), await _principal(env, "b")
    takes = _count_takes(monkeypatch)
    slot = jst(2026, 12, 1, 18, 0).isoformat()
    results = await asyncio.gather(
        do_book(env.ctx, a, mentor_id=mentor, start=slot),
        do_book(env.ctx, b, mentor_id=mentor, start=slot),
        return_exceptions=True,
    )
    assert isinstance(results[0], Consultation)
    assert isinstance(results[1], Refusal) and results[1].code == "slot_taken"
    assert len(takes) == 1
    assert env.ctx.take_views is not None and env.ctx.take_views.calls == 2
