"""app/db/sqlite_driver: what SQLAlchemy reads from a cursor is what aiosqlite gave it (rows,
rowcount, lastrowid, errors), with one trip to the connection's thread per statement."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy.exc as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.db import sqlite_driver
from app.db.engine import Database
from app.db.lean import Checkout
from app.db.sqlite_driver import on_thread


def engines(tmp_path: Path) -> tuple[AsyncEngine, AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path}/d.db"
    return create_async_engine(url), create_async_engine(url, module=sqlite_driver.DBAPI)


async def outcomes(engine: AsyncEngine, table: str) -> list[object]:
    seen: list[object] = []
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        r = await conn.execute(text(f"INSERT INTO {table} (v) VALUES ('a')"))
        seen.append(("insert", r.rowcount, r.lastrowid))
        r = await conn.execute(
            text(f"INSERT INTO {table} (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}, {"v": "d"}]
        )
        seen.append(("executemany", r.rowcount))
        r = await conn.execute(text(f"UPDATE {table} SET v = v || '!' WHERE id > 2"))
        seen.append(("update", r.rowcount))
        r = await conn.execute(text(f"UPDATE {table} SET v = 'z' WHERE id = 1 RETURNING id, v"))
        seen.append(("returning", r.all()))
        r = await conn.execute(text(f"SELECT id, v FROM {table} ORDER BY id"))
        seen.append(("first", r.first()))  # the rest are dropped unread
        r = await conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))
        seen.append(("partial", r.fetchmany(2), r.fetchone(), r.all()))
        r = await conn.execute(text(f"SELECT id FROM {table} WHERE id > 99"))
        seen.append(("none", r.first()))
    with pytest.raises(sa.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text(f"INSERT INTO {table} (id, v) VALUES (50, 'new')"))
            await conn.execute(text(f"INSERT INTO {table} (v) VALUES ('z')"))  # not unique
    async with engine.connect() as conn:  # the failed transaction left nothing behind
        r = await conn.execute(text(f"SELECT count(*) FROM {table}"))
        seen.append(("after rollback", r.scalar_one()))
    return seen


async def test_one_trip_driver_answers_as_aiosqlite_does(tmp_path: Path) -> None:
    stock, one_trip = engines(tmp_path)
    try:
        expected = await outcomes(stock, "t1")
        assert expected[0] == ("insert", 1, 1) and expected[-1] == ("after rollback", 4)
        assert await outcomes(one_trip, "t2") == expected
    finally:
        await stock.dispose()
        await one_trip.dispose()


async def test_one_trip_per_statement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted at the connection's queue: a statement with rows is one trip, not four."""
    _, engine = engines(tmp_path)
    trips = 0
    real = sqlite_driver.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal trips
        trips += 1
        return await real(self, fn, *args, **kwargs)

    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # the first use runs the dialect's setup
            monkeypatch.setattr(sqlite_driver.Connection, "_execute", counted)
            for _ in range(5):
                assert (await conn.execute(text("SELECT 2"))).scalar_one() == 2
        assert trips == 5 + 1  # five statements and the rollback when the connection returns
    finally:
        await engine.dispose()


async def test_a_connection_returned_mid_transaction_is_rolled_back_and_others_are_not(
    tmp_path: Path,
) -> None:
    """The SQLite pools reset a returned connection only when a transaction is open
    (engine._sqlite_reset): an open one is rolled back (its lock released, its change gone);
    a finished one costs no trip to the thread."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/r.db")
    try:
        async with db.writer_engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (v TEXT)"))
        rollbacks: list[int] = []
        async with Checkout(db.writer_engine) as driver:
            original = driver.rollback

            async def counted() -> None:
                rollbacks.append(1)
                await original()

            driver.rollback = counted
            await on_thread(driver, lambda raw: raw.execute("BEGIN IMMEDIATE"))
            await on_thread(driver, lambda raw: raw.execute("INSERT INTO t VALUES ('left open')"))
            assert driver.in_transaction
        assert rollbacks == [1]
        async with Checkout(db.writer_engine) as driver:  # the pool's one writer connection
            assert not driver.in_transaction
            await on_thread(driver, lambda raw: raw.execute("INSERT INTO t VALUES ('kept')"))
        assert rollbacks == [1]  # nothing open: no rollback
        async with Checkout(db.engine) as reader:
            rows = await on_thread(reader, lambda raw: raw.execute("SELECT v FROM t").fetchall())
        assert rows == [("kept",)]
    finally:
        await db.dispose()
