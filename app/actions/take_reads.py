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

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

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
from sqlalchemy.sql import Select
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
CLIENTS_PER_READ = 16  # one read serves takes of up to this many clients (an IN list)


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


def _consultation_branch(clients: int) -> Select[Any]:
    return select(
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
                CONSULTATION.c.client_id.in_([bindparam(f"client_{i}") for i in range(clients)]),
                CONSULTATION.c.status.in_(OWN),
            ),
        )
    )


# The early check (committed rows, no lock): all of it at once, for one take or for up to
# CLIENTS_PER_READ takes of one mentor (one client: an IN of one is planned as an equality;
# sixteen, padded, cost PostgreSQL more planning than the one it needs at a quiet moment).
# Inside the write transaction, after the locked mentor row: the rest, for its one take.
_BRANCHES = (_MENTOR_BRANCH, _HOLD_BRANCH, _SHIFT_BRANCH)
TAKE_VIEW = Lean(union_all(*_BRANCHES, _consultation_branch(1)))
TAKE_VIEWS = Lean(union_all(*_BRANCHES, _consultation_branch(CLIENTS_PER_READ)))
_TAKE_REST = Lean(union_all(_HOLD_BRANCH, _SHIFT_BRANCH, _consultation_branch(1)))


class TakeKey(NamedTuple):
    """One take to check: this client, this mentor, this time."""

    client_id: int
    mentor_id: int
    start: datetime
    end: datetime


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
    seen: int = 0  # the mentor's takes in this process when it was read (booking.MentorTurns)


Held = dict[int, set[int]]


@dataclass
class _Rows:
    """What one read found for one mentor and some clients, sorted by kind."""

    # per_day, per_shift, lines, resting_until, audience, active
    mentor: tuple[Any, ...] | None = None
    holds: list[tuple[int, int, int, int]] = field(default_factory=list)
    shifts: list[tuple[datetime, datetime]] = field(default_factory=list)
    # mentor_id, client_id, booking_no, starts_at, status
    consultations: list[tuple[int, int, int | None, datetime, str]] = field(default_factory=list)
    # per tick range: line use, mentor ticks and client ticks (shared by the views cut for
    # that range, which only read them)
    _held: dict[tuple[int, int], tuple[Held, Held, Held]] = field(default_factory=dict)

    def add(self, rows: Iterable[Sequence[Any]]) -> _Rows:
        for kind, n1, n2, n3, n4, t1, t2, text, flag in rows:
            if kind == HOLD_ROW:
                self.holds.append((n1, n2, n3, n4))
            elif kind == CONSULTATION_ROW:
                self.consultations.append((n1, n2, n3, t1, text))
            elif kind == SHIFT_ROW:
                self.shifts.append((t1, t2))
            else:
                self.mentor = (n1, n2, n3, t1, text, flag)
        return self

    def held(self, low: int, high: int) -> tuple[Held, Held, Held]:
        found = self._held.get((low, high))
        if found is None:
            line_use: Held = defaultdict(set)
            mentor_ticks: Held = defaultdict(set)
            client_ticks: Held = defaultdict(set)
            for tick, line_no, holder, client in self.holds:
                if low <= tick <= high:
                    line_use[tick].add(line_no)
                    mentor_ticks[holder].add(tick)
                    client_ticks[client].add(tick)
            found = self._held[(low, high)] = (line_use, mentor_ticks, client_ticks)
        return found


def _params(keys: Sequence[TakeKey]) -> dict[str, Any]:
    """One read for takes of one mentor: a window spanning all of theirs (each view is cut
    to its own in `_view`), and each client's own consultations."""
    start, end = min(k.start for k in keys), max(k.end for k in keys)
    ticks = ticks_between(start, end)
    clients = list(dict.fromkeys(k.client_id for k in keys))
    assert len(clients) <= CLIENTS_PER_READ
    places = 1 if len(clients) == 1 else CLIENTS_PER_READ
    return {
        "first": ticks[0] if ticks else 1,
        "last": ticks[-1] if ticks else 0,
        "mentor_id": keys[0].mentor_id,
        "start": start,
        "end": end,
        # A local day is at most a day from any instant in it; a shift may reach further.
        "first_start": start - timedelta(days=1),
        "last_start": end + timedelta(days=1),
        # TAKE_VIEW's one client, or TAKE_VIEWS' IN list (unused places repeat a client)
        **{f"client_{i}": clients[i % len(clients)] for i in range(places)},
    }


def _view(rows: _Rows, key: TakeKey, lines: int) -> TakeView:
    """One take's view out of a read that may have served several: exactly what a read for
    it alone finds (tests/actions/test_take_reads.py compares)."""
    if rows.mentor is None:
        return TakeView(None, Occupancy(lines=lines))
    per_day, per_shift, set_lines, resting_until, audience, active = rows.mentor
    mentor_id, start, end = key.mentor_id, key.start, key.end
    occ = Occupancy(lines=int(set_lines) if set_lines is not None else lines)
    view = TakeView(MentorRow(bool(active), audience), occ)
    occ.limits[mentor_id] = (per_day, per_shift)
    if resting_until is not None:
        occ.resting[mentor_id] = resting_until
    ticks = ticks_between(start, end)
    occ.line_use, occ.mentor_ticks, occ.client_ticks = rows.held(
        *((ticks[0], ticks[-1]) if ticks else (1, 0))
    )
    first, last = start - timedelta(days=1), end + timedelta(days=1)
    for s0, e0 in rows.shifts:
        if e0 > start and s0 < end:
            occ.shifts[mentor_id].append((s0, e0))
            first, last = min(first, s0), max(last, e0)
    for holder, client, booking_no, starts_at, status in rows.consultations:
        # A client's own consultation with her may lie outside the span her limits look at.
        if holder == mentor_id and status in COUNTED and first <= starts_at < last:
            occ.starts[mentor_id].append(starts_at)
        if client == key.client_id:
            if status == "open":
                view.client_open = True
            elif status == "booked" and booking_no is not None:
                view.booking_nos.append(booking_no)
    return view


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
    key = TakeKey(client_id, mentor_id, start, end)
    if not lock:
        return _view(_Rows().add(await reads.rows(TAKE_VIEW, _params([key]))), key, lines)
    row = await reads.first(_MENTOR_ROW_LOCKED, {"mentor_id": mentor_id})
    if row is None:
        return TakeView(None, Occupancy(lines=lines))
    active, audience, per_day, per_shift, resting_until, set_lines = row
    found = _Rows(mentor=(per_day, per_shift, set_lines, resting_until, audience, active))
    return _view(found.add(await reads.rows(_TAKE_REST, _params([key]))), key, lines)


async def load_take_views(
    reads: Reader, keys: Sequence[TakeKey], lines: int
) -> dict[TakeKey, TakeView]:
    """Many takes' views, one read per mentor and window for up to CLIENTS_PER_READ of them
    (a rush at a few mentors: a handful of reads where each request made its own)."""
    groups: dict[tuple[int, int, int], list[TakeKey]] = defaultdict(list)
    for key in keys:
        ticks = ticks_between(key.start, key.end) or [0]
        groups[(key.mentor_id, ticks[0], ticks[-1])].append(key)
    views: dict[TakeKey, TakeView] = {}
    for group in groups.values():
        for at in range(0, len(group), CLIENTS_PER_READ):
            chunk = group[at : at + CLIENTS_PER_READ]
            read = TAKE_VIEW if len({k.client_id for k in chunk}) == 1 else TAKE_VIEWS
            found = _Rows().add(await reads.rows(read, _params(chunk)))
            views.update((key, _view(found, key, lines)) for key in chunk)
    return views
