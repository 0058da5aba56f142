"""A new message as the batch writers send it: the message columns in INSERT order, bound
through the columns' own types, as SQLAlchemy would bind them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Dialect

from app.db.tables import Message

# A consultation's messages under one guard: its reservation key (consultation id,
# as_mentor) and their rows (column values in INSERT order, the seq still 0).
Group = tuple[tuple[int, int | None], list[list[Any]]]

TABLE = Message.__table__  # type: ignore[attr-defined]
COLUMNS = tuple(c.name for c in TABLE.columns if c.name != "id")  # as the writer inserts
SEQ = COLUMNS.index("seq")


def binders(dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor as SQLAlchemy would apply it (UTCDateTime's conversion,
    then the dialect's own: SQLite's datetime format, nothing on asyncpg)."""
    return [TABLE.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in COLUMNS]
