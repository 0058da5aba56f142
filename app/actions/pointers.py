"""Messages another process announced by pointer, read back for this process's subscribers.

The bridge gathers a burst of pointers ({consultation: (first seq, last seq)}) and reads them
here in one query, so a burst costs one read per receiving process, not one per socket or
per message. Everything up to a pointer's seq is committed when the pointer is sent (seqs of
a consultation are reserved on its row and committed in order), so a range read is complete.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import and_, or_, select
from sqlmodel import col

from app.actions.context import Context
from app.actions.events import message_event
from app.db.tables import Message

CHUNK = 200  # consultations per query
# What a message event needs, read as plain rows (no ORM objects on the hot path).
COLUMNS = (
    col(Message.consultation_id),
    col(Message.seq),
    col(Message.sender_role),
    col(Message.sender_name),
    col(Message.text),
    col(Message.client_msg_id),
    col(Message.created_at),
    col(Message.card_id),
)


async def pointed_messages(
    ctx: Context, ranges: dict[int, tuple[int, int]]
) -> list[dict[str, Any]]:
    items = sorted(ranges.items())
    events: list[dict[str, Any]] = []
    async with ctx.db.quick_read() as s:  # committed rows only: no transaction needed
        conn = await s.connection()
        for start in range(0, len(items), CHUNK):
            where = or_(
                *(
                    and_(
                        col(Message.consultation_id) == cid,
                        col(Message.seq) >= lo,
                        col(Message.seq) <= hi,
                    )
                    for cid, (lo, hi) in items[start : start + CHUNK]
                )
            )
            rows = await conn.execute(
                select(*COLUMNS)
                .where(where)
                .order_by(col(Message.consultation_id), col(Message.seq))
            )
            # A row has the message's attribute names: message_event reads it like a Message.
            events += [message_event(ctx, cast(Message, row)) for row in rows]
    return events
