"""Database pool waits: how long each checkout took to get a connection.

SQLAlchemy has no "before checkout" event, so the pool's own `_do_get` is timed: each engine's
pool gets a subclass of its own class (kept by `recreate()`, which builds `self.__class__`)
whose `_do_get` reports its duration. Under load a growing figure means requests queue for
the pool (PostgreSQL: 10 + 20 overflow connections; SQLite's writer: one).
"""

from __future__ import annotations

from collections.abc import Iterable
from time import perf_counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

from app.observability import metrics

_TIMED: dict[type[Pool], type[Pool]] = {}


def _timed(cls: type[Pool]) -> type[Pool]:
    if cls not in _TIMED:
        original = cls._do_get

        def _do_get(self: Any) -> Any:
            started = perf_counter()
            try:
                return original(self)
            finally:
                metrics.pool_wait(perf_counter() - started)

        _TIMED[cls] = type(f"Timed{cls.__name__}", (cls,), {"_do_get": _do_get})
    return _TIMED[cls]


def observe_pools(engines: Iterable[AsyncEngine]) -> None:
    for engine in engines:
        pool = engine.sync_engine.pool
        if type(pool) not in _TIMED.values():
            pool.__class__ = _timed(type(pool))
