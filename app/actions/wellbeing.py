"""Mentor well-being: limits on consultations per shift and per day, and a cool-down.

A mentor who just held a consultation that raised a crisis alert (or that was recorded as
high or urgent risk) rests for `cooldown_minutes` after it: no walk-ins, no waiting-line
offers, no new bookings that would start while she rests. Bookings already made stay. The
limits count a mentor's booked, open and closed consultations that start in the same local
day, or in the same shift, as the one asked for.

The checks read what load_occupancy loaded (load_care, below) and run inside the booking
transaction, after the mentor's row is locked (booking._take), so two takes for one mentor
cannot both squeeze under a limit, and a cool-down committed first is always seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.occupancy import Occupancy
from app.actions.staff import require_staff
from app.db.tables import Consultation, Mentor
from app.errors import Refusal
from app.realtime.hub import SUPERVISORS, topic_mentor
from app.rules import ServiceRules, local_day

COUNTED = ("booked", "open", "closed")  # what uses up a mentor's limits
REASONS = ("crisis", "risk_high", "risk_urgent")
MAX_LIMIT = 100


async def load_care(
    s: AsyncSession,
    occ: Occupancy,
    *,
    start: datetime,
    end: datetime,
    mentor_ids: Sequence[int] | None,
) -> None:
    """Fill occ's well-being part: resting, limits, and consultation starts around the
    window (its local days and the shifts it touches)."""
    query = select(
        col(Mentor.id),
        col(Mentor.max_per_day),
        col(Mentor.max_per_shift),
        col(Mentor.resting_until),
    )
    if mentor_ids is not None:
        query = query.where(col(Mentor.id).in_(list(mentor_ids)))
    for mentor_id, per_day, per_shift, until in (await s.execute(query)).all():
        assert mentor_id is not None
        occ.limits[mentor_id] = (per_day, per_shift)
        if until is not None:
            occ.resting[mentor_id] = until
    # A local day is at most a day from any instant in it; a shift may reach further.
    first = start - timedelta(days=1)
    last = end + timedelta(days=1)
    for spans in occ.shifts.values():
        for s0, e0 in spans:
            first, last = min(first, s0), max(last, e0)
    rows = select(col(Consultation.mentor_id), col(Consultation.starts_at)).where(
        col(Consultation.status).in_(COUNTED),
        col(Consultation.starts_at) >= first,
        col(Consultation.starts_at) < last,
    )
    if mentor_ids is not None:
        rows = rows.where(col(Consultation.mentor_id).in_(list(mentor_ids)))
    for mentor_id, starts_at in (await s.execute(rows)).all():
        occ.starts[mentor_id].append(starts_at)


def limits_of(occ: Occupancy, mentor_id: int, rules: ServiceRules) -> tuple[int | None, int | None]:
    own_day, own_shift = occ.limits.get(mentor_id, (None, None))
    return (
        own_day if own_day is not None else rules.mentor_max_per_day,
        own_shift if own_shift is not None else rules.mentor_max_per_shift,
    )


def care_reason(
    occ: Occupancy,
    mentor_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    rules: ServiceRules,
    *,
    walk_in: bool,
) -> str | None:
    """mentor_resting or mentor_limit_reached for taking [start, end) with this mentor."""
    until = occ.resting.get(mentor_id)
    if until is not None and until > now and (walk_in or start < until):
        return "mentor_resting"
    per_day, per_shift = limits_of(occ, mentor_id, rules)
    starts = occ.starts.get(mentor_id, [])
    if per_day is not None:
        day = local_day(start, rules)
        if sum(1 for t in starts if local_day(t, rules) == day) >= per_day:
            return "mentor_limit_reached"
    if per_shift is not None:
        for s0, e0 in occ.shifts.get(mentor_id, ()):
            if s0 <= start and end <= e0 and sum(1 for t in starts if s0 <= t < e0) >= per_shift:
                return "mentor_limit_reached"
    return None


def care_params(occ: Occupancy, mentor_id: int, code: str, rules: ServiceRules) -> dict[str, Any]:
    """A refusal's parameters: until when she rests (local time), or nothing."""
    until = occ.resting.get(mentor_id)
    if code == "mentor_resting" and until is not None:
        return {"until": until.astimezone(rules.tz).strftime("%H:%M")}
    return {}


async def start_cooldown(
    ctx: Context, mentor_id: int, reason: str, *, since: datetime | None = None
) -> datetime | None:
    """Let a mentor rest `cooldown_minutes` after `since` (default now): after a consultation
    that raised a crisis alert or was recorded as high/urgent risk. Never shortens a rest
    already running. Tells the mentor's console and headquarters. Returns the new end, or
    None when nothing changed (cool-down off, or already resting longer)."""
    if reason not in REASONS:
        raise ValueError(reason)
    if ctx.rules.cooldown_minutes <= 0:
        return None
    until = (since or ctx.now()) + timedelta(minutes=ctx.rules.cooldown_minutes)
    if until <= ctx.now():  # e.g. a record written (or corrected) long after the chat
        return None
    async with ctx.db.write() as s:
        changed = (
            await s.execute(
                update(Mentor)
                .where(
                    col(Mentor.id) == mentor_id,
                    (col(Mentor.resting_until).is_(None)) | (col(Mentor.resting_until) < until),
                )
                .values(resting_until=until, resting_reason=reason)
                .returning(col(Mentor.id))
            )
        ).scalar_one_or_none()
    if changed is None:
        return None
    await publish_resting(ctx, mentor_id, until, reason)
    return until


async def cooldown_after_close(ctx: Context, consultation: Consultation) -> datetime | None:
    """A consultation that raised a crisis alert has just closed: her rest runs from now. The
    alert set it from the planned end (start_cooldown(since=ends_at)); a chat ended early
    moves it to now + cooldown, unless a longer rest (from something else) is running."""
    if ctx.rules.cooldown_minutes <= 0 or not consultation.at_risk:
        return None
    step = timedelta(minutes=ctx.rules.cooldown_minutes)
    planned = consultation.ends_at + step
    until = (consultation.closed_at or ctx.now()) + step
    async with ctx.db.write() as s:
        changed = (
            await s.execute(
                update(Mentor)
                .where(
                    col(Mentor.id) == consultation.mentor_id,
                    (col(Mentor.resting_until).is_(None)) | (col(Mentor.resting_until) <= planned),
                )
                .values(resting_until=until, resting_reason="crisis")
                .returning(col(Mentor.id))
            )
        ).scalar_one_or_none()
    if changed is None:
        return None
    await publish_resting(ctx, consultation.mentor_id, until, "crisis")
    return until


async def publish_resting(
    ctx: Context, mentor_id: int, until: datetime | None, reason: str | None
) -> None:
    await ctx.hub.publish(
        [topic_mentor(mentor_id), SUPERVISORS],
        {
            "type": "resting",
            "mentor_id": mentor_id,
            "until": until.astimezone(ctx.rules.tz).isoformat() if until else None,
            "reason": reason,
        },
    )


async def do_end_rest(ctx: Context, principal: Principal | None, mentor_id: int) -> None:
    """Headquarters ends a mentor's cool-down early (she said she is fine to go on)."""
    require_staff(principal, supervisor=True)
    async with ctx.db.write() as s:
        mentor = await s.get(Mentor, mentor_id, with_for_update=True)
        if mentor is None:
            raise Refusal("not_found")
        mentor.resting_until = None
        mentor.resting_reason = None
    await publish_resting(ctx, mentor_id, None, None)


@dataclass(frozen=True)
class Rest:
    until: datetime | None
    reason: str | None


async def my_rest(ctx: Context, principal: Principal | None) -> Rest:
    """The signed-in mentor's own cool-down (nothing for a supervisor without a mentor)."""
    me = require_staff(principal)
    if me.mentor_id is None:
        return Rest(None, None)
    async with ctx.db.read() as s:
        mentor = await s.get(Mentor, me.mentor_id)
    if mentor is None or mentor.resting_until is None or mentor.resting_until <= ctx.now():
        return Rest(None, None)
    return Rest(mentor.resting_until, mentor.resting_reason)


@dataclass(frozen=True)
class Load:
    mentor: Mentor
    today_count: int
    today_minutes: int
    week_count: int
    week_minutes: int
    resting_until: datetime | None
    max_per_day: int | None  # in force (the mentor's own, else the service's)
    max_per_shift: int | None


def _minutes(c: Consultation, now: datetime) -> int:
    """Minutes actually talked: from opening to closing (or now, while open)."""
    if c.opened_at is None or c.status not in ("open", "closed"):
        return 0
    stop = c.closed_at if c.status == "closed" and c.closed_at else min(now, c.ends_at)
    return max(0, int((stop - c.opened_at).total_seconds() // 60))


async def mentor_loads(ctx: Context, principal: Principal | None) -> list[Load]:
    """Each mentor's load today and this week (Monday to Sunday, local): consultations that
    count towards the limits, minutes talked, and a cool-down running now."""
    require_staff(principal, supervisor=True)
    now = ctx.now()
    rules = ctx.rules
    today = local_day(now, rules)
    monday = today - timedelta(days=today.weekday())
    week_start = datetime.combine(monday, time(0), tzinfo=rules.tz)
    week_end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=rules.tz)
    day_start = datetime.combine(today, time(0), tzinfo=rules.tz)
    day_end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=rules.tz)
    async with ctx.db.read() as s:
        mentors = list((await s.execute(select(Mentor).order_by(col(Mentor.id)))).scalars())
        consultations = list(
            (
                await s.execute(
                    select(Consultation).where(
                        col(Consultation.status).in_(COUNTED),
                        col(Consultation.starts_at) >= week_start,
                        col(Consultation.starts_at) < week_end,
                    )
                )
            ).scalars()
        )
    loads = []
    for m in mentors:
        mine = [c for c in consultations if c.mentor_id == m.id]
        today_list = [c for c in mine if day_start <= c.starts_at < day_end]
        resting = m.resting_until if m.resting_until and m.resting_until > now else None
        loads.append(
            Load(
                mentor=m,
                today_count=len(today_list),
                today_minutes=sum(_minutes(c, now) for c in today_list),
                week_count=len(mine),
                week_minutes=sum(_minutes(c, now) for c in mine),
                resting_until=resting,
                max_per_day=m.max_per_day
                if m.max_per_day is not None
                else rules.mentor_max_per_day,
                max_per_shift=(
                    m.max_per_shift if m.max_per_shift is not None else rules.mentor_max_per_shift
                ),
            )
        )
    return loads


def check_limit(value: object, field: str) -> int | None:
    """A mentor's own limit from the roster form: a whole number 1..100, or null (none)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise Refusal("invalid_input", field=field)
    return value
