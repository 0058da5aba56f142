"""What is taken between two instants: line use per tick, mentor ticks, shifts.

Used to *explain* availability and refusals. The guarantee itself is the unique constraints on
line_hold; these reads only choose a free line number and a clear reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.tables import LineHold, ServiceSetting, Shift
from app.rules.capacity import ticks_between


@dataclass
class Occupancy:
    lines: int
    line_use: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    mentor_ticks: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    client_ticks: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    shifts: dict[int, list[tuple[datetime, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Well-being (wellbeing.care_reason): per mentor, resting until, their own limits
    # (per day, per shift), and the starts of their consultations around the window.
    resting: dict[int, datetime] = field(default_factory=dict)
    limits: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    starts: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))

    def lines_full(self, ticks: Iterable[int]) -> bool:
        return any(len(self.line_use.get(t, ())) >= self.lines for t in ticks)

    def mentor_taken(self, mentor_id: int, ticks: Iterable[int]) -> bool:
        taken = self.mentor_ticks.get(mentor_id, set())
        return any(t in taken for t in ticks)

    def client_taken(self, client_id: int, ticks: Iterable[int]) -> bool:
        taken = self.client_ticks.get(client_id, set())
        return any(t in taken for t in ticks)

    def on_shift(self, mentor_id: int, start: datetime, end: datetime) -> bool:
        return any(s <= start and end <= e for s, e in self.shifts.get(mentor_id, ()))

    def used_at(self, tick: int) -> int:
        return len(self.line_use.get(tick, ()))


async def current_lines(s: AsyncSession, default: int) -> int:
    """The line capacity in force: headquarters' setting if any, else YORISOI_LINES.

    A capacity change locks line_hold (roster.do_set_capacity), so a booking that read the
    old number and is still inserting is waited for; no lock is needed here.
    """
    query = select(col(ServiceSetting.value)).where(col(ServiceSetting.key) == "lines")
    value = (await s.execute(query)).scalar_one_or_none()
    return int(value) if value is not None else default


async def load_occupancy(
    s: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    lines: int,
    mentor_ids: Iterable[int] | None = None,
) -> Occupancy:
    """Holds between start and end; `lines` is the default capacity if none was set."""
    occ = Occupancy(lines=await current_lines(s, lines))
    ids = None if mentor_ids is None else list(mentor_ids)
    ticks = ticks_between(start, end)
    if not ticks:
        return occ
    first, last = ticks[0], ticks[-1]
    rows = await s.execute(
        select(
            col(LineHold.tick),
            col(LineHold.line_no),
            col(LineHold.mentor_id),
            col(LineHold.client_id),
        ).where(col(LineHold.tick) >= first, col(LineHold.tick) <= last)
    )
    for tick, line_no, mentor_id, client_id in rows:
        occ.line_use[tick].add(line_no)
        occ.mentor_ticks[mentor_id].add(tick)
        occ.client_ticks[client_id].add(tick)
    query = select(Shift).where(col(Shift.ends_at) > start, col(Shift.starts_at) < end)
    if ids is not None:
        query = query.where(col(Shift.mentor_id).in_(ids))
    for shift in (await s.execute(query)).scalars():
        occ.shifts[shift.mentor_id].append((shift.starts_at, shift.ends_at))
    if ids is None or ids:
        from app.actions.wellbeing import load_care  # here: wellbeing builds on this module

        await load_care(s, occ, start=start, end=end, mentor_ids=ids)
    return occ
