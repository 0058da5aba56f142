"""What a take (booking, chat-now, a waiting-line offer) reads: one prebuilt Core statement.

The same facts as `load_occupancy` + `load_care` for one mentor, plus the mentor's row and the
client's own booked/open consultations, in one round trip instead of seven ORM queries (the
booking-storm profile: most requests are refusals decided on this read, and each round trip
costs this process about 60 µs of CPU on PostgreSQL before anything is done with its rows).
The early check reads it lean, through the driver itself (app/db/lean.py); the check inside
the write transaction locks the mentor's row first and then reads the rest through its
Session. Nothing here decides a race: the unique constraints on line_hold and consultation
do (booking.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    cast,
    exists,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.types import TypeEngine

from app.actions.occupancy import Occupancy
from app.actions.wellbeing import COUNTED
from app.db.lean import Lean, Reader
from app.db.tables import Consultation, LineHold, Mentor, ServiceSetting, Shift
from app.db.types import UTCDateTime
from app.rules.capacity import ticks_between

MENTOR: Table = Mentor.__table__  # type: ignore[attr-defined]
SETTING: Table = ServiceSetting.__table__  # type: ignore[attr-defined]
HOLD: Table = LineHold.__table__  # type: ignore[attr-defined]
SHIFT: Table = Shift.__table__  # type: ignore[attr-defined]
CONSULTATION: Table = Consultation.__table__  # type: ignore[attr-defined]
OWN = ("booked", "open")  # a client's consultations that hold (or will hold) them

_LINES = select(SETTING.c.value).where(SETTING.c.key == "lines").scalar_subquery()
_MENTOR_ROW_SELECT = select(
    MENTOR.c.active,
    MENTOR.c.audience,
    MENTOR.c.max_per_day,
    MENTOR.c.max_per_shift,
    MENTOR.c.resting_until,
    _LINES,
).where(MENTOR.c.id == bindparam("mentor_id"))
# Inside the write transaction the mentor's row is locked first, on its own (FOR UPDATE
# cannot stand in a UNION): takes for one mentor queue here, so her limits per day and shift
# hold across processes (PostgreSQL; SQLite's writer is already alone).
_MENTOR_ROW_LOCKED = Lean(_MENTOR_ROW_SELECT.with_for_update(of=MENTOR))

# Everything else a take decides on, in one round trip: a UNION ALL of same-shaped rows,
# `kind` telling them apart. The columns are typed by the first branch, so every NULL is
# cast (the branches line up column by column):
#   kind  n1            n2             n3          n4         t1             t2       s         flag
#   0     max_per_day   max_per_shift  lines       -          resting_until  -        audience  active
#   1     tick          line_no        mentor_id   client_id  -              -        -         -
#   2     -             -              -           -          starts_at      ends_at  -         -
#   3     mentor_id     client_id      booking_no  -          starts_at      -        status    -
MENTOR_ROW, HOLD_ROW, SHIFT_ROW, CONSULTATION_ROW = range(4)


def _no(type_: type[TypeEngine[Any]]) -> Any:
    return cast(null(), type_())


def _kind(n: int) -> Any:
    return literal_column(str(n), Integer).label("kind")


_MENTOR_BRANCH = select(
    _kind(MENTOR_ROW),
    MENTOR.c.max_per_day,
    MENTOR.c.max_per_shift,
    cast(_LINES, Integer),
    _no(Integer),
    MENTOR.c.resting_until,
    _no(UTCDateTime),
    MENTOR.c.audience,
    MENTOR.c.active,
).where(MENTOR.c.id == bindparam("mentor_id"))
_HOLD_BRANCH = select(
    _kind(HOLD_ROW),
    HOLD.c.tick,
    HOLD.c.line_no,
    HOLD.c.mentor_id,
    HOLD.c.client_id,
    _no(UTCDateTime),
    _no(UTCDateTime),
    _no(String),
    _no(Boolean),
).where(HOLD.c.tick >= bindparam("first"), HOLD.c.tick <= bindparam("last"))
_OVERLAPPING_SHIFT = and_(
    SHIFT.c.mentor_id == bindparam("mentor_id"),
    SHIFT.c.ends_at > bindparam("start"),
    SHIFT.c.starts_at < bindparam("end"),
)
_SHIFT_BRANCH = select(
    _kind(SHIFT_ROW),
    _no(BigInteger),
    _no(Integer),
    _no(Integer),
    _no(Integer),
    SHIFT.c.starts_at,
    SHIFT.c.ends_at,
    _no(String),
    _no(Boolean),
).where(_OVERLAPPING_SHIFT)
# The mentor's consultations that count against her limits: those starting within a day of
# the window (her limit per local day) or inside a shift around it (her limit per shift), the
# same span as wellbeing.load_care's; and the client's own booked/open ones (booking numbers,
# an open chat not yet closed).
_IN_A_SHIFT = exists().where(
    _OVERLAPPING_SHIFT,
    SHIFT.c.starts_at <= CONSULTATION.c.starts_at,
    CONSULTATION.c.starts_at < SHIFT.c.ends_at,
)
_CONSULTATION_BRANCH = select(
    _kind(CONSULTATION_ROW),
    CONSULTATION.c.mentor_id,
    CONSULTATION.c.client_id,
    CONSULTATION.c.booking_no,
    _no(Integer),
    CONSULTATION.c.starts_at,
    _no(UTCDateTime),
    CONSULTATION.c.status,
    _no(Boolean),
).where(
    or_(
        and_(
            CONSULTATION.c.mentor_id == bindparam("mentor_id"),
            CONSULTATION.c.status.in_(COUNTED),
            or_(
                and_(
                    CONSULTATION.c.starts_at >= bindparam("first_start"),
                    CONSULTATION.c.starts_at < bindparam("last_start"),
                ),
                _IN_A_SHIFT,
            ),
        ),
        and_(
            CONSULTATION.c.client_id == bindparam("client_id"),
            CONSULTATION.c.status.in_(OWN),
        ),
    )
)
# The early check (committed rows, no lock): all of it at once. Inside the write transaction,
# after the locked mentor row: the rest.
TAKE_VIEW = Lean(union_all(_MENTOR_BRANCH, _HOLD_BRANCH, _SHIFT_BRANCH, _CONSULTATION_BRANCH))
_TAKE_REST = Lean(union_all(_HOLD_BRANCH, _SHIFT_BRANCH, _CONSULTATION_BRANCH))


@dataclass
class MentorRow:
    active: bool
    audience: str


@dataclass
class TakeView:
    """One mentor's side of a take and the client's own: what `booking._check` decides on."""

    mentor: MentorRow | None
    occ: Occupancy
    client_open: bool = False  # the client has an open consultation
    booking_nos: list[int] = field(default_factory=list)  # of the client's booked ones


async def load_take_view(
    reads: Reader,
    *,
    client_id: int,
    mentor_id: int,
    start: datetime,
    end: datetime,
    lines: int,
    lock: bool = False,
) -> TakeView:
    """`lines` is the default capacity if headquarters set none. `lock`: inside the write
    transaction, lock the mentor's row first (SELECT … FOR UPDATE on PostgreSQL)."""
    ticks = ticks_between(start, end)
    # A local day is at most a day from any instant in it; a shift may reach further.
    first, last = start - timedelta(days=1), end + timedelta(days=1)
    params = {
        "first": ticks[0] if ticks else 1,
        "last": ticks[-1] if ticks else 0,
        "mentor_id": mentor_id,
        "client_id": client_id,
        "start": start,
        "end": end,
        "first_start": first,
        "last_start": last,
    }
    occ = Occupancy(lines=lines)
    view = TakeView(None, occ)
    if lock:
        row = await reads.first(_MENTOR_ROW_LOCKED, {"mentor_id": mentor_id})
        if row is None:
            return view
        active, audience, per_day, per_shift, resting_until, set_lines = row
        rows = list(await reads.rows(_TAKE_REST, params))
        rows.append(
            (MENTOR_ROW, per_day, per_shift, set_lines, None, resting_until, None, audience, active)
        )
    else:
        rows = list(await reads.rows(TAKE_VIEW, params))
    counted: list[tuple[datetime, str]] = []
    for kind, n1, n2, n3, n4, t1, t2, status, flag in rows:
        if kind == HOLD_ROW:
            occ.line_use[n1].add(n2)
            occ.mentor_ticks[n3].add(n1)
            occ.client_ticks[n4].add(n1)
        elif kind == CONSULTATION_ROW:
            if n1 == mentor_id and status in COUNTED:
                counted.append((t1, status))
            if n2 == client_id:
                if status == "open":
                    view.client_open = True
                elif status == "booked" and n3 is not None:
                    view.booking_nos.append(n3)
        elif kind == SHIFT_ROW:
            occ.shifts[mentor_id].append((t1, t2))
            first, last = min(first, t1), max(last, t2)
        else:
            view.mentor = MentorRow(bool(flag), status)
            occ.limits[mentor_id] = (n1, n2)
            if t1 is not None:
                occ.resting[mentor_id] = t1
            if n3 is not None:
                occ.lines = int(n3)
    if view.mentor is None:
        return TakeView(None, Occupancy(lines=lines))
    # A client's own consultation with her may lie outside the span her limits look at.
    occ.starts[mentor_id].extend(t for t, _ in counted if first <= t < last)
    return view
