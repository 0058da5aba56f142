"""Emergency escalation with two people (MHLW's SNS counselling guideline: two staff decide).

A mentor raises an escalation from a consultation they answered: to whom (child guidance
centre, police, school, medical care, 189, other), why, and what will be shared. Every
supervisor is told at once (`escalation`), and it stays on headquarters' board until one of
them confirms or declines it, with an optional note; the mentor sees the decision live. Both
sides are audited. A confirmed escalation tells the client, in the chat, what the
YORISOI_ESCALATION_CLIENT_NOTICE setting says (nothing when it is "none"); the client is never
told anything else of it (no reason, no destination).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from app.actions.chat import check_access
from app.actions.context import Context, Principal
from app.actions.events import iso
from app.actions.inputs import check_storable
from app.actions.staff import require_staff
from app.db.tables import (
    ESCALATION_DESTINATIONS,
    AuditLog,
    Consultation,
    Escalation,
    Mentor,
    Staff,
)
from app.errors import Refusal
from app.realtime.hub import SUPERVISORS, topic_client, topic_mentor

MAX_TEXT = 1000  # reason, shared, decision_note
DECISIONS = ("confirm", "decline")


def escalation_body(
    ctx: Context, e: Escalation, mentor: Mentor | None, decider: Staff | None
) -> dict[str, Any]:
    """An escalation as staff see it (GET lists, the record, the `escalation` event)."""
    return {
        "id": e.id,
        "consultation_id": e.consultation_id,
        "mentor": {"id": mentor.id, "display_name": mentor.display_name} if mentor else None,
        "destination": e.destination,
        "reason": e.reason,
        "shared": e.shared,
        "status": e.status,
        "raised_at": iso(ctx, e.raised_at),
        "decided_at": iso(ctx, e.decided_at),
        "decided_by": (
            {"id": decider.id, "display_name": decider.display_name} if decider else None
        ),
        "decision_note": e.decision_note,
    }


def _text(value: object, field: str, *, required: bool) -> str:
    if value is None and not required:
        return ""
    check_storable(value, field)
    if not isinstance(value, str) or len(value) > MAX_TEXT or (required and not value.strip()):
        raise Refusal("invalid_input", field=field)
    return value.strip()


async def _publish(ctx: Context, body: dict[str, Any], mentor_id: int) -> None:
    """To headquarters and to the mentor who raised it (never to the consultation's topic:
    its client is subscribed there)."""
    await ctx.hub.publish(
        [SUPERVISORS, topic_mentor(mentor_id)], {"type": "escalation", "escalation": body}
    )


async def do_raise(
    ctx: Context, principal: Principal | None, consultation_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    staff = require_staff(principal)
    if not staff.is_mentor:
        raise Refusal("not_allowed")
    destination = body.get("destination")
    if destination not in ESCALATION_DESTINATIONS:
        raise Refusal("invalid_input", field="destination")
    reason = _text(body.get("reason"), "reason", required=True)
    shared = _text(body.get("shared"), "shared", required=True)
    access = await check_access(ctx, staff, consultation_id)
    c = access.consultation
    if c.mentor_joined_at is None or c.status not in ("open", "closed"):
        raise Refusal("not_joined")
    now = ctx.now()
    async with ctx.db.write() as s:
        e = Escalation(
            consultation_id=consultation_id,
            mentor_id=c.mentor_id,
            destination=str(destination),
            reason=reason,
            shared=shared,
            status="pending",
            raised_at=now,
        )
        s.add(e)
        await s.flush()
        s.add(
            AuditLog(
                at=now,
                actor_role=staff.role,
                actor_id=staff.id,
                action="escalation_raised",
                consultation_id=consultation_id,
                reason=f"{destination}: {reason}"[:400],
                subject=f"escalation:{e.id}",
            )
        )
    out = escalation_body(ctx, e, access.mentor, None)
    await _publish(ctx, out, c.mentor_id)
    return out


async def pending(ctx: Context, principal: Principal | None) -> list[dict[str, Any]]:
    """Escalations waiting for a supervisor, oldest first."""
    require_staff(principal, supervisor=True)
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(Escalation, Mentor)
            .join(Mentor, col(Mentor.id) == Escalation.mentor_id)
            .where(col(Escalation.status) == "pending")
            .order_by(col(Escalation.raised_at), col(Escalation.id))
        )
        return [escalation_body(ctx, e, m, None) for e, m in rows.all()]


async def do_decide(
    ctx: Context, principal: Principal | None, escalation_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """A supervisor confirms or declines a pending escalation (once: a second decision is
    already_decided). The client is told only of a confirmation, and only if the setting says."""
    staff = require_staff(principal, supervisor=True)
    decision = body.get("decision")
    if decision not in DECISIONS:
        raise Refusal("invalid_input", field="decision")
    note = _text(body.get("note"), "note", required=False)
    status = "confirmed" if decision == "confirm" else "declined"
    now = ctx.now()
    async with ctx.db.write() as s:
        changed = (
            await s.execute(
                update(Escalation)
                .where(col(Escalation.id) == escalation_id, col(Escalation.status) == "pending")
                .values(
                    status=status, decided_at=now, decided_by=staff.id, decision_note=note or None
                )
                .returning(col(Escalation.id))
            )
        ).one_or_none()
        e = await s.get(Escalation, escalation_id)
        if e is None:
            raise Refusal("not_found")
        if changed is None:
            raise Refusal("already_decided")
        await s.refresh(e)
        s.add(
            AuditLog(
                at=now,
                actor_role=staff.role,
                actor_id=staff.id,
                action=f"escalation_{status}",
                consultation_id=e.consultation_id,
                reason=(note or None) and note[:400],
                subject=f"escalation:{e.id}",
            )
        )
        mentor = await s.get(Mentor, e.mentor_id)
        decider = await s.get(Staff, staff.id)
        consultation = await s.get(Consultation, e.consultation_id)
    out = escalation_body(ctx, e, mentor, decider)
    await _publish(ctx, out, e.mentor_id)
    notice = ctx.settings.escalation_client_notice
    if status == "confirmed" and notice and consultation and consultation.status == "open":
        await ctx.hub.publish(
            [topic_client(consultation.client_id)],
            {
                "type": "notice",
                "consultation_id": consultation.id,
                "kind": "escalation",
                "text": notice,
            },
        )
    return out
