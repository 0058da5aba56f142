"""Messages another process announced by pointer, read back for this process's subscribers.

The bridge gathers a burst of pointers ({consultation: (first seq, last seq)}) and reads them
here in one query, so a burst costs one read per receiving process, not one per socket or
per message. Everything up to a pointer's seq is committed when the pointer is sent (seqs of
a consultation are reserved on its row and committed in order), so a range read is complete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Integer, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.actions.context import Context
from app.actions.events import message_event
from app.db.lean import Lean
from app.db.tables import Message

MESSAGE = Message.__table__  # type: ignore[attr-defined]


class PointedRow(NamedTuple):
    """What a message event needs, with a Message's attribute names (message_event reads it
    like one): plain rows, no ORM objects on the hot path."""

    consultation_id: int
    seq: int
    sender_role: str
    sender_name: str
    text: str
    client_msg_id: str
    created_at: datetime
    card_id: str | None


def _ints(name: str) -> Any:
    return bindparam(name, type_=ARRAY(Integer))


# Every range in one fixed statement (PostgreSQL, as the bridge is): the ranges are three
# arrays joined as a table, so the SQL and its prepared statement are the same whatever the
# burst; the (consultation_id, seq) key finds each range's rows.
_RANGES = (
    func.unnest(_ints("cids"), _ints("los"), _ints("his"))
    .table_valued("cid", "lo", "hi")
    .render_derived(name="r")
)
_POINTED = Lean(
    select(*(MESSAGE.c[name] for name in PointedRow._fields))
    .join(
        _RANGES,
        and_(
            MESSAGE.c.consultation_id == _RANGES.c.cid,
            MESSAGE.c.seq >= _RANGES.c.lo,
            MESSAGE.c.seq <= _RANGES.c.hi,
        ),
    )
    .order_by(MESSAGE.c.consultation_id, MESSAGE.c.seq)
)


async def pointed_messages(
    ctx: Context, ranges: dict[int, tuple[int, int]]
) -> list[dict[str, Any]]:
    items = sorted(ranges.items())
    params = {
        "cids": [cid for cid, _ in items],
        "los": [lo for _, (lo, _hi) in items],
        "his": [hi for _, (_lo, hi) in items],
    }
    async with ctx.db.lean_read() as reader:  # committed rows only: no transaction needed
        rows = await reader.rows(_POINTED, params)
    return [message_event(ctx, cast(Message, PointedRow(*row))) for row in rows]
