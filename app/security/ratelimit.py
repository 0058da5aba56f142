"""Login throttling that slows guessing without letting an attacker lock a real user out.

Failures are counted per (name, address) and per address, never per name alone: an attacker
on another network cannot exhaust a child's allowance, and a school behind one address keeps
a generous per-address budget. A success clears the (name, address) counter.
The counters live in memory per process; several processes each keep their own.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime


class LoginThrottle:
    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        per_name_and_address: int,
        per_address: int,
        window_seconds: int,
    ) -> None:
        self._now = now
        self._limits = {"pair": per_name_and_address, "addr": per_address}
        self._window = window_seconds
        self._failures: dict[tuple[str, ...], deque[float]] = defaultdict(deque)

    def _keys(self, name: str, address: str) -> dict[str, tuple[str, ...]]:
        return {"pair": ("pair", name, address), "addr": ("addr", address)}

    def _prune(self, key: tuple[str, ...], now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self._window:
            q.popleft()
        if not q:
            self._failures.pop(key, None)
            return deque()
        return q

    def allowed(self, name: str, address: str) -> bool:
        now = self._now().timestamp()
        for kind, key in self._keys(name, address).items():
            if len(self._prune(key, now)) >= self._limits[kind]:
                return False
        return True

    def failed(self, name: str, address: str) -> None:
        now = self._now().timestamp()
        for key in self._keys(name, address).values():
            self._failures[key].append(now)

    def succeeded(self, name: str, address: str) -> None:
        self._failures.pop(("pair", name, address), None)


class SlidingWindow:
    """At most `limit` events per `window_seconds` per key (e.g. chat messages per account)."""

    def __init__(self, now: Callable[[], datetime], limit: int, window_seconds: float) -> None:
        self._now = now
        self.limit = limit
        self._window = window_seconds
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> bool:
        """Record one event; False (and nothing recorded) when the key is over its limit."""
        now = self._now().timestamp()
        q = self._events[key]
        while q and q[0] <= now - self._window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True
