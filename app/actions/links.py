"""The parent-child link: a child's one-time code, a parent who enters it, bookings for the child.

What a linked parent may know of the child is deliberately tiny: the child's nickname, and
the day, time and mentor of the bookings *this parent made* for the child — never their
status (so not whether the child went, cancelled, or was marked no-show), never a message,
note, record or survey, and none of the child's own bookings. Nothing here publishes to the
parent; the booking belongs to the child (client_id) and is announced as any booking is.

A code is 8 characters from an alphabet without look-alikes, valid 30 minutes, single use,
stored as an HMAC (like session tokens); a child has at most one unused code (a new one
replaces the old). Guessing is slowed per parent account and per address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions import booking
from app.actions.context import Context, Principal
from app.actions.events import publish_lifecycle
from app.actions.stats import record_refusal
from app.db.tables import Client, ClientLink, Consultation, LinkCode
from app.errors import Refusal
from app.security.ratelimit import SlidingWindow
from app.security.tokens import token_hash

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
CODE_LENGTH = 8
CODE_MINUTES = 30
MAX_PARENTS = 2  # per child
MAX_CHILDREN = 6  # per parent
TRIES_PER_ACCOUNT = 10  # code attempts per quarter hour
TRY_WINDOW = 900
MAX_LISTED = 50
# Refusals of a booking for the child whose details would name the child's own bookings.
PRIVATE_DETAILS = {"client_busy", "limit_reached"}


@dataclass(frozen=True)
class LinkView:
    link: ClientLink
    other: str  # the other side's nickname


@dataclass(frozen=True)
class ParentBooking:
    """All a parent sees of a booking made for the child: when. Not even with whom: the
    mentor may change by a handover, and that is the child's too."""

    starts_at: datetime
    ends_at: datetime


def _require(principal: Principal | None, role: str) -> Principal:
    client = booking.require_client(principal)
    if client.role != role:
        raise Refusal("not_allowed")
    return client


def normalize_code(value: object) -> str:
    """What a parent typed, in the code's form (case, spaces and dashes forgiven)."""
    if not isinstance(value, str) or len(value) > 32:
        raise Refusal("invalid_input", field="code")
    code = "".join(ch for ch in value.upper() if ch not in " -\u3000")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise Refusal("invalid_input", field="code")
    return code


def _hash(ctx: Context, code: str) -> str:
    return token_hash(f"link:{code}", ctx.settings.secret_key)


async def do_create_code(ctx: Context, principal: Principal | None) -> tuple[str, datetime]:
    """A child's new one-time code (any unused earlier code stops working)."""
    child = _require(principal, "child")
    now = ctx.now()
    expires = now + timedelta(minutes=CODE_MINUTES)
    for _ in range(5):  # a collision with a live code is ~2^-40; try again anyway
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        try:
            async with ctx.db.write() as s:
                await s.execute(
                    delete(LinkCode).where(
                        or_(
                            col(LinkCode.child_id) == child.id,
                            col(LinkCode.expires_at) <= now,
                        ),
                        col(LinkCode.used_at).is_(None),
                    )
                )
                s.add(
                    LinkCode(
                        child_id=child.id,
                        code_hash=_hash(ctx, code),
                        created_at=now,
                        expires_at=expires,
                    )
                )
            return code, expires
        except IntegrityError:
            continue
    raise Refusal("busy_try_again")


def _tries(ctx: Context) -> SlidingWindow:
    if ctx.link_tries is None:
        ctx.link_tries = SlidingWindow(ctx.clock.now, TRIES_PER_ACCOUNT, TRY_WINDOW)
    return ctx.link_tries


async def do_link(ctx: Context, principal: Principal | None, *, code: object) -> LinkView:
    """A parent enters a child's code: the code is used up and the two are linked."""
    parent = _require(principal, "parent")
    typed = normalize_code(code)
    # Every attempt counts, per parent account: 10 a quarter hour against ~2^40 codes. A
    # guesser with many accounts is bounded by sign-ups per address (signups_per_hour...);
    # no per-address bound, so parents behind one carrier NAT do not lock each other out.
    if not _tries(ctx).hit(f"{parent.id}"):
        raise Refusal("rate_limited")
    now = ctx.now()
    async with ctx.db.write() as s:
        used = (
            await s.execute(
                update(LinkCode)
                .where(
                    col(LinkCode.code_hash) == _hash(ctx, typed),
                    col(LinkCode.used_at).is_(None),
                    col(LinkCode.expires_at) > now,
                )
                .values(used_at=now)
                .returning(col(LinkCode.child_id))
            )
        ).scalar_one_or_none()
        if used is None:
            raise Refusal("link_code_invalid", field="code")
        child = await s.get(Client, used)
        if child is None or child.deleted_at is not None or child.audience != "child":
            raise Refusal("link_code_invalid", field="code")
        existing = await s.execute(
            select(col(ClientLink.id)).where(
                col(ClientLink.child_id) == used, col(ClientLink.parent_id) == parent.id
            )
        )
        if existing.first() is not None:
            raise Refusal("already_linked")
        if await _count(s, child_id=used) >= MAX_PARENTS:
            raise Refusal("too_many_links")
        if await _count(s, parent_id=parent.id) >= MAX_CHILDREN:
            raise Refusal("too_many_links")
        link = ClientLink(child_id=used, parent_id=parent.id, created_at=now)
        s.add(link)
        try:
            await s.flush()
        except IntegrityError:
            raise Refusal("already_linked") from None
        return LinkView(link, child.nickname)


async def _count(s, *, child_id: int | None = None, parent_id: int | None = None) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(ClientLink)
    if child_id is not None:
        query = query.where(col(ClientLink.child_id) == child_id)
    if parent_id is not None:
        query = query.where(col(ClientLink.parent_id) == parent_id)
    return int((await s.execute(query)).scalar_one())


async def my_links(ctx: Context, principal: Principal | None) -> list[LinkView]:
    """A child's parents or a parent's children, each with the other's nickname."""
    me = booking.require_client(principal)
    mine, other = (
        (ClientLink.child_id, ClientLink.parent_id)
        if me.role == "child"
        else (ClientLink.parent_id, ClientLink.child_id)
    )
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(ClientLink, col(Client.nickname))
            .join(Client, col(Client.id) == other)
            .where(col(mine) == me.id, col(Client.deleted_at).is_(None))
            .order_by(col(ClientLink.created_at), col(ClientLink.id))
        )
        return [LinkView(link, nickname) for link, nickname in rows.all()]


async def _own_link(s, me: Principal, link_id: int) -> ClientLink:  # type: ignore[no-untyped-def]
    link = await s.get(ClientLink, link_id)
    if link is None or me.id not in (link.child_id, link.parent_id):
        raise Refusal("not_found")
    return link


async def do_unlink(ctx: Context, principal: Principal | None, link_id: int) -> None:
    """Either side ends the link at once; bookings already made stay the child's."""
    me = booking.require_client(principal)
    async with ctx.db.write() as s:
        link = await _own_link(s, me, link_id)
        await s.delete(link)


async def _linked_child(s, parent: Principal, link_id: int) -> Client:  # type: ignore[no-untyped-def]
    link = await s.get(ClientLink, link_id)
    if link is None or link.parent_id != parent.id:
        raise Refusal("not_found")
    child = await s.get(Client, link.child_id)
    if child is None or child.deleted_at is not None:
        raise Refusal("not_found")
    return child


async def do_book_for_child(
    ctx: Context, principal: Principal | None, link_id: int, *, mentor_id: object, start: object
) -> ParentBooking:
    """A linked parent books a slot for the child: the booking is the child's (the child's
    limits apply, it is in the child's list, the child can cancel it)."""
    parent = _require(principal, "parent")
    async with ctx.db.read() as s:
        child = await _linked_child(s, parent, link_id)
    assert child.id is not None
    who = Principal(kind="client", id=child.id, role="child", display_name="", session_id=0)
    try:
        consultation = await booking._book(ctx, who, mentor_id, start, booked_by=parent.id)
    except Refusal as refusal:
        await record_refusal(ctx, "booking", refusal.code, "parent")
        if refusal.code in PRIVATE_DETAILS:
            # The child's own bookings are theirs: the parent hears only the reason.
            raise Refusal(refusal.code, field=refusal.field) from None
        raise
    await publish_lifecycle(ctx, consultation, "booked")  # the child, the mentor, HQ
    return ParentBooking(consultation.starts_at, consultation.ends_at)


async def bookings_for_child(
    ctx: Context, principal: Principal | None, link_id: int
) -> list[ParentBooking]:
    """The bookings this parent made for the child, newest first, as made: whatever became
    of them (cancelled, held, missed) is the child's and is not shown."""
    parent = _require(principal, "parent")
    async with ctx.db.read() as s:
        child = await _linked_child(s, parent, link_id)
        rows = await s.execute(
            select(col(Consultation.starts_at), col(Consultation.ends_at))
            .where(
                col(Consultation.client_id) == child.id,
                col(Consultation.booked_by_id) == parent.id,
            )
            .order_by(col(Consultation.starts_at).desc(), col(Consultation.id).desc())
            .limit(MAX_LISTED)
        )
        return [ParentBooking(a, b) for a, b in rows.all()]
