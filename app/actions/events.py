"""Event shapes and audiences, published only after the change they describe is committed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.actions.context import Context, Principal
from app.db.tables import Consultation, CrisisAlert, HandoverRequest, Mentor
from app.errors import Refusal, Register
from app.realtime.hub import (
    SUPERVISORS,
    topic_client,
    topic_consultation,
    topic_mentor,
)

if TYPE_CHECKING:  # chat.py publishes through this module
    from app.actions.chat import Access
    from app.actions.message_writer import AnyMessage
    from app.actions.queue import Place


def iso(ctx: Context, value: Any) -> str | None:
    return value.astimezone(ctx.rules.tz).isoformat() if value is not None else None


def sent_at(ctx: Context, m: AnyMessage) -> str | None:
    """A message's time as its events show it: a new message's (Draft) is formatted once
    for its message event, its ack and its activity badge."""
    shown = getattr(m, "sent_at", None)
    if shown is None:
        shown = iso(ctx, m.created_at)
        if hasattr(m, "sent_at"):
            m.sent_at = shown  # type: ignore[union-attr]
    return shown


def message_event(ctx: Context, m: AnyMessage) -> dict[str, Any]:
    body = {
        "type": "message",
        "consultation_id": m.consultation_id,
        "seq": m.seq,
        "sender": {"role": m.sender_role, "name": m.sender_name},
        "text": m.text,
        "client_msg_id": m.client_msg_id,
        "sent_at": sent_at(ctx, m),
    }
    if m.card_id is not None:
        body["card"] = ctx.directory.get(m.card_id)
    return body


async def publish_message(ctx: Context, m: AnyMessage, *, origin: object = None) -> None:
    """origin: the receiver that sent it (a socket), which is told by its ack instead of
    being sent its own message again; its other sockets receive the message as usual."""
    # Other processes get a pointer and read the text from the database themselves.
    pointer = {"type": "message_ref", "consultation_id": m.consultation_id, "seq": m.seq}
    event = message_event(ctx, m)
    if origin is not None:
        event["_origin"] = origin  # never sent: keys starting with "_" stay in the process
    await ctx.hub.publish([topic_consultation(m.consultation_id)], event, remote=pointer)


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
        **mentor_presence(ctx, c),
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


def mentor_presence(ctx: Context, c: Consultation) -> dict[str, Any]:
    """Whether the mentor has come, in every consultation event and joined frame:
    mentor_joined_at (None: not yet), waiting_since (when the current mentor was due: the
    opening or the handover), mentor_absent (the grace passed without them: the client is
    offered another mentor) and grace_minutes."""
    return {
        "mentor_id": c.mentor_id,
        "mentor_joined_at": iso(ctx, c.mentor_joined_at),
        "waiting_since": iso(ctx, c.mentor_assigned_at or c.opened_at),
        "mentor_absent": c.mentor_absent_at is not None and c.mentor_joined_at is None,
        "grace_minutes": ctx.settings.mentor_grace_minutes,
    }


async def publish_reassigned(
    ctx: Context, c: Consultation, mentor: Mentor, previous_mentor_id: int, reason: str
) -> None:
    """A consultation changed hands: the joined sockets (the old mentor's socket stops
    reading and writing it), the client, both mentors' consoles and headquarters."""
    assert c.id is not None
    body = {
        "type": "consultation",
        "consultation_id": c.id,
        "event": "reassigned",
        "status": c.status,
        "mode": c.mode,
        "starts_at": iso(ctx, c.starts_at),
        "ends_at": iso(ctx, c.ends_at),
        "reason": reason,
        "mentor": {"id": mentor.id, "display_name": mentor.display_name},
        "previous_mentor_id": previous_mentor_id,
        **mentor_presence(ctx, c),
    }
    await ctx.hub.publish(
        [
            topic_consultation(c.id),
            topic_client(c.client_id),
            topic_mentor(previous_mentor_id),
            topic_mentor(c.mentor_id),
            SUPERVISORS,
        ],
        body,
    )


def mentor_absent_event(
    ctx: Context, alert: CrisisAlert, c: Consultation, mentor: Mentor | None
) -> dict[str, Any]:
    """To headquarters: this consultation's mentor has not come within the grace."""
    since = c.mentor_assigned_at or c.opened_at
    return {
        "type": "mentor_absent",
        "alert": alert_body(ctx, alert, mentor),
        "consultation": {
            "id": c.id,
            "mode": c.mode,
            "starts_at": iso(ctx, c.starts_at),
            "ends_at": iso(ctx, c.ends_at),
            "waiting_since": iso(ctx, since),
        },
        "waited_minutes": int((ctx.now() - since).total_seconds() // 60) if since else 0,
    }


async def publish_mentor_absent(
    ctx: Context, alert: CrisisAlert, c: Consultation, mentor: Mentor | None
) -> None:
    """The alert to headquarters (every process), then the consultation event that offers the
    client another mentor."""
    await ctx.hub.publish([SUPERVISORS], mentor_absent_event(ctx, alert, c, mentor))
    await publish_lifecycle(ctx, c, "mentor_absent")


def alert_body(ctx: Context, alert: CrisisAlert, mentor: Mentor | None) -> dict[str, Any]:
    """An alert as headquarters lists it (GET /api/staff/alerts, `alert`, `mentor_absent`)."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "consultation_id": alert.consultation_id,
        "category": alert.category,
        "message_seq": alert.message_seq,
        "created_at": iso(ctx, alert.created_at),
        "mentor": {"id": mentor.id, "display_name": mentor.display_name} if mentor else None,
    }


async def publish_alert_acknowledged(
    ctx: Context, alert_id: int, consultation_id: int, mentor_id: int | None
) -> None:
    """To supervisors, and to the consultation's mentor when it was a crisis alert."""
    audience = [SUPERVISORS] + ([topic_mentor(mentor_id)] if mentor_id is not None else [])
    await ctx.hub.publish(
        audience,
        {"type": "alert_acknowledged", "alert_id": alert_id, "consultation_id": consultation_id},
    )


async def publish_to_consultation(ctx: Context, consultation_id: int, body: dict[str, Any]) -> None:
    await ctx.hub.publish([topic_consultation(consultation_id)], body)


# --- frames for one socket (docs/protocol.md, "Server → client") ------------------------


def hello_event(ctx: Context, principal: Principal) -> dict[str, Any]:
    s = ctx.settings
    return {
        "type": "hello",
        "account": {
            "kind": principal.kind,
            "id": principal.id,
            "role": principal.role,
            "display_name": principal.display_name,
            "mentor_id": principal.mentor_id,
        },
        "server_time": iso(ctx, ctx.now()),
        "limits": {
            "max_text": 2000,
            "max_frame_bytes": s.ws_max_frame_bytes,
            "messages_per_minute": s.ws_messages_per_minute,
            "frames_per_minute": s.ws_frames_per_minute,
        },
    }


def pong_event(ctx: Context) -> dict[str, Any]:
    return {"type": "pong", "server_time": iso(ctx, ctx.now())}


def error_event(
    refusal: Refusal, ref: object, consultation_id: object = None, register: Register = "adult"
) -> dict[str, Any]:
    """A refusal on the socket, in the register of the account it goes to."""
    body: dict[str, Any] = {"type": "error", **refusal.as_dict(register), "ref": ref}
    if isinstance(consultation_id, int):
        body["consultation_id"] = consultation_id
    return body


def ack_event(ctx: Context, m: AnyMessage, duplicate: bool) -> dict[str, Any]:
    return {
        "type": "ack",
        "consultation_id": m.consultation_id,
        "client_msg_id": m.client_msg_id,
        "seq": m.seq,
        "sent_at": sent_at(ctx, m),
        "duplicate": duplicate,
    }


def joined_event(ctx: Context, access: Access) -> dict[str, Any]:
    c = access.consultation
    return {
        "type": "joined",
        "consultation": {
            "id": c.id,
            "status": c.status,
            "mode": c.mode,
            "starts_at": iso(ctx, c.starts_at),
            "ends_at": iso(ctx, c.ends_at),
            "opened_at": iso(ctx, c.opened_at),
            "closed_at": iso(ctx, c.closed_at),
            "mentor": {"id": access.mentor.id, "display_name": access.mentor.display_name},
            "client": {"nickname": access.client.nickname},
            **mentor_presence(ctx, c),
            # the read marks as stored, so "read" survives reconnects (the `read` event after)
            "read": {"client": c.client_read_seq, "mentor": c.mentor_read_seq},
        },
        "you": {"role": access.role},
    }


# --- published to a consultation or to headquarters ---------------------------------------


async def publish_typing(
    ctx: Context, consultation_id: int, role: str, name: str, sender: str
) -> None:
    """ "Is typing" to the others in the consultation (sender: the subscriber key to skip)."""
    await publish_to_consultation(
        ctx,
        consultation_id,
        {
            "type": "typing",
            "consultation_id": consultation_id,
            "role": role,
            "name": name,
            "_from": sender,
        },
    )


async def publish_presence(
    ctx: Context,
    consultation_id: int,
    role: str,
    name: str,
    state: str,
    sender: str,
    *,
    mentor_id: int | None = None,
    board: bool = False,
) -> None:
    """joined | present | left | reconnecting, to the others in the consultation; a client's
    also to its mentor's connections (mentor_id), so the console shows who arrived or left
    without having the chat open, and to supervisors when it changed headquarters' board
    (board: the client came, came back, or is away)."""
    topics = [topic_consultation(consultation_id)]
    if role == "client" and mentor_id is not None:
        topics.append(topic_mentor(mentor_id))
    if role == "client" and board:
        topics.append(SUPERVISORS)
    await ctx.hub.publish(
        topics,
        {
            "type": "presence",
            "consultation_id": consultation_id,
            "role": role,
            "name": name,
            "state": state,
            "_from": sender,
        },
    )


def read_event(consultation_id: int, by: str, seq: int) -> dict[str, Any]:
    return {"type": "read", "consultation_id": consultation_id, "by": by, "seq": seq}


async def publish_read(ctx: Context, consultation_id: int, by: str, seq: int) -> None:
    """One side (client or mentor) has seen the consultation up to seq: to every socket joined
    to it, the reader's own included (their other tabs follow; the page ignores its own side)."""
    await publish_to_consultation(ctx, consultation_id, read_event(consultation_id, by, seq))


async def publish_supervisor_called(ctx: Context, access: Access) -> None:
    await ctx.hub.publish(
        [SUPERVISORS],
        {
            "type": "supervisor_called",
            "consultation_id": access.consultation.id,
            "mentor": {"id": access.mentor.id, "display_name": access.mentor.display_name},
        },
    )


# --- what a mentor's console must act on without having the chat open -------------------


def activity_event(ctx: Context, m: AnyMessage) -> dict[str, Any]:
    """A client wrote in one of this mentor's consultations: a badge, never a preview."""
    return {
        "type": "activity",
        "consultation_id": m.consultation_id,
        "seq": m.seq,
        "role": m.sender_role,
        "sent_at": sent_at(ctx, m),
    }


async def publish_activity(ctx: Context, mentor_id: int, m: AnyMessage) -> None:
    """To the mentor's connections (the consoles); a socket that has that chat open skips
    it, since the message itself is already there."""
    await ctx.hub.publish([topic_mentor(mentor_id)], activity_event(ctx, m))


# --- the waiting line (docs/protocol.md, "queue" and "queue_changed") ---------------------


def queue_place(ctx: Context, place: Place) -> dict[str, Any]:
    """A client's place in line, as GET /api/queue answers it and the queue event says it."""
    e = place.entry
    expires = (
        e.offered_at + timedelta(seconds=ctx.settings.queue_offer_seconds)
        if e.state == "offered" and e.offered_at is not None
        else None
    )
    return {
        "id": e.id,
        "state": e.state,
        "position": place.position,
        "estimated_wait_minutes": place.estimated_wait_minutes,
        "waiting_for": {
            "mentor_id": e.mentor_id,
            "mentor_name": place.mentor.display_name if place.mentor is not None else None,
            "kind": e.kind,
        },
        "joined_at": iso(ctx, e.joined_at),
        "has_message": bool(e.first_message),
        "consultation_id": e.consultation_id,
        "offer_expires_at": iso(ctx, expires),
        "next_open": iso(ctx, place.next_open),
    }


def queue_event(ctx: Context, place: Place) -> dict[str, Any]:
    return {"type": "queue", **queue_place(ctx, place)}


async def publish_queue(ctx: Context, place: Place) -> None:
    """To the waiting client's own connections only."""
    await ctx.hub.publish([topic_client(place.entry.client_id)], queue_event(ctx, place))


def queue_summary_event(ctx: Context, places: list[Place], now: datetime) -> dict[str, Any]:
    waiting = [p for p in places if p.entry.state == "waiting"]
    longest = max((now - p.entry.joined_at for p in waiting), default=timedelta(0))
    return {
        "type": "queue_changed",
        "waiting": len(waiting),
        "offered": sum(p.entry.state == "offered" for p in places),
        "longest_wait_minutes": int(longest.total_seconds() // 60),
    }


async def publish_queue_summary(ctx: Context, places: list[Place], now: datetime) -> None:
    """Headquarters' board: counts only (the list itself is GET /api/staff/queue)."""
    await ctx.hub.publish([SUPERVISORS], queue_summary_event(ctx, places, now))


def handover_request_event(ctx: Context, r: HandoverRequest, to: Mentor) -> dict[str, Any]:
    """A mentor's handover request and its state. Never the note: that is for staff, read
    through GET /api/staff/consultations/{id}/handover-requests."""
    return {
        "type": "handover_request",
        "consultation_id": r.consultation_id,
        "request": {
            "id": r.id,
            "mode": r.mode,
            "state": r.state,
            "mentor": {"id": to.id, "display_name": to.display_name, "kind": to.kind},
            "starts_at": iso(ctx, r.starts_at),
            "booking_id": r.booking_id,
        },
    }


async def publish_handover_request(ctx: Context, r: HandoverRequest, to: Mentor) -> None:
    """To the client (who is asked) and the mentor who asked."""
    await ctx.hub.publish(
        [topic_client(r.client_id), topic_mentor(r.from_mentor_id)],
        handover_request_event(ctx, r, to),
    )
