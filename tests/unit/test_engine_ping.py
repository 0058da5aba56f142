"""PostgreSQL pool: a connection that died while idle is replaced before use.

The engine pings a pooled connection only when it sat idle (PING_AFTER_IDLE_SECONDS); the
threshold is set to zero here so the test needs no waiting. Quick reads run outside a
transaction and still see committed rows.
"""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text

from app.db import engine
from app.db.engine import Database
from tests.conftest import PG_DSN

pytestmark = pytest.mark.postgres


async def _terminate_others(url: str) -> int:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_DSN)
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        return len(rows)
    finally:
        await conn.close()


async def test_a_connection_killed_while_idle_is_replaced(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PING_AFTER_IDLE_SECONDS", 0.0)
    db = Database(pg_database)
    try:
        async with db.quick_read() as s:
            assert (await s.execute(text("SELECT 1"))).scalar_one() == 1
        assert await _terminate_others(pg_database) >= 1  # the pooled connection, idle
        async with db.quick_read() as s:  # no error: the ping found it dead, a new one serves
            assert (await s.execute(text("SELECT 2"))).scalar_one() == 2
        async with db.write() as s:
            await s.execute(text("CREATE TEMP TABLE t (x int)"))
        assert await _terminate_others(pg_database) >= 1
        async with db.read() as s:
            assert (await s.execute(text("SELECT 3"))).scalar_one() == 3
    finally:
        await db.dispose()


async def test_quick_reads_hold_no_transaction(pg_database: str) -> None:
    db = Database(pg_database)
    try:
        async with db.quick_read() as s:
            first = (await s.execute(text("SELECT txid_current()"))).scalar_one()
            second = (await s.execute(text("SELECT txid_current()"))).scalar_one()
        assert first != second  # autocommit: each statement is its own transaction
        async with db.read() as s:
            first = (await s.execute(text("SELECT txid_current()"))).scalar_one()
            second = (await s.execute(text("SELECT txid_current()"))).scalar_one()
        assert first == second  # an ordinary read session is one transaction
    finally:
        await db.dispose()
