"""Service hours, the same-day cutoff, half-hour slots and the booking horizon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.errors import Refusal


@dataclass(frozen=True)
class ServiceRules:
    tz: ZoneInfo = ZoneInfo("Asia/Tokyo")
    open_time: time = time(15, 0)
    close_time: time = time(22, 0)
    last_start: time = time(21, 30)
    session_minutes: int = 30
    slot_minutes: int = 30
    horizon_days: int = 14
    lines: int = 4
    max_bookings: int = 2
    no_show_minutes: int = 10
    # Mentor well-being (app/actions/wellbeing.py): service-wide limits, None: none.
    mentor_max_per_day: int | None = None
    mentor_max_per_shift: int | None = None
    cooldown_minutes: int = 15

    @classmethod
    def from_settings(cls, settings: object) -> ServiceRules:
        return cls(
            tz=settings.tz,  # type: ignore[attr-defined]
            open_time=settings.open_time,  # type: ignore[attr-defined]
            close_time=settings.close_time,  # type: ignore[attr-defined]
            last_start=settings.last_start,  # type: ignore[attr-defined]
            session_minutes=settings.session_minutes,  # type: ignore[attr-defined]
            horizon_days=settings.horizon_days,  # type: ignore[attr-defined]
            lines=settings.lines,  # type: ignore[attr-defined]
            max_bookings=settings.max_bookings,  # type: ignore[attr-defined]
            no_show_minutes=settings.no_show_minutes,  # type: ignore[attr-defined]
            mentor_max_per_day=getattr(settings, "mentor_max_per_day", None),
            mentor_max_per_shift=getattr(settings, "mentor_max_per_shift", None),
            cooldown_minutes=getattr(settings, "cooldown_minutes", 15),
        )

    def hours(self) -> dict[str, str]:
        """The service hours as refusal parameters, so messages never state stale hours."""
        return {
            "open_time": self.open_time.isoformat("minutes"),
            "last_start": self.last_start.isoformat("minutes"),
            "close_time": self.close_time.isoformat("minutes"),
        }

    @property
    def session(self) -> timedelta:
        return timedelta(minutes=self.session_minutes)


def to_local(instant: datetime, rules: ServiceRules) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime given; all instants must be timezone-aware")
    return instant.astimezone(rules.tz)


def local_day(instant: datetime, rules: ServiceRules) -> date:
    return to_local(instant, rules).date()


def at_local(day: date, t: time, rules: ServiceRules) -> datetime:
    """The UTC instant of local wall time t on local day."""
    return datetime.combine(day, t, tzinfo=rules.tz).astimezone(UTC)


def slot_starts(day: date, rules: ServiceRules) -> list[datetime]:
    """Every bookable slot start on a local day, as UTC instants."""
    starts = []
    current = datetime.combine(day, rules.open_time)
    last = datetime.combine(day, rules.last_start)
    while current <= last:
        starts.append(current.replace(tzinfo=rules.tz).astimezone(UTC))
        current += timedelta(minutes=rules.slot_minutes)
    return starts


def _end_for(start: datetime, rules: ServiceRules) -> datetime:
    close = at_local(local_day(start, rules), rules.close_time, rules)
    return min(start + rules.session, close)


def walk_in_window(now: datetime, rules: ServiceRules) -> tuple[datetime, datetime]:
    """(start, end) of a "chat now" consultation starting at now, or Refusal(outside_hours).

    Accepted from open_time up to and including last_start to the second: 21:30:00 is in,
    21:30:01 is out. Never runs past close_time.
    """
    local = to_local(now, rules)
    wall = local.time().replace(microsecond=0, tzinfo=None)
    if not rules.open_time <= wall <= rules.last_start:
        raise Refusal("outside_hours", **rules.hours())
    return now, _end_for(now, rules)


def booking_window(
    now: datetime, start: datetime, rules: ServiceRules
) -> tuple[datetime, datetime]:
    """(start, end) of a reservation for the slot starting at start, or a Refusal."""
    if start.tzinfo is None:
        raise Refusal("invalid_input", field="start")
    local = to_local(start, rules)
    day = local.date()
    starts = slot_starts(day, rules)
    if start.astimezone(UTC) not in starts:
        wall = local.time().replace(tzinfo=None)
        if wall < rules.open_time or wall > rules.last_start:
            raise Refusal("outside_hours", **rules.hours())
        raise Refusal("invalid_slot", **rules.hours())
    if start <= now:
        raise Refusal("in_the_past")
    if (day - local_day(now, rules)).days > rules.horizon_days:
        raise Refusal("too_far_ahead", horizon_days=rules.horizon_days)
    return start.astimezone(UTC), _end_for(start, rules)


def bookable_days(now: datetime, rules: ServiceRules) -> list[date]:
    today = local_day(now, rules)
    return [today + timedelta(days=i) for i in range(rules.horizon_days + 1)]
