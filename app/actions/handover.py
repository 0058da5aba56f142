"""Handing a consultation (or a future booking) to another mentor, and who could take it.

do_reassign changes consultation.mentor_id and the mentor of every line_hold row still ahead
in one transaction. The line and the client's holds stay as they are, so capacity does not
change; the unique (mentor_id, tick) constraint on line_hold decides a race for the same
mentor (the loser re-reads and is told mentor_busy). Past ticks stay with the mentor who held
them: they are history, and moving them could collide with the new mentor's own past.
The transcript, the seq stream and the client's resume position belong to the consultation,
so they are untouched; the new mentor reads the whole transcript with the normal join.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions.booking import RETRYABLE_SQLSTATES, require_client, serves
from app.actions.context import Context, Principal
from app.actions.events import publish_alert_acknowledged, publish_reassigned
from app.actions.inputs import check_id
from app.actions.occupancy import Occupancy, load_occupancy
from app.actions.staff import require_staff
from app.db.tables import AuditLog, Client, Consultation, CrisisAlert, Handover, LineHold, Mentor
from app.errors import Refusal
from app.rules import ticks_between
from app.rules.capacity import current_tick

MAX_NOTE = 1000
ATTEMPTS = 4
# Why a consultation changed hands, as told to the client and the new mentor. mentor_handover:
# its mentor asked from the chat and the client said yes (app/actions/handover_requests.py).
REASONS = ("mentor_absent", "client_switch", "headquarters", "mentor_handover")
# Runs inside the reassignment's transaction, after the move (e.g. marks a request accepted);
# a Refusal it raises rolls the move back.
InTransaction = Callable[[AsyncSession, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Alternative:
    mentor: Mentor
    same_kind: bool


@dataclass(frozen=True)
class Reassigned:
    consultation: Consultation
    mentor: Mentor
    previous_mentor_id: int
    reason: str


def _remaining(c: Consultation, now: datetime) -> tuple[datetime, list[int]]:
    """From when the new mentor must be there, and the ticks whose holds move."""
    start = max(now, c.starts_at)
    return start, [t for t in ticks_between(c.starts_at, c.ends_at) if t >= current_tick(now)]


def check_reassignable(c: Consultation, now: datetime) -> None:
    if c.status not in ("open", "booked") or c.ends_at <= now:
        raise Refusal("not_reassignable")


def mentor_refusal(
    occ: Occupancy, mentor: Mentor | None, audience: str, c: Consultation, now: datetime
) -> str | None:
    """Why this mentor cannot take the consultation now, as a stable code; None if they can.
    The same rules as taking a line (booking._check): active, serves the client, on shift for
    the whole remaining time, and free for every remaining tick."""
    if mentor is None:
        return "not_found"
    if not mentor.active:
        return "mentor_inactive"
    if not serves(mentor, audience):
        return "wrong_audience"
    start, ticks = _remaining(c, now)
    if not occ.on_shift(mentor.id or 0, start, c.ends_at):
        return "mentor_off_shift"
    if occ.mentor_taken(mentor.id or 0, ticks):
        return "mentor_busy"
    until = occ.resting.get(mentor.id or 0)
    if until is not None and until > now:  # well-being: no new chats while she rests
        return "mentor_resting"
    return None


async def _load(s: AsyncSession, consultation_id: int) -> tuple[Consultation, Client]:
    row = (
        await s.execute(
            select(Consultation, Client)
            .join(Client, col(Client.id) == Consultation.client_id)
            .where(col(Consultation.id) == consultation_id)
        )
    ).first()
    if row is None:
        raise Refusal("not_found")
    return row[0], row[1]


async def _occupancy(
    s: AsyncSession, ctx: Context, c: Consultation, mentor_ids: list[int]
) -> Occupancy:
    start, _ticks = _remaining(c, ctx.now())
    return await load_occupancy(
        s, start=start, end=c.ends_at, lines=ctx.rules.lines, mentor_ids=mentor_ids
    )


async def alternatives(
    ctx: Context, principal: Principal | None, consultation_id: int
) -> list[Alternative]:
    """Mentors who could take this consultation now: the same kind as its mentor first.
    For its client (an open consultation), its mentor (to hand it over) and headquarters."""
    if principal is not None and principal.is_client:
        require_client(principal)
    elif principal is None or not principal.is_mentor:
        require_staff(principal, supervisor=True)
    assert principal is not None
    now = ctx.now()
    async with ctx.db.read() as s:
        c, client = await _load(s, consultation_id)
        if principal.is_client and (c.client_id != principal.id or c.status != "open"):
            raise Refusal("not_found")
        if principal.is_mentor and c.mentor_id != principal.mentor_id:
            raise Refusal("not_found")
        check_reassignable(c, now)
        current = await s.get(Mentor, c.mentor_id)
        mentors = [
            m
            for m in (
                await s.execute(
                    select(Mentor).where(col(Mentor.active).is_(True)).order_by(col(Mentor.id))
                )
            ).scalars()
            if m.id != c.mentor_id and serves(m, client.audience)
        ]
        occ = await _occupancy(s, ctx, c, [m.id for m in mentors if m.id is not None])
    kind = current.kind if current is not None else None
    free = [
        Alternative(m, m.kind == kind)
        for m in mentors
        if mentor_refusal(occ, m, client.audience, c, now) is None
    ]
    return sorted(free, key=lambda a: (not a.same_kind, a.mentor.id or 0))


def _check_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        raise Refusal("invalid_input", field="note")
    return note.strip()


async def do_reassign(
    ctx: Context,
    principal: Principal | None,
    consultation_id: int,
    *,
    mentor_id: object,
    note: object,
) -> Reassigned:
    """Headquarters hands an open consultation or a future booking to another mentor."""
    staff = require_staff(principal, supervisor=True)
    new_id = check_id(mentor_id, "mentor_id")
    text = _check_note(note)
    return await _reassign(ctx, staff, consultation_id, new_id, text, reason=None)


async def do_switch(
    ctx: Context, principal: Principal | None, consultation_id: int, *, mentor_id: object
) -> Reassigned:
    """The client of an open consultation whose mentor has not come (the absence was raised)
    talks with another free mentor instead, on the same line, with the words so far."""
    client = require_client(principal)
    new_id = check_id(mentor_id, "mentor_id")
    try:
        return await _reassign(ctx, client, consultation_id, new_id, "", reason="client_switch")
    except Refusal as refusal:
        if refusal.code in ("mentor_inactive", "wrong_audience"):
            raise Refusal("not_found", field="mentor_id") from None  # no such mentor for you
        raise


async def reassign_agreed(
    ctx: Context,
    client: Principal,
    consultation_id: int,
    mentor_id: int,
    note: str,
    also: InTransaction,
) -> Reassigned:
    """The client said yes to their mentor's handover request (app/actions/handover_requests.py):
    the same move as headquarters', with `also` marking the request in the same transaction."""
    return await _reassign(
        ctx, client, consultation_id, mentor_id, note, reason="mentor_handover", also=also
    )


async def _reassign(
    ctx: Context,
    actor: Principal,
    consultation_id: int,
    new_id: int,
    note: str,
    *,
    reason: str | None,
    also: InTransaction | None = None,
) -> Reassigned:
    for _ in range(ATTEMPTS):
        try:
            async with ctx.db.write() as s:
                done, acked = await _move(s, ctx, actor, consultation_id, new_id, note, reason)
                if done is not None and also is not None:
                    await also(s, ctx.now())
        except IntegrityError:
            continue  # the new mentor took one of these ticks meanwhile: check again
        except DBAPIError as exc:
            if getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES:
                continue
            raise
        if done is None:
            continue  # someone else handed it over first: decide again on what is there now
        for alert_id in acked:
            await publish_alert_acknowledged(ctx, alert_id, consultation_id, None)
        await publish_reassigned(
            ctx, done.consultation, done.mentor, done.previous_mentor_id, done.reason
        )
        return done
    raise Refusal("busy_try_again")


async def _move(
    s: AsyncSession,
    ctx: Context,
    actor: Principal,
    consultation_id: int,
    new_id: int,
    note: str,
    reason: str | None,
) -> tuple[Reassigned | None, list[int]]:
    now = ctx.now()
    c, client = await _load(s, consultation_id)
    if actor.is_client:
        if c.client_id != actor.id:
            raise Refusal("not_found")
        switching = reason == "client_switch"
        if switching and (
            c.status != "open" or c.mentor_joined_at is not None or c.mentor_absent_at is None
        ):
            raise Refusal("switch_not_offered")
    check_reassignable(c, now)
    if new_id == c.mentor_id:
        raise Refusal("invalid_input", field="mentor_id")
    mentor = await s.get(Mentor, new_id)
    occ = await _occupancy(s, ctx, c, [new_id])
    refusal = mentor_refusal(occ, mentor, client.audience, c, now)
    if refusal is not None:
        raise Refusal(refusal, field="mentor_id")
    assert mentor is not None and c.id is not None
    old_id = c.mentor_id
    # Read before the update below: it refreshes c in this session (mentor_joined_at=None).
    from_joined = c.mentor_joined_at is not None
    if reason is None:
        absent = c.status == "open" and c.mentor_joined_at is None and c.mentor_absent_at
        reason = "mentor_absent" if absent else "headquarters"
    changed = (
        await s.execute(
            update(Consultation)
            .where(
                col(Consultation.id) == c.id,
                col(Consultation.mentor_id) == old_id,
                col(Consultation.status) == c.status,
            )
            .values(
                mentor_id=new_id,
                mentor_joined_at=None,
                mentor_absent_at=None,
                mentor_assigned_at=now,
            )
            .returning(col(Consultation.id))
        )
    ).scalar_one_or_none()
    if changed is None:
        return None, []
    _start, ticks = _remaining(c, now)
    await s.execute(
        update(LineHold)
        .where(col(LineHold.consultation_id) == c.id, col(LineHold.tick).in_(ticks))
        .values(mentor_id=new_id)
    )
    # The absence this answers is dealt with: off headquarters' list of open alerts.
    acked = list(
        (
            await s.execute(
                update(CrisisAlert)
                .where(
                    col(CrisisAlert.consultation_id) == c.id,
                    col(CrisisAlert.kind) == "mentor_absent",
                    col(CrisisAlert.acknowledged_at).is_(None),
                )
                .values(acknowledged_at=now, acknowledged_by=None if actor.is_client else actor.id)
                .returning(col(CrisisAlert.id))
            )
        ).scalars()
    )
    s.add(
        Handover(
            consultation_id=c.id,
            at=now,
            from_mentor_id=old_id,
            to_mentor_id=new_id,
            from_joined=from_joined,
            reason=reason,
            note=note,
            actor_role=actor.role,
            actor_id=actor.id,
        )
    )
    s.add(
        AuditLog(
            at=now,
            actor_role=actor.role,
            actor_id=actor.id,
            action="reassigned",
            consultation_id=c.id,
            reason=f"{reason}: {note}"[:400] if note else reason,
            subject=f"mentor:{old_id}->{new_id}",
        )
    )
    await s.flush()
    fresh = await s.get(Consultation, c.id, populate_existing=True)
    assert fresh is not None
    return Reassigned(fresh, mentor, old_id, reason), [a for a in acked if a is not None]


async def handovers(
    ctx: Context, consultation_id: int
) -> list[tuple[Handover, Mentor | None, Mentor | None]]:
    """Every handover of a consultation, oldest first, with both mentors (staff only: the
    caller has checked access)."""
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(Handover)
                .where(col(Handover.consultation_id) == consultation_id)
                .order_by(col(Handover.at), col(Handover.id))
            )
        ).scalars()
        found = []
        for h in rows:
            found.append(
                (h, await s.get(Mentor, h.from_mentor_id), await s.get(Mentor, h.to_mentor_id))
            )
        return found
