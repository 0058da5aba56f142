"""create_app(settings) -> Starlette: routes, middleware, exception handlers, lifespan.

Run with `uvicorn --factory app.main:create_app`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app.actions import Context
from app.actions.line import LineChannel
from app.actions.message_writer import MessageWriter
from app.actions.pointers import pointed_messages
from app.actions.stats import RefusalRecorder
from app.clock import Clock, ShiftedClock, SystemClock
from app.db.engine import Database
from app.db.tables import MENTOR_KINDS
from app.jobs import Jobs
from app.observability import metrics
from app.observability.heap import HeapKeeper
from app.realtime.hub import Hub
from app.realtime.pg import Leadership, PgBridge, asyncpg_dsn
from app.rules import ServiceRules
from app.safety.crisis import CrisisDetector
from app.safety.directory import HelpDirectory
from app.safety.topics import TopicGuide
from app.security.passwords import Hasher
from app.security.ratelimit import LoginThrottle, ProgressiveDelay, SlidingWindow
from app.settings import Settings, load_settings
from app.web.api import ROUTES as API_ROUTES
from app.web.auth import CrossSiteGuard
from app.web.chattools_api import ROUTES as CHATTOOLS_ROUTES
from app.web.contract_api import ROUTES as CONTRACT_ROUTES
from app.web.errors import EXCEPTION_HANDLERS, ErrorBoundary
from app.web.headers import SecurityHeaders
from app.web.health import healthz
from app.web.inputs import UrlBoundary
from app.web.line_api import ROUTES as LINE_ROUTES
from app.web.links_api import ROUTES as LINK_ROUTES
from app.web.metrics_api import ROUTES as METRICS_ROUTES
from app.web.offline_api import ROUTES as OFFLINE_ROUTES
from app.web.pages import page_mounts
from app.web.presence_api import ROUTES as PRESENCE_ROUTES
from app.web.queue_api import ROUTES as QUEUE_ROUTES
from app.web.record_api import ROUTES as RECORD_ROUTES
from app.web.roster_api import ROUTES as ROSTER_ROUTES
from app.web.safety_api import ROUTES as SAFETY_ROUTES
from app.web.staff_api import ROUTES as STAFF_ROUTES
from app.web.survey_api import ROUTES as SURVEY_ROUTES
from app.web.wellbeing_api import ROUTES as WELLBEING_ROUTES
from app.web.ws import ROUTES as WS_ROUTES
from app.web.ws import ConnectionRegistry

log = logging.getLogger("yorisoi")


def build_clock(settings: Settings) -> Clock:
    return ShiftedClock(settings.clock_start) if settings.clock_start else SystemClock()


def proxy_options(settings: Settings) -> dict[str, object]:
    """uvicorn's proxy settings, always explicit: left alone, uvicorn believes X-Forwarded-For
    from 127.0.0.1, so any local hop could claim fresh sign-in throttle buckets."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def build_context(settings: Settings, clock: Clock) -> Context:
    """Everything actions need; the caller owns ctx.db and must dispose of it."""
    db = Database(
        settings.database_url, pool=settings.db_pool, pool_wait=settings.db_pool_wait_seconds
    )
    return Context(
        settings=settings,
        db=db,
        clock=clock,
        rules=ServiceRules.from_settings(settings),
        hasher=Hasher(settings.hash_profile),
        throttle=LoginThrottle(
            clock.now,
            per_name_and_address=settings.login_max_failures_per_name_and_address,
            per_address=settings.login_max_failures_per_address,
            window_seconds=settings.login_window_seconds,
        ),
        delays=ProgressiveDelay(
            clock.now,
            max_delay=settings.login_max_delay_seconds,
            window_seconds=settings.login_window_seconds,
            unknown_per_address=settings.login_max_failures_per_address,
        ),
        signups=SlidingWindow(clock.now, settings.signups_per_hour_per_address, 3600),
        hub=Hub(),
        messages=MessageWriter(db),
        refusals=RefusalRecorder(db),
        crisis=CrisisDetector.from_file(settings.crisis_words),
        directory=HelpDirectory.from_file(settings.help_directory),
        topics=TopicGuide.from_file(settings.topics, MENTOR_KINDS),
    )


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    settings = settings or load_settings()
    clock = clock or build_clock(settings)
    metrics.configure(settings.metrics_dir)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx = build_context(settings, clock)
        app.state.ctx = ctx
        app.state.message_rate = SlidingWindow(clock.now, settings.ws_messages_per_minute, 60)
        app.state.connections = ConnectionRegistry()
        ctx.messages.start()
        ctx.refusals.start()
        loop = asyncio.get_running_loop()
        heap = HeapKeeper(settings.gc_freeze_seconds, settings.gc_full_minutes)
        heap.install()
        watchers = [
            loop.create_task(app.state.connections.watch_sessions(ctx)),
            loop.create_task(app.state.connections.watch_accounts(ctx)),
            loop.create_task(metrics.watch_loop()),  # loop lag; per-message metrics in bulk
            loop.create_task(heap.run()),  # long-lived sockets out of every full collection
        ]
        jobs = Jobs(ctx, settings.scheduler_interval)
        app.state.jobs = jobs
        leadership: Leadership | None = None
        bridge: PgBridge | None = None
        log.info("yorisoi starting; clock at %s", clock.now().isoformat())
        line: LineChannel | None = None
        app.state.line = None
        try:
            if settings.line_enabled:  # the LINE channel: one more receiver of the hub
                line = LineChannel(ctx)
                await line.start()
                app.state.line = line
            if ctx.db.is_sqlite:
                if settings.scheduler:
                    await jobs.start()  # one process owns an SQLite file
            else:
                dsn = asyncpg_dsn(settings.database_url)
                bridge = PgBridge(dsn, ctx.hub, resolve=partial(pointed_messages, ctx))
                ctx.hub.bridge = bridge  # first: no subscription made meanwhile goes unrecorded
                await bridge.start()
                if settings.scheduler:
                    leadership = Leadership(dsn, jobs.start, jobs.stop)
                    leadership.start()
            yield
        finally:
            for task in watchers:
                task.cancel()
            if line is not None:  # applies the events already acknowledged to LINE first
                await line.stop()
            await ctx.messages.stop()
            await ctx.refusals.stop()
            if leadership is not None:
                await leadership.stop()
            await jobs.stop()
            if bridge is not None:
                await bridge.close()
            await ctx.db.dispose()
            heap.uninstall()
            heap.release()
            metrics.process_stopped()

    return Starlette(
        debug=False,
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            *METRICS_ROUTES,
            *API_ROUTES,
            *SAFETY_ROUTES,
            *ROSTER_ROUTES,
            *STAFF_ROUTES,
            *PRESENCE_ROUTES,
            *QUEUE_ROUTES,
            *WELLBEING_ROUTES,
            *LINK_ROUTES,
            *LINE_ROUTES,
            *CHATTOOLS_ROUTES,
            *RECORD_ROUTES,
            *SURVEY_ROUTES,
            *OFFLINE_ROUTES,
            *CONTRACT_ROUTES,
            *WS_ROUTES,
            *page_mounts(),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(ErrorBoundary),
            Middleware(CrossSiteGuard),
            Middleware(UrlBoundary),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
