"""Event shapes and audiences, published only after the change they describe is committed."""

from __future__ import annotations

from typing import Any

from app.actions.context import Context
from app.db.tables import Consultation, Message
from app.realtime.hub import (
    SUPERVISORS,
    topic_client,
    topic_consultation,
    topic_mentor,
)


def iso(ctx: Context, value: Any) -> str | None:
    return value.astimezone(ctx.rules.tz).isoformat() if value is not None else None


def message_event(ctx: Context, m: Message) -> dict[str, Any]:
    body = {
        "type": "message",
        "consultation_id": m.consultation_id,
        "seq": m.seq,
        "sender": {"role": m.sender_role, "name": m.sender_name},
        "text": m.text,
        "client_msg_id": m.client_msg_id,
        "sent_at": iso(ctx, m.created_at),
    }
    if m.card_id is not None:
        body["card"] = ctx.directory.get(m.card_id)
    return body


async def publish_message(ctx: Context, m: Message) -> None:
    # Other processes get a pointer and read the text from the database themselves.
    pointer = {"type": "message_ref", "consultation_id": m.consultation_id, "seq": m.seq}
    await ctx.hub.publish(
        [topic_consultation(m.consultation_id)], message_event(ctx, m), remote=pointer
    )


async def publish_lifecycle(
    ctx: Context, c: Consultation, event: str, reason: str | None = None
) -> None:
    """Tell everyone concerned: joined sockets, the client's and mentor's consoles, HQ."""
    assert c.id is not None
    body = {
        "type": "consultation",
        "consultation_id": c.id,
        "event": event,
        "status": c.status,
        "mode": c.mode,
        "starts_at": iso(ctx, c.starts_at),
        "ends_at": iso(ctx, c.ends_at),
        "reason": reason,
    }
    await ctx.hub.publish(
        [
            topic_consultation(c.id),
            topic_client(c.client_id),
            topic_mentor(c.mentor_id),
            SUPERVISORS,
        ],
        body,
    )


async def publish_to_consultation(ctx: Context, consultation_id: int, body: dict[str, Any]) -> None:
    await ctx.hub.publish([topic_consultation(consultation_id)], body)
