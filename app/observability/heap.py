"""Garbage collection for a process that holds thousands of long-lived sockets.

Every open socket keeps ~200 objects the cycle collector tracks (its tasks, coroutine
frames, queues, the consultation it follows). CPython runs a full collection whenever the
long-lived heap has grown by a quarter since the last one, and a full collection walks every
tracked object with the event loop stopped: measured at 10,000 joined sockets (~2 million
objects), 1.0-1.5 s in which no message moves (docs/benchmarks.md, "Sockets held by one
process").

At start-up and every `freeze_seconds` (60 by default), `HeapKeeper` moves everything alive
into CPython's permanent generation (`gc.freeze()`), which collections skip: a full
collection then walks only what is newer, a few milliseconds. Frozen objects are still freed
by reference counting the moment nothing refers to them; only *cycles* among them (a closed
socket's task and its frames, say) wait until the next `full_minutes` round, which unfreezes
everything and collects it in one pause, at a time known in advance. It pays well below
thousands of sockets: with 1,000 sockets in the realistic benchmark row, CPython's own full
collections stopped the loop for over 100 ms about once a phase and set its chat and
booking p99 (docs/benchmarks.md). freeze_seconds = 0 leaves CPython's own policy.

Every collection's pause is reported (`yorisoi_gc_pause_seconds`, by generation).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from time import perf_counter
from typing import Any

from app.observability import metrics

log = logging.getLogger("yorisoi.heap")


class HeapKeeper:
    def __init__(self, freeze_seconds: int, full_minutes: int) -> None:
        self.freeze_seconds = freeze_seconds
        self.full_minutes = full_minutes
        self._started: float | None = None

    def install(self) -> None:
        """Report every collection's pause (until `uninstall`)."""
        gc.callbacks.append(self._on_gc)

    def uninstall(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = perf_counter()
        elif self._started is not None:
            metrics.gc_pause(info.get("generation", 0), perf_counter() - self._started)
            self._started = None

    async def run(self) -> None:
        """Freeze every freeze_seconds; unfreeze and collect everything every full_minutes."""
        if self.freeze_seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        full_due = loop.time() + self.full_minutes * 60
        # The start-up heap first (modules, tables, compiled statements: alive for good), so
        # that no full collection before the first round walks it.
        await asyncio.sleep(0)
        self.step(full=False)
        while True:
            await asyncio.sleep(self.freeze_seconds)
            full = loop.time() >= full_due
            if full:
                full_due = loop.time() + self.full_minutes * 60
            self.step(full=full)

    @staticmethod
    def step(*, full: bool) -> None:
        """One round: (full) unfreeze everything and collect it; then freeze what lives now."""
        if full:
            started = perf_counter()
            gc.unfreeze()
            found = gc.collect()
            log.info(
                "heap: full collection freed %d objects in %.0f ms",
                found,
                (perf_counter() - started) * 1000,
            )
        gc.freeze()

    @staticmethod
    def release() -> None:
        """Back to CPython's own policy (the app is stopping; tests start many apps)."""
        gc.unfreeze()
