"""APScheduler 3.x jobs and their registration.

The scheduler holds one recurring job, `sweep`, which asks the database what is due at the
injected clock's now and does it (app.actions.lifecycle). Because all state lives in the
database, a (re)started scheduler rebuilds nothing by hand and catches up on its first run.
Exactly one process runs it: the SQLite process, or the PostgreSQL advisory-lock holder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from time import monotonic, perf_counter

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_SUBMITTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.actions import Context
from app.actions.lifecycle import sweep
from app.actions.privacy import purge_expired
from app.observability import metrics

log = logging.getLogger("yorisoi.jobs")
SCHEDULER_LOG = logging.getLogger("apscheduler.scheduler")  # the scheduler's own (given to it)


async def run_sweep(ctx: Context) -> None:
    started = perf_counter()
    try:
        done = await sweep(ctx)
    except Exception as exc:  # type only: a traceback could carry SQL parameters
        log.error("scheduler sweep failed (%s); it will run again", type(exc).__name__)
        return
    metrics.sweep_done(started)
    if any(done.values()):
        log.info("scheduler: %s", ", ".join(f"{k}={v}" for k, v in done.items() if v))


async def run_purge(ctx: Context) -> None:
    try:
        purged = await purge_expired(ctx)
    except Exception as exc:
        log.error("retention purge failed (%s); it will run again", type(exc).__name__)
        return
    if purged:
        log.info("retention: transcripts of %d consultations deleted", purged)


class Overruns(logging.Filter):
    """APScheduler warns each time a due run is skipped because the job's previous run has not
    finished. Under saturation the sweep outlasts its half-second interval and that was two
    warnings a second; each is counted (`yorisoi_scheduler_overruns_total`) and at most one
    warning a minute passes, saying how many runs were skipped since the last."""

    def __init__(self, every: float = 60.0, now: Callable[[], float] = monotonic) -> None:
        super().__init__()
        self.every = every
        self.now = now
        self.skipped = 0
        self.last: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith('Execution of job "%s" skipped'):
            return True
        self.skipped += 1
        now = self.now()
        if self.last is not None and now - self.last < self.every:
            return False
        self.last = now
        record.msg = (
            'Execution of job "%s" skipped: its previous run had not finished (%d runs'
            " skipped since the last such warning; each is counted in"
            " yorisoi_scheduler_overruns_total)"
        )
        job = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.args = (job, self.skipped)
        self.skipped = 0
        return True


class Jobs:
    def __init__(self, ctx: Context, interval_seconds: float) -> None:
        self.ctx = ctx
        self.interval = interval_seconds
        self.scheduler: AsyncIOScheduler | None = None
        self.overruns = Overruns()

    @property
    def running(self) -> bool:
        return self.scheduler is not None

    async def start(self) -> None:
        if self.scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=UTC, logger=SCHEDULER_LOG)
        scheduler.add_job(
            run_sweep,
            "interval",
            args=[self.ctx],
            seconds=self.interval,
            id="sweep",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),  # catch up at once on start
        )
        scheduler.add_job(
            run_purge,
            "cron",
            args=[self.ctx],
            hour=3,
            timezone=self.ctx.rules.tz,
            id="retention",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),  # and once at start, to catch up
        )
        scheduler.add_listener(metrics.job_submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(metrics.job_overrun, EVENT_JOB_MAX_INSTANCES)
        SCHEDULER_LOG.addFilter(self.overruns)
        scheduler.start()
        self.scheduler = scheduler
        metrics.scheduler_running(True)

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            SCHEDULER_LOG.removeFilter(self.overruns)
            self.scheduler = None
            metrics.scheduler_running(False)
