"""Capacity arithmetic.

A consultation holds one row per five-minute *tick* it overlaps. The database enforces that a
(tick, line) pair, a (mentor, tick) pair and a (client, tick) pair are each held at most once,
so at no instant can more than LINES consultations hold a line, whatever the concurrency.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

TICK_SECONDS = 300
MAX_LINES = 500  # the most lines headquarters can configure


def ticks_between(start: datetime, end: datetime) -> list[int]:
    """Epoch seconds of every tick that [start, end) overlaps."""
    if end <= start:
        return []
    first = int(start.timestamp()) // TICK_SECONDS * TICK_SECONDS
    last = int(end.timestamp())
    if last % TICK_SECONDS == 0 and end.microsecond == 0:
        last -= 1
    return list(range(first, last // TICK_SECONDS * TICK_SECONDS + 1, TICK_SECONDS))


def current_tick(now: datetime) -> int:
    return int(now.timestamp()) // TICK_SECONDS * TICK_SECONDS


def first_free(used: Iterable[int], limit: int) -> int | None:
    """The smallest number in 1..limit not in used, or None when all are taken."""
    taken = set(used)
    for n in range(1, limit + 1):
        if n not in taken:
            return n
    return None
