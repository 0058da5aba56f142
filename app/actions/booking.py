"""Booking a slot, chatting now, cancelling: the paths that take and free a line.

Every take is one transaction that inserts a consultation and one line_hold row per tick.
The unique constraints on line_hold and the partial unique indexes on consultation decide
races; a loser rolls back, re-reads, and either takes another free line or gets a clear
refusal. Nothing here relies on a check-then-insert being atomic.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions.coalesce import Gathered
from app.actions.context import Context, Principal
from app.actions.events import publish_lifecycle
from app.actions.inputs import check_id
from app.actions.stats import record_refusal
from app.actions.take_reads import (
    CONSULTATION,
    MENTOR,
    OWN,
    TakeKey,
    TakeView,
    load_take_view,
    load_take_views,
)
from app.actions.wellbeing import care_params, care_reason
from app.db.lean import Lean, Reader, SessionReader
from app.db.tables import MENTOR_KINDS, Consultation, LineHold, LineUser, Mentor
from app.errors import Refusal
from app.rules import booking_window, first_free, ticks_between, walk_in_window
from app.rules.capacity import MAX_LINES, current_tick

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


def require_client(principal: Principal | None) -> Principal:
    if principal is None:
        raise Refusal("not_signed_in")
    if not principal.is_client:
        raise Refusal("not_allowed")
    return principal


def serves(mentor: Mentor, audience: str) -> bool:
    return mentor.audience in (audience, "both")


async def _check(
    reads: Reader,
    ctx: Context,
    *,
    client: Principal,
    mentor_id: int,
    mode: str,
    start: datetime,
    end: datetime,
    lock: bool = False,
) -> tuple[list[int], list[int], int | None]:
    """Every rule for taking this time, read and decided: inside the write transaction that
    inserts (`lock`: the mentor's row is locked by the first read), or on its own."""
    view = await load_take_view(
        reads,
        client_id=client.id,
        mentor_id=mentor_id,
        start=start,
        end=end,
        lines=ctx.rules.lines,
        lock=lock,
    )
    return await _decide(
        view, reads, ctx, client=client, mentor_id=mentor_id, mode=mode, start=start, end=end
    )


async def _decide(
    view: TakeView,
    reads: Reader | None,
    ctx: Context,
    *,
    client: Principal,
    mentor_id: int,
    mode: str,
    start: datetime,
    end: datetime,
) -> tuple[list[int], list[int], int | None]:
    """(ticks, a free line per tick, booking number) or a Refusal, from what was read.
    `reads`: where a refusal reads the client's own consultations it names (None: a lean
    read of its own)."""
    mentor, occ = view.mentor, view.occ
    if mentor is None or not mentor.active or mentor.audience not in (client.role, "both"):
        raise Refusal("not_found", field="mentor_id")
    ticks = ticks_between(start, end)
    if not occ.on_shift(mentor_id, start, end):
        raise Refusal("mentor_off_shift")
    if occ.client_taken(client.id, ticks):
        raise await _client_busy(reads, ctx, client.id, start, end)
    if mode == "walk_in" and view.client_open:  # over, but the scheduler has not closed it yet
        raise await _client_busy(reads, ctx, client.id, start, end, open_too=True)
    booking_no = None
    if mode == "booked":
        booking_no = first_free(view.booking_nos, ctx.rules.max_bookings)
        if booking_no is None:
            own = await _own(reads, ctx, client.id)
            raise Refusal(
                "limit_reached",
                max_bookings=ctx.rules.max_bookings,
                bookings=booking_details([c for c in own if c.status == "booked"], ctx),
            )
    if occ.mentor_taken(mentor_id, ticks):
        raise Refusal("slot_taken" if mode == "booked" else "mentor_busy")
    care = care_reason(occ, mentor_id, start, end, ctx.now(), ctx.rules, walk_in=mode == "walk_in")
    if care is not None:
        raise Refusal(care, **care_params(occ, mentor_id, care, ctx.rules))
    lines: list[int] = []
    for tick in ticks:
        line = first_free(occ.line_use.get(tick, ()), occ.lines)
        if line is None:
            raise Refusal("no_free_line")
        lines.append(line)
    return ticks, lines, booking_no


class OwnRow(NamedTuple):
    """One of a client's booked or open consultations, with its mentor's name."""

    id: int
    mentor_id: int
    mentor_name: str
    status: str
    starts_at: datetime
    ends_at: datetime


_OWN = Lean(
    select(
        CONSULTATION.c.id,
        CONSULTATION.c.mentor_id,
        MENTOR.c.display_name,
        CONSULTATION.c.status,
        CONSULTATION.c.starts_at,
        CONSULTATION.c.ends_at,
    )
    .join(MENTOR, MENTOR.c.id == CONSULTATION.c.mentor_id)
    .where(CONSULTATION.c.client_id == bindparam("client_id"), CONSULTATION.c.status.in_(OWN))
    .order_by(CONSULTATION.c.starts_at, CONSULTATION.c.id)
)


async def own_consultations(reads: Reader, client_id: int) -> list[OwnRow]:
    """The client's booked and open consultations, soonest first: what their own limits
    (client_busy, limit_reached) are about."""
    return [OwnRow(*row) for row in await reads.rows(_OWN, {"client_id": client_id})]


async def _own(reads: Reader | None, ctx: Context, client_id: int) -> list[OwnRow]:
    if reads is not None:
        return await own_consultations(reads, client_id)
    async with ctx.db.lean_read() as reader:
        return await own_consultations(reader, client_id)


class Timed(Protocol):
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


def overlaps(c: Timed, start: datetime, end: datetime) -> bool:
    """Whether c holds the client at any tick of [start, end), as its line_hold rows do."""
    return not set(ticks_between(c.starts_at, c.ends_at)).isdisjoint(ticks_between(start, end))


def booking_details(own: Sequence[OwnRow], ctx: Context) -> list[dict[str, Any]]:
    """A refusal's `details.bookings`: the client's own consultations it is about, so the
    page can name them ("12/2 16:00 with さくら") and lead to them."""
    tz = ctx.rules.tz
    return [
        {
            "id": c.id,
            "mentor_id": c.mentor_id,
            "mentor_name": c.mentor_name,
            "starts_at": c.starts_at.astimezone(tz).isoformat(),
            "ends_at": c.ends_at.astimezone(tz).isoformat(),
            "status": c.status,
        }
        for c in own
    ]


async def _client_busy(
    reads: Reader | None,
    ctx: Context,
    client_id: int,
    start: datetime,
    end: datetime,
    *,
    open_too: bool = False,
) -> Refusal:
    """client_busy, naming the client's consultations in the way (an open one always counts
    for a walk-in: its time may be over while the scheduler has not closed it yet)."""
    own = await _own(reads, ctx, client_id)
    hit = [c for c in own if overlaps(c, start, end) or (open_too and c.status == "open")]
    return Refusal("client_busy", bookings=booking_details(hit, ctx))


async def _take(
    s: AsyncSession,
    ctx: Context,
    *,
    client: Principal,
    mentor_id: int,
    mode: str,
    start: datetime,
    end: datetime,
    booked_by: int | None = None,
) -> Consultation:
    """Inside one write transaction: check again, then insert. The unique constraints on
    line_hold decide any race the check could not see."""
    now = ctx.now()
    # The mentor's row is locked first (_check's first read): takes for one mentor queue
    # there, so her limits per day and shift hold across processes and a cool-down committed
    # before is seen. Core reads skip the ORM's autoflush: flush what the caller changed.
    await s.flush()
    ticks, lines, booking_no = await _check(
        SessionReader(s),
        ctx,
        client=client,
        mentor_id=mentor_id,
        mode=mode,
        start=start,
        end=end,
        lock=True,
    )
    consultation = Consultation(
        client_id=client.id,
        mentor_id=mentor_id,
        mode=mode,
        status="open" if mode == "walk_in" else "booked",
        starts_at=start,
        ends_at=end,
        created_at=now,
        opened_at=now if mode == "walk_in" else None,
        booking_no=booking_no,
        booked_by_id=booked_by,
        channel=await _channel_of(s, client.id),
    )
    s.add(consultation)
    await s.flush()
    assert consultation.id is not None
    s.add_all(
        LineHold(
            consultation_id=consultation.id,
            tick=tick,
            line_no=line,
            mentor_id=mentor_id,
            client_id=client.id,
        )
        for tick, line in zip(ticks, lines, strict=True)
    )
    await s.flush()
    return consultation


async def _channel_of(s: AsyncSession, client_id: int) -> str:
    """ "line" for a client linked to a LINE user (the LINE channel), "web" otherwise."""
    linked = (
        await s.execute(
            select(col(LineUser.id)).where(
                col(LineUser.client_id) == client_id, col(LineUser.unfollowed_at).is_(None)
            )
        )
    ).first()
    return "line" if linked is not None else "web"


class MentorTurns:
    """Takes for one mentor queue in this process, each writing in turn, and a count of the
    takes made for her here.

    Only a speed-up: in a rush every request would pass a read made before anything is
    taken, and then hold the writer (SQLite) or wait on the mentor's row lock with a pooled
    connection (PostgreSQL) just to be refused. In turn, a request whose early read is older
    than a take for her here reads again, and is usually refused on that read, without the
    writer. Races between processes (and with other paths) are still decided by the
    database."""

    def __init__(self) -> None:
        self._locks: dict[tuple[int, int], tuple[asyncio.Lock, int]] = {}
        self._takes: dict[int, int] = {}  # per mentor; counted as the take commits

    def takes(self, mentor_id: int) -> int:
        return self._takes.get(mentor_id, 0)

    def took(self, mentor_id: int) -> None:
        self._takes[mentor_id] = self._takes.get(mentor_id, 0) + 1

    @asynccontextmanager
    async def turn(self, mentor_id: int) -> AsyncIterator[None]:
        key = (id(asyncio.get_running_loop()), mentor_id)  # a lock belongs to one loop
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


TURNS = MentorTurns()


async def _take_with_retry(
    ctx: Context,
    *,
    client: Principal,
    mentor_id: int,
    mode: str,
    start: datetime,
    end: datetime,
    booked_by: int | None = None,
) -> Consultation:
    key = TakeKey(client.id, mentor_id, start, end)
    for last_try in (False, False, True):
        # Refuse without queueing for the writer, on a read shared with the takes asked for
        # at the same moment (a rush: one read for up to 16 of them, not one each).
        view = await take_views(ctx).get(key)
        assert view is not None
        await _decide(
            view, None, ctx, client=client, mentor_id=mentor_id, mode=mode, start=start, end=end
        )
        async with TURNS.turn(mentor_id):
            if TURNS.takes(mentor_id) != view.seen:  # she took someone here since that read
                if not last_try:
                    continue  # read again, together with the others this take turned away
                async with ctx.db.lean_read() as reader:
                    await _check(
                        reader,
                        ctx,
                        client=client,
                        mentor_id=mentor_id,
                        mode=mode,
                        start=start,
                        end=end,
                    )
            return await _insert(
                ctx,
                client=client,
                mentor_id=mentor_id,
                mode=mode,
                start=start,
                end=end,
                booked_by=booked_by,
            )
    raise AssertionError("unreachable: the last try returns or raises")


async def _insert(
    ctx: Context,
    *,
    client: Principal,
    mentor_id: int,
    mode: str,
    start: datetime,
    end: datetime,
    booked_by: int | None,
) -> Consultation:
    """The take's write transaction, tried again when it lost a race."""
    # Each lost race means a competitor committed a hold on one of our ticks; there can be at
    # most LINES (≤ MAX_LINES) of those per tick, so this bound is never reached.
    attempts = len(ticks_between(start, end)) * MAX_LINES + ctx.rules.max_bookings + 3
    for _ in range(attempts):
        try:
            async with ctx.db.write() as s:
                taken = await _take(
                    s,
                    ctx,
                    client=client,
                    mentor_id=mentor_id,
                    mode=mode,
                    start=start,
                    end=end,
                    booked_by=booked_by,
                )
        except IntegrityError:
            continue
        except DBAPIError as exc:
            if _sqlstate(exc) in RETRYABLE_SQLSTATES:
                continue
            raise
        # Counted once committed: an early read that started before now may not have seen it
        # (its count is older), one that starts after sees it. Other paths' takes (a waiting
        # line's offer) are not counted; the write transaction's own check still sees them.
        TURNS.took(mentor_id)
        return taken
    raise Refusal("busy_try_again")


def take_views(ctx: Context) -> Gathered[TakeKey, TakeView]:
    """The process's gatherer of early take reads: each caller's view is read after it asked
    (a refusal is never older than the request), with the mentor's take count at that
    moment (`TakeView.seen`)."""
    if ctx.take_views is None:

        async def read(keys: list[TakeKey]) -> dict[TakeKey, TakeView]:
            seen = {key.mentor_id: TURNS.takes(key.mentor_id) for key in keys}
            async with ctx.db.lean_read() as reader:
                views = await load_take_views(reader, keys, ctx.rules.lines)
            for key, view in views.items():
                view.seen = seen[key.mentor_id]
            return views

        ctx.take_views = Gathered(read)
    return ctx.take_views


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


async def do_book(
    ctx: Context, principal: Principal | None, *, mentor_id: object, start: object
) -> Consultation:
    client = require_client(principal)
    try:
        consultation = await _book(ctx, client, mentor_id, start)
    except Refusal as refusal:
        await record_refusal(ctx, "booking", refusal.code, client.role)
        raise
    await publish_lifecycle(ctx, consultation, "booked")  # the mentor's console, HQ, the client
    return consultation


async def _book(
    ctx: Context,
    client: Principal,
    mentor_id: object,
    start: object,
    *,
    booked_by: int | None = None,
) -> Consultation:
    mentor = check_id(mentor_id, "mentor_id")
    slot = parse_instant(start, "start")
    begin, end = booking_window(ctx.now(), slot, ctx.rules)
    return await _take_with_retry(
        ctx,
        client=client,
        mentor_id=mentor,
        mode="booked",
        start=begin,
        end=end,
        booked_by=booked_by,
    )


async def do_chat_now(
    ctx: Context, principal: Principal | None, *, mentor_id: object = None, kind: object = None
) -> Consultation:
    """Open a consultation right now with one mentor, or with any free mentor of a kind."""
    client = require_client(principal)
    try:
        consultation = await _chat_now(ctx, client, mentor_id, kind)
    except Refusal as refusal:
        await record_refusal(ctx, "chat_now", refusal.code, client.role)
        raise
    await publish_lifecycle(ctx, consultation, "opened")  # a walk-in: the mentor must come now
    return consultation


async def _chat_now(
    ctx: Context, client: Principal, mentor_id: object, kind: object
) -> Consultation:
    if (mentor_id is None) == (kind is None):
        raise Refusal("invalid_input", field="mentor_id")
    start, end = walk_in_window(ctx.now(), ctx.rules)
    if mentor_id is not None:
        return await _take_with_retry(
            ctx,
            client=client,
            mentor_id=check_id(mentor_id, "mentor_id"),
            mode="walk_in",
            start=start,
            end=end,
        )
    if kind not in MENTOR_KINDS:
        raise Refusal("invalid_input", field="kind")
    candidates = await _candidates(ctx, client, str(kind))
    if not candidates:
        raise Refusal("not_found", field="kind")
    random.shuffle(candidates)  # spread walk-ins over the mentors of a kind
    reasons: list[str] = []
    for candidate in candidates:
        try:
            return await _take_with_retry(
                ctx, client=client, mentor_id=candidate, mode="walk_in", start=start, end=end
            )
        except Refusal as refusal:
            if refusal.code in {"client_busy", "no_free_line", "busy_try_again"}:
                raise
            reasons.append(refusal.code)
    raise Refusal("mentor_busy" if "mentor_busy" in reasons else "mentor_off_shift")


async def _candidates(ctx: Context, client: Principal, kind: str) -> list[int]:
    async with ctx.db.read() as s:
        mentors = (
            await s.execute(
                select(Mentor).where(col(Mentor.kind) == kind, col(Mentor.active).is_(True))
            )
        ).scalars()
        return [m.id for m in mentors if m.id is not None and serves(m, client.role)]


async def do_cancel(
    ctx: Context,
    principal: Principal | None,
    *,
    consultation_id: int,
    reason: str = "cancelled_by_client",
) -> Consultation:
    """The client cancels a reservation before it starts (reason: cancelled_by_client, or
    line_unfollowed when a LINE client blocked the account)."""
    client = require_client(principal)
    now = ctx.now()
    async with ctx.db.write() as s:
        consultation = await s.get(Consultation, consultation_id)
        if consultation is None or consultation.client_id != client.id:
            raise Refusal("not_found")
        if consultation.status != "booked" or consultation.starts_at <= now:
            raise Refusal("not_cancellable")
        consultation.status = "cancelled"
        consultation.closed_at = now
        consultation.close_reason = reason
        await s.execute(delete(LineHold).where(col(LineHold.consultation_id) == consultation_id))
    await publish_lifecycle(ctx, consultation, "cancelled", reason)
    from app.actions.queue import line_freed  # here: queue builds on this module

    await line_freed(ctx)  # a freed reservation may let a waiter's walk-in fit
    return consultation


async def release_holds_from(
    s: AsyncSession, consultation_id: int | Sequence[int], now: datetime
) -> None:
    """Free a consultation's (or several's) line, mentor and client from the current tick on."""
    ids = [consultation_id] if isinstance(consultation_id, int) else list(consultation_id)
    await s.execute(
        delete(LineHold).where(
            col(LineHold.consultation_id).in_(ids),
            col(LineHold.tick) >= current_tick(now),
        )
    )


async def my_consultations(
    ctx: Context, principal: Principal | None, *, statuses: Sequence[str] = ("booked", "open")
) -> list[tuple[Consultation, Mentor]]:
    client = require_client(principal)
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(Consultation, Mentor)
            .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
            .where(col(Consultation.client_id) == client.id, col(Consultation.status).in_(statuses))
            .order_by(col(Consultation.starts_at))
        )
        return [(c, m) for c, m in rows.all()]


def parse_instant(value: object, field: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise Refusal("invalid_input", field=field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refusal("invalid_input", field=field) from None
    if parsed.tzinfo is None:
        raise Refusal("invalid_input", field=field)
    return parsed
