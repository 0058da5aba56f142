"""APScheduler 3.x jobs and their registration.

The scheduler holds one recurring job, `sweep`, which asks the database what is due at the
injected clock's now and does it (app.actions.lifecycle). Because all state lives in the
database, a (re)started scheduler rebuilds nothing by hand and catches up on its first run.
Exactly one process runs it: the SQLite process, or the PostgreSQL advisory-lock holder.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from time import perf_counter

from apscheduler.events import EVENT_JOB_SUBMITTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.actions import Context
from app.actions.lifecycle import sweep
from app.actions.privacy import purge_expired
from app.observability import metrics

log = logging.getLogger("yorisoi.jobs")


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


class Jobs:
    def __init__(self, ctx: Context, interval_seconds: float) -> None:
        self.ctx = ctx
        self.interval = interval_seconds
        self.scheduler: AsyncIOScheduler | None = None

    @property
    def running(self) -> bool:
        return self.scheduler is not None

    async def start(self) -> None:
        if self.scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=UTC)
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
        scheduler.start()
        self.scheduler = scheduler
        metrics.scheduler_running(True)

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            metrics.scheduler_running(False)
