"""A job that outlasts its interval: each skipped run is counted in
yorisoi_scheduler_overruns_total, and APScheduler's warning passes at most once a minute with
the count of skipped runs since the last one (it was two warnings a second under load)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import generate_latest

from app.jobs import SCHEDULER_LOG, Overruns
from app.observability import metrics


def skipped_record() -> logging.LogRecord:
    return SCHEDULER_LOG.makeRecord(
        SCHEDULER_LOG.name,
        logging.WARNING,
        __file__,
        0,
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
        ("sweep (trigger: interval[0:00:00.500000])", 1),
        None,
    )


def test_one_warning_a_minute_says_how_many_runs_were_skipped() -> None:
    now = [0.0]
    overruns = Overruns(every=60, now=lambda: now[0])
    assert overruns.filter(skipped_record())  # the first one passes
    passed = []
    for t in (0.5, 1.0, 30.0, 59.0, 60.5):
        now[0] = t
        record = skipped_record()
        if overruns.filter(record):
            passed.append(record.getMessage())
    assert len(passed) == 1  # 60.5 s after the first
    assert "5 runs skipped since the last such warning" in passed[0]
    assert "sweep (trigger" in passed[0]
    other = SCHEDULER_LOG.makeRecord("x", logging.INFO, __file__, 0, "Scheduler started", (), None)
    assert overruns.filter(other)  # everything else passes untouched


def overruns_of(job: str) -> float:
    text = generate_latest(metrics.process_registry()).decode()
    prefix = f'yorisoi_scheduler_overruns_total{{job="{job}"}} '
    return next(
        (float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0
    )


async def test_a_real_scheduler_counts_each_skipped_run_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = overruns_of("slow")

    async def slow() -> None:
        await asyncio.sleep(0.35)

    scheduler = AsyncIOScheduler(timezone=UTC, logger=SCHEDULER_LOG)
    scheduler.add_job(
        slow,
        "interval",
        seconds=0.05,
        id="slow",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_listener(metrics.job_overrun, EVENT_JOB_MAX_INSTANCES)
    overruns = Overruns()
    SCHEDULER_LOG.addFilter(overruns)
    try:
        with caplog.at_level(logging.WARNING, logger=SCHEDULER_LOG.name):
            scheduler.start()
            await asyncio.sleep(0.3)
            scheduler.shutdown(wait=False)
    finally:
        SCHEDULER_LOG.removeFilter(overruns)
    skipped = overruns_of("slow") - before
    assert skipped >= 1  # the interval came round (several times) during the one run
    warnings = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(warnings) == 1
