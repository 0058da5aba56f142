"""Views for mentors and supervisors: consultations of a day, line use per slot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.inputs import check_day
from app.actions.occupancy import load_occupancy
from app.db.tables import Client, Consultation, CrisisAlert, Handover, Mentor
from app.errors import Refusal
from app.rules import at_local, local_day, slot_starts, ticks_between
from app.rules.capacity import current_tick


@dataclass(frozen=True)
class SlotUse:
    start: datetime
    used: int
    capacity: int


def require_staff(principal: Principal | None, *, supervisor: bool = False) -> Principal:
    if principal is None:
        raise Refusal("not_signed_in")
    if principal.kind != "staff" or (supervisor and not principal.is_supervisor):
        raise Refusal("not_allowed")
    return principal


def parse_day(ctx: Context, value: object) -> date:
    if value in (None, ""):
        return local_day(ctx.now(), ctx.rules)
    return check_day(value)


@dataclass(frozen=True)
class HandoverView:
    """The latest handover of a consultation, for staff (the note is never shown a client)."""

    handover: Handover
    from_mentor: Mentor | None


# A consultation as staff list it: its mentor and client, its latest handover, and the
# categories of its crisis alerts not acknowledged yet.
StaffRow = tuple[Consultation, Mentor, Client, HandoverView | None, list[str]]


async def consultations_for_day(
    ctx: Context, principal: Principal | None, *, day: object = None
) -> tuple[date, list[StaffRow]]:
    """A mentor sees their own consultations of a day; a supervisor sees everyone's. Each
    comes with its latest handover, if it changed hands (the new mentor reads the note)."""
    staff = require_staff(principal)
    the_day = parse_day(ctx, day)
    start = at_local(the_day, time(0, 0), ctx.rules)
    end = start + timedelta(days=1)
    query = (
        select(Consultation, Mentor, Client)
        .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
        .join(Client, col(Client.id) == Consultation.client_id)
        .where(col(Consultation.starts_at) >= start, col(Consultation.starts_at) < end)
        .order_by(col(Consultation.starts_at), col(Consultation.id))
    )
    if not staff.is_supervisor:
        if staff.mentor_id is None:
            return the_day, []
        query = query.where(col(Consultation.mentor_id) == staff.mentor_id)
    async with ctx.db.read() as s:
        rows = (await s.execute(query)).all()
        return the_day, await _staff_rows(s, rows)


async def _staff_rows(s: AsyncSession, rows: Sequence[Any]) -> list[StaffRow]:
    """Each consultation with its latest handover and the categories of its crisis alerts
    that headquarters has not acknowledged yet (the mentor's banner stays until then)."""
    ids = [c.id for c, _m, _cl in rows if c.id is not None]
    latest = await latest_handovers(s, ids)
    risks: dict[int, list[str]] = {}
    if ids:
        for cid, category in await s.execute(
            select(col(CrisisAlert.consultation_id), col(CrisisAlert.category))
            .where(
                col(CrisisAlert.consultation_id).in_(ids),
                col(CrisisAlert.kind) == "crisis",
                col(CrisisAlert.acknowledged_at).is_(None),
            )
            .order_by(col(CrisisAlert.id))
        ):
            risks.setdefault(cid, []).append(category)
    return [(c, m, cl, latest.get(c.id or 0), risks.get(c.id or 0, [])) for c, m, cl in rows]


async def latest_handovers(s: AsyncSession, ids: list[int]) -> dict[int, HandoverView]:
    if not ids:
        return {}
    found: dict[int, Handover] = {}
    for h in (
        await s.execute(
            select(Handover)
            .where(col(Handover.consultation_id).in_(ids))
            .order_by(col(Handover.at), col(Handover.id))
        )
    ).scalars():
        found[h.consultation_id] = h  # the later one wins
    mentors = {
        m.id: m
        for m in (
            await s.execute(
                select(Mentor).where(col(Mentor.id).in_({h.from_mentor_id for h in found.values()}))
            )
        ).scalars()
    }
    return {cid: HandoverView(h, mentors.get(h.from_mentor_id)) for cid, h in found.items()}


async def line_use(
    ctx: Context, principal: Principal | None, *, day: object = None
) -> tuple[date, int, int, list[SlotUse]]:
    """Lines busy now and the peak line use of every slot of a day."""
    require_staff(principal, supervisor=True)
    the_day = parse_day(ctx, day)
    rules = ctx.rules
    starts = slot_starts(the_day, rules)
    close = at_local(the_day, rules.close_time, rules)
    now = ctx.now()
    async with ctx.db.read() as s:
        occ = await load_occupancy(s, start=starts[0], end=close, lines=rules.lines)
        current = await load_occupancy(
            s, start=now, end=now + timedelta(seconds=1), lines=rules.lines
        )
    slots = [
        SlotUse(
            start,
            max(occ.used_at(t) for t in ticks_between(start, min(start + rules.session, close))),
            occ.lines,
        )
        for start in starts
    ]
    busy_now = current.used_at(current_tick(now))
    return the_day, occ.lines, busy_now, slots


async def upcoming_of_mentor(
    ctx: Context, principal: Principal | None, mentor_id: int
) -> list[StaffRow]:
    """A mentor's open consultations and bookings still ahead: what headquarters moves to
    someone else before stopping them (roster refusal mentor_has_bookings)."""
    require_staff(principal, supervisor=True)
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(Consultation, Mentor, Client)
                .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
                .join(Client, col(Client.id) == Consultation.client_id)
                .where(
                    col(Consultation.mentor_id) == mentor_id,
                    col(Consultation.status).in_(("booked", "open")),
                )
                .order_by(col(Consultation.starts_at), col(Consultation.id))
            )
        ).all()
        return await _staff_rows(s, rows)
