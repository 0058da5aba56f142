"""APScheduler 3.x jobs and their registration.

The scheduler holds one recurring job, `sweep`, which asks the database what is due at the
injected clock's now and does it (app.actions.lifecycle). Because all state lives in the
database, a (re)started scheduler rebuilds nothing by hand and catches up on its first run.
Exactly one process runs it: the SQLite process, or the PostgreSQL advisory-lock holder.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.actions import Context
from app.actions.lifecycle import sweep

log = logging.getLogger("yorisoi.jobs")


async def run_sweep(ctx: Context) -> None:
    try:
        done = await sweep(ctx)
    except Exception:
        log.exception("scheduler sweep failed; it will run again")
        return
    if any(done.values()):
        log.info("scheduler: %s", ", ".join(f"{k}={v}" for k, v in done.items() if v))


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
        scheduler.start()
        self.scheduler = scheduler

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
