"""Every metric this process reports, and the one-line calls other modules report through.

The metric objects live in `_m` and are rebuilt once by `configure(settings)`: with
`YORISOI_METRICS_DIR` set, prometheus_client's multi-process mode keeps each process's values
in memory-mapped files in that directory, so a scrape of any process adds up all of them
(counters and histograms summed, the socket gauge summed over live processes). Without it,
the values stay in this process's memory.

The calls are cheap on purpose: the message path costs one counter increment and two
histogram observations per *batch*. The two per-message figures (ack latency, pool waits) are
tallied in plain Python (a bisect and two additions, `_Tally`) and handed to their histograms
in bulk: at every scrape of this process and once a second (`watch_loop`, started by the
lifespan), so another process's scrape sees them at most a second late.
"""

from __future__ import annotations

import asyncio
import functools
import glob
import os
import re
from bisect import bisect_left
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
POOL_WAIT = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0)
LAG = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256)
GC_PAUSE = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LOOP_LAG = GC_PAUSE  # the same kind of stop, on the same scale
LOOP_TICK = 0.05  # how often the event loop's lateness is sampled


class _Metrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        r = registry
        self.messages_stored = Counter(
            "yorisoi_messages_stored", "Chat messages stored (committed).", registry=r
        )
        self.batch_size = Histogram(
            "yorisoi_message_batch_size",
            "Messages per group-commit batch of the message writer.",
            buckets=BATCH,
            registry=r,
        )
        self.batch_seconds = Histogram(
            "yorisoi_message_batch_seconds",
            "Time to store one group-commit batch (one transaction).",
            buckets=LATENCY,
            registry=r,
        )
        self.ack_seconds = Histogram(
            "yorisoi_ack_seconds",
            "From a send (or share) frame handled to its ack queued for the sender.",
            buckets=LATENCY,
            registry=r,
        )
        self.sockets = Gauge(
            "yorisoi_websockets_open",
            "Open WebSocket connections by role (client, mentor, supervisor).",
            ["role"],
            multiprocess_mode="livesum",
            registry=r,
        )
        self.scheduler_lag = Histogram(
            "yorisoi_scheduler_lag_seconds",
            "How late the scheduler started a due sweep or job.",
            buckets=LAG,
            registry=r,
        )
        self.sweep_seconds = Histogram(
            "yorisoi_scheduler_sweep_seconds",
            "How long one scheduler sweep took.",
            buckets=LATENCY,
            registry=r,
        )
        self.scheduler_overruns = Counter(
            "yorisoi_scheduler_overruns_total",
            "Due runs of a scheduler job skipped because its previous run had not finished.",
            ["job"],
            registry=r,
        )
        self.scheduler_running = Gauge(
            "yorisoi_scheduler_running",
            "1 in the process that runs the scheduler (summed: 1 for the deployment).",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.pool_wait = Histogram(
            "yorisoi_db_pool_wait_seconds",
            "Time to get a database connection from the pool (waiting or connecting).",
            buckets=POOL_WAIT,
            registry=r,
        )
        self.alerts = Counter(
            "yorisoi_alerts_raised",
            "Alerts raised for headquarters, by kind and category.",
            ["kind", "category"],
            registry=r,
        )
        self.line_undelivered = Counter(
            "yorisoi_line_undelivered",
            "Messages to LINE clients that could not be delivered, by reason.",
            ["reason"],
            registry=r,
        )
        self.refusals = Counter(
            "yorisoi_refusals",
            "People turned away (the refusals statistics count), by code.",
            ["code"],
            registry=r,
        )
        self.gc_pause = Histogram(
            "yorisoi_gc_pause_seconds",
            "Garbage-collector pauses (the event loop stopped), by generation (2: full).",
            ["generation"],
            buckets=GC_PAUSE,
            registry=r,
        )
        self.loop_lag = Histogram(
            "yorisoi_event_loop_lag_seconds",
            f"How late a {LOOP_TICK:g} s timer fired: the event loop was busy (or stopped) "
            "that long, and every socket of this process waited with it.",
            buckets=LOOP_LAG,
            registry=r,
        )
        self.http_errors = Counter(
            "yorisoi_http_unexpected_errors",
            "HTTP requests answered 500 internal_error (an unexpected failure).",
            registry=r,
        )


class _Tally:
    """Histogram observations added up in memory, for `flush` into a Histogram in bulk: a
    prometheus observation takes a lock (and in multi-process mode writes a mapped file)
    twice; this costs a bisect and two additions. Bucket i counts values <= bounds[i], as
    prometheus does; the last one is +Inf."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def flush(self, histogram: Histogram) -> None:
        counts, total = self.counts, self.total
        if not any(counts):
            return
        self.counts, self.total = [0] * len(counts), 0.0
        buckets = histogram._buckets  # noqa: SLF001 - one inc per bucket instead of per value
        for i, count in enumerate(counts):
            if count:
                buckets[i].inc(count)
        histogram._sum.inc(total)  # noqa: SLF001


_ack = _Tally(LATENCY)
_pool_wait = _Tally(POOL_WAIT)
_loop_lag = _Tally(LOOP_LAG)
# Tallied from inside the collector's callback, where taking prometheus' lock could deadlock
# (an observation interrupted by a collection that observes again).
_gc_pause = (_Tally(GC_PAUSE), _Tally(GC_PAUSE), _Tally(GC_PAUSE))


def flush() -> None:
    """Hand the tallied observations to their histograms."""
    _ack.flush(_m.ack_seconds)
    _pool_wait.flush(_m.pool_wait)
    _loop_lag.flush(_m.loop_lag)
    for generation, tally in enumerate(_gc_pause):
        if any(tally.counts):
            tally.flush(_m.gc_pause.labels(str(generation)))


async def watch_loop(flush_seconds: float = 1.0, tick: float = LOOP_TICK) -> None:
    """Sample the event loop's lateness every `tick` (a timer's delay past its due time is
    how long everything else waited: a slow callback, a collection, a blocking call) and
    flush the tallies every `flush_seconds`."""
    loop = asyncio.get_running_loop()
    flush_due = loop.time() + flush_seconds
    due = loop.time() + tick
    while True:
        await asyncio.sleep(max(0.0, due - loop.time()))
        now = loop.time()
        _loop_lag.observe(max(0.0, now - due))
        due = now + tick
        if now >= flush_due:
            flush_due = now + flush_seconds
            flush()


class _State:
    directory: Path | None = None
    registry: CollectorRegistry = CollectorRegistry(auto_describe=True)


_m = _Metrics(_State.registry)


def configure(directory: Path | None) -> None:
    """Switch to multi-process mode once, when a metrics directory is set (create_app)."""
    global _m
    if directory is None or _State.directory == directory:
        return
    flush()  # what was tallied so far belongs to the in-process registry
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)  # read by prometheus_client
    values.ValueClass = values.MultiProcessValue()
    _State.directory = directory
    _State.registry = CollectorRegistry(auto_describe=True)
    forget_dead_processes()
    _m = _Metrics(None)  # multi-process values are found through their files


def process_registry() -> CollectorRegistry:
    """What this scrape reports besides the database facts: every process's values (multi-
    process mode) or this process's."""
    flush()
    if _State.directory is None:
        return _State.registry
    forget_dead_processes()
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(_State.directory))
    return registry


_LIVE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db$")


def forget_dead_processes() -> None:
    """Drop the live gauges of processes that died without a clean shutdown (SIGKILL, a
    crash): their sockets are no longer open. Counters and histograms keep their totals."""
    directory = _State.directory
    if directory is None:
        return
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        found = _LIVE_FILE.search(path)
        if found and not _alive(int(found.group(1))):
            mark_process_dead(int(found.group(1)), str(directory))


def process_stopped() -> None:
    """On a clean shutdown: this process's sockets and scheduler stop counting."""
    flush()
    if _State.directory is not None:
        mark_process_dead(os.getpid(), str(_State.directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- what other modules call -----------------------------------------------------------


def message_batch(size: int, stored: int, started: float) -> None:
    """One group-commit batch of `size` messages committed, `stored` of them new."""
    m = _m
    m.messages_stored.inc(stored)
    m.batch_size.observe(size)
    m.batch_seconds.observe(perf_counter() - started)


def message_stored() -> None:
    """One message stored outside a batch (replayed one by one, or a script)."""
    _m.messages_stored.inc()


H = TypeVar("H", bound=Callable[..., Awaitable[None]])


def timed_ack(handler: H) -> H:
    """A send-like frame handler whose successful runs (frame in, ack queued) are timed."""

    @functools.wraps(handler)
    async def timed(*args: Any) -> None:
        started = perf_counter()
        await handler(*args)
        _ack.observe(perf_counter() - started)

    return timed  # type: ignore[return-value]


def gc_pause(generation: int, seconds: float) -> None:
    """One collection of `generation` (0-2) stopped the process for `seconds`."""
    _gc_pause[min(max(generation, 0), 2)].observe(seconds)


def socket_opened(role: str) -> None:
    _m.sockets.labels(role).inc()


def socket_closed(role: str) -> None:
    _m.sockets.labels(role).dec()


def job_submitted(event: Any) -> None:
    """APScheduler's EVENT_JOB_SUBMITTED listener: how late the job starts."""
    times = getattr(event, "scheduled_run_times", None)
    if times:
        _m.scheduler_lag.observe(max(0.0, (datetime.now(UTC) - max(times)).total_seconds()))


def job_overrun(event: Any) -> None:
    """APScheduler's EVENT_JOB_MAX_INSTANCES listener: a due run skipped, the last still runs."""
    _m.scheduler_overruns.labels(job=str(getattr(event, "job_id", "?"))).inc()


def sweep_done(started: float) -> None:
    _m.sweep_seconds.observe(perf_counter() - started)


def scheduler_running(running: bool) -> None:
    _m.scheduler_running.set(1 if running else 0)


def pool_wait(seconds: float) -> None:
    _pool_wait.observe(seconds)


def alert_raised(kind: str, category: str) -> None:
    _m.alerts.labels(kind, category).inc()


def line_undelivered(reason: str) -> None:
    _m.line_undelivered.labels(reason).inc()


def refusal(code: str) -> None:
    _m.refusals.labels(code).inc()


def http_error() -> None:
    _m.http_errors.inc()
