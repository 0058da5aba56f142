"""Views for mentors and supervisors: consultations of a day, line use per slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.inputs import check_day
from app.actions.occupancy import load_occupancy
from app.db.tables import Client, Consultation, Mentor
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


async def consultations_for_day(
    ctx: Context, principal: Principal | None, *, day: object = None
) -> tuple[date, list[tuple[Consultation, Mentor, Client]]]:
    """A mentor sees their own consultations of a day; a supervisor sees everyone's."""
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
    return the_day, [(c, m, cl) for c, m, cl in rows]


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
