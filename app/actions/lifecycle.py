"""Time-driven transitions: open reservations, warn, close, mark no-shows, raise absences.

Each is a conditional UPDATE that decides by itself, so a job that runs twice, late, or on
two processes at once changes nothing the second time. sweep() runs them all in the order
that keeps the rules (close before open, so a client's previous consultation has ended),
which is also how a restarted server catches up on what it missed.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions.chat import close_consultations
from app.actions.context import Context
from app.actions.events import publish_lifecycle, publish_mentor_absent
from app.actions.queue import sweep_queue
from app.db.tables import AuditLog, Consultation, CrisisAlert, Mentor
from app.observability import metrics

WARNING_BEFORE_END = timedelta(minutes=5)


async def _ids(ctx: Context, *conditions) -> list[int]:  # type: ignore[no-untyped-def]
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(col(Consultation.id)).where(*conditions).order_by(col(Consultation.starts_at))
        )
        return [i for i in rows.scalars() if i is not None]


async def close_due(ctx: Context) -> int:
    now = ctx.now()
    ids = await _ids(ctx, col(Consultation.status) == "open", col(Consultation.ends_at) <= now)
    missed = await _ids(ctx, col(Consultation.status) == "booked", col(Consultation.ends_at) <= now)
    done = 0
    never_joined = (
        set(
            await _ids(
                ctx,
                col(Consultation.id).in_(ids),
                col(Consultation.mode) == "booked",
                col(Consultation.client_joined_at).is_(None),
            )
        )
        if ids
        else set()
    )
    # A slot's end is one transaction for all its consultations (close_consultations).
    came = [cid for cid in ids if cid not in never_joined]
    done += len(await close_consultations(ctx, came, reason="time_up"))
    # a late catch-up must not turn a no-show into "time_up"
    stayed_away = [cid for cid in ids if cid in never_joined]
    done += len(await close_consultations(ctx, stayed_away, reason="no_show", status="no_show"))
    # the whole slot passed while no scheduler ran: never opened
    done += len(await close_consultations(ctx, missed, reason="not_opened", from_status="booked"))
    return done


async def no_show_due(ctx: Context) -> int:
    now = ctx.now()
    deadline = now - timedelta(minutes=ctx.rules.no_show_minutes)
    ids = await _ids(
        ctx,
        col(Consultation.status) == "open",
        col(Consultation.mode) == "booked",
        col(Consultation.client_joined_at).is_(None),
        col(Consultation.opened_at) <= deadline,  # from the (possibly late) opening, not the slot
    )
    return len(await close_consultations(ctx, ids, reason="no_show", status="no_show"))


async def open_due(ctx: Context) -> int:
    """Open every reservation whose time has come, in one statement (a burst of 500 at 17:00
    is one transaction), then tell each side."""
    now = ctx.now()
    due = [
        col(Consultation.status) == "booked",
        col(Consultation.starts_at) <= now,
        col(Consultation.ends_at) > now,
    ]
    try:
        async with ctx.db.write() as s:
            rows = await s.execute(
                update(Consultation)
                .where(*due)
                .values(status="open", opened_at=now, booking_no=None)
                .returning(*Consultation.__table__.c)  # type: ignore[attr-defined]
                .execution_options(synchronize_session=False)
            )
            opened = [Consultation(**dict(row._mapping)) for row in rows]
    except IntegrityError:
        opened = await _open_one_by_one(ctx, await _ids(ctx, *due))
    for consultation in sorted(opened, key=lambda c: c.id or 0):
        await publish_lifecycle(ctx, consultation, "opened")
    return len(opened)


async def _open_one_by_one(ctx: Context, ids: list[int]) -> list[Consultation]:
    """Slow path: a client still holds an open consultation (one-open-per-client index)."""
    now = ctx.now()
    opened = []
    for cid in ids:
        try:
            async with ctx.db.write() as s:
                changed = (
                    await s.execute(
                        update(Consultation)
                        .where(col(Consultation.id) == cid, col(Consultation.status) == "booked")
                        .values(status="open", opened_at=now, booking_no=None)
                        .returning(col(Consultation.id))
                    )
                ).scalar_one_or_none()
                consultation = await s.get(Consultation, cid) if changed is not None else None
        except IntegrityError:
            continue  # opens at the next sweep, once the earlier one is closed
        if consultation is not None:
            opened.append(consultation)
    return opened


async def warn_due(ctx: Context) -> int:
    now = ctx.now()
    ids = await _ids(
        ctx,
        col(Consultation.status) == "open",
        col(Consultation.warned_at).is_(None),
        col(Consultation.ends_at) <= now + WARNING_BEFORE_END,
    )
    done = 0
    for cid in ids:
        async with ctx.db.write() as s:
            changed = (
                await s.execute(
                    update(Consultation)
                    .where(col(Consultation.id) == cid, col(Consultation.warned_at).is_(None))
                    .values(warned_at=now)
                    .returning(col(Consultation.id))
                )
            ).scalar_one_or_none()
            consultation = await s.get(Consultation, cid) if changed is not None else None
        if consultation is not None:
            await publish_lifecycle(ctx, consultation, "warning")
            done += 1
    return done


async def absent_due(ctx: Context) -> int:
    """Raise mentor_absent for every open consultation whose mentor has not joined within
    the grace of it opening (or of its handover). The conditional update on mentor_absent_at
    decides: a second sweep, or one on another process, finds nothing left to raise."""
    now = ctx.now()
    deadline = now - timedelta(minutes=ctx.settings.mentor_grace_minutes)
    due = [
        col(Consultation.status) == "open",
        col(Consultation.mentor_joined_at).is_(None),
        col(Consultation.mentor_absent_at).is_(None),
        func.coalesce(Consultation.mentor_assigned_at, Consultation.opened_at) <= deadline,
    ]
    done = 0
    for cid in await _ids(ctx, *due):
        async with ctx.db.write() as s:
            changed = (
                await s.execute(
                    update(Consultation)
                    .where(col(Consultation.id) == cid, *due)
                    .values(mentor_absent_at=now)
                    .returning(col(Consultation.id))
                )
            ).scalar_one_or_none()
            if changed is None:
                continue
            consultation = await s.get(Consultation, cid, populate_existing=True)
            assert consultation is not None
            # The consultation row is locked by the update above: no other sweep gets here
            # for it, so looking for an open absence alert first is race-free.
            alert = (
                await s.execute(
                    select(CrisisAlert).where(
                        col(CrisisAlert.consultation_id) == cid,
                        col(CrisisAlert.category) == "mentor_absent",
                        col(CrisisAlert.acknowledged_at).is_(None),
                    )
                )
            ).scalar_one_or_none()
            if alert is None:
                alert = CrisisAlert(
                    consultation_id=cid,
                    kind="mentor_absent",
                    category="mentor_absent",
                    message_seq=consultation.last_seq,
                    created_at=now,
                )
                s.add(alert)
            alert.mentor_id = consultation.mentor_id
            alert.created_at = now
            s.add(
                AuditLog(
                    at=now,
                    actor_role="system",
                    actor_id=0,
                    action="mentor_absent",
                    consultation_id=cid,
                    subject=f"mentor:{consultation.mentor_id}",
                )
            )
            await s.flush()
            mentor = await s.get(Mentor, consultation.mentor_id)
        await publish_mentor_absent(ctx, alert, consultation, mentor)
        metrics.alert_raised(alert.kind, alert.category)
        done += 1
    return done


async def sweep(ctx: Context) -> dict[str, int]:
    """Everything due at ctx.now(), in rule-keeping order. Idempotent."""
    return {
        "closed": await close_due(ctx),
        "no_show": await no_show_due(ctx),
        "opened": await open_due(ctx),
        "warned": await warn_due(ctx),
        "absent": await absent_due(ctx),
        # after every close and opening: the lines just freed go to the waiting line
        **(await sweep_queue(ctx)),
    }
