"""app/db/failures.unavailable, on errors raised by real databases: "not now" (busy, lost,
out of connections) versus a bug (a statement that can never work)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy.exc as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import sqlite_driver
from app.db.failures import unavailable


async def raised(coro) -> BaseException:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as caught:
        await coro
    return caught.value


@pytest.mark.parametrize("module", [None, sqlite_driver.DBAPI], ids=["aiosqlite", "one_trip"])
async def test_sqlite_locked_is_not_now_a_missing_table_is_a_bug(
    tmp_path: Path, module: object
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    driver = {} if module is None else {"module": module}
    holder = create_async_engine(url, **driver)
    waiter = create_async_engine(url, connect_args={"timeout": 0.05}, **driver)
    try:
        async with holder.connect() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.commit()
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            async with waiter.connect() as other:
                locked = await raised(other.execute(text("INSERT INTO t VALUES (2)")))
                missing = await raised(other.execute(text("SELECT * FROM nowhere")))
        assert isinstance(locked, sa.OperationalError) and unavailable(locked)
        assert isinstance(missing, sa.OperationalError) and not unavailable(missing)
    finally:
        await holder.dispose()
        await waiter.dispose()


async def test_a_full_pool_is_not_now(tmp_path: Path) -> None:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path}/p.db", pool_size=1, max_overflow=0, pool_timeout=0.05
    )
    try:
        async with engine.connect():
            full = await raised(engine.connect())
        assert isinstance(full, sa.TimeoutError) and unavailable(full)
        assert not unavailable(ValueError("a bug"))
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_connection_killed_is_not_now_bad_sql_is_a_bug(pg_database: str) -> None:
    engine = create_async_engine(pg_database)
    admin = create_async_engine(pg_database, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            bad = await raised(conn.execute(text("SELECT * FROM nowhere")))
            await conn.rollback()
            async with admin.connect() as a:
                await a.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed = await raised(conn.execute(text("SELECT 1")))
        assert not unavailable(bad)
        assert unavailable(killed)
    finally:
        await engine.dispose()
        await admin.dispose()
