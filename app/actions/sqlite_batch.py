"""The message writer's batch on SQLite, in one trip to the writer connection's thread.

BEGIN IMMEDIATE, the seq reservations, the multi-row INSERT and COMMIT run as one function on
the connection's own thread (app/db/sqlite_driver.on_thread): one hand-off per batch instead
of one per statement, and none of SQLAlchemy's per-statement work (building and compiling
statements, result objects, a greenlet per await), which was most of the writer's share of
the relay profile. The statements are the portable path's (message_writer.py), and values are
bound through the same column types, so what is stored is identical; a failure rolls back
and raises the driver's own error, which the writer handles as before (replay one by one, or
busy_try_again when app/db/failures.py says "not now").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache

from app.actions.message_rows import COLUMNS, SEQ, Group
from app.db.engine import Database
from app.db.lean import Checkout
from app.db.sqlite_driver import on_thread

Reservation = tuple[int, int, int | None]  # consultation id, seqs wanted, as_mentor
_PLACES = ", ".join("?" * len(COLUMNS))
INSERT = f"INSERT INTO message ({', '.join(COLUMNS)}) VALUES ({_PLACES})"  # noqa: S608


@lru_cache(maxsize=64)
def reserve_sql(n: int) -> str:
    """The portable path's UPDATE … FROM (VALUES …) RETURNING for n consultations (each at
    most once per statement: an UPDATE … FROM changes a row once)."""
    values = ", ".join(["(CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER))"] * n)
    return (
        f"WITH v(id, n, mentor) AS (VALUES {values}) "  # noqa: S608 - placeholders only
        "UPDATE consultation SET last_seq = consultation.last_seq + v.n FROM v "
        "WHERE consultation.id = v.id AND consultation.status = 'open' "
        "AND (v.mentor IS NULL OR consultation.mentor_id = v.mentor) "
        "RETURNING consultation.id, consultation.last_seq"
    )


def _batch(
    raw: sqlite3.Connection,
    layers: Sequence[Sequence[Reservation]],
    groups: Sequence[Group],
) -> dict[tuple[int, int | None], int | None]:
    """On the connection's thread: reserve, insert the rows of the groups that got seqs,
    commit. Returns each group's last reserved seq (None: not reserved, nothing inserted)."""
    lasts: dict[tuple[int, int | None], int | None] = {}
    raw.execute("BEGIN IMMEDIATE")
    try:
        for layer in layers:
            params = [value for reservation in layer for value in reservation]
            got = dict(raw.execute(reserve_sql(len(layer)), params).fetchall())
            for cid, _n, as_mentor in layer:
                lasts[(cid, as_mentor)] = got.get(cid)
        rows = []
        for key, group_rows in groups:
            last = lasts[key]
            if last is None:
                continue
            first = last - len(group_rows) + 1
            for offset, row in enumerate(group_rows):
                row[SEQ] = first + offset
                rows.append(row)
        if rows:
            raw.executemany(INSERT, rows)
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return lasts


async def store(
    db: Database, layers: Sequence[Sequence[Reservation]], groups: Sequence[Group]
) -> dict[tuple[int, int | None], int | None]:
    """The batch through the writer engine's one connection (checked out of its pool, so it
    still queues with every other writer of this process)."""
    async with Checkout(db.writer_engine) as driver:
        return await on_thread(driver, _batch, layers, groups)
