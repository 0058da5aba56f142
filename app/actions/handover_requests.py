"""A mentor hands the client to another mentor from the chat, with the client's agreement.

Two kinds: `now` (the consultation is reassigned on the client's yes, keeping its line, seq
stream and transcript: handover.reassign_agreed, with every check headquarters' reassignment
makes) and `booking` (a follow-up booking with that mentor at a slot of theirs, made for the
client on the yes by booking.do_book, so every booking rule applies to it then).

Nothing changes until the client says yes; at most one request is pending per consultation
(a partial unique index); a request ends with its consultation (chat.close_consultation
expires it). The note is for staff only: events and the client's answers never carry it.
Requested, accepted and declined are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions import booking, handover
from app.actions.booking import require_client
from app.actions.context import Context, Principal
from app.actions.events import publish_handover_request
from app.actions.inputs import check_id
from app.actions.staff import require_staff
from app.db.lean import SessionReader
from app.db.tables import (
    HANDOVER_REQUEST_MODES,
    AuditLog,
    Client,
    Consultation,
    HandoverRequest,
    Mentor,
)
from app.errors import Refusal
from app.rules import booking_window

MAX_NOTE = handover.MAX_NOTE


@dataclass(frozen=True)
class RequestView:
    request: HandoverRequest
    to: Mentor
    from_mentor: Mentor | None


def _client_of(client: Client) -> Principal:
    """The client as the booking rules see them (their own limits and audience)."""
    assert client.id is not None
    return Principal(
        kind="client",
        id=client.id,
        role=client.audience,
        display_name=client.nickname,
        session_id=0,
    )


def _check_note(note: object) -> str:
    if not isinstance(note, str) or not note.strip() or len(note.strip()) > MAX_NOTE:
        raise Refusal("invalid_input", field="note")
    return note.strip()


def _audit(
    s: AsyncSession, actor: Principal, action: str, r: HandoverRequest, at: datetime
) -> None:
    s.add(
        AuditLog(
            at=at,
            actor_role=actor.role,
            actor_id=actor.id,
            action=action,
            consultation_id=r.consultation_id,
            reason=f"{r.mode} request {r.id}",
            subject=f"mentor:{r.from_mentor_id}->{r.to_mentor_id}",
        )
    )


async def _own_open(
    s: AsyncSession, staff: Principal, consultation_id: int, now: datetime
) -> tuple[Consultation, Client]:
    row = (
        await s.execute(
            select(Consultation, Client)
            .join(Client, col(Client.id) == Consultation.client_id)
            .where(col(Consultation.id) == consultation_id)
        )
    ).first()
    if row is None or row[0].mentor_id != staff.mentor_id:
        raise Refusal("not_found")
    c, client = row
    if c.status != "open" or c.ends_at <= now:
        raise Refusal("consultation_closed")
    return c, client


async def do_request(
    ctx: Context,
    principal: Principal | None,
    consultation_id: int,
    *,
    mentor_id: object,
    mode: object,
    start: object = None,
    note: object,
) -> RequestView:
    """The consultation's mentor asks the client to be handed to another mentor."""
    staff = require_staff(principal)
    if not staff.is_mentor:
        raise Refusal("not_allowed")
    if mode not in HANDOVER_REQUEST_MODES:
        raise Refusal("invalid_input", field="mode")
    to_id = check_id(mentor_id, "mentor_id")
    text = _check_note(note)
    now = ctx.now()
    starts_at = None
    async with ctx.db.read() as s:
        c, client = await _own_open(s, staff, consultation_id, now)
        if to_id == c.mentor_id:
            raise Refusal("invalid_input", field="mentor_id")
        to = await s.get(Mentor, to_id)
        if mode == "now":
            # Refuse now what the yes would be refused: the same checks as a reassignment.
            occ = await handover._occupancy(s, ctx, c, [to_id])
            refusal = handover.mentor_refusal(occ, to, client.audience, c, now)
            if refusal is not None:
                raise Refusal(refusal, field="mentor_id")
        else:
            slot = booking.parse_instant(start, "start")
            starts_at, ends_at = booking_window(now, slot, ctx.rules)
            if to is None or not to.active or not booking.serves(to, client.audience):
                raise Refusal("not_found", field="mentor_id")
            # The booking rules as they stand now (the client's limits, the slot, the line);
            # they are checked again when the client says yes.
            await booking._check(
                SessionReader(s),
                ctx,
                client=_client_of(client),
                mentor_id=to_id,
                mode="booked",
                start=starts_at,
                end=ends_at,
            )
    assert to is not None
    request = HandoverRequest(
        consultation_id=consultation_id,
        client_id=c.client_id,
        from_mentor_id=c.mentor_id,
        to_mentor_id=to_id,
        mode=str(mode),
        starts_at=starts_at,
        note=text,
        state="pending",
        created_at=now,
        staff_id=staff.id,
    )
    try:
        async with ctx.db.write() as s:
            s.add(request)
            await s.flush()
            _audit(s, staff, "handover_requested", request, now)
    except IntegrityError:
        raise Refusal("handover_request_pending") from None
    await publish_handover_request(ctx, request, to)
    return RequestView(request, to, None)


async def requests_of(
    ctx: Context, principal: Principal | None, consultation_id: int
) -> list[RequestView]:
    """A consultation's handover requests, newest first. Staff (its mentor, a supervisor)
    get every one with the note; its client only the pending one, and never the note (the
    web layer leaves it out)."""
    if principal is not None and principal.is_client:
        require_client(principal)
    else:
        require_staff(principal)
    assert principal is not None
    async with ctx.db.read() as s:
        c = await s.get(Consultation, consultation_id)
        if c is None:
            raise Refusal("not_found")
        if principal.is_client:
            allowed = c.client_id == principal.id
        elif principal.is_mentor:
            # the mentor who asked, and the mentor it was handed to (they read the note)
            allowed = c.mentor_id == principal.mentor_id
        else:
            allowed = principal.is_supervisor
        if not allowed:
            raise Refusal("not_found")
        query = select(HandoverRequest).where(
            col(HandoverRequest.consultation_id) == consultation_id
        )
        if principal.is_client:
            query = query.where(col(HandoverRequest.state) == "pending")
        rows = list(
            (
                await s.execute(
                    query.order_by(
                        col(HandoverRequest.created_at).desc(), col(HandoverRequest.id).desc()
                    )
                )
            ).scalars()
        )
        found = []
        for r in rows:
            to = await s.get(Mentor, r.to_mentor_id)
            assert to is not None
            found.append(RequestView(r, to, await s.get(Mentor, r.from_mentor_id)))
        return found


async def _load_pending(
    ctx: Context, client: Principal, consultation_id: int, request_id: int
) -> tuple[HandoverRequest, Consultation, Mentor]:
    async with ctx.db.read() as s:
        r = await s.get(HandoverRequest, request_id)
        if r is None or r.consultation_id != consultation_id or r.client_id != client.id:
            raise Refusal("not_found")
        c = await s.get(Consultation, consultation_id)
        to = await s.get(Mentor, r.to_mentor_id)
    assert c is not None and to is not None
    if r.state != "pending":
        raise Refusal("handover_request_closed")
    return r, c, to


async def _settle(
    s: AsyncSession,
    r: HandoverRequest,
    now: datetime,
    *,
    state: str,
    from_state: str = "pending",
    booking_id: int | None = None,
) -> None:
    """Move the request on, only from the state it was read in (one answer wins)."""
    changed = (
        await s.execute(
            update(HandoverRequest)
            .where(col(HandoverRequest.id) == r.id, col(HandoverRequest.state) == from_state)
            .values(state=state, answered_at=now, booking_id=booking_id)
            .returning(col(HandoverRequest.id))
        )
    ).scalar_one_or_none()
    if changed is None:
        raise Refusal("handover_request_closed")
    r.state, r.answered_at, r.booking_id = state, now, booking_id


async def do_answer(
    ctx: Context,
    principal: Principal | None,
    consultation_id: int,
    request_id: int,
    *,
    accept: object,
) -> RequestView:
    """The client says yes or no. No changes nothing; yes hands over now or books."""
    client = require_client(principal)
    if not isinstance(accept, bool):
        raise Refusal("invalid_input", field="accept")
    r, c, to = await _load_pending(ctx, client, consultation_id, request_id)
    now = ctx.now()
    # Over, or no longer in the asking mentor's hands (e.g. headquarters reassigned it).
    if c.status != "open" or c.ends_at <= now or c.mentor_id != r.from_mentor_id:
        async with ctx.db.write() as s:
            await _settle(s, r, now, state="expired")
        await publish_handover_request(ctx, r, to)
        raise Refusal("handover_request_closed")
    if not accept:
        async with ctx.db.write() as s:
            await _settle(s, r, now, state="declined")
            _audit(s, client, "handover_declined", r, now)
        await publish_handover_request(ctx, r, to)
        return RequestView(r, to, None)
    if r.mode == "now":

        async def accepted(s: AsyncSession, at: datetime) -> None:
            await _settle(s, r, at, state="accepted")
            _audit(s, client, "handover_accepted", r, at)

        await handover.reassign_agreed(
            ctx, client, consultation_id, r.to_mentor_id, r.note, accepted
        )
        await publish_handover_request(ctx, r, to)
        return RequestView(r, to, None)
    # A booking: claim the request first so a second yes cannot book twice, then book as
    # the client (every rule applies); a refused booking leaves the request pending.
    async with ctx.db.write() as s:
        await _settle(s, r, now, state="booking")
    assert r.starts_at is not None
    try:
        made = await booking.do_book(
            ctx, client, mentor_id=r.to_mentor_id, start=r.starts_at.isoformat()
        )
    except Refusal:
        async with ctx.db.write() as s:
            await _settle(s, r, now, state="pending", from_state="booking")
            r.answered_at = None
            await s.execute(
                update(HandoverRequest)
                .where(col(HandoverRequest.id) == r.id)
                .values(answered_at=None)
            )
        raise
    async with ctx.db.write() as s:
        await _settle(s, r, ctx.now(), state="accepted", from_state="booking", booking_id=made.id)
        _audit(s, client, "handover_accepted", r, ctx.now())
    await publish_handover_request(ctx, r, to)
    return RequestView(r, to, None)
