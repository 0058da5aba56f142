"""Which database failures mean "not now" rather than "wrong".

A full connection pool, a lost connection, PostgreSQL out of connections or shutting down,
SQLite still locked after its busy timeout: the request was fine and may succeed in a
moment, so the caller is told busy_try_again (503), not internal_error (500). Anything else
(a bad statement, a missing table) stays a bug and is reported as one.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy.exc as sa

# SQLSTATE classes: 08 connection exception, 53 insufficient resources (53300 too many
# connections), 57P operator intervention (admin shutdown, cannot connect now).
_NOT_NOW_SQLSTATES = ("08", "53", "57P")
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def unavailable(exc: BaseException) -> bool:
    """The database cannot take this request right now (see the module docstring)."""
    if isinstance(exc, sa.TimeoutError | TimeoutError | OSError):  # pool checkout, network
        return True
    if isinstance(exc, sqlite3.Error):  # raised by the driver itself (app/actions/sqlite_batch)
        return _sqlite_busy(exc)
    if _not_now_sqlstate(exc):  # asyncpg's own error (app/actions/pg_batch)
        return True
    if not isinstance(exc, sa.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, sa.InterfaceError):
        return True
    for cause in (exc.orig, getattr(exc.orig, "__cause__", None)):
        if _not_now_sqlstate(cause) or _sqlite_busy(cause):
            return True
    return False


def _not_now_sqlstate(exc: object) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_NOT_NOW_SQLSTATES)


def _sqlite_busy(exc: object) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
