"""Estimated waits for the waiting line: a small simulation over the line holds. Pure.

A hold is freed when its consultation ends (its rows from that tick on are deleted), so a
hold at tick t whose consultation ends at E counts against a walk-in starting at T only
while E > T. Walking down the line in order, each waiter takes the earliest start T at
which a walk-in of one session fits under the capacity at every tick it would hold (and,
for a waiter who asked for one mentor, that mentor is free); that simulated walk-in then
holds its ticks for the people behind. The earliest start can only be `now` or an instant
at which something ends, because only an ending frees a tick.

It is an estimate: a waiter for a kind or for anyone is assumed to find a mentor.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.rules.capacity import ticks_between


@dataclass(frozen=True)
class Hold:
    tick: int
    mentor_id: int
    ends_at: datetime  # when the consultation holding it ends


def estimate_starts(
    *,
    now: datetime,
    holds: Sequence[Hold],
    waiters: Sequence[int | None],
    lines: int,
    session: timedelta,
    last_start: datetime,
) -> list[datetime | None]:
    """For each waiter in line order (a mentor id, or None for any mentor), the earliest
    instant a line would be theirs; None when that falls after today's last start."""
    line_ends: dict[int, list[datetime]] = defaultdict(list)
    mentor_ends: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for h in holds:
        insort(line_ends[h.tick], h.ends_at)
        insort(mentor_ends[(h.mentor_id, h.tick)], h.ends_at)
    candidates = sorted({now, *(h.ends_at for h in holds if h.ends_at > now)})

    def still_held(ends: list[datetime], at: datetime) -> int:
        return len(ends) - bisect_right(ends, at)

    def lines_fit(at: datetime) -> bool:
        return all(
            still_held(line_ends.get(t, []), at) < lines for t in ticks_between(at, at + session)
        )

    def mentor_free(mentor_id: int, at: datetime) -> bool:
        return all(
            still_held(mentor_ends.get((mentor_id, t), []), at) == 0
            for t in ticks_between(at, at + session)
        )

    results: list[datetime | None] = []
    first = 0  # index of the earliest start that fits the lines; only ever moves on
    for mentor_id in waiters:
        while first < len(candidates) and not lines_fit(candidates[first]):
            first += 1
        start = None
        for at in candidates[first:]:
            if at > last_start:
                break
            if (mentor_id is None or mentor_free(mentor_id, at)) and lines_fit(at):
                start = at
                break
        results.append(start)
        if start is None:
            continue
        ends = start + session
        for t in ticks_between(start, ends):
            insort(line_ends[t], ends)
            if mentor_id is not None:
                insort(mentor_ends[(mentor_id, t)], ends)
        insort(candidates, ends)
    return results


def minutes_until(now: datetime, start: datetime | None) -> int | None:
    if start is None:
        return None
    return max(0, math.ceil((start - now).total_seconds() / 60))
