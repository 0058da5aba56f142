"""Inside a consultation: join, send, end, call a supervisor. Authorization lives here.

Only the consultation's client, its mentor and a supervisor who joined may read or write it;
a consultation that is not yours looks exactly like one that does not exist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy import select, tuple_, update
from sqlmodel import col

from app.actions.accounts import reverified_at
from app.actions.booking import release_holds_from
from app.actions.coalesce import Coalesced
from app.actions.context import Context, Principal
from app.actions.events import (
    publish_activity,
    publish_lifecycle,
    publish_message,
    publish_read,
    publish_supervisor_called,
)
from app.actions.inputs import MAX_ID, check_id
from app.actions.message_writer import AnyMessage, Draft
from app.actions.queue import line_freed
from app.actions.safety import raise_alerts
from app.actions.wellbeing import cooldown_after_close
from app.db.tables import AuditLog, Client, Consultation, HandoverRequest, Mentor, Message
from app.errors import Refusal

log = logging.getLogger("yorisoi.chat")

MAX_TEXT = 2000
MAX_CLIENT_MSG_ID = 64
FINISHED = ("closed", "no_show", "cancelled")


@dataclass(frozen=True, slots=True)
class Seat:
    """What a socket keeps of a consultation it joined, for as long as it follows it: enough
    to send, read, leave and end there. A few hundred bytes, where the three rows it was read
    from (Access) cost ~3.6 KiB; 10,000 joined sockets are why (docs/benchmarks.md)."""

    consultation_id: int
    client_id: int
    mentor_id: int
    mentor_name: str  # the consultation's mentor, under their public name
    role: str  # the principal's role in this consultation: client / mentor / supervisor

    def handed_to(self, mentor_id: int, mentor_name: str) -> Seat:
        return Seat(self.consultation_id, self.client_id, mentor_id, mentor_name, self.role)


@dataclass(frozen=True, slots=True)
class Access:
    """A consultation as check_access read it for this principal: the rows themselves."""

    consultation: Consultation
    mentor: Mentor
    client: Client
    role: str  # the principal's role in this consultation: client / mentor / supervisor

    @property
    def consultation_id(self) -> int:
        assert self.consultation.id is not None
        return self.consultation.id

    @property
    def client_id(self) -> int:
        return self.consultation.client_id

    @property
    def mentor_id(self) -> int:
        return self.consultation.mentor_id

    @property
    def mentor_name(self) -> str:
        return self.mentor.display_name

    def seat(self) -> Seat:
        return Seat(
            self.consultation_id, self.client_id, self.mentor_id, self.mentor_name, self.role
        )


# What sending, reading, leaving and ending need: a socket's Seat, or an Access just checked.
Seated = Seat | Access


def shown_name(seat: Seated, principal: Principal) -> str:
    """The name the other side sees: a mentor appears under their public mentor name."""
    return seat.mentor_name if seat.role == "mentor" else principal.display_name


def role_of(principal: Principal) -> str:
    return "client" if principal.is_client else principal.role


async def check_access(ctx: Context, principal: Principal, consultation_id: object) -> Access:
    consultation_id = check_id(consultation_id, "consultation_id")
    async with ctx.db.read() as s:
        row = (
            await s.execute(
                select(Consultation, Mentor, Client)
                .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
                .join(Client, col(Client.id) == Consultation.client_id)
                .where(col(Consultation.id) == consultation_id)
            )
        ).first()
    if row is None:
        raise Refusal("not_found")
    consultation, mentor, client = row
    if principal.is_client:
        allowed = consultation.client_id == principal.id
    elif principal.is_mentor:
        allowed = consultation.mentor_id == principal.mentor_id
    else:
        allowed = principal.is_supervisor
    if not allowed:
        raise Refusal("not_found")
    return Access(consultation, mentor, client, role_of(principal))


async def audit(
    ctx: Context,
    principal: Principal,
    action: str,
    consultation_id: int | None,
    reason: str | None = None,
) -> None:
    async with ctx.db.write() as s:
        s.add(
            AuditLog(
                at=ctx.now(),
                actor_role=principal.role,
                actor_id=principal.id,
                action=action,
                consultation_id=consultation_id,
                reason=reason,
            )
        )


def check_last_seq(last_seq: object) -> int:
    if last_seq is None:
        return 0
    # Bounded like ids: a seq is an INTEGER column, and PostgreSQL refuses a bigger parameter.
    if not isinstance(last_seq, int) or isinstance(last_seq, bool) or not 0 <= last_seq <= MAX_ID:
        raise Refusal("invalid_input", field="last_seq")
    return last_seq


async def check_reread(ctx: Context, principal: Principal, c: Consultation) -> None:
    """A client re-reading a finished consultation: only for REREAD_DAYS after it closed, and
    only with the secret typed again within the last few minutes (a shared tablet that still
    holds the session does not hand the conversation to the next person)."""
    now = ctx.now()
    days = ctx.settings.reread_days
    closed_at = c.closed_at or c.ends_at
    if days == 0 or now - closed_at > timedelta(days=days):
        raise Refusal("reread_over")
    at = await reverified_at(ctx, principal)
    if at is None or now - at > timedelta(minutes=ctx.settings.reverify_minutes):
        raise Refusal("secret_needed", field="secret")


async def do_join(
    ctx: Context,
    principal: Principal,
    consultation_id: object,
    reason: object = None,
    *,
    last_seq: int = 0,
) -> Access:
    """Let this principal into the consultation: records the client's arrival (no-show
    check) and audits every staff join. A supervisor joining someone else's consultation
    reads its transcript, so a reason is required and recorded. A client re-reading a
    finished one (anything after last_seq) needs check_reread. The caller then sends what
    was missed."""
    if principal.is_supervisor and (
        not isinstance(reason, str) or not reason.strip() or len(reason) > 400
    ):
        raise Refusal("invalid_input", field="reason")
    access = await check_access(ctx, principal, consultation_id)
    c = access.consultation
    assert c.id is not None
    if principal.is_client and c.status in FINISHED and last_seq < c.last_seq:
        await check_reread(ctx, principal, c)
    if principal.is_client and c.status == "open" and c.client_joined_at is None:
        await mark_client_present(ctx, c.id)
    if principal.is_client and c.status == "open" and c.client_left_at is not None:
        await mark_client_back(ctx, c.id)
    if access.role == "mentor" and c.status == "open" and c.mentor_joined_at is None:
        fresh = await mark_mentor_present(ctx, c.id, access.mentor_id)
        if fresh is not None:
            access = Access(fresh, access.mentor, access.client, access.role)
    if not principal.is_client:
        action = "supervisor_join" if principal.is_supervisor else "mentor_join"
        await audit(
            ctx, principal, action, c.id, reason.strip() if isinstance(reason, str) else None
        )
    return access


async def mark_mentor_present(
    ctx: Context, consultation_id: int, mentor_id: int
) -> Consultation | None:
    """The consultation's mentor is here (joined it open, or was in it when it opened): the
    first time, record it and tell the client, whose waiting screen it replaces. The
    conditional update makes it once, whichever process or tab gets there first. Returns
    the consultation as it is now when this call recorded it, else None."""
    arrived = await _mentors_arrived(ctx, [(consultation_id, mentor_id)])
    return arrived[0] if arrived else None


async def mark_waiting_mentor_present(ctx: Context, consultation_id: int, mentor_id: int) -> None:
    """The mentor was in the consultation when it opened: recorded, and the client told,
    in one write with every other mentor whose consultation opened in the same moment."""
    if ctx.mentors_present is None:

        async def write(seats: list[tuple[int, int]]) -> set[tuple[int, int]]:
            return {(c.id, c.mentor_id) for c in await _mentors_arrived(ctx, seats) if c.id}

        ctx.mentors_present = Coalesced(write)
    await ctx.mentors_present.add((consultation_id, mentor_id))


async def _mentors_arrived(ctx: Context, seats: list[tuple[int, int]]) -> list[Consultation]:
    """(consultation, mentor) pairs whose mentor had not come yet: recorded as arrived in one
    conditional update, and each client told; the consultations as they are now."""
    async with ctx.db.write() as s:
        rows = await s.execute(
            update(Consultation)
            .where(
                tuple_(col(Consultation.id), col(Consultation.mentor_id)).in_(seats),
                col(Consultation.status) == "open",
                col(Consultation.mentor_joined_at).is_(None),
            )
            .values(mentor_joined_at=ctx.now())
            .returning(*Consultation.__table__.c)  # type: ignore[attr-defined]
            .execution_options(synchronize_session=False)
        )
        arrived = [Consultation(**dict(row._mapping)) for row in rows]
    arrived.sort(key=lambda c: c.id or 0)
    for c in arrived:
        await publish_lifecycle(ctx, c, "mentor_joined")
    return arrived


async def follow_consultation_event(
    ctx: Context, principal: Principal, seat: Seat, event: dict[str, object]
) -> Seat | None:
    """What a `consultation` event means for a socket that has this consultation joined:
    whoever was waiting when it opened is present from then on; a handover moves everyone's
    seat to the new mentor (a client's next words notify and alert them, not the one before),
    and the mentor it was taken from stops following it (None: forget it, no more reading or
    writing)."""
    kind = event.get("event")
    if kind == "opened":
        if principal.is_client:
            await mark_waiting_client_present(ctx, seat.consultation_id)
        elif seat.role == "mentor":
            await mark_waiting_mentor_present(ctx, seat.consultation_id, seat.mentor_id)
    if kind == "reassigned":
        new = event.get("mentor")
        if not isinstance(new, dict) or not isinstance(new.get("id"), int):
            return None if seat.role == "mentor" else seat
        if seat.role == "mentor" and new["id"] != principal.mentor_id:
            return None
        return seat.handed_to(new["id"], str(new.get("display_name", seat.mentor_name)))
    return seat


async def mark_waiting_client_present(ctx: Context, consultation_id: int) -> None:
    """A client was waiting when the consultation opened: marked present in one write with
    every other client whose consultation opened in the same moment."""
    if ctx.clients_present is None:

        async def write(ids: list[int]) -> list[int]:
            await mark_client_present(ctx, *ids)
            return ids

        ctx.clients_present = Coalesced(write)
    await ctx.clients_present.add(consultation_id)


async def mark_client_present(ctx: Context, *consultation_ids: int) -> None:
    """The client is here (joined an open consultation, or was waiting when it opened):
    from now on it cannot be marked a no-show."""
    async with ctx.db.write() as s:
        await s.execute(
            update(Consultation)
            .where(
                col(Consultation.id).in_(consultation_ids),
                col(Consultation.status) == "open",
                col(Consultation.client_joined_at).is_(None),
            )
            .values(client_joined_at=ctx.now())
        )


def changes_board(access: Access) -> bool:
    """Whether this client joining (as the consultation was read before the join) moves
    headquarters' board: first arrival, or back after leaving ("client away")."""
    c = access.consultation
    return (
        access.role == "client"
        and c.status == "open"
        and (c.client_joined_at is None or c.client_left_at is not None)
    )


async def mark_client_away(ctx: Context, principal: Principal, consultation_id: int) -> bool:
    """The client's socket left an open consultation they had joined (closed the tab, lost
    the connection, went back home): headquarters' board says "client away" from now until
    they join again. One conditional update, shared with every client leaving at the same
    moment (a school's network dropping); True when it changed the board."""
    if not principal.is_client:
        return False
    if ctx.clients_away is None:
        ctx.clients_away = Coalesced(partial(_mark_clients_away, ctx))
    return await ctx.clients_away.add((consultation_id, principal.id))


async def _mark_clients_away(ctx: Context, seats: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """(consultation, client) pairs -> those whose consultation this marked away."""
    async with ctx.db.write() as s:
        rows = await s.execute(
            update(Consultation)
            .where(
                tuple_(col(Consultation.id), col(Consultation.client_id)).in_(seats),
                col(Consultation.status) == "open",
                col(Consultation.client_joined_at).is_not(None),
                col(Consultation.client_left_at).is_(None),
            )
            .values(client_left_at=ctx.now())
            .returning(col(Consultation.id), col(Consultation.client_id))
            .execution_options(synchronize_session=False)
        )
        return {(cid, client_id) for cid, client_id in rows if cid is not None}


async def mark_client_back(ctx: Context, consultation_id: int) -> None:
    """The client joined again: no longer away."""
    async with ctx.db.write() as s:
        await s.execute(
            update(Consultation)
            .where(
                col(Consultation.id) == consultation_id,
                col(Consultation.client_left_at).is_not(None),
            )
            .values(client_left_at=None)
        )


async def messages_after(ctx: Context, consultation_id: int, last_seq: int) -> list[Message]:
    async with ctx.db.quick_read() as s:  # one statement: no transaction around it
        rows = await s.execute(
            select(Message)
            .where(col(Message.consultation_id) == consultation_id, col(Message.seq) > last_seq)
            .order_by(col(Message.seq))
        )
        return list(rows.scalars())


# Unicode category Cc (fixed by Unicode's stability policy: U+0000-001F, U+007F-009F) but
# newline and tab; one regex scan instead of a category lookup per character.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check_text(text: object) -> str:
    if not isinstance(text, str):
        raise Refusal("invalid_input", field="text")
    cleaned = text.strip()
    if not cleaned or len(cleaned) > MAX_TEXT:
        raise Refusal("message_too_long", field="text", max_text=MAX_TEXT)
    if CONTROL_CHARACTERS.search(cleaned) is not None:
        raise Refusal("invalid_input", field="text")
    return cleaned


def check_client_msg_id(value: object) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_CLIENT_MSG_ID
        or not value.isprintable()
    ):
        raise Refusal("invalid_input", field="client_msg_id")
    return value


async def do_send(
    ctx: Context,
    principal: Principal,
    seat: Seated,
    client_msg_id: object,
    text: object,
    *,
    card_id: str | None = None,
    origin: object = None,
) -> tuple[AnyMessage, bool]:
    """Store a message once per (sender, client_msg_id); returns (message, was_duplicate).

    The sequence number comes from an atomic increment on the consultation row, so seqs are
    dense and ordered even with the client and mentor on different processes. origin: the
    sending socket, which learns of its own message from its ack (see publish_message).
    """
    msg_id = check_client_msg_id(client_msg_id)
    body = check_text(text)
    cid = seat.consultation_id
    as_mentor = None
    if seat.role == "mentor":
        # Still this mentor's consultation (it may have been handed over while the socket's
        # reassigned event is on its way): checked by the seq reservation itself.
        if principal.mentor_id is None:
            raise Refusal("not_joined")
        as_mentor = principal.mentor_id
    draft = Draft(
        consultation_id=cid,
        seq=0,
        sender_role=seat.role,
        sender_id=principal.id,
        sender_name=shown_name(seat, principal),
        client_msg_id=msg_id,
        text=body,
        created_at=ctx.now(),
        card_id=card_id,
    )
    message, duplicate = await ctx.messages.store(draft, as_mentor=as_mentor)
    if duplicate:
        return message, True
    await publish_message(ctx, message, origin=origin)
    if seat.role == "client":
        await publish_activity(ctx, seat.mentor_id, message)
        try:
            await raise_alerts(ctx, cid, message.seq, message.text)
        except Exception as exc:  # the message is stored and delivered whatever happens here
            log.error("crisis check failed for consultation %s (%s)", cid, type(exc).__name__)
    return message, False


def check_read_seq(seq: object) -> int:
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_ID:
        raise Refusal("invalid_input", field="seq")
    return seq


def own_read_seq(access: Access) -> int:
    """The read mark of this side of the consultation as it was read (0 for a supervisor)."""
    c = access.consultation
    if access.role == "client":
        return c.client_read_seq
    return c.mentor_read_seq if access.role == "mentor" else 0


async def do_read(ctx: Context, principal: Principal, seat: Seated, seq: object) -> int | None:
    """This side (the client or the consultation's mentor) has seen everything up to seq.

    The mark only moves forward: a seq at or below it changes nothing, writes nothing and
    publishes nothing (None). A seq past last_seq was never sent to anyone, so it is a broken
    client: refused invalid_input rather than clamped, so the bug shows. A supervisor in a
    group talk reads without marking (not_allowed): "read" on the faces means the person the
    words were written to. Returns the new mark once it is committed and published."""
    if seat.role not in ("client", "mentor"):
        raise Refusal("not_allowed")
    upto = check_read_seq(seq)
    cid = seat.consultation_id
    column = col(
        Consultation.client_read_seq if seat.role == "client" else Consultation.mentor_read_seq
    )
    async with ctx.db.read() as s:
        row = (
            await s.execute(
                select(col(Consultation.last_seq), col(Consultation.mentor_id), column).where(
                    col(Consultation.id) == cid
                )
            )
        ).first()
    if row is None:
        raise Refusal("not_found")
    last_seq, mentor_id, current = row
    if upto > last_seq:
        raise Refusal("invalid_input", field="seq")
    if seat.role == "mentor" and mentor_id != principal.mentor_id:
        raise Refusal("not_joined")  # handed to another mentor meanwhile (as do_send checks)
    if upto <= current:
        return None
    async with ctx.db.write() as s:
        changed = (
            await s.execute(
                update(Consultation)
                .where(col(Consultation.id) == cid, column < upto)
                .values({column: upto})
                .returning(col(Consultation.id))
            )
        ).scalar_one_or_none()
    if changed is None:
        return None  # another tab of the same side got further first
    await publish_read(ctx, cid, seat.role, upto)
    return upto


async def do_share(
    ctx: Context,
    principal: Principal,
    seat: Seated,
    client_msg_id: object,
    entry_id: object,
    *,
    origin: object = None,
) -> tuple[AnyMessage, bool]:
    """A mentor (or a joined supervisor) shares a help-directory entry as a card."""
    if seat.role == "client":
        raise Refusal("not_allowed")
    entry = ctx.directory.get(entry_id) if isinstance(entry_id, str) else None
    if entry is None:
        raise Refusal("not_found", field="entry_id")
    return await do_send(
        ctx,
        principal,
        seat,
        client_msg_id,
        entry["name"]["ja"],
        card_id=entry["id"],
        origin=origin,
    )


async def close_consultation(
    ctx: Context,
    consultation_id: int,
    *,
    reason: str,
    from_status: str = "open",
    status: str = "closed",
) -> Consultation | None:
    """Conditionally close (or mark no-show); None if someone else already did. Frees the line."""
    closed = await close_consultations(
        ctx, [consultation_id], reason=reason, from_status=from_status, status=status
    )
    return closed[0] if closed else None


CLOSE_AT_ONCE = 500  # consultations per transaction (an IN list of at most this many)


async def close_consultations(
    ctx: Context,
    consultation_ids: Sequence[int],
    *,
    reason: str,
    from_status: str = "open",
    status: str = "closed",
) -> list[Consultation]:
    """Conditionally close (or mark no-show) several consultations in one transaction (per
    CLOSE_AT_ONCE), as close_consultation does one; returns those this call closed, each told
    to everyone concerned. The end of a slot is one write for all its consultations: one
    transaction each took 15-20 ms apiece for 500 (with the waiting line looked at after
    each), and the slot's next reservations opened only after all of them."""
    closed: list[Consultation] = []
    ids = list(dict.fromkeys(consultation_ids))
    for start in range(0, len(ids), CLOSE_AT_ONCE):
        closed += await _close_together(
            ctx, ids[start : start + CLOSE_AT_ONCE], reason, from_status, status
        )
    for consultation in closed:
        await publish_lifecycle(
            ctx, consultation, "no_show" if status == "no_show" else "closed", reason
        )
        if status == "closed" and consultation.at_risk:  # her cool-down runs from now
            await cooldown_after_close(ctx, consultation)
    if closed:
        await line_freed(ctx)  # the waiting line is offered the lines now, not at the next sweep
    return closed


async def _close_together(
    ctx: Context, ids: list[int], reason: str, from_status: str, status: str
) -> list[Consultation]:
    now = ctx.now()
    async with ctx.db.write() as s:
        changed = [
            cid
            for cid in (
                await s.execute(
                    update(Consultation)
                    .where(col(Consultation.id).in_(ids), col(Consultation.status) == from_status)
                    .values(status=status, closed_at=now, close_reason=reason)
                    .returning(col(Consultation.id))
                    .execution_options(synchronize_session=False)
                )
            ).scalars()
            if cid is not None
        ]
        if not changed:
            return []
        await release_holds_from(s, changed, now)
        # A handover the client has not answered ends with the consultation.
        await s.execute(
            update(HandoverRequest)
            .where(
                col(HandoverRequest.consultation_id).in_(changed),
                col(HandoverRequest.state) == "pending",
            )
            .values(state="expired", answered_at=now)
            .execution_options(synchronize_session=False)
        )
        rows = await s.execute(
            select(Consultation)
            .where(col(Consultation.id).in_(changed))
            .order_by(col(Consultation.id))
        )
        return list(rows.scalars())


async def do_end(ctx: Context, principal: Principal, seat: Seated) -> Consultation:
    if seat.role not in ("client", "mentor"):
        raise Refusal("not_allowed")
    closed = await close_consultation(ctx, seat.consultation_id, reason=f"ended_by_{seat.role}")
    if closed is None:
        raise Refusal("consultation_closed")
    return closed


async def do_call_supervisor(ctx: Context, principal: Principal, consultation_id: object) -> None:
    """A mentor asks headquarters to join: recorded, then every supervisor is told."""
    access = await check_access(ctx, principal, consultation_id)
    if access.role != "mentor":
        raise Refusal("not_allowed")
    await audit(ctx, principal, "supervisor_called", access.consultation.id)
    await publish_supervisor_called(ctx, access)


async def do_leave(
    ctx: Context, principal: Principal, seat: Seated, *, last_tab: bool = True
) -> bool:
    """Someone stops reading a consultation; a supervisor's leaving is on the record, a
    client's (from the last of their tabs) is "client away" on headquarters' board. True:
    the board changed."""
    if principal.is_supervisor:
        await audit(ctx, principal, "supervisor_leave", seat.consultation_id)
    if not last_tab:
        return False
    return await mark_client_away(ctx, principal, seat.consultation_id)
