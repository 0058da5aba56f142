"""The message writer's batch on PostgreSQL, as one statement sent through asyncpg directly.

The portable path (message_writer.py) is four round trips through SQLAlchemy: BEGIN, the seq
reservations, the multi-row INSERT, COMMIT. Here one statement does all of it, in the
implicit transaction of a single statement: a CTE reserves every consultation's seqs (one
UPDATE ... FROM unnest(...) RETURNING) and inserts the messages of the groups that got them,
numbered from what the UPDATE returned. The whole batch commits or fails as one, as before.

Per consultation a batch may hold its client's messages (no guard) and its mentor's (guarded:
stored only while the consultation is still that mentor's, `as_mentor`). An UPDATE changes a
row once, so the two are reserved together: the unguarded ones always, the guarded ones only
when `mentor_id` still matches, in the same row update. A consultation with messages under
two *different* mentor guards (a handover racing the old mentor's last message) cannot be
planned that way; `plan` says so and the writer takes the portable path for that batch.

Values are bound through the same column types as the portable path (message_rows.binders),
and every array is sent as a base type (integer[], text[], timestamptz[]): the INSERT's own
assignment checks the column limits, so a text too long fails here exactly as it fails there
(and the writer replays the batch one by one to refuse only that message).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.actions.message_rows import COLUMNS, Group
from app.db.engine import Database
from app.db.lean import Checkout

# Per consultation: id, unguarded count, guarded count, the guard (None: no guarded ones).
Planned = tuple[int, int, int, int | None]

_ARRAY_TYPES = {  # the message columns' base types, for unnest
    "consultation_id": "integer",
    "seq": "integer",
    "sender_role": "text",
    "sender_id": "integer",
    "sender_name": "text",
    "client_msg_id": "text",
    "text": "text",
    "created_at": "timestamptz",
    "card_id": "text",
}
_CARRIED = [c for c in COLUMNS if c not in ("consultation_id", "seq")]  # copied as they are
_FIRST = 8  # $1-$4: the reservations; $5-$7: each row's consultation, guard flag, position
# `locked` takes the consultations' row locks first, in id order, whatever order the batch
# and the UPDATE's plan have: two processes' batches for the same consultations (a client's
# messages stored by one, the mentor's by the other) then wait for each other at most, never
# in a cycle. Locked in the UPDATE's own order, opposite orders deadlocked: PostgreSQL took a
# second (deadlock_timeout) to find each, and the refused batch was replayed message by
# message (tests/api/test_message_writer.py). FOR NO KEY UPDATE is the lock the UPDATE takes.
STATEMENT = f"""
WITH v AS (
  SELECT * FROM unnest($1::integer[], $2::integer[], $3::integer[], $4::integer[])
    AS v(id, nf, ng, mentor)
), locked AS MATERIALIZED (
  SELECT consultation.id FROM consultation
   WHERE consultation.id IN (SELECT v.id FROM v)
   ORDER BY consultation.id
     FOR NO KEY UPDATE
), r AS (
  UPDATE consultation
     SET last_seq = consultation.last_seq + v.nf
         + CASE WHEN consultation.mentor_id = v.mentor THEN v.ng ELSE 0 END
    FROM v JOIN locked ON locked.id = v.id
   WHERE consultation.id = v.id AND consultation.status = 'open'
     AND (v.nf > 0 OR consultation.mentor_id = v.mentor)
  RETURNING consultation.id, consultation.last_seq, v.nf,
            CASE WHEN consultation.mentor_id = v.mentor THEN v.ng ELSE 0 END AS ng
), m AS (
  SELECT * FROM unnest($5::integer[], $6::boolean[], $7::integer[], {
    ", ".join(f"${_FIRST + i}::{_ARRAY_TYPES[c]}[]" for i, c in enumerate(_CARRIED))
})
    AS m(cid, guarded, k, {", ".join(_CARRIED)})
), ins AS (
  INSERT INTO message (consultation_id, seq, {", ".join(_CARRIED)})
  SELECT m.cid, r.last_seq - r.nf - r.ng + CASE WHEN m.guarded THEN r.nf ELSE 0 END + m.k,
         {", ".join("m." + c for c in _CARRIED)}
    FROM m JOIN r ON r.id = m.cid
   WHERE NOT m.guarded OR r.ng > 0
)
SELECT id, last_seq, nf, ng FROM r
"""  # noqa: S608 - built from the table's own column names; every value is a parameter


def plan(groups: Sequence[Group]) -> list[Planned] | None:
    """One reservation per consultation; None when one has two different mentor guards."""
    by_id: dict[int, list[Any]] = {}
    for (cid, as_mentor), rows in groups:
        entry = by_id.setdefault(cid, [cid, 0, 0, None])
        if as_mentor is None:
            entry[1] += len(rows)
        elif entry[3] is None or entry[3] == as_mentor:
            entry[2] += len(rows)
            entry[3] = as_mentor
        else:
            return None
    return [(e[0], e[1], e[2], e[3]) for e in by_id.values()]


def _arguments(planned: Sequence[Planned], groups: Sequence[Group]) -> list[Any]:
    args: list[Any] = [[p[i] for p in planned] for i in range(4)]
    cids: list[int] = []
    guarded: list[bool] = []
    positions: list[int] = []
    carried: list[list[Any]] = [[] for _ in _CARRIED]
    index = [COLUMNS.index(c) for c in _CARRIED]
    for (cid, as_mentor), rows in groups:
        for k, row in enumerate(rows, start=1):
            cids.append(cid)
            guarded.append(as_mentor is not None)
            positions.append(k)
            for column, i in zip(carried, index, strict=True):
                column.append(row[i])
    return [*args, cids, guarded, positions, *carried]


async def store(
    db: Database, planned: Sequence[Planned], groups: Sequence[Group]
) -> dict[tuple[int, int | None], int | None]:
    """Store the batch; each group's last seq (None: refused, nothing of it stored)."""
    # Checkout: the pool's connection without an AsyncConnection around it (~55 -> ~29 µs a
    # batch here); one found closed by an error is invalidated and reported as "not now".
    async with Checkout(db.writer_engine) as raw:
        rows = await raw.fetch(STATEMENT, *_arguments(planned, groups))
    got = {row[0]: (row[1], row[2], row[3]) for row in rows}
    lasts: dict[tuple[int, int | None], int | None] = {}
    for (cid, as_mentor), _rows in groups:
        if cid not in got:
            lasts[(cid, as_mentor)] = None
            continue
        last, _nf, ng = got[cid]
        if as_mentor is None:  # numbered first, before the guarded ones
            lasts[(cid, as_mentor)] = last - ng
        else:
            lasts[(cid, as_mentor)] = last if ng > 0 else None
    return lasts
