"""The booking rules as pure functions, at their edges."""

from __future__ import annotations

import os
import time as _time
from datetime import UTC, datetime, time, timedelta

import pytest

from app.errors import Refusal
from app.rules import ServiceRules, booking_window, slot_starts, ticks_between, walk_in_window
from app.rules.capacity import first_free
from tests.helpers import jst

RULES = ServiceRules()


def refusal(fn, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(Refusal) as info:
        fn(*args)
    return info.value.code


@pytest.mark.parametrize(
    ("h", "m", "s", "ok"),
    [
        (14, 59, 59, False),
        (15, 0, 0, True),
        (18, 12, 30, True),
        (21, 29, 59, True),
        (21, 30, 0, True),
        (21, 30, 1, False),
        (22, 0, 0, False),
        (0, 0, 0, False),
    ],
)
def test_chat_now_hours_edges(h: int, m: int, s: int, ok: bool) -> None:
    now = jst(2026, 12, 1, h, m, s)
    if ok:
        start, end = walk_in_window(now, RULES)
        assert start == now
        assert end - start <= timedelta(minutes=30)
        assert end <= jst(2026, 12, 1, 22)
    else:
        assert refusal(walk_in_window, now, RULES) == "outside_hours"


def test_chat_now_at_cutoff_runs_exactly_to_close() -> None:
    _, end = walk_in_window(jst(2026, 12, 1, 21, 30), RULES)
    assert end == jst(2026, 12, 1, 22)


def test_chat_now_is_cut_at_close_when_sessions_are_longer() -> None:
    rules = ServiceRules(session_minutes=45)
    _, end = walk_in_window(jst(2026, 12, 1, 21, 30), rules)
    assert end == jst(2026, 12, 1, 22)


def test_midnight_in_tokyo_is_1500_utc_the_day_before() -> None:
    midnight_utc = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 2026-12-01 00:00 JST
    assert refusal(walk_in_window, midnight_utc, RULES) == "outside_hours"
    start, _ = booking_window(midnight_utc, jst(2026, 12, 1, 15), RULES)
    assert start == jst(2026, 12, 1, 15)
    # 15:00 UTC on 2026-12-01 is midnight of 12-02 in Tokyo: 15:00 JST of 12-01 is long gone.
    assert (
        refusal(
            booking_window, datetime(2026, 12, 1, 15, tzinfo=UTC), jst(2026, 12, 1, 21, 30), RULES
        )
        == "in_the_past"
    )


def test_slots_are_every_half_hour_from_1500_to_2130() -> None:
    starts = slot_starts(jst(2026, 12, 1).date(), RULES)
    assert len(starts) == 14
    assert starts[0] == jst(2026, 12, 1, 15)
    assert starts[-1] == jst(2026, 12, 1, 21, 30)


def test_booking_can_be_made_at_any_hour() -> None:
    for hour in (0, 3, 9, 14, 23):
        start, end = booking_window(jst(2026, 12, 1, hour), jst(2026, 12, 2, 15), RULES)
        assert (start, end) == (jst(2026, 12, 2, 15), jst(2026, 12, 2, 15, 30))


@pytest.mark.parametrize(
    ("slot", "code"),
    [
        (jst(2026, 12, 1, 16), "in_the_past"),  # the slot started exactly now
        (jst(2026, 12, 1, 15, 30), "in_the_past"),
        (jst(2026, 12, 1, 14, 30), "outside_hours"),
        (jst(2026, 12, 1, 22), "outside_hours"),
        (jst(2026, 12, 1, 16, 10), "invalid_slot"),
        (jst(2026, 12, 1, 16, 30, 1), "invalid_slot"),
        (jst(2026, 12, 16, 15), "too_far_ahead"),  # day 15
    ],
)
def test_booking_refusals(slot: datetime, code: str) -> None:
    assert refusal(booking_window, jst(2026, 12, 1, 16), slot, RULES) == code


def test_booking_day_14_last_slot_is_accepted_day_15_first_is_not() -> None:
    now = jst(2026, 12, 1, 23, 59, 59)
    assert booking_window(now, jst(2026, 12, 15, 21, 30), RULES)[0] == jst(2026, 12, 15, 21, 30)
    assert refusal(booking_window, now, jst(2026, 12, 16, 15), RULES) == "too_far_ahead"


def test_booking_a_slot_one_second_before_it_starts() -> None:
    start, _ = booking_window(jst(2026, 12, 1, 16, 59, 59), jst(2026, 12, 1, 17), RULES)
    assert start == jst(2026, 12, 1, 17)


def test_slot_given_in_another_offset_is_the_same_instant() -> None:
    slot_utc = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 15:00 JST
    assert booking_window(jst(2026, 12, 1, 16), slot_utc, RULES)[0] == jst(2026, 12, 2, 15)


def test_rules_ignore_the_server_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    for tz in ("UTC", "America/Los_Angeles"):
        monkeypatch.setenv("TZ", tz)
        _time.tzset()
        assert refusal(walk_in_window, jst(2026, 12, 1, 21, 30, 1), RULES) == "outside_hours"
        assert walk_in_window(jst(2026, 12, 1, 15), RULES)[0] == jst(2026, 12, 1, 15)
        assert slot_starts(jst(2026, 12, 1).date(), RULES)[0] == jst(2026, 12, 1, 15)
    monkeypatch.delenv("TZ")
    _time.tzset()
    assert "TZ" not in os.environ


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        walk_in_window(datetime(2026, 12, 1, 16), RULES)  # noqa: DTZ001
    assert (
        refusal(booking_window, jst(2026, 12, 1, 16), datetime(2026, 12, 2, 15), RULES)
        == "invalid_input"
    )  # noqa: DTZ001


def test_ticks_cover_the_interval_exactly() -> None:
    ticks = ticks_between(jst(2026, 12, 1, 16), jst(2026, 12, 1, 16, 30))
    assert len(ticks) == 6
    assert ticks[0] == int(jst(2026, 12, 1, 16).timestamp())
    walk_in = ticks_between(jst(2026, 12, 1, 16, 12, 30), jst(2026, 12, 1, 16, 42, 30))
    assert len(walk_in) == 7
    assert walk_in[0] == int(jst(2026, 12, 1, 16, 10).timestamp())
    assert walk_in[-1] == int(jst(2026, 12, 1, 16, 40).timestamp())
    assert ticks_between(jst(2026, 12, 1, 16), jst(2026, 12, 1, 16)) == []


def test_first_free() -> None:
    assert first_free([], 4) == 1
    assert first_free([1, 2, 4], 4) == 3
    assert first_free([1, 2, 3, 4], 4) is None


def test_configured_hours() -> None:
    rules = ServiceRules(open_time=time(10), last_start=time(12), close_time=time(12, 30))
    assert len(slot_starts(jst(2026, 12, 1).date(), rules)) == 5
    assert refusal(walk_in_window, jst(2026, 12, 1, 12, 0, 1), rules) == "outside_hours"
