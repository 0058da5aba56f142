"""Hot reads at driver level: a prebuilt Core select run on a pooled connection's own driver.

A read through an AsyncSession builds a Session, a Connection, an execution context and a
Result around every statement; for the per-request session lookup that was ~250 µs of this
process's CPU on PostgreSQL against ~35 µs for the same statement sent through asyncpg
(a booking storm's refused request made four such reads). Here a `Lean` statement is compiled
once per dialect (its SQL, its parameter order, the fixed values of an IN list, each
parameter's bind processor and each column's result processor, all SQLAlchemy's own), and a
`LeanReader` runs it on the driver of one connection checked out of the engine's pool: the
values bound and read back are exactly those of the ORM path (tests/api/test_lean_reads.py
compares them).

Only for reads that need no transaction (committed rows, one statement each: READ COMMITTED
gives each its own snapshot; SQLite's reads open no transaction). The pool is the engine's:
its size, its wait metric, its ping after idle and its reset on return all apply. A driver
error is raised as the driver's own (`failures.unavailable` reads asyncpg's sqlstates and
sqlite3's codes); a connection found closed is invalidated, so the pool never hands it out
again, and reported as ConnectionError ("not now").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import CompoundSelect
from sqlalchemy.util.concurrency import greenlet_spawn

from app.db import sqlite_driver

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # each positional parameter's bind name, in order
    fixed: Mapping[str, Any]  # values compiled in (an IN list's members)
    binds: Mapping[str, Processor]
    converts: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, its result processor)


class Lean:
    """A prebuilt select, compiled once per dialect."""

    __slots__ = ("_compiled", "stmt")

    def __init__(self, stmt: Select[Any] | CompoundSelect[Any]) -> None:
        self.stmt = stmt
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.stmt, dialect)
        return found


def _compile(stmt: Select[Any] | CompoundSelect[Any], dialect: Dialect) -> _Compiled:
    c = stmt.compile(dialect=dialect)
    if not c.positional:
        raise TypeError(f"{dialect.name}: lean reads need a positional paramstyle")
    # What the caller gives: the parameters declared without a value (bindparam("x")).
    given = {k for k, b in c.binds.items() if b.required}
    # An IN over a fixed list becomes one parameter per member, its SQL final (the caller's
    # parameters are placeholders here, given None meanwhile).
    state = c.construct_expanded_state(dict.fromkeys(given), escape_names=False)
    names = tuple(state.positiontup or ())
    processors = {**c._bind_processors, **state.processors}
    binds: dict[str, Processor] = {name: processors.get(name) for name in names}  # type: ignore[misc]
    results = [type_._cached_result_processor(dialect, None) for *_, type_ in c._result_columns]
    converts = tuple((i, p) for i, p in enumerate(results) if p is not None)
    fixed = {k: v for k, v in state.parameters.items() if k not in given}
    return _Compiled(state.statement, names, fixed, binds, converts)


class LeanReader:
    """One checked-out connection's driver, for Lean statements."""

    __slots__ = ("_dialect", "_driver", "_sqlite")

    def __init__(self, dialect: Dialect, driver: Any) -> None:
        self._dialect = dialect
        self._driver = driver
        self._sqlite = dialect.name == "sqlite"

    async def rows(self, lean: Lean, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        c = lean.compiled(self._dialect)
        args = []
        for name in c.names:
            value = params[name] if name in params else c.fixed[name]
            bind = c.binds[name]
            args.append(value if bind is None else bind(value))
        if self._sqlite:
            _, raw, _, _ = await sqlite_driver.on_thread(
                self._driver, sqlite_driver.run, c.sql, args
            )
        else:
            raw = await self._driver.fetch(c.sql, *args)
        if not c.converts:
            return [tuple(row) for row in raw]
        # Only the columns that have a processor, and not for NULL: every type read here
        # reads NULL as None (tests/api/test_lean_reads.py compares with the Session path).
        out = []
        for row in raw:
            values = list(row)
            for i, convert in c.converts:
                value = values[i]
                if value is not None:
                    values[i] = convert(value)
            out.append(tuple(values))
        return out

    async def first(self, lean: Lean, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = await self.rows(lean, params)
        return rows[0] if rows else None


class SessionReader:
    """The same interface over an AsyncSession: for the reads a write transaction repeats
    (a take's second check, under the mentor's row lock)."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rows(self, lean: Lean, params: Mapping[str, Any]) -> Sequence[Any]:
        return (await self._session.execute(lean.stmt, dict(params))).all()

    async def first(self, lean: Lean, params: Mapping[str, Any]) -> Any:
        return (await self._session.execute(lean.stmt, dict(params))).first()


Reader = LeanReader | SessionReader


class Checkout:
    """`async with Checkout(engine) as driver`: the driver's connection of one checked out of
    the engine's pool, returned to it afterwards (its size, wait metric, ping after idle and
    reset on return apply). A connection found closed by an error inside is invalidated, so
    the pool never hands it out again, and the error is reported as ConnectionError ("not
    now"). A class, not a generator: it is on every request's path."""

    __slots__ = ("_engine", "_fairy")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._fairy: Any = None

    async def __aenter__(self) -> Any:
        self._fairy = await greenlet_spawn(self._engine.sync_engine.pool.connect)
        return self._fairy.driver_connection

    async def __aexit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        fairy, self._fairy = self._fairy, None
        try:
            if isinstance(exc, Exception) and _closed(fairy.driver_connection):
                await greenlet_spawn(fairy.invalidate, exc)  # (closing may need to await)
                raise ConnectionError("database connection lost") from exc  # "not now"
        finally:
            await greenlet_spawn(fairy.close)


class lean_reader(Checkout):  # noqa: N801 - used as the function it replaced
    """A connection from the engine's pool for Lean reads, returned to it afterwards."""

    __slots__ = ()

    async def __aenter__(self) -> LeanReader:  # type: ignore[override]
        return LeanReader(self._engine.sync_engine.dialect, await super().__aenter__())


def _closed(driver: Any) -> bool:
    is_closed = getattr(driver, "is_closed", None)  # asyncpg
    if is_closed is not None:
        return bool(is_closed())
    return getattr(driver, "_conn", True) is None  # aiosqlite: closed or never opened
