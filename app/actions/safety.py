"""Crisis alerts: raised from a client's message, never blocking or changing it.

One open alert per consultation and category (a partial unique index decides), so a child
who repeats themselves does not flood headquarters. Every alert and acknowledgement is
audited. Alerts carry no message text: a supervisor joins (with a reason) to read.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.events import alert_body, publish_alert_acknowledged
from app.actions.staff import require_staff
from app.actions.wellbeing import start_cooldown
from app.db.tables import AuditLog, Consultation, CrisisAlert, Mentor
from app.errors import Refusal
from app.observability import metrics
from app.realtime.hub import SUPERVISORS, topic_client, topic_mentor

log = logging.getLogger("yorisoi.safety")


def help_contacts(ctx: Context) -> list[dict[str, Any]]:
    return [
        {"id": e["id"], "name": e["name"], "contact": e["contact"]}
        for e in ctx.directory.emergency()
    ]


async def raise_alerts(ctx: Context, consultation_id: int, seq: int, text: str) -> list[str]:
    """Check a client's stored message; alert supervisors and the mentor; card the client.
    The mentor is whoever holds the consultation now (read with the at-risk mark): a socket's
    copy may predate a handover."""
    categories = ctx.crisis.detect(text)
    if not categories:
        return []
    new: list[CrisisAlert] = []
    for category in categories:
        try:
            async with ctx.db.write() as s:
                alert = CrisisAlert(
                    consultation_id=consultation_id,
                    category=category,
                    message_seq=seq,
                    created_at=ctx.now(),
                )
                s.add(alert)
                await s.flush()
                s.add(
                    AuditLog(
                        at=ctx.now(),
                        actor_role="system",
                        actor_id=0,
                        action="crisis_alert",
                        consultation_id=consultation_id,
                        reason=category,
                    )
                )
            new.append(alert)
        except IntegrityError:
            continue  # already an open alert of this category for this consultation
    if not new:
        return []
    for alert in new:
        metrics.alert_raised(alert.kind, alert.category)
    async with ctx.db.write() as s:
        await s.execute(
            update(Consultation).where(col(Consultation.id) == consultation_id).values(at_risk=True)
        )
        consultation = await s.get(Consultation, consultation_id, populate_existing=True)
        assert consultation is not None
        mentor = await s.get(Mentor, consultation.mentor_id)
    for alert in new:
        await ctx.hub.publish([SUPERVISORS], alert_event(ctx, alert, mentor))
    names = [a.category for a in new]
    await ctx.hub.publish(
        [topic_mentor(consultation.mentor_id)],
        {"type": "at_risk", "consultation_id": consultation.id, "categories": names},
    )
    await ctx.hub.publish(
        [topic_client(consultation.client_id)],
        {"type": "help_card", "consultation_id": consultation.id, "contacts": help_contacts(ctx)},
    )
    log.warning("crisis alert on consultation %s: %s", consultation.id, ",".join(names))
    # Her cool-down runs from the consultation's end (well-being, wellbeing.py).
    await start_cooldown(ctx, consultation.mentor_id, "crisis", since=consultation.ends_at)
    return names


def alert_event(ctx: Context, alert: CrisisAlert, mentor: Mentor | None) -> dict[str, Any]:
    return {"type": "alert", "alert": alert_body(ctx, alert, mentor)}


async def open_alerts(ctx: Context, principal: Principal | None) -> list[dict[str, Any]]:
    require_staff(principal, supervisor=True)
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(CrisisAlert, Mentor)
            .join(Consultation, col(Consultation.id) == CrisisAlert.consultation_id)
            # an absence names the mentor who did not come, whoever holds it now
            .join(
                Mentor,
                col(Mentor.id) == func.coalesce(CrisisAlert.mentor_id, Consultation.mentor_id),
            )
            .where(col(CrisisAlert.acknowledged_at).is_(None))
            .order_by(col(CrisisAlert.created_at))
        )
        return [alert_body(ctx, a, m) for a, m in rows.all()]


async def do_acknowledge(ctx: Context, principal: Principal | None, alert_id: int) -> None:
    staff = require_staff(principal, supervisor=True)
    async with ctx.db.write() as s:
        changed = (
            await s.execute(
                update(CrisisAlert)
                .where(col(CrisisAlert.id) == alert_id, col(CrisisAlert.acknowledged_at).is_(None))
                .values(acknowledged_at=ctx.now(), acknowledged_by=staff.id)
                .returning(col(CrisisAlert.consultation_id), col(CrisisAlert.kind))
            )
        ).one_or_none()
        if changed is None:
            exists = await s.get(CrisisAlert, alert_id)
            if exists is None:
                raise Refusal("not_found")
            return  # already acknowledged: nothing to do
        s.add(
            AuditLog(
                at=ctx.now(),
                actor_role=staff.role,
                actor_id=staff.id,
                action="alert_acknowledged",
                consultation_id=changed[0],
                reason=None,
            )
        )
        consultation = await s.get(Consultation, changed[0])
    # The mentor's crisis banner in that chat says headquarters has seen it.
    mentor_id = consultation.mentor_id if consultation and changed[1] == "crisis" else None
    await publish_alert_acknowledged(ctx, alert_id, changed[0], mentor_id)
