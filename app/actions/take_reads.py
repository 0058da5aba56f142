"""What a take (booking, chat-now, a waiting-line offer) reads: three prebuilt Core statements.

The same facts as `load_occupancy` + `load_care` for one mentor, plus the mentor's row and the
client's own booked/open consultations, in three round trips instead of seven ORM queries (the
booking-storm profile: most requests are refusals decided on these reads). The early check
reads them lean, through the driver itself (app/db/lean.py); the check inside the write
transaction reads the same statements through its Session. Nothing here decides a race: the
unique constraints on line_hold and consultation do (booking.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, and_, bindparam, cast, null, or_, select, union_all

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
# Inside the write transaction the mentor's row is locked first: takes for one mentor queue
# here, so her limits per day and shift hold across processes (PostgreSQL; SQLite's writer
# is already alone).
_MENTOR_ROW = Lean(_MENTOR_ROW_SELECT)
_MENTOR_ROW_LOCKED = Lean(_MENTOR_ROW_SELECT.with_for_update(of=MENTOR))
# The window's holds and her shifts in one round trip: a shift row has no tick, a hold row
# no times (the first branch's types decide how the columns are read back).
_NO_TIME = cast(null(), UTCDateTime())
_HOLDS_AND_SHIFTS = Lean(
    union_all(
        select(
            HOLD.c.tick,
            HOLD.c.line_no,
            HOLD.c.mentor_id,
            HOLD.c.client_id,
            _NO_TIME.label("starts_at"),
            _NO_TIME.label("ends_at"),
        ).where(HOLD.c.tick >= bindparam("first"), HOLD.c.tick <= bindparam("last")),
        select(null(), null(), null(), null(), SHIFT.c.starts_at, SHIFT.c.ends_at).where(
            SHIFT.c.mentor_id == bindparam("mentor_id"),
            SHIFT.c.ends_at > bindparam("start"),
            SHIFT.c.starts_at < bindparam("end"),
        ),
    )
)
# The mentor's consultations that count against her limits around the window, and the
# client's own booked/open ones (booking numbers, an open chat not yet closed).
_CONSULTATIONS = Lean(
    select(
        CONSULTATION.c.mentor_id,
        CONSULTATION.c.client_id,
        CONSULTATION.c.status,
        CONSULTATION.c.starts_at,
        CONSULTATION.c.booking_no,
    ).where(
        or_(
            and_(
                CONSULTATION.c.mentor_id == bindparam("mentor_id"),
                CONSULTATION.c.status.in_(COUNTED),
                CONSULTATION.c.starts_at >= bindparam("first_start"),
                CONSULTATION.c.starts_at < bindparam("last_start"),
            ),
            and_(
                CONSULTATION.c.client_id == bindparam("client_id"),
                CONSULTATION.c.status.in_(OWN),
            ),
        )
    )
)


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
    row = await reads.first(_MENTOR_ROW_LOCKED if lock else _MENTOR_ROW, {"mentor_id": mentor_id})
    occ = Occupancy(lines=lines)
    if row is None:
        return TakeView(None, occ)
    active, audience, per_day, per_shift, resting_until, set_lines = row
    if set_lines is not None:
        occ.lines = int(set_lines)
    view = TakeView(MentorRow(bool(active), audience), occ)
    occ.limits[mentor_id] = (per_day, per_shift)
    if resting_until is not None:
        occ.resting[mentor_id] = resting_until
    ticks = ticks_between(start, end)
    # A local day is at most a day from any instant in it; a shift may reach further
    # (the same window as wellbeing.load_care).
    first = start - timedelta(days=1)
    last = end + timedelta(days=1)
    window = {"first": ticks[0], "last": ticks[-1]} if ticks else {"first": 1, "last": 0}
    found = await reads.rows(
        _HOLDS_AND_SHIFTS, {**window, "mentor_id": mentor_id, "start": start, "end": end}
    )
    for tick, line_no, holder, client, s0, e0 in found:
        if s0 is not None:
            occ.shifts[mentor_id].append((s0, e0))
            first, last = min(first, s0), max(last, e0)
        else:
            occ.line_use[tick].add(line_no)
            occ.mentor_ticks[holder].add(tick)
            occ.client_ticks[client].add(tick)
    rows = await reads.rows(
        _CONSULTATIONS,
        {"mentor_id": mentor_id, "client_id": client_id, "first_start": first, "last_start": last},
    )
    for holder, client, status, starts_at, booking_no in rows:
        if holder == mentor_id and status in COUNTED and first <= starts_at < last:
            occ.starts[mentor_id].append(starts_at)
        if client == client_id:
            if status == "open":
                view.client_open = True
            elif status == "booked" and booking_no is not None:
                view.booking_nos.append(booking_no)
    return view
