"""Engines and session factories.

SQLite: WAL, a busy timeout, foreign keys, and a separate *writer* engine whose transactions
start with BEGIN IMMEDIATE on a single pooled connection, so writers in one process queue in
Python instead of failing with "database is locked"; other processes wait on busy_timeout.
PostgreSQL: one engine; the unique constraints decide races and the loser retries.
Both SQLite engines run with secure_delete, and `checkpoint()` empties the WAL after erasure,
over aiosqlite with one trip to its thread per statement (sqlite_driver.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState

from app.db import sqlite_driver
from app.db.lean import LeanReader, lean_reader
from app.observability.pools import observe_pools

SQLITE_BUSY_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten with zeros, not left in free pages for a copied file to
    # give back (a deleted account, a purged transcript).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_writer_connect(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    # Take over BEGIN from the driver so we can make it IMMEDIATE.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_reset(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """The pool's rollback on return (pool_reset_on_return=None hands it to this event), only
    when a transaction is still open. SQLite's reads open none and the message writer's batch
    ends its own, so the unconditional rollback was a trip to the connection's thread on every
    return (~140 µs of the ~190 of a checkout and return; most of a lean read's cost)."""
    if not state.asyncio_safe or state.transaction_was_reset:
        return  # being terminated (no awaiting here), or SQLAlchemy already ended it
    if dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """`pool_pre_ping`, but only for a connection that sat in the pool for a while: under
    load a connection is checked out again within milliseconds, and a ping per checkout was
    one round trip in every request (booking-storm profile). A connection found dead is
    replaced before use (the pool retries the checkout), as with pool_pre_ping."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("connection lost while idle in the pool") from exc

    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checked_out)


class Database:
    """Owns the engines; created and disposed by the app lifespan."""

    def __init__(
        self, url: str, *, echo: bool = False, pool: int = 30, pool_wait: float = 30
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_timeout=pool_wait,
                connect_args={"timeout": 30},
                module=sqlite_driver.DBAPI,
                pool_reset_on_return=None,  # _sqlite_reset
            )
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
            self.writer_engine = create_async_engine(
                url,
                echo=echo,
                pool_size=1,
                max_overflow=0,
                pool_timeout=120,
                connect_args={"timeout": 30},
                module=sqlite_driver.DBAPI,
                pool_reset_on_return=None,  # _sqlite_reset
            )
            event.listen(self.writer_engine.sync_engine, "connect", _sqlite_writer_connect)
            event.listen(self.writer_engine.sync_engine, "reset", _sqlite_reset)
            event.listen(self.writer_engine.sync_engine, "begin", _sqlite_begin_immediate)
        else:
            # Every connection opened is kept (no overflow): with 10 kept and 20 overflow, a
            # burst wider than 10 opened and closed connections all through it (a TLS-less
            # connect is still a backend started and several round trips: 4% of the booking
            # storm's CPU in this process alone, more in PostgreSQL's). The most open is the
            # same YORISOI_DB_POOL; idle ones stay open until the process stops. LIFO: the
            # connections a light load needs stay hot, the rest of a burst's sit idle (a
            # connection idle 2 s is pinged at checkout, _ping_when_idle; in turn, all 30
            # would each be idle that long at a few requests a second).
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=pool,
                max_overflow=0,
                pool_timeout=pool_wait,
                pool_use_lifo=True,
            )
            _ping_when_idle(self.engine)
            self.writer_engine = self.engine
        observe_pools(self.engines)
        self._read = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._write = async_sessionmaker(
            self.writer_engine, class_=AsyncSession, expire_on_commit=False
        )
        # PostgreSQL: no BEGIN/ROLLBACK around a quick read (at READ COMMITTED each statement
        # has its own snapshot anyway); SQLite's reads open no transaction either way.
        self._quick = (
            self._read
            if self.is_sqlite
            else async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                class_=AsyncSession,
                expire_on_commit=False,
            )
        )

    @property
    def engines(self) -> list[AsyncEngine]:
        return (
            [self.engine]
            if self.writer_engine is self.engine
            else [self.engine, self.writer_engine]
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def quick_read(self) -> AsyncIterator[AsyncSession]:
        """Reads that need no transaction (no FOR UPDATE, no writes): the per-request
        session lookup and a take's early refusal. Two round trips fewer on PostgreSQL."""
        async with self._quick() as session:
            yield session

    def lean_read(self) -> AbstractAsyncContextManager[LeanReader]:
        """Prebuilt reads sent through the driver itself (lean.py): the per-request session
        lookup, a take's early refusal and the bridge's read-back, without a Session around
        each."""
        return lean_reader(self.engine)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self._write() as session, session.begin():
            yield session

    async def checkpoint(self) -> bool:
        """SQLite: copy the write-ahead log into the main file and truncate it to zero bytes,
        so rows just erased leave no old page images in `-wal`. True when it completed (a
        reader holding an old snapshot makes it partial; the next one finishes it).
        PostgreSQL: nothing to do here (its dead tuples go at the next vacuum)."""
        if not self.is_sqlite:
            return True
        # The reader engine: no BEGIN hook, and the driver opens no transaction for a PRAGMA.
        async with self.engine.connect() as conn:
            row = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
        return row is not None and row[0] == 0

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()
