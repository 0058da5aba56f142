"""The only place that asks the system for the time. Everything else is handed a Clock."""

from __future__ import annotations

import asyncio
import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait this long on this clock (a sign-in delay); a manual clock just moves on."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ShiftedClock:
    """Starts at a chosen instant and runs forward in real time (YORISOI_CLOCK_START)."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._origin = _time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=_time.monotonic() - self._origin)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self.slept: list[float] = []  # every sleep asked of this clock, for tests to read

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = instant.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._now += timedelta(seconds=seconds)
        await asyncio.sleep(0)
