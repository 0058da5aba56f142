"""One write for many callers who arrive together.

At a 17:00 burst every waiting socket hears `opened` in the same instant, and each marked its
client present in a write transaction of its own: 500 transactions in a row, and the last
socket's `opened` frame waited behind all of them (SQLite: p50 ~0.45 s, p99 ~1 s), as did
every chat message's write meanwhile. A school's network dropping closes hundreds of sockets
at once the same way, each marking its client away. `Coalesced` gathers the keys its callers
add while the previous write runs (or in the same turn of the event loop) and writes them in
one call, which returns the keys it changed; each caller returns whether its key was among
them, or gets that write's error. `Gathered` is the same for a read: each caller gets its own
key's value out of one call made for all of them (a booking rush's early checks).

A key added while a call runs waits for the next call, which starts after it arrived: a
value read for a caller is never older than its arrival.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Hashable, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Gathered(Generic[K, V]):
    """`await get(key)`: the key's value from one call of `call` for every key added with it
    (None when the call gave it none)."""

    def __init__(
        self, call: Callable[[list[K]], Awaitable[Mapping[K, V]]], most: int = 500
    ) -> None:
        self.call = call
        self.most = most  # keys per call (an IN list of at most this many parameters)
        self._pending: dict[K, None] = {}  # insertion-ordered, each key once
        # completes, with every key's value, when what is pending now is done
        self._next: asyncio.Future[dict[K, V]] | None = None
        self._task: asyncio.Task[None] | None = None
        self.calls = 0  # calls made (tests and benchmarks read it)

    async def get(self, key: K) -> V | None:
        loop = asyncio.get_running_loop()
        if self._next is None:
            self._next = loop.create_future()
        done = self._next
        self._pending[key] = None
        if self._task is None:
            self._task = loop.create_task(self._run())
        # shield: a caller that is cancelled (its socket closed) leaves the call to the rest
        return (await asyncio.shield(done)).get(key)

    async def _run(self) -> None:
        try:
            while self._pending:
                keys = list(self._pending)
                self._pending = {}
                done, self._next = self._next, None
                assert done is not None
                values: dict[K, V] = {}
                try:
                    for start in range(0, len(keys), self.most):
                        self.calls += 1
                        values.update(await self.call(keys[start : start + self.most]))
                except Exception as exc:  # noqa: BLE001 - every caller of this round gets it
                    done.set_exception(exc)
                    done.add_done_callback(_retrieved)  # no warning when every caller left
                except BaseException:
                    done.cancel()  # stopped (the loop is closing): no caller waits for ever
                    raise
                else:
                    done.set_result(values)
        finally:
            self._task = None


class Coalesced(Gathered[K, bool]):
    """One write for the keys added together; `add` is True when it changed the key."""

    def __init__(
        self, write: Callable[[list[K]], Awaitable[Collection[K]]], most: int = 500
    ) -> None:
        async def call(keys: list[K]) -> dict[K, bool]:
            return dict.fromkeys(await write(keys), True)

        super().__init__(call, most)

    async def add(self, key: K) -> bool:
        """Wait until the key is written; True when the write changed it."""
        return await self.get(key) is True


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
