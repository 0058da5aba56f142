"""The event loop's lateness is sampled: a blocking stall shows up in
yorisoi_event_loop_lag_seconds, an idle loop does not."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import generate_latest

from app.observability import metrics


def lag_counts() -> list[int]:
    return list(metrics._loop_lag.counts)  # noqa: SLF001 - the tally before a flush


async def test_a_blocked_loop_is_reported_and_an_idle_one_is_not() -> None:
    metrics.flush()
    watcher = asyncio.create_task(metrics.watch_loop(flush_seconds=3600, tick=0.01))
    try:
        await asyncio.sleep(0.1)  # idle: every tick on time
        idle = lag_counts()
        assert sum(idle) >= 3
        assert sum(idle[metrics.LOOP_LAG.index(0.5) :]) == 0  # (a busy CI machine: < 0.25 s)
        time.sleep(0.3)  # noqa: ASYNC251 - the stall under test
        await asyncio.sleep(0.05)
        late = [now - was for now, was in zip(lag_counts(), idle, strict=True)]
        # the stall, seen once: one sample between 0.25 and 0.5 s late (or later on a busy machine)
        assert sum(late[metrics.LOOP_LAG.index(0.5) :]) == 1
    finally:
        watcher.cancel()
    metrics.flush()
    text = generate_latest(metrics.process_registry()).decode()
    assert 'yorisoi_event_loop_lag_seconds_bucket{le="0.5"}' in text
    assert "yorisoi_event_loop_lag_seconds_count" in text
