"""Mentors, their availability per slot, and "chat now" status: read-only views for anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from app.actions.booking import require_client, serves
from app.actions.context import Context, Principal
from app.actions.inputs import check_day
from app.actions.occupancy import Occupancy, current_lines, load_occupancy
from app.db.tables import AUDIENCES, MENTOR_KINDS, Consultation, Mentor
from app.errors import Refusal
from app.rules import ServiceRules, at_local, local_day, slot_starts, ticks_between, walk_in_window
from app.rules.hours import bookable_days


@dataclass(frozen=True)
class SlotView:
    start: datetime
    end: datetime
    free: bool
    reason: str | None


@dataclass(frozen=True)
class ChatNow:
    possible: bool
    reason: str | None
    until: datetime | None


@dataclass(frozen=True)
class MentorView:
    mentor: Mentor
    chat_now: ChatNow
    next_free: list[datetime]
    today: str  # "now" | "bookable" | "done"


def slot_reason(
    occ: Occupancy,
    mentor_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    rules: ServiceRules,
) -> str | None:
    """Why a slot cannot be booked with this mentor, or None if it can."""
    if start <= now:
        return "in_the_past"
    if (local_day(start, rules) - local_day(now, rules)).days > rules.horizon_days:
        return "too_far_ahead"
    if not occ.on_shift(mentor_id, start, end):
        return "mentor_off_shift"
    ticks = ticks_between(start, end)
    if occ.mentor_taken(mentor_id, ticks):
        return "slot_taken"
    if occ.lines_full(ticks):
        return "no_free_line"
    return None


def chat_now_state(occ: Occupancy, mentor_id: int, now: datetime, rules: ServiceRules) -> ChatNow:
    try:
        start, end = walk_in_window(now, rules)
    except Refusal as refusal:
        return ChatNow(False, refusal.code, None)
    ticks = ticks_between(start, end)
    if not occ.on_shift(mentor_id, start, end):
        return ChatNow(False, "mentor_off_shift", None)
    if occ.mentor_taken(mentor_id, ticks):
        return ChatNow(False, "mentor_busy", None)
    if occ.lines_full(ticks):
        return ChatNow(False, "no_free_line", None)
    return ChatNow(True, None, end)


def _slot_pairs(day: date, rules: ServiceRules) -> list[tuple[datetime, datetime]]:
    close = at_local(day, rules.close_time, rules)
    return [(s, min(s + rules.session, close)) for s in slot_starts(day, rules)]


async def capacity(ctx: Context) -> int:
    async with ctx.db.read() as s:
        return await current_lines(s, ctx.rules.lines)


def check_audience(audience: object) -> str | None:
    if audience in (None, ""):
        return None
    if audience not in AUDIENCES:
        raise Refusal("invalid_input", field="audience")
    return str(audience)


def check_kind(kind: object) -> str | None:
    if kind in (None, ""):
        return None
    if kind not in MENTOR_KINDS:
        raise Refusal("invalid_input", field="kind")
    return str(kind)


async def list_mentors(
    ctx: Context, *, audience: object = None, kind: object = None, limit_free: int = 3
) -> list[MentorView]:
    aud = check_audience(audience)
    knd = check_kind(kind)
    now = ctx.now()
    rules = ctx.rules
    days = bookable_days(now, rules)
    async with ctx.db.read() as s:
        query = select(Mentor).where(col(Mentor.active).is_(True)).order_by(col(Mentor.id))
        if knd:
            query = query.where(col(Mentor.kind) == knd)
        mentors = [m for m in (await s.execute(query)).scalars() if aud is None or serves(m, aud)]
        occ = await load_occupancy(
            s,
            start=now - timedelta(hours=1),
            end=at_local(days[-1], rules.close_time, rules),
            lines=rules.lines,
            mentor_ids=[m.id for m in mentors if m.id is not None],
        )
    views = []
    for mentor in mentors:
        assert mentor.id is not None
        free = next_free_slots(occ, mentor.id, now, rules, limit_free)
        state = chat_now_state(occ, mentor.id, now, rules)
        if state.possible:
            today = "now"
        elif free and local_day(free[0], rules) == local_day(now, rules):
            today = "bookable"
        else:
            today = "done"
        views.append(MentorView(mentor, state, free, today))
    return views


def next_free_slots(
    occ: Occupancy, mentor_id: int, now: datetime, rules: ServiceRules, limit: int
) -> list[datetime]:
    found: list[datetime] = []
    for day in bookable_days(now, rules):
        for start, end in _slot_pairs(day, rules):
            if len(found) >= limit:
                return found
            if slot_reason(occ, mentor_id, start, end, now, rules) is None:
                found.append(start)
    return found


async def get_mentor(ctx: Context, mentor_id: int) -> Mentor:
    async with ctx.db.read() as s:
        mentor = await s.get(Mentor, mentor_id)
    if mentor is None or not mentor.active:
        raise Refusal("not_found")
    return mentor


async def mentor_day(
    ctx: Context, *, mentor_id: int, day: object
) -> tuple[Mentor, date, list[SlotView], ChatNow]:
    """Every half-hour slot of a local day with free/taken and why, plus chat-now state."""
    the_day = check_day(day)
    mentor = await get_mentor(ctx, mentor_id)
    now = ctx.now()
    rules = ctx.rules
    pairs = _slot_pairs(the_day, rules)
    async with ctx.db.read() as s:
        # Two bounded windows: the asked day, and the next half hour for "chat now".
        occ = await load_occupancy(
            s, start=pairs[0][0], end=pairs[-1][1], lines=rules.lines, mentor_ids=[mentor_id]
        )
        current = await load_occupancy(
            s, start=now, end=now + rules.session, lines=rules.lines, mentor_ids=[mentor_id]
        )
    slots = [
        SlotView(start, end, reason is None, reason)
        for start, end in pairs
        for reason in [slot_reason(occ, mentor_id, start, end, now, rules)]
    ]
    return mentor, the_day, slots, chat_now_state(current, mentor_id, now, rules)


async def my_mentors(
    ctx: Context, principal: Principal | None, *, limit_free: int = 3
) -> list[tuple[Mentor, datetime, list[datetime]]]:
    """Mentors this client talked to before, most recent first, with their next free slots."""
    client = require_client(principal)
    now = ctx.now()
    rules = ctx.rules
    days = bookable_days(now, rules)
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(Mentor, col(Consultation.starts_at))
            .join(Consultation, col(Consultation.mentor_id) == Mentor.id)
            .where(
                col(Consultation.client_id) == client.id,
                col(Consultation.status).in_(("open", "closed")),
                col(Consultation.opened_at).is_not(None),
                # talked to: the mentor came (a mentor who never joined is not "last time")
                col(Consultation.mentor_joined_at).is_not(None),
            )
            .order_by(col(Consultation.starts_at).desc())
        )
        latest: dict[int, tuple[Mentor, datetime]] = {}
        for mentor, started in rows.all():
            if mentor.id is not None and mentor.id not in latest:
                latest[mentor.id] = (mentor, started)
        occ = await load_occupancy(
            s,
            start=now,
            end=at_local(days[-1], rules.close_time, rules),
            lines=rules.lines,
            mentor_ids=list(latest),
        )
    return [
        (
            mentor,
            last,
            next_free_slots(occ, mentor_id, now, rules, limit_free) if mentor.active else [],
        )
        for mentor_id, (mentor, last) in latest.items()
    ]
