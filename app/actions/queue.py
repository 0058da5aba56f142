"""The waiting line (順番待ち): wait for a mentor, a kind or anyone when chat-now is full.

A client joins with the body chat-now takes; the place is a queue_entry row (one active
per client: a partial unique index). When a line frees, the first eligible waiter, by
(joined_at, id), is *offered* it: a walk-in consultation opened for them through the same
insert as chat-now (`booking._take`: the line_hold unique constraints keep capacity,
mentors and clients, and the reservations' holds are never taken), in the same transaction
as the conditional `waiting -> offered` update, so a waiter who left in the meantime rolls
the offer back. Offers are made one at a time under one lock (a PostgreSQL advisory
transaction lock; SQLite writers are serialised already), so two processes promoting at
once still serve the line strictly in order and nobody twice. An offer not joined within
YORISOI_QUEUE_OFFER_SECONDS is released (closed `offer_expired`) and the next is offered.

Promotion runs in the scheduler's sweep and right after a line frees (`line_freed`).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col

from app.actions.booking import (
    RETRYABLE_SQLSTATES,
    _client_busy,
    _sqlstate,
    _take,
    release_holds_from,
    require_client,
    serves,
)
from app.actions.context import Context, Principal
from app.actions.events import (
    publish_lifecycle,
    publish_message,
    publish_queue,
    publish_queue_summary,
)
from app.actions.inputs import check_id
from app.actions.occupancy import current_lines, load_occupancy
from app.actions.safety import raise_alerts
from app.actions.staff import require_staff
from app.actions.wellbeing import care_reason
from app.db.lean import SessionReader
from app.db.tables import MENTOR_KINDS, Client, Consultation, LineHold, Mentor, Message, QueueEntry
from app.errors import Refusal
from app.rules import at_local, local_day, to_local, walk_in_window
from app.rules.capacity import current_tick, ticks_between
from app.rules.waiting import Hold, estimate_starts, minutes_until

log = logging.getLogger("yorisoi.queue")

WAITING, OFFERED = "waiting", "offered"
ACTIVE = (WAITING, OFFERED)
PROMOTE_LOCK = 7_345_001  # pg_advisory_xact_lock key: one promoter at a time
MAX_TEXT = 2000


@dataclass(frozen=True)
class Place:
    """An entry as shown: its position among the waiting (1 = next) and the estimate."""

    entry: QueueEntry
    position: int | None = None
    estimated_wait_minutes: int | None = None
    mentor: Mentor | None = None
    nickname: str | None = None
    next_open: datetime | None = None


@dataclass(frozen=True)
class Offer:
    entry: QueueEntry
    consultation: Consultation


# -- the client's side ----------------------------------------------------------------------


def _check_message(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Refusal("message_too_long", field="message", max_text=MAX_TEXT)
    cleaned = value.strip()
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in cleaned):
        raise Refusal("invalid_input", field="message")
    return cleaned or None


def _matches(entry: QueueEntry, mentor: Mentor) -> bool:
    if not mentor.active or not serves(mentor, entry.audience):
        return False
    if entry.mentor_id is not None:
        return mentor.id == entry.mentor_id
    return entry.kind is None or mentor.kind == entry.kind


async def do_join_queue(
    ctx: Context,
    principal: Principal | None,
    *,
    mentor_id: object = None,
    kind: object = None,
    message: object = None,
) -> Place:
    """Take a place in line. Refused as chat-now would be, except for a full line or a busy
    mentor, which is what the line is for."""
    client = require_client(principal)
    if mentor_id is not None and kind is not None:
        raise Refusal("invalid_input", field="mentor_id")
    wanted = check_id(mentor_id, "mentor_id") if mentor_id is not None else None
    if kind is not None and kind not in MENTOR_KINDS:
        raise Refusal("invalid_input", field="kind")
    text_ = _check_message(message)
    now = ctx.now()
    start, end = walk_in_window(now, ctx.rules)  # outside_hours
    entry = QueueEntry(
        client_id=client.id,
        audience=client.role,
        mentor_id=wanted,
        kind=str(kind) if kind is not None else None,
        state=WAITING,
        joined_at=now,
        first_message=text_,
    )
    async with ctx.db.read() as s:
        await _check_can_wait(s, ctx, entry, start, end)
    try:
        async with ctx.db.write() as s:
            s.add(entry)
            await s.flush()
    except IntegrityError:
        raise Refusal("already_waiting") from None
    await promote(ctx)  # first in line and a line free: offered at once
    places = await refresh(ctx, changed=True)
    return next((p for p in places if p.entry.id == entry.id), Place(entry))


async def _check_can_wait(s, ctx: Context, entry: QueueEntry, start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    mentors = [m for m in (await s.execute(select(Mentor))).scalars() if _matches(entry, m)]
    if not mentors:
        raise Refusal("not_found", field="kind" if entry.kind else "mentor_id")
    still_open = await s.execute(
        select(col(Consultation.id)).where(
            col(Consultation.client_id) == entry.client_id, col(Consultation.status) == "open"
        )
    )
    ticks = ticks_between(start, end)
    occ = await load_occupancy(
        s, start=start, end=end, lines=ctx.rules.lines, mentor_ids=[m.id for m in mentors]
    )
    if still_open.first() is not None or occ.client_taken(entry.client_id, ticks):
        raise await _client_busy(SessionReader(s), ctx, entry.client_id, start, end, open_too=True)
    if not any(occ.on_shift(m.id, start, end) for m in mentors if m.id is not None):
        raise Refusal("mentor_off_shift")
    already = await s.execute(
        select(col(QueueEntry.id)).where(
            col(QueueEntry.client_id) == entry.client_id, col(QueueEntry.state).in_(ACTIVE)
        )
    )
    if already.first() is not None:
        raise Refusal("already_waiting")


async def do_set_first_message(ctx: Context, principal: Principal | None, message: object) -> Place:
    """Write (or rewrite) the first message while waiting; it is stored in the
    consultation when the line is offered."""
    client = require_client(principal)
    text_ = _check_message(message)
    async with ctx.db.write() as s:
        changed = (
            await s.execute(
                update(QueueEntry)
                .where(col(QueueEntry.client_id) == client.id, col(QueueEntry.state) == WAITING)
                .values(first_message=text_)
                .returning(col(QueueEntry.id))
            )
        ).scalar_one_or_none()
    if changed is None:
        raise Refusal("not_waiting")
    place = await my_place(ctx, client)
    assert place is not None
    return place


async def do_leave_queue(ctx: Context, principal: Principal | None) -> Place:
    """Leave the line at any time; an offer not yet joined is declined (its line freed)."""
    client = require_client(principal)
    now = ctx.now()
    async with ctx.db.write() as s:
        left = (
            await s.execute(
                update(QueueEntry)
                .where(col(QueueEntry.client_id) == client.id, col(QueueEntry.state) == WAITING)
                .values(state="left", ended_at=now, first_message=None)
                .returning(col(QueueEntry.id))
            )
        ).scalar_one_or_none()
    declined: Consultation | None = None
    if left is None:
        left, declined = await _decline_offer(ctx, client.id)
    if left is None:
        raise Refusal("not_waiting")
    async with ctx.db.read() as s:
        entry = await s.get(QueueEntry, left)
    assert entry is not None
    if declined is not None:
        await publish_lifecycle(ctx, declined, "closed", "offer_declined")
    await publish_queue(ctx, Place(entry))
    if declined is not None:
        await promote(ctx)
    await refresh(ctx, changed=True)
    return Place(entry)


async def _decline_offer(ctx: Context, client_id: int) -> tuple[int | None, Consultation | None]:
    now = ctx.now()
    async with ctx.db.write() as s:
        entry = (
            await s.execute(
                select(QueueEntry).where(
                    col(QueueEntry.client_id) == client_id, col(QueueEntry.state) == OFFERED
                )
            )
        ).scalar_one_or_none()
        if entry is None or entry.consultation_id is None:
            return None, None
        closed = await _release_offer(s, entry, now, reason="offer_declined", state="left")
        if closed is None:
            return None, None  # already in the chat: nothing to leave
        return entry.id, closed


async def _release_offer(s, entry: QueueEntry, now: datetime, *, reason: str, state: str):  # type: ignore[no-untyped-def]
    """Close an offered consultation the client has not joined, free its line, end the
    entry. None when the client joined first (the same row decides, so never both)."""
    assert entry.consultation_id is not None
    closed = (
        await s.execute(
            update(Consultation)
            .where(
                col(Consultation.id) == entry.consultation_id,
                col(Consultation.status) == "open",
                col(Consultation.client_joined_at).is_(None),
            )
            .values(status="closed", closed_at=now, close_reason=reason)
            .returning(col(Consultation.id))
        )
    ).scalar_one_or_none()
    if closed is None:
        return None
    await release_holds_from(s, entry.consultation_id, now)
    await s.execute(
        update(QueueEntry)
        .where(col(QueueEntry.id) == entry.id, col(QueueEntry.state) == OFFERED)
        .values(state=state, ended_at=now, first_message=None)
    )
    return await s.get(Consultation, entry.consultation_id)


async def my_place(ctx: Context, principal: Principal | None) -> Place | None:
    client = require_client(principal)
    places = await _places(ctx, client_id=client.id)
    return places[0] if places else None


async def staff_queue(ctx: Context, principal: Principal | None) -> tuple[list[Place], int]:
    """Everyone in line now, in order, for headquarters; and the line capacity."""
    require_staff(principal, supervisor=True)
    places = await _places(ctx)
    async with ctx.db.read() as s:
        lines = await current_lines(s, ctx.rules.lines)
    return places, lines


async def _places(ctx: Context, *, client_id: int | None = None) -> list[Place]:
    now = ctx.now()
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(QueueEntry, col(Client.nickname))
                .join(Client, col(Client.id) == QueueEntry.client_id)
                .where(col(QueueEntry.state).in_(ACTIVE))
                .order_by(col(QueueEntry.joined_at), col(QueueEntry.id))
            )
        ).all()
        mentors = {m.id: m for m in (await s.execute(select(Mentor))).scalars()}
        waiting = [e for e, _n in rows if e.state == WAITING]
        estimates = await _estimate(s, ctx, waiting, now) if waiting else {}
    places = []
    position = 0
    for entry, nickname in rows:
        if entry.state == WAITING:
            position += 1
        if client_id is not None and entry.client_id != client_id:
            continue
        places.append(
            Place(
                entry,
                position if entry.state == WAITING else None,
                estimates.get(entry.id or 0) if entry.state == WAITING else None,
                mentors.get(entry.mentor_id) if entry.mentor_id is not None else None,
                nickname,
            )
        )
    return places


async def _estimate(
    s, ctx: Context, waiting: list[QueueEntry], now: datetime
) -> dict[int, int | None]:  # type: ignore[no-untyped-def]
    rules = ctx.rules
    last = at_local(local_day(now, rules), rules.last_start, rules)
    rows = await s.execute(
        select(col(LineHold.tick), col(LineHold.mentor_id), col(Consultation.ends_at))
        .join(Consultation, col(Consultation.id) == LineHold.consultation_id)
        .where(
            col(LineHold.tick) >= current_tick(now),
            col(LineHold.tick) <= current_tick(last + rules.session),
        )
    )
    holds = [Hold(tick, mentor_id, ends_at) for tick, mentor_id, ends_at in rows]
    starts = estimate_starts(
        now=now,
        holds=holds,
        waiters=[e.mentor_id for e in waiting],
        lines=await current_lines(s, rules.lines),
        session=rules.session,
        last_start=last,
    )
    return {e.id: minutes_until(now, t) for e, t in zip(waiting, starts, strict=True) if e.id}


# -- promotion ------------------------------------------------------------------------------


async def line_freed(ctx: Context) -> None:
    """Right after a line frees (a close, a cancellation, more capacity): offer it now
    rather than at the next sweep. Never fails the change that called it."""
    try:
        if await _anyone_waiting(ctx):
            if await promote(ctx):
                await refresh(ctx, changed=True)
    except Exception as exc:  # noqa: BLE001 - the sweep offers it within half a second
        log.error("promotion after a freed line failed (%s)", type(exc).__name__)


async def _anyone_waiting(ctx: Context) -> bool:
    async with ctx.db.read() as s:
        row = await s.execute(
            select(col(QueueEntry.id)).where(col(QueueEntry.state) == WAITING).limit(1)
        )
        return row.first() is not None


async def promote(ctx: Context) -> int:
    """Offer free lines to the line, first eligible first, until none fits. Returns how
    many were offered."""
    offered = 0
    lost = 0
    try:
        start, end = walk_in_window(ctx.now(), ctx.rules)
    except Refusal:
        return 0  # the line closes instead (close_line)
    async with ctx.db.read() as s:
        waiting = (
            await s.execute(select(func.count()).where(col(QueueEntry.state) == WAITING))
        ).scalar_one()
        occ = await load_occupancy(s, start=start, end=end, lines=ctx.rules.lines, mentor_ids=[])
        if not waiting or occ.lines_full(ticks_between(start, end)):
            # Nothing to offer; a line freed after this read is offered by whoever freed it
            # (line_freed) or by the next sweep. Spares the promotion lock in a rush.
            return 0
    # Each offer takes one waiter; each lost race means a competitor took a line or a
    # waiter left, both bounded by the waiters and the lines.
    budget_lost = int(waiting) + ctx.rules.lines + 5
    while offered < waiting and lost < budget_lost:
        try:
            offer = await _offer_one(ctx)
        except (IntegrityError, _Lost, Refusal):
            lost += 1
            continue
        except DBAPIError as exc:
            if _sqlstate(exc) in RETRYABLE_SQLSTATES:
                lost += 1
                continue
            raise
        if offer is None:
            break
        offered += 1
        await _announce(ctx, offer)
    return offered


class _Lost(Exception):
    """The waiter left while their offer was being made: roll the offer back."""


async def _offer_one(ctx: Context) -> Offer | None:
    now = ctx.now()
    try:
        start, end = walk_in_window(now, ctx.rules)
    except Refusal:
        return None  # the line closes instead (close_line)
    ticks = ticks_between(start, end)
    async with ctx.db.write() as s:
        if not ctx.db.is_sqlite:
            await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PROMOTE_LOCK})
        occ = await load_occupancy(s, start=start, end=end, lines=ctx.rules.lines)
        if occ.lines_full(ticks):
            return None
        waiting = list(
            (
                await s.execute(
                    select(QueueEntry)
                    .where(col(QueueEntry.state) == WAITING)
                    .order_by(col(QueueEntry.joined_at), col(QueueEntry.id))
                )
            ).scalars()
        )
        if not waiting:
            return None
        busy = set(
            (
                await s.execute(
                    select(col(Consultation.client_id)).where(
                        col(Consultation.status) == "open",
                        col(Consultation.client_id).in_([e.client_id for e in waiting]),
                    )
                )
            ).scalars()
        )
        mentors = list(
            (await s.execute(select(Mentor).where(col(Mentor.active).is_(True)))).scalars()
        )
        for entry in waiting:
            if entry.client_id in busy or occ.client_taken(entry.client_id, ticks):
                continue
            free = [
                m
                for m in mentors
                if m.id is not None
                and _matches(entry, m)
                and occ.on_shift(m.id, start, end)
                and not occ.mentor_taken(m.id, ticks)
                # resting or at her limit: no offers to her (care_reason, wellbeing.py)
                and care_reason(occ, m.id, start, end, now, ctx.rules, walk_in=True) is None
            ]
            if not free:
                continue  # not eligible for any free line: the next in line may be
            mentor = random.choice(free)  # spreads walk-ins over the free mentors
            assert mentor.id is not None
            who = Principal(
                kind="client",
                id=entry.client_id,
                role=entry.audience,
                display_name="",
                session_id=0,
            )
            consultation = await _take(
                s, ctx, client=who, mentor_id=mentor.id, mode="walk_in", start=start, end=end
            )
            taken = (
                await s.execute(
                    update(QueueEntry)
                    .where(col(QueueEntry.id) == entry.id, col(QueueEntry.state) == WAITING)
                    .values(state=OFFERED, consultation_id=consultation.id, offered_at=now)
                    .returning(col(QueueEntry.id))
                )
            ).scalar_one_or_none()
            if taken is None:
                raise _Lost
            entry.state, entry.consultation_id, entry.offered_at = OFFERED, consultation.id, now
            return Offer(entry, consultation)
    return None


async def _announce(ctx: Context, offer: Offer) -> None:
    """After the offer is committed: the first message, then everyone concerned."""
    await deliver_first_message(ctx, offer.entry)
    await publish_lifecycle(ctx, offer.consultation, "opened")
    await publish_queue(ctx, Place(offer.entry))


async def deliver_first_message(ctx: Context, entry: QueueEntry) -> None:
    """Store what the client wrote while waiting as the consultation's first message,
    through the message writer (seqs stay dense). A fixed client_msg_id makes a retry a
    duplicate, never a second copy."""
    if not entry.first_message or entry.consultation_id is None or entry.message_seq:
        return
    async with ctx.db.read() as s:
        client = await s.get(Client, entry.client_id)
        consultation = await s.get(Consultation, entry.consultation_id)
    if client is None or consultation is None:
        return
    message = Message(
        consultation_id=entry.consultation_id,
        seq=0,
        sender_role="client",
        sender_id=entry.client_id,
        sender_name=client.nickname,
        client_msg_id=f"queue-{entry.id}",
        text=entry.first_message,
        created_at=ctx.now(),
    )
    try:
        stored, duplicate = await ctx.messages.store(message)
    except Refusal:
        return  # closed before it could be stored (declined, expired)
    async with ctx.db.write() as s:
        await s.execute(
            update(QueueEntry)
            .where(col(QueueEntry.id) == entry.id)
            .values(message_seq=stored.seq, first_message=None)  # now a message: kept once
        )
    entry.message_seq = stored.seq
    if duplicate:
        return
    await publish_message(ctx, stored)
    try:
        await raise_alerts(ctx, entry.consultation_id, stored.seq, stored.text)
    except Exception as exc:  # noqa: BLE001 - stored and delivered whatever happens here
        log.error(
            "crisis check failed for consultation %s (%s)", consultation.id, type(exc).__name__
        )


# -- time-driven: the scheduler's sweep -----------------------------------------------------


async def expire_offers(ctx: Context) -> int:
    """Release every offer not joined within YORISOI_QUEUE_OFFER_SECONDS."""
    now = ctx.now()
    deadline = now - timedelta(seconds=ctx.settings.queue_offer_seconds)
    async with ctx.db.read() as s:
        due = list(
            (
                await s.execute(
                    select(QueueEntry).where(
                        col(QueueEntry.state) == OFFERED, col(QueueEntry.offered_at) <= deadline
                    )
                )
            ).scalars()
        )
    done = 0
    for entry in due:
        async with ctx.db.write() as s:
            closed = await _release_offer(s, entry, now, reason="offer_expired", state="expired")
        if closed is None:
            continue  # joined at the last moment: served (settle_offers)
        done += 1
        entry.state, entry.ended_at = "expired", now
        await publish_lifecycle(ctx, closed, "closed", "offer_expired")
        await publish_queue(ctx, Place(entry))
    return done


async def settle_offers(ctx: Context) -> int:
    """Offers whose consultation the client joined are served; ones that ended without
    the client (the mentor closed it first) count as expired. Retries a first message a
    crash left unstored."""
    now = ctx.now()
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(QueueEntry, Consultation)
                .join(Consultation, col(Consultation.id) == QueueEntry.consultation_id)
                .where(col(QueueEntry.state) == OFFERED)
            )
        ).all()
    done = 0
    for entry, consultation in rows:
        if consultation.client_joined_at is not None:
            state = "served"
        elif consultation.status != "open":
            state = "expired"
        else:
            if entry.first_message and not entry.message_seq:
                await deliver_first_message(ctx, entry)
            continue
        async with ctx.db.write() as s:
            changed = (
                await s.execute(
                    update(QueueEntry)
                    .where(col(QueueEntry.id) == entry.id, col(QueueEntry.state) == OFFERED)
                    .values(state=state, ended_at=now, first_message=None)
                    .returning(col(QueueEntry.id))
                )
            ).scalar_one_or_none()
        if changed is not None:
            done += 1
            entry.state, entry.ended_at = state, now
            await publish_queue(ctx, Place(entry))
    return done


def next_open(ctx: Context, now: datetime) -> datetime:
    """When chat-now takes requests again: today's opening if it is still ahead, else
    tomorrow's."""
    rules = ctx.rules
    day = local_day(now, rules)
    if to_local(now, rules).time().replace(tzinfo=None) >= rules.open_time:
        day += timedelta(days=1)
    return at_local(day, rules.open_time, rules)


async def close_line(ctx: Context) -> int:
    """At the cutoff (and for places left from an earlier day) the line closes, and each
    waiter is told kindly when it opens again."""
    now = ctx.now()
    rules = ctx.rules
    try:
        walk_in_window(now, rules)
        opened_today = at_local(local_day(now, rules), rules.open_time, rules)
        stale = [col(QueueEntry.joined_at) < opened_today]
    except Refusal:
        stale = []  # outside hours: everyone waiting
    async with ctx.db.write() as s:
        closed = list(
            (
                await s.execute(
                    update(QueueEntry)
                    .where(col(QueueEntry.state) == WAITING, *stale)
                    .values(state="closed", ended_at=now, first_message=None)
                    .returning(*QueueEntry.__table__.c)  # type: ignore[attr-defined]
                    .execution_options(synchronize_session=False)
                )
            ).all()
        )
    reopen = next_open(ctx, now)
    for row in closed:
        await publish_queue(ctx, Place(QueueEntry(**dict(row._mapping)), next_open=reopen))
    return len(closed)


async def refresh(ctx: Context, *, changed: bool = False) -> list[Place]:
    """Tell every waiter whose position or estimate moved; headquarters gets a summary
    when anything changed. Returns the line as it is now."""
    places = await _places(ctx)
    moved = [
        p
        for p in places
        if p.entry.state == WAITING
        and (p.entry.shown_position, p.entry.shown_wait) != (p.position, p.estimated_wait_minutes)
    ]
    if moved:
        table = QueueEntry.__table__  # type: ignore[attr-defined]
        async with ctx.db.write() as s:
            conn = await s.connection()
            await conn.execute(
                update(table)
                .where(table.c.id == bindparam("eid"), table.c.state == WAITING)
                .values(shown_position=bindparam("pos"), shown_wait=bindparam("wait")),
                [
                    {"eid": p.entry.id, "pos": p.position, "wait": p.estimated_wait_minutes}
                    for p in moved
                ],
            )
        for p in moved:
            await publish_queue(ctx, p)
    if moved or changed:
        await publish_queue_summary(ctx, places, ctx.now())
    return places


async def sweep_queue(ctx: Context) -> dict[str, int]:
    """The line's share of the scheduler's sweep; one cheap read when nobody waits."""
    async with ctx.db.read() as s:
        active = (
            await s.execute(
                select(col(QueueEntry.id)).where(col(QueueEntry.state).in_(ACTIVE)).limit(1)
            )
        ).first()
    if active is None:
        return {"queue_offered": 0, "queue_expired": 0, "queue_closed": 0}
    expired = await expire_offers(ctx)
    settled = await settle_offers(ctx)
    closed = await close_line(ctx)
    offered = await promote(ctx)
    await refresh(ctx, changed=bool(expired or settled or closed or offered))
    return {"queue_offered": offered, "queue_expired": expired, "queue_closed": closed}
