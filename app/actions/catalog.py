"""Mentors, their availability per slot, and "chat now" status: read-only views for anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions.booking import OwnRow, overlaps, own_consultations, require_client, serves
from app.actions.context import Context, Principal
from app.actions.inputs import check_day
from app.actions.occupancy import Occupancy, current_lines, load_occupancy
from app.actions.wellbeing import care_reason
from app.db.lean import SessionReader
from app.db.tables import (
    AUDIENCES,
    MENTOR_KINDS,
    MENTOR_LANGUAGES,
    Consultation,
    Handover,
    Mentor,
)
from app.errors import Refusal
from app.rules import ServiceRules, at_local, local_day, slot_starts, ticks_between, walk_in_window
from app.rules.hours import bookable_days


@dataclass(frozen=True)
class SlotView:
    start: datetime
    end: datetime
    free: bool
    reason: str | None
    booking_id: int | None = None  # client_busy: the asker's own consultation at that time


@dataclass(frozen=True)
class ChatNow:
    possible: bool
    reason: str | None
    until: datetime | None
    booking_id: int | None = None  # client_busy: the asker's own consultation in the way


@dataclass(frozen=True)
class Own:
    """What a signed-in client already holds, for the reasons that are theirs alone: a slot at
    the time of one of their consultations (client_busy), or max_bookings reached."""

    held: list[OwnRow]  # booked and open, soonest first
    full: bool

    def at(self, start: datetime, end: datetime) -> int | None:
        return next((c.id for c in self.held if overlaps(c, start, end)), None)

    def now(self, start: datetime, end: datetime) -> int | None:
        """A walk-in from start to end: an open consultation counts whatever its time."""
        still_open = next((c.id for c in self.held if c.status == "open"), None)
        return still_open if still_open is not None else self.at(start, end)


async def load_own(s: AsyncSession, principal: Principal | None, rules: ServiceRules) -> Own | None:
    """The asker's own holds when a client asks; None for anyone else (the view is public)."""
    if principal is None or not principal.is_client:
        return None
    own = await own_consultations(SessionReader(s), principal.id)
    booked = sum(1 for c in own if c.status == "booked")
    return Own(own, booked >= rules.max_bookings)


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
    care = care_reason(occ, mentor_id, start, end, now, rules, walk_in=False)
    if care is not None:
        return care
    if occ.lines_full(ticks):
        return "no_free_line"
    return None


def own_slot_reason(
    occ: Occupancy,
    mentor_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    rules: ServiceRules,
    own: Own | None,
) -> tuple[str | None, int | None]:
    """slot_reason, and for a signed-in client their own reasons: a consultation of theirs
    at that time (client_busy, with its id) before the mentor's, and max_bookings reached
    (limit_reached) for a slot that would otherwise be free. As do_book decides."""
    reason = slot_reason(occ, mentor_id, start, end, now, rules)
    if own is None or reason in ("in_the_past", "too_far_ahead"):
        return reason, None
    booking = own.at(start, end)
    if booking is not None:
        return "client_busy", booking
    if reason is None and own.full:
        return "limit_reached", None
    return reason, None


def chat_now_state(
    occ: Occupancy, mentor_id: int, now: datetime, rules: ServiceRules, own: Own | None = None
) -> ChatNow:
    try:
        start, end = walk_in_window(now, rules)
    except Refusal as refusal:
        return ChatNow(False, refusal.code, None)
    booking = own.now(start, end) if own is not None else None
    if booking is not None:  # the client's own consultation: no mentor can change that
        return ChatNow(False, "client_busy", None, booking)
    ticks = ticks_between(start, end)
    if not occ.on_shift(mentor_id, start, end):
        return ChatNow(False, "mentor_off_shift", None)
    if occ.mentor_taken(mentor_id, ticks):
        return ChatNow(False, "mentor_busy", None)
    care = care_reason(occ, mentor_id, start, end, now, rules, walk_in=True)
    if care is not None:
        return ChatNow(False, care, None)
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


def check_language(language: object) -> str | None:
    if language in (None, ""):
        return None
    if language not in MENTOR_LANGUAGES:
        raise Refusal("invalid_input", field="language")
    return str(language)


def spoken(mentor: Mentor) -> list[str]:
    """The languages a mentor chats in (stored comma-separated), in the usual order."""
    codes = set((mentor.languages or "").split(","))
    return [code for code in MENTOR_LANGUAGES if code in codes]


def check_kind(kind: object) -> str | None:
    if kind in (None, ""):
        return None
    if kind not in MENTOR_KINDS:
        raise Refusal("invalid_input", field="kind")
    return str(kind)


async def list_mentors(
    ctx: Context,
    *,
    audience: object = None,
    kind: object = None,
    language: object = None,
    limit_free: int = 3,
    principal: Principal | None = None,
) -> list[MentorView]:
    """The mentors with today's state; a signed-in client's own bookings are taken into
    account (chat now blocked by one of them, next free times that are not already theirs)."""
    aud = check_audience(audience)
    knd = check_kind(kind)
    lang = check_language(language)
    now = ctx.now()
    rules = ctx.rules
    days = bookable_days(now, rules)
    async with ctx.db.read() as s:
        query = select(Mentor).where(col(Mentor.active).is_(True)).order_by(col(Mentor.id))
        if knd:
            query = query.where(col(Mentor.kind) == knd)
        mentors = [
            m
            for m in (await s.execute(query)).scalars()
            if (aud is None or serves(m, aud)) and (lang is None or lang in spoken(m))
        ]
        occ = await load_occupancy(
            s,
            start=now - timedelta(hours=1),
            end=at_local(days[-1], rules.close_time, rules),
            lines=rules.lines,
            mentor_ids=[m.id for m in mentors if m.id is not None],
        )
        own = await load_own(s, principal, rules)
    views = []
    for mentor in mentors:
        assert mentor.id is not None
        free = next_free_slots(occ, mentor.id, now, rules, limit_free, own)
        state = chat_now_state(occ, mentor.id, now, rules, own)
        if state.possible:
            today = "now"
        elif free and local_day(free[0], rules) == local_day(now, rules):
            today = "bookable"
        else:
            today = "done"
        views.append(MentorView(mentor, state, free, today))
    return views


def next_free_slots(
    occ: Occupancy,
    mentor_id: int,
    now: datetime,
    rules: ServiceRules,
    limit: int,
    own: Own | None = None,
) -> list[datetime]:
    """The mentor's next free slots; with own, none at the time of the client's own bookings
    (the limit is not applied: these are the mentor's times, the limit is told apart)."""
    found: list[datetime] = []
    for day in bookable_days(now, rules):
        for start, end in _slot_pairs(day, rules):
            if len(found) >= limit:
                return found
            if slot_reason(occ, mentor_id, start, end, now, rules) is None and (
                own is None or own.at(start, end) is None
            ):
                found.append(start)
    return found


async def get_mentor(ctx: Context, mentor_id: int) -> Mentor:
    async with ctx.db.read() as s:
        mentor = await s.get(Mentor, mentor_id)
    if mentor is None or not mentor.active:
        raise Refusal("not_found")
    return mentor


async def mentor_day(
    ctx: Context, *, mentor_id: int, day: object, principal: Principal | None = None
) -> tuple[Mentor, date, list[SlotView], ChatNow]:
    """Every half-hour slot of a local day with free/taken and why, plus chat-now state; for a
    signed-in client, with their own reasons too (own_slot_reason)."""
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
        own = await load_own(s, principal, rules)
    slots = [
        SlotView(start, end, reason is None, reason, booking)
        for start, end in pairs
        for reason, booking in [own_slot_reason(occ, mentor_id, start, end, now, rules, own)]
    ]
    return mentor, the_day, slots, chat_now_state(current, mentor_id, now, rules, own)


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
        # A mentor who talked with the client and then handed the chat to another is still
        # someone the client talked to (handover.py moves consultation.mentor_id on).
        handed = await s.execute(
            select(Mentor, col(Consultation.starts_at))
            .join(Handover, col(Handover.from_mentor_id) == Mentor.id)
            .join(Consultation, col(Consultation.id) == Handover.consultation_id)
            .where(
                col(Consultation.client_id) == client.id,
                col(Consultation.status).in_(("open", "closed")),
                col(Consultation.opened_at).is_not(None),
                col(Handover.from_joined).is_(True),
            )
        )
        latest: dict[int, tuple[Mentor, datetime]] = {}
        for mentor, started in [*rows.all(), *handed.all()]:
            if mentor.id is not None and (
                mentor.id not in latest or started > latest[mentor.id][1]
            ):
                latest[mentor.id] = (mentor, started)
        latest = dict(sorted(latest.items(), key=lambda item: item[1][1], reverse=True))
        occ = await load_occupancy(
            s,
            start=now,
            end=at_local(days[-1], rules.close_time, rules),
            lines=rules.lines,
            mentor_ids=list(latest),
        )
        own = await load_own(s, client, rules)
    return [
        (
            mentor,
            last,
            next_free_slots(occ, mentor_id, now, rules, limit_free, own) if mentor.active else [],
        )
        for mentor_id, (mentor, last) in latest.items()
    ]
