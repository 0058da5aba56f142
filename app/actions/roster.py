"""Headquarters manages mentors, their shifts and the line capacity."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions import catalog, queue, staff_accounts
from app.actions.context import Context, Principal
from app.actions.inputs import check_day, check_id
from app.actions.staff import require_staff
from app.actions.wellbeing import check_limit
from app.db.tables import (
    MENTOR_AUDIENCES,
    MENTOR_KINDS,
    MENTOR_LANGUAGES,
    Consultation,
    LineHold,
    Mentor,
    ServiceSetting,
    Shift,
)
from app.errors import Refusal
from app.rules import at_local, local_day
from app.rules.capacity import MAX_LINES, current_tick

TEXT_LIMITS = {"display_name": 60, "profile_ja": 400, "profile_en": 400}


def _check_mentor_fields(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name in body:
            value = body[name]
            if not isinstance(value, str) or len(value.strip()) > limit:
                raise Refusal("invalid_input", field=name)
            if name == "display_name" and not value.strip():
                raise Refusal("invalid_input", field=name)
            values[name] = value.strip()
        elif not partial and name == "display_name":
            raise Refusal("invalid_input", field=name)
    if "kind" in body or not partial:
        if body.get("kind") not in MENTOR_KINDS:
            raise Refusal("invalid_input", field="kind")
        values["kind"] = body["kind"]
    if "audience" in body or not partial:
        if body.get("audience") not in MENTOR_AUDIENCES:
            raise Refusal("invalid_input", field="audience")
        values["audience"] = body["audience"]
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise Refusal("invalid_input", field="active")
        values["active"] = body["active"]
    if "languages" in body:
        values["languages"] = _check_languages(body["languages"])
    for name in ("max_per_day", "max_per_shift"):  # well-being: null, the service default
        if name in body:
            values[name] = check_limit(body[name], name)
    return values


def _check_languages(value: object) -> str:
    """One or more of ja/en/zh/ko, each once; stored comma-separated in the usual order."""
    if (
        not isinstance(value, list)
        or not value
        or len(value) > len(MENTOR_LANGUAGES)
        or any(code not in MENTOR_LANGUAGES for code in value)
        or len(set(value)) != len(value)
    ):
        raise Refusal("invalid_input", field="languages")
    return ",".join(code for code in MENTOR_LANGUAGES if code in value)


async def all_mentors(ctx: Context, principal: Principal | None) -> list[Mentor]:
    require_staff(principal, supervisor=True)
    async with ctx.db.read() as s:
        return list((await s.execute(select(Mentor).order_by(col(Mentor.id)))).scalars())


async def do_create_mentor(
    ctx: Context, principal: Principal | None, body: dict[str, Any]
) -> Mentor:
    require_staff(principal, supervisor=True)
    values = _check_mentor_fields(body, partial=False)
    mentor = Mentor(**values, created_at=ctx.now())
    async with ctx.db.write() as s:
        s.add(mentor)
        await s.flush()
    return mentor


async def do_update_mentor(
    ctx: Context, principal: Principal | None, mentor_id: int, body: dict[str, Any]
) -> Mentor:
    boss = require_staff(principal, supervisor=True)
    values = _check_mentor_fields(body, partial=True)
    stopped: list[int] = []
    async with ctx.db.write() as s:
        mentor = await s.get(Mentor, mentor_id)
        if mentor is None:
            raise Refusal("not_found")
        if values.get("active") is False and mentor.active:
            upcoming = (
                await s.execute(
                    select(func.count())
                    .select_from(Consultation)
                    .where(
                        col(Consultation.mentor_id) == mentor_id,
                        col(Consultation.status).in_(("booked", "open")),
                    )
                )
            ).scalar_one()
            if upcoming:
                raise Refusal("mentor_has_bookings", count=int(upcoming))
            # A stopped mentor's logins lose their sessions in the same transaction.
            stopped = await staff_accounts.stop_mentor_logins(s, ctx, boss, mentor_id)
        for name, value in values.items():
            setattr(mentor, name, value)
    await staff_accounts.publish_revoked(ctx, staff_ids=stopped)
    return mentor


def _wall(value: object, field: str) -> time:
    if not isinstance(value, str) or len(value) != 5:
        raise Refusal("invalid_input", field=field)
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise Refusal("invalid_input", field=field) from None
    if parsed.minute % 5:
        raise Refusal("invalid_input", field=field)
    return parsed


async def shifts_of_day(
    ctx: Context, principal: Principal | None, day: object
) -> tuple[date, list[Shift]]:
    require_staff(principal, supervisor=True)
    the_day = check_day(day) if day not in (None, "") else local_day(ctx.now(), ctx.rules)
    start = at_local(the_day, time(0), ctx.rules)
    end = at_local(the_day, time(23, 59), ctx.rules)
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(Shift)
            .where(col(Shift.starts_at) >= start, col(Shift.starts_at) <= end)
            .order_by(col(Shift.mentor_id), col(Shift.starts_at))
        )
        return the_day, list(rows.scalars())


async def do_add_shift(ctx: Context, principal: Principal | None, body: dict[str, Any]) -> Shift:
    require_staff(principal, supervisor=True)
    mentor_id = check_id(body.get("mentor_id"), "mentor_id")
    day = check_day(body.get("date"))
    begin, finish = _wall(body.get("start"), "start"), _wall(body.get("end"), "end")
    rules = ctx.rules
    if not begin < finish:
        raise Refusal("invalid_input", field="end")
    if begin < rules.open_time or finish > rules.close_time:
        raise Refusal("outside_hours", **rules.hours())
    starts_at, ends_at = at_local(day, begin, rules), at_local(day, finish, rules)
    async with ctx.db.write() as s:
        if await s.get(Mentor, mentor_id) is None:
            raise Refusal("not_found", field="mentor_id")
        overlap = (
            await s.execute(
                select(col(Shift.id)).where(
                    col(Shift.mentor_id) == mentor_id,
                    col(Shift.starts_at) < ends_at,
                    col(Shift.ends_at) > starts_at,
                )
            )
        ).first()
        if overlap is not None:
            raise Refusal("shift_overlap")
        shift = Shift(mentor_id=mentor_id, starts_at=starts_at, ends_at=ends_at)
        s.add(shift)
        await s.flush()
    return shift


async def do_remove_shift(ctx: Context, principal: Principal | None, shift_id: int) -> None:
    require_staff(principal, supervisor=True)
    async with ctx.db.write() as s:
        shift = await s.get(Shift, shift_id)
        if shift is None:
            raise Refusal("not_found")
        inside = (
            await s.execute(
                select(col(Consultation.id)).where(
                    col(Consultation.mentor_id) == shift.mentor_id,
                    col(Consultation.status).in_(("booked", "open")),
                    col(Consultation.starts_at) < shift.ends_at,
                    col(Consultation.ends_at) > shift.starts_at,
                )
            )
        ).first()
        if inside is not None:
            raise Refusal("shift_in_use")
        await s.delete(shift)


async def capacity(ctx: Context, principal: Principal | None) -> int:
    require_staff(principal, supervisor=True)
    return await catalog.capacity(ctx)


async def do_set_capacity(ctx: Context, principal: Principal | None, lines: object) -> int:
    """Change the line capacity for every process. Lowering it never strands a hold: it is
    refused while a line above the new number is taken at any upcoming time."""
    require_staff(principal, supervisor=True)
    if not isinstance(lines, int) or isinstance(lines, bool) or not 1 <= lines <= MAX_LINES:
        raise Refusal("invalid_input", field="lines")
    now = ctx.now()
    for _ in range(3):
        try:
            async with ctx.db.write() as s:
                if not ctx.db.is_sqlite:
                    # Wait for bookings in flight and hold new ones back for this short
                    # transaction, so the highest line in use below is the truth.
                    await s.execute(text("LOCK TABLE line_hold IN SHARE MODE"))
                setting = await s.get(ServiceSetting, "lines", with_for_update=True)
                highest = (
                    await s.execute(
                        select(func.max(LineHold.line_no)).where(
                            col(LineHold.tick) >= current_tick(now)
                        )
                    )
                ).scalar_one_or_none()
                if highest is not None and highest > lines:
                    raise Refusal("capacity_in_use", used=int(highest))
                if setting is None:
                    s.add(ServiceSetting(key="lines", value=lines, updated_at=now))
                else:
                    setting.value = lines
                    setting.updated_at = now
            break
        except IntegrityError:
            continue  # two first-time settings raced: the row exists now, lock it and retry
    else:
        raise Refusal("busy_try_again")
    await queue.line_freed(ctx)  # more lines: the waiting line is offered them at once
    return lines


def shift_view(shift: Shift, ctx: Context) -> dict[str, Any]:
    local_start: datetime = shift.starts_at.astimezone(ctx.rules.tz)
    local_end: datetime = shift.ends_at.astimezone(ctx.rules.tz)
    return {
        "id": shift.id,
        "mentor_id": shift.mentor_id,
        "date": local_start.date().isoformat(),
        "start": local_start.strftime("%H:%M"),
        "end": local_end.strftime("%H:%M"),
    }
