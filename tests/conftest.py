"""Fixtures: real databases only. SQLite: a fresh file per test. PostgreSQL: a throw-away
database per run on 127.0.0.1:5432, emptied before each test. With REQUIRE_POSTGRES=1 a
PostgreSQL that cannot be reached fails the run instead of skipping."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from sqlmodel import SQLModel
from starlette.applications import Starlette

import app.db.tables  # noqa: F401  (registers every table)
from app.actions import Context
from app.clock import ManualClock
from app.db.migrate import upgrade
from app.main import create_app
from app.settings import Settings

JST = ZoneInfo("Asia/Tokyo")
PG_DSN = os.environ.get("YORISOI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Every table, so no test sees another's rows (audit_log and refusal_event have no FKs).
TABLES = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)


def required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_in_thread(coro_factory) -> object:  # type: ignore[no-untyped-def]
    """Run a coroutine to completion on a fresh loop in another thread (safe inside a loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = f"yorisoi_test_{uuid.uuid4().hex[:10]}"
    try:
        run_in_thread(lambda: _pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL not reachable at {PG_DSN}: {exc!r}"
        if required("REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message + " (set REQUIRE_POSTGRES=1 to make this a failure)")
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    run_in_thread(lambda: upgrade(url))
    try:
        yield url
    finally:
        run_in_thread(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/yorisoi.db"
        await upgrade(url)
        yield url
    else:
        url = request.getfixturevalue("pg_database")
        await _truncate(url)
        yield url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 1, 16, 0, tzinfo=JST))


# Most tests jump the clock by hours between two requests of one session; idle expiry (30
# and 120 minutes by default) has its own tests, which set these back (tests/api/test_sessions.py).
LONG_IDLE = {"client_idle_minutes": 1440, "staff_idle_minutes": 1440}


def make_settings(db_url: str, **overrides: object) -> Settings:
    return Settings(
        database_url=db_url,
        dev=True,
        hash_profile="fast",
        scheduler=False,
        **{**LONG_IDLE, **overrides},  # type: ignore[arg-type]
    )


@dataclass
class Env:
    app: Starlette
    http: httpx.AsyncClient
    ctx: Context
    clock: ManualClock


async def open_env(settings: Settings, clock: ManualClock) -> AsyncIterator[Env]:
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Env(app, http, app.state.ctx, clock)


@pytest.fixture
async def env(db_url: str, clock: ManualClock) -> AsyncIterator[Env]:
    async for e in open_env(make_settings(db_url), clock):
        yield e
