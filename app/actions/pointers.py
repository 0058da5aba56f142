"""Messages another process announced by pointer, read back for this process's subscribers.

The bridge gathers a burst of pointers ({consultation: (first seq, last seq)}) and reads them
here in one query, so a burst costs one read per receiving process, not one per socket or
per message. Everything up to a pointer's seq is committed when the pointer is sent (seqs of
a consultation are reserved on its row and committed in order), so a range read is complete.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select

from app.actions.context import Context
from app.actions.events import message_event
from app.db.tables import Message

CHUNK = 200  # consultations per query


async def pointed_messages(
    ctx: Context, ranges: dict[int, tuple[int, int]]
) -> list[dict[str, Any]]:
    items = sorted(ranges.items())
    events: list[dict[str, Any]] = []
    async with ctx.db.read() as s:
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
            rows = await s.execute(
                select(Message)
                .where(where)
                .order_by(col(Message.consultation_id), col(Message.seq))
            )
            events += [message_event(ctx, m) for m in rows.scalars()]
    return events
