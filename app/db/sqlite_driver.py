"""aiosqlite, one trip to the connection's thread per statement.

aiosqlite runs every sqlite3 call on the connection's own thread, and SQLAlchemy's adapter
makes four such calls per statement: create a cursor, execute, fetch the rows, close. Each is
a queue hand-off, a thread wake-up, a GIL hand-over and a loop wake-up back; the booking
storm's profile showed them as a third of the server's CPU. Here the cursor lives only
inside one call: execute, fetch every row, read rowcount and lastrowid, close. The
connection, its thread, transactions and errors are aiosqlite's, unchanged; SQLAlchemy's
`sqlite+aiosqlite` dialect is given this module instead of aiosqlite (engine.py).

Every statement's rows are fetched at once, as SQLAlchemy's adapter already did; nothing here
streams (the service reads no result set in chunks).
"""

from __future__ import annotations

import sqlite3
import types
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

Outcome = tuple[Any, list[Any], int, int | None]
T = TypeVar("T")


def run(raw: sqlite3.Connection, sql: str, parameters: Any) -> Outcome:
    cursor = raw.cursor()
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(raw: sqlite3.Connection, sql: str, seq_of_parameters: Any) -> Outcome:
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, seq_of_parameters)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class Cursor:
    """The part of aiosqlite's cursor that SQLAlchemy's adapter uses, over rows already
    fetched: only execute and executemany go to the connection's thread."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    def _took(self, outcome: Outcome) -> Cursor:
        self.description, self._rows, self.rowcount, self.lastrowid = outcome
        return self

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        c = self._connection
        return self._took(await c._execute(run, c._conn, sql, parameters))

    async def executemany(self, sql: str, seq_of_parameters: Any) -> Cursor:
        c = self._connection
        return self._took(await c._execute(_run_many, c._conn, sql, seq_of_parameters))

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = self.arraysize if size is None else size
        rows, self._rows = self._rows[:n], self._rows[n:]
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def close(self) -> None:
        self._rows = []


class Connection(aiosqlite.Connection):
    def cursor(self) -> Cursor:  # type: ignore[override]  # no trip to the thread
        return Cursor(self)


def connect(database: str, **kwargs: Any) -> Connection:
    """aiosqlite.connect, making this module's Connection."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = Connection(connector, 64)
    connection._thread.daemon = True  # as SQLAlchemy sets it for aiosqlite's own
    return connection


def _module() -> types.ModuleType:
    module = types.ModuleType("yorisoi_aiosqlite")
    module.__dict__.update({k: v for k, v in vars(aiosqlite).items() if not k.startswith("__")})
    module.connect = connect  # type: ignore[attr-defined]
    module.Connection = Connection  # type: ignore[attr-defined]
    module.Cursor = Cursor  # type: ignore[attr-defined]
    return module


# What create_async_engine(..., module=DBAPI) gives the sqlite+aiosqlite dialect.
DBAPI = AsyncAdapt_aiosqlite_dbapi(_module(), sqlite3)


async def on_thread(connection: Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run fn(raw sqlite3 connection, *args) on the connection's own thread, in one trip:
    for work that is many statements with nothing to decide in between on the event loop
    (the message writer's batch, app/actions/sqlite_batch.py)."""
    return await connection._execute(fn, connection._conn, *args)  # type: ignore[no-any-return]
