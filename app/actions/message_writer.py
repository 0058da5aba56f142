"""Group commit for chat messages: the service's hot path.

Every socket hands its message to one writer task per process, which stores everything that
is waiting in a single transaction: one `UPDATE ... RETURNING` per consultation reserves a
run of sequence numbers, one multi-row INSERT stores the messages. A sender's future is
resolved only after the commit, so an ack still means "stored". That is the portable path;
each database has a one-trip form of the same batch (sqlite_batch.py: one hand-off to the
writer connection's thread; pg_batch.py: one statement), and the portable path remains for
the one-by-one replay and the batches the one-trip form cannot plan.

A mentor's message carries the mentor it must still belong to (`as_mentor`): the seq
reservation itself checks it (`AND mentor_id = ...`), so a consultation handed to another
mentor refuses the old mentor's message atomically, without a read before every message.

A batch that fails for any reason but an unavailable database (app/db/failures.py: every
waiting sender is told busy_try_again) is replayed one message at a time: a resend of a
client_msg_id racing in from another process, a string the driver cannot encode, any
constraint. Only the offending message is refused, with its own reason, and the others are
stored as usual: one bad message never refuses another child's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import col

from app.actions import pg_batch, sqlite_batch
from app.actions.message_rows import COLUMNS, Group, binders
from app.db.engine import Database
from app.db.failures import unavailable
from app.db.tables import Consultation, Message
from app.errors import Refusal
from app.observability import metrics

log = logging.getLogger("yorisoi.writer")
MAX_BATCH = 256

# Built once: Core statements with bound parameters skip the ORM's per-call bookkeeping
# and reuse their compiled form (the profile showed the ORM update path dominating).
CONSULTATION: Table = Consultation.__table__  # type: ignore[attr-defined]
MESSAGE: Table = Message.__table__  # type: ignore[attr-defined]
RESERVE_SEQS = (
    update(CONSULTATION)
    .where(CONSULTATION.c.id == bindparam("cid"), CONSULTATION.c.status == "open")
    .values(last_seq=CONSULTATION.c.last_seq + bindparam("n"))
    .returning(CONSULTATION.c.last_seq)
)
RESERVE_SEQS_AS_MENTOR = (
    update(CONSULTATION)
    .where(
        CONSULTATION.c.id == bindparam("cid"),
        CONSULTATION.c.status == "open",
        CONSULTATION.c.mentor_id == bindparam("mentor"),
    )
    .values(last_seq=CONSULTATION.c.last_seq + bindparam("n"))
    .returning(CONSULTATION.c.last_seq)
)
INSERT_MESSAGES = insert(MESSAGE)


@dataclass(slots=True)
class Draft:
    """A new message on its way to storage: Message's columns without the ORM's per-object
    machinery (building a Message instance was a fifth of the CPU per message)."""

    consultation_id: int
    seq: int
    sender_role: str
    sender_id: int
    sender_name: str
    client_msg_id: str
    text: str
    created_at: datetime
    card_id: str | None = None
    id: int | None = None
    sent_at: str | None = None  # created_at as the events show it (events.sent_at), once


AnyMessage = Message | Draft  # a new message as stored, or the row read back (a duplicate)
Result = tuple[AnyMessage, bool]  # (the stored message, was it already stored)
Item = tuple[AnyMessage, "int | None", "asyncio.Future[Result]"]  # message, as_mentor, its waiter


def _row(message: AnyMessage) -> dict[str, object]:
    return {name: getattr(message, name) for name in COLUMNS}


def _reserve_many(groups: list[tuple[int, int, int | None]]) -> tuple[object, dict[str, object]]:
    """One UPDATE ... FROM (VALUES ...) RETURNING for many consultations, each (id, n,
    as_mentor) at most once: the same per-row condition and increment as RESERVE_SEQS(_AS_
    MENTOR), one statement instead of one per consultation (SQLite >= 3.35, PostgreSQL)."""
    values = ", ".join(
        f"(CAST(:c{i} AS INTEGER), CAST(:n{i} AS INTEGER), CAST(:m{i} AS INTEGER))"
        for i in range(len(groups))
    )
    params: dict[str, object] = {}
    for i, (cid, n, as_mentor) in enumerate(groups):
        params[f"c{i}"], params[f"n{i}"], params[f"m{i}"] = cid, n, as_mentor
    # Only bind-parameter names are generated; every value is bound.
    sql = (
        f"WITH v(id, n, mentor) AS (VALUES {values}) "  # noqa: S608
        "UPDATE consultation SET last_seq = consultation.last_seq + v.n FROM v "
        "WHERE consultation.id = v.id AND consultation.status = 'open' "
        "AND (v.mentor IS NULL OR consultation.mentor_id = v.mentor) "
        "RETURNING consultation.id, consultation.last_seq"
    )
    return text(sql), params


# The consultations a batch reserves seqs on, row-locked in id order first (PostgreSQL; SQLite
# has one writer and no row locks, and the clause renders as nothing there).
LOCK_IN_ORDER = (
    select(col(Consultation.id))
    .where(col(Consultation.id).in_(bindparam("ids", expanding=True)))
    .order_by(col(Consultation.id))
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE on PostgreSQL
)


def _reserve(cid: int, n: int, as_mentor: int | None) -> tuple[object, dict[str, int]]:
    if as_mentor is None:
        return RESERVE_SEQS, {"cid": cid, "n": n}
    return RESERVE_SEQS_AS_MENTOR, {"cid": cid, "n": n, "mentor": as_mentor}


class MessageWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # Each column's bind processor, for the one-trip batches (sqlite_batch.py, pg_batch.py)
        self._binders = binders(db.writer_engine.dialect)

    def _bound(self, message: AnyMessage) -> list[Any]:
        return [
            value if bind is None else bind(value)
            for bind, value in zip(
                self._binders, (getattr(message, n) for n in COLUMNS), strict=True
            )
        ]

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="message-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def store(self, message: AnyMessage, *, as_mentor: int | None = None) -> Result:
        """as_mentor: stored only while the consultation is still this mentor's (not_joined
        otherwise), checked in the same statement that reserves the seq."""
        if self._task is None:  # not started (e.g. a script): write directly
            return await self._store_one(message, as_mentor)
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((message, as_mentor, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            pending = [item for item in batch if not item[2].cancelled()]
            try:
                await self._store_batch(pending)
            except Exception as exc:  # noqa: BLE001 - never let the writer die
                if unavailable(exc):
                    log.error("message batch failed (%s)", type(exc).__name__)
                    for _message, _mentor, future in pending:
                        if not future.done():
                            future.set_exception(Refusal("busy_try_again"))
                    continue
                for message, as_mentor, future in pending:  # one by one: isolate the offender
                    if future.done():
                        continue
                    try:
                        future.set_result(await self._store_one(message, as_mentor))
                    except Exception as one:  # noqa: BLE001 - handed to the waiting sender
                        future.set_exception(one)

    async def _store_batch(self, batch: list[Item]) -> None:
        started = perf_counter()
        # One seq reservation per consultation and guard (a mentor's messages carry theirs).
        groups: dict[tuple[int, int | None], list[Item]] = defaultdict(list)
        for item in batch:
            groups[(item[0].consultation_id, item[1])].append(item)
        stored: list[tuple[AnyMessage, asyncio.Future[Result]]] = []
        refused: list[tuple[asyncio.Future[Result], Refusal]] = []
        # One statement reserves the seqs of every consultation in the batch; a consultation
        # with messages under two guards (its client's and its mentor's) needs a second one
        # for its second group (an UPDATE ... FROM changes each row once).
        layers: list[list[tuple[int, int, int | None]]] = []
        depth: dict[int, int] = defaultdict(int)
        for (cid, as_mentor), items in groups.items():
            if depth[cid] == len(layers):
                layers.append([])
            layers[depth[cid]].append((cid, len(items), as_mentor))
            depth[cid] += 1
        lasts = await self._one_trip(layers, groups)
        if lasts is not None:
            for (cid, as_mentor), items in groups.items():
                last = lasts[(cid, as_mentor)]
                if last is None:
                    async with self.db.read() as s:
                        refusal = await _not_open(s, cid, as_mentor)
                    refused.extend((future, refusal) for _m, _g, future in items)
                    continue
                for offset, (message, _mentor, future) in enumerate(items):
                    message.seq = last - len(items) + 1 + offset
                    stored.append((message, future))
            self._settle(batch, started, stored, refused)
            return
        async with self.db.write() as s:
            conn = await s.connection()
            ids = sorted({cid for layer in layers for cid, _n, _mentor in layer})
            if len(ids) > 1:  # in id order, as pg_batch.STATEMENT locks (never a cycle)
                await conn.execute(LOCK_IN_ORDER, {"ids": ids})
            lasts = {}
            for layer in layers:
                if len(layer) == 1:
                    cid, n, as_mentor = layer[0]
                    statement, params = _reserve(cid, n, as_mentor)
                    result = await conn.execute(statement, params)  # type: ignore[call-overload]
                    lasts[(cid, as_mentor)] = result.scalar_one_or_none()
                    continue
                many, many_params = _reserve_many(layer)
                got = dict((await conn.execute(many, many_params)).tuples().all())  # type: ignore[call-overload]
                for cid, _n, as_mentor in layer:
                    lasts[(cid, as_mentor)] = got.get(cid)
            for (cid, as_mentor), items in groups.items():
                last = lasts[(cid, as_mentor)]
                if last is None:
                    refusal = await _not_open(s, cid, as_mentor)
                    refused.extend((future, refusal) for _m, _g, future in items)
                    continue
                for offset, (message, _mentor, future) in enumerate(items):
                    message.seq = last - len(items) + 1 + offset
                    stored.append((message, future))
            if stored:
                await conn.execute(INSERT_MESSAGES, [_row(m) for m, _f in stored])
        self._settle(batch, started, stored, refused)

    async def _one_trip(
        self,
        layers: list[list[tuple[int, int, int | None]]],
        groups: dict[tuple[int, int | None], list[Item]],
    ) -> dict[tuple[int, int | None], int | None] | None:
        """The batch in one trip (sqlite_batch.py: one hand-off to the connection's thread;
        pg_batch.py: one statement). None: not for this batch, take the portable path."""
        rows: list[Group] = [
            (key, [self._bound(message) for message, _g, _f in items])
            for key, items in groups.items()
        ]
        if self.db.is_sqlite:
            return await sqlite_batch.store(self.db, layers, rows)
        planned = pg_batch.plan(rows)
        return None if planned is None else await pg_batch.store(self.db, planned, rows)

    def _settle(
        self,
        batch: list[Item],
        started: float,
        stored: list[tuple[AnyMessage, asyncio.Future[Result]]],
        refused: list[tuple[asyncio.Future[Result], Refusal]],
    ) -> None:
        """After the commit: every sender learns its message's fate."""
        metrics.message_batch(len(batch), len(stored), started)
        for future, refusal in refused:
            if not future.done():
                future.set_exception(refusal)
        for message, future in stored:
            if not future.done():
                future.set_result((message, False))

    async def _store_one(self, message: AnyMessage, as_mentor: int | None = None) -> Result:
        try:
            return await self._insert_one(message, as_mentor)
        except Refusal:
            raise
        except Exception as exc:
            if _unstorable(exc):  # only reachable past the input boundary (app/actions/inputs)
                raise Refusal("invalid_input", field="text") from None
            if unavailable(exc):
                raise Refusal("busy_try_again") from None
            raise

    async def _insert_one(self, message: AnyMessage, as_mentor: int | None) -> Result:
        try:
            async with self.db.write() as s:
                conn = await s.connection()
                statement, params = _reserve(message.consultation_id, 1, as_mentor)
                seq = (await conn.execute(statement, params)).scalar_one_or_none()  # type: ignore[call-overload]
                if seq is None:
                    raise await _not_open(s, message.consultation_id, as_mentor)
                message.seq = seq
                await conn.execute(INSERT_MESSAGES, [_row(message)])
            metrics.message_stored()
            return message, False
        except IntegrityError:
            # Stored before (a resend): the increment rolled back with the insert; answer with
            # the original message.
            async with self.db.read() as s:
                existing = (
                    await s.execute(
                        select(Message).where(
                            col(Message.consultation_id) == message.consultation_id,
                            col(Message.sender_role) == message.sender_role,
                            col(Message.sender_id) == message.sender_id,
                            col(Message.client_msg_id) == message.client_msg_id,
                        )
                    )
                ).scalar_one_or_none()
            if existing is None:
                raise Refusal("busy_try_again") from None
            return existing, True


async def _not_open(s, consultation_id: int, as_mentor: int | None = None) -> Refusal:  # type: ignore[no-untyped-def]
    """Why the seq reservation found no row: handed to another mentor (not_joined, checked
    first, as the mentor's socket would have been told), not open yet, or closed."""
    current = await s.get(Consultation, consultation_id)
    if as_mentor is not None and (current is None or current.mentor_id != as_mentor):
        return Refusal("not_joined")
    booked = current is not None and current.status == "booked"
    return Refusal("not_open_yet" if booked else "consultation_closed")


def _unstorable(exc: BaseException) -> bool:
    """The message itself cannot be stored: a string the driver cannot encode (a lone
    surrogate), or a value the database refuses as data (SQLSTATE class 22: NUL on
    PostgreSQL). The drivers wrap these several times; look down the chain."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, UnicodeError | DataError):
            return True
        if str(getattr(seen, "sqlstate", None) or "").startswith("22"):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False
