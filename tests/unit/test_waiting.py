"""The waiting line's estimate: lines free as consultations end; reservations keep theirs."""

from __future__ import annotations

from datetime import timedelta

from app.rules.capacity import ticks_between
from app.rules.waiting import Hold, estimate_starts, minutes_until
from tests.helpers import jst

NOW = jst(2026, 12, 1, 16, 0)
LAST = jst(2026, 12, 1, 21, 30)
SESSION = timedelta(minutes=30)


def consultation(mentor: int, start, end) -> list[Hold]:  # type: ignore[no-untyped-def]
    return [Hold(t, mentor, end) for t in ticks_between(start, end)]


def test_each_waiter_takes_the_next_line_to_end() -> None:
    holds = [
        h
        for i, end in enumerate((10, 20))
        for h in consultation(i, NOW - timedelta(minutes=5), NOW + timedelta(minutes=end))
    ]
    starts = estimate_starts(
        now=NOW, holds=holds, waiters=[None, None, None], lines=2, session=SESSION, last_start=LAST
    )
    # the first gets the line ending at 16:10, the second the one ending at 16:20, the
    # third the first one again when the first waiter's walk-in ends at 16:40
    assert [minutes_until(NOW, s) for s in starts] == [10, 20, 40]


def test_a_reservation_is_never_displaced_and_a_mentor_waiter_waits_for_them() -> None:
    holds = [
        *consultation(1, NOW, NOW + timedelta(minutes=10)),
        # the only other line is reserved from 16:30: a walk-in at 16:10 would collide
        *consultation(2, NOW + timedelta(minutes=30), NOW + timedelta(minutes=60)),
    ]
    starts = estimate_starts(
        now=NOW, holds=holds, waiters=[None], lines=1, session=SESSION, last_start=LAST
    )
    assert minutes_until(NOW, starts[0]) == 60
    mentors = estimate_starts(
        now=NOW, holds=holds, waiters=[1, 2], lines=3, session=SESSION, last_start=LAST
    )
    # lines are free: mentor 1 is busy until 16:10; mentor 2 fits a walk-in before 16:30
    assert [minutes_until(NOW, s) for s in mentors] == [10, 0]


def test_nothing_today_after_the_last_start() -> None:
    late = jst(2026, 12, 1, 21, 20)
    holds = consultation(1, late, late + SESSION)
    starts = estimate_starts(
        now=late, holds=holds, waiters=[None], lines=1, session=SESSION, last_start=LAST
    )
    assert starts == [None] and minutes_until(late, None) is None
