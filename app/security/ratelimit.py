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

    def locked(self, name: str) -> bool:
        """Whether this name is locked out from some address (in this process)."""
        now = self._now().timestamp()
        pairs = [k for k in self._failures if k[0] == "pair" and k[1] == name]
        return any(len(self._prune(k, now)) >= self._limits["pair"] for k in pairs)

    def lift(self, name: str) -> None:
        """Forget every failure counted against this name (a supervisor lifted its lockout)."""
        for key in [k for k in self._failures if k[0] == "pair" and k[1] == name]:
            del self._failures[key]


class SlidingWindow:
    """At most `limit` events per `window_seconds` per key (e.g. chat messages per account).

    Each key's times are a plain list, oldest first (limits are small: a list of a few floats
    is ~100 bytes where a deque is ~600, and every socket keeps one window for its joins)."""

    __slots__ = ("_now", "limit", "_window", "_events")

    def __init__(self, now: Callable[[], datetime], limit: int, window_seconds: float) -> None:
        self._now = now
        self.limit = limit
        self._window = window_seconds
        self._events: dict[str, list[float]] = {}

    def _inside(self, key: str, now: float) -> list[float] | None:
        """The key's times still inside the window (older ones dropped), or None."""
        q = self._events.get(key)
        if q:
            cutoff = now - self._window
            gone = 0
            while gone < len(q) and q[gone] <= cutoff:
                gone += 1
            if gone:
                del q[:gone]
        return q

    def hit(self, key: str) -> bool:
        """Record one event; False (and nothing recorded) when the key is over its limit."""
        now = self._now().timestamp()
        q = self._inside(key, now)
        if q is None:
            q = self._events[key] = []
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True

    def count(self, key: str) -> int:
        """Events of this key still inside the window."""
        q = self._inside(key, self._now().timestamp())
        if q is None:
            return 0
        if not q:
            self._events.pop(key, None)
        return len(q)


class ProgressiveDelay:
    """Secret guessing slowed per (account or name, address), never locked out.

    Each failure within the window makes the next attempt on the same key wait longer:
    0, 0, 1, 2, 4, 8 ... seconds after the last failure, up to `max_delay`. A child who
    mistypes a few times and then types the right secret waits a moment and gets in; a
    guesser on one address gets one try per `max_delay` seconds. A success clears the key.

    Separately, failures on names that do not exist are counted per address; past
    `unknown_per_address` such failures, that address's attempts on unknown names are
    refused, while children behind the same address who type their own name are not.
    """

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        max_delay: float,
        window_seconds: float,
        unknown_per_address: int,
    ) -> None:
        self._now = now
        self._max_delay = max_delay
        self._window = window_seconds
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._unknown = SlidingWindow(now, unknown_per_address, window_seconds)
        self._in_flight: set[tuple[str, str]] = set()

    def delay_after(self, failures: int) -> float:
        return 0.0 if failures < 2 else float(min(self._max_delay, 2 ** (failures - 2)))

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self._window:
            q.popleft()
        if not q:
            self._failures.pop(key, None)
        return q

    def wait(self, key: str, address: str) -> float:
        """Seconds still to wait before the next attempt on this key from this address."""
        now = self._now().timestamp()
        q = self._recent((key, address), now)
        if not q:
            return 0.0
        return max(0.0, q[-1] + self.delay_after(len(q)) - now)

    def begin(self, key: str, address: str) -> bool:
        """Claim the key for one attempt; False if an attempt is already under way
        (parallel guesses would share one wait)."""
        pair = (key, address)
        if pair in self._in_flight:
            return False
        self._in_flight.add(pair)
        return True

    def end(self, key: str, address: str, *, ok: bool | None) -> None:
        """Release the key: ok clears its failures, False adds one, None (the secret was
        never checked) changes nothing."""
        pair = (key, address)
        self._in_flight.discard(pair)
        if ok:
            self._failures.pop(pair, None)
        elif ok is False:
            self._failures[pair].append(self._now().timestamp())

    def unknown_name_allowed(self, address: str) -> bool:
        return self._unknown.count(address) < self._unknown.limit

    def unknown_name_failed(self, address: str) -> None:
        self._unknown.hit(address)


class TokenBucket:
    """A budget of `burst` events that refills at `rate` per second (one socket's frames).

    Two floats per bucket, so every socket can carry its own without growing with traffic
    (a SlidingWindow keeps one timestamp per event).
    """

    __slots__ = ("_now", "rate", "burst", "_tokens", "_at")

    def __init__(self, now: Callable[[], datetime], *, rate: float, burst: float) -> None:
        self._now = now
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = now().timestamp()

    def take(self) -> bool:
        """Spend one event; False (and nothing spent) when the budget is used up."""
        now = self._now().timestamp()
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
