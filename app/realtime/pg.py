"""PostgreSQL LISTEN/NOTIFY bridge and scheduler leadership by advisory lock.

NOTIFY payloads are small pointers (topics, ids, states), never message text: a process that
receives message pointers reads the messages from the database (one read per burst) before
delivering them.

Routing (app/realtime/interest.py): each process LISTENs on a channel of its own and records,
in PostgreSQL, which topics it has subscribers for. A publisher NOTIFYs, after the commit,
only the channels of other processes that want one of the event's topics; an event whose
subscribers are all local sends nothing. A subscriber that must not miss anything
(`Hub.subscribe_announced`: a join, a new socket) waits until its interest is committed, so
a message committed after its catch-up read is certain to be routed to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from app.realtime import interest, wire
from app.realtime.hub import Bridge, Event, Hub, topic_consultation

log = logging.getLogger("yorisoi.pg")
LEADER_LOCK = 0x5930_7150  # arbitrary, fixed: "the Yorisoi scheduler"
BATCH = 500  # events routed per round trip
# Message pointers of one burst -> the message events, read from storage in one go:
# {consultation_id: (first seq, last seq)} -> events ordered by consultation and seq.
Resolve = Callable[[dict[int, tuple[int, int]]], Awaitable[list[Event]]]
DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
# Consultation events that need not wait for the messages pointed to before them (a mentor's
# `activity` badge goes to the console's topic, not the chat's, and waits for nothing either).
UNORDERED = frozenset({"typing", "read"})


# The bridge's tables change size by thousands of rows within seconds (a class connecting)
# and its statements are prepared once: a plan made while yorisoi_interest was nearly empty
# scanned every row of it for each routed round long after (4,000 rows a round with 2,000
# sockets, until an ANALYZE). Every statement here has an index to use, so the bridge's own
# connections never plan a sequential scan where one will do.
SESSION = {"enable_seqscan": "off"}


async def _no_reset(_conn: asyncpg.Connection) -> None:
    """The routing connection keeps no session state (no LISTEN, locks or settings)."""


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class PgBridge(Bridge):
    def __init__(self, dsn: str, hub: Hub, resolve: Resolve | None = None) -> None:
        self.dsn = dsn
        self.hub = hub
        self.resolve = resolve
        self.origin = wire.new_origin()
        self.channel = interest.channel_of(self.origin)
        self._listener: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._outbox: asyncio.Queue[tuple[list[str], Event]] = asyncio.Queue(maxsize=100_000)
        self._inbox: deque[str] = deque()
        self._inbox_ready = asyncio.Event()
        # interest: topics whose row may be out of date, those committed, and a future that
        # completes at the end of each registration round
        self._touched: set[str] = set()
        self._announced: set[str] = set()
        self._dirty = asyncio.Event()
        self._round: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reclaim = False
        self.notified = 0  # notifications sent (each may carry several events)

    async def start(self) -> None:
        # One connection for routing and NOTIFY; a no-op reset skips asyncpg's reset query
        # (advisory unlock, CLOSE ALL, UNLISTEN *, RESET ALL) after every batch.
        self._pool = await asyncpg.create_pool(
            self.dsn, min_size=1, max_size=1, reset=_no_reset, server_settings=SESSION
        )
        async with self._pool.acquire() as conn:
            await interest.ensure_schema(conn)
        await self._listen()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._drain_outbox()),
            loop.create_task(self._receive()),
            loop.create_task(self._register()),
            loop.create_task(self._keep_listening()),
        ]

    async def _listen(self) -> None:
        """Open the LISTEN connection, claim this process's channel on it and record every
        topic this process has subscribers for."""
        listener = await asyncpg.connect(self.dsn, server_settings=SESSION)
        try:
            await listener.add_listener(self.channel, self._on_notify)
            await interest.claim(listener, self.channel)
            await interest.sweep(listener)
            topics = self.hub.topics()
            await interest.update(listener, self.channel, topics, [])
        except BaseException:
            await listener.close()
            raise
        self._listener = listener
        self._announced = set(topics)
        self._end_round()

    async def _keep_listening(self, every: float = 2.0) -> None:
        """Reopen LISTEN after the database restarts or drops the connection; then every
        followed consultation catches up from storage (what was missed meanwhile)."""
        while True:
            await asyncio.sleep(every)
            listener = self._listener
            if listener is not None and not listener.is_closed() and not self._reclaim:
                continue
            try:
                if listener is not None and not listener.is_closed():
                    await listener.close()
                self._reclaim = False
                await self._listen()
                log.warning("event bridge: LISTEN reconnected")
            except DB_ERRORS as exc:
                log.warning("event bridge: reconnect failed (%s)", type(exc).__name__)
                continue
            for topic in self.hub.topics():
                if topic.startswith("consultation:"):
                    cid = int(topic.split(":", 1)[1])
                    self.hub.deliver_local([topic], {"type": "_catchup", "consultation_id": cid})

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    # -- interest ----------------------------------------------------------------------
    def touch(self, topic: str) -> None:
        self._touched.add(topic)
        self._dirty.set()

    def announced(self, topic: str) -> Awaitable[None] | None:
        if topic in self._announced and topic not in self._touched:
            return None
        return self._until_announced(topic)

    async def _until_announced(self, topic: str) -> None:
        while topic not in self._announced or topic in self._touched:
            await asyncio.shield(self._round)

    def _end_round(self) -> None:
        done, self._round = self._round, asyncio.get_running_loop().create_future()
        done.set_result(None)

    async def _register(self) -> None:
        """One task keeps this process's interest rows in step with its subscribers, in
        rounds (all topics touched since the last round in one transaction), and sweeps away
        the rows of dead processes every SWEEP_SECONDS."""
        loop = asyncio.get_running_loop()
        swept = loop.time()
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
            # lands as the wait ends (the event set by the shutdown's own unsubscribes), and
            # this loop then outlived the shutdown: a test server that never stopped.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interest.SWEEP_SECONDS):
                    await self._dirty.wait()
            self._dirty.clear()
            listener = self._listener
            if listener is None or listener.is_closed():
                await asyncio.sleep(0.5)  # the watchdog reconnects and records everything
                continue
            touched, self._touched = self._touched, set()
            add = [t for t in touched if self.hub.interested(t)]
            drop = [t for t in touched if not self.hub.interested(t)]
            try:
                if add or drop:
                    await interest.update(listener, self.channel, add, drop)
                if loop.time() - swept >= interest.SWEEP_SECONDS:
                    swept = loop.time()
                    await interest.sweep(listener)
            except DB_ERRORS as exc:
                log.warning("event bridge: interest update failed (%s)", type(exc).__name__)
                self._touched |= touched
                self._reclaim = True  # start over on a fresh LISTEN connection
                await asyncio.sleep(0.5)
                continue
            self._announced.difference_update(drop)
            self._announced.update(add)
            self._end_round()

    # -- receiving ---------------------------------------------------------------------
    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._inbox.append(payload)
        self._inbox_ready.set()

    async def _receive(self) -> None:
        while True:
            await self._inbox_ready.wait()
            self._inbox_ready.clear()
            try:
                await self._deliver_inbox()
            except Exception:  # noqa: BLE001 - one bad round must not stop delivery
                log.exception("event bridge: delivery round failed")

    async def _deliver_inbox(self) -> None:
        """Deliver what arrived, in order. Message pointers of a burst are gathered per
        consultation and read in one go: before a later event to the same consultation's
        topic (so a socket still sees a message before, say, the consultation's end), else at
        the end of the burst."""
        pending: dict[int, tuple[int, int]] = {}
        while self._inbox:
            for topics, event in wire.decode(self.origin, self._inbox.popleft()):
                if not self.hub.has_subscribers(topics):
                    continue  # the last subscriber left meanwhile
                cid = event.get("consultation_id")
                seq = event.get("seq")
                if event.get("type") == "message_ref" and isinstance(cid, int):
                    if isinstance(seq, int):
                        lo, hi = pending.get(cid, (seq, seq))
                        pending[cid] = (min(lo, seq), max(hi, seq))
                    continue
                if (
                    isinstance(cid, int)
                    and cid in pending
                    and event.get("type") not in UNORDERED
                    and topic_consultation(cid) in topics
                ):
                    await self._read_pointed(pending)
                self.hub.deliver_local(topics, event)
        if pending:
            await self._read_pointed(pending)

    async def _read_pointed(self, pending: dict[int, tuple[int, int]]) -> None:
        ranges = dict(pending)
        pending.clear()
        if self.resolve is not None:
            try:
                events = await self.resolve(ranges)
            except Exception as exc:  # noqa: BLE001 - each subscriber reads for itself instead
                log.warning("event bridge: pointer read failed (%s)", type(exc).__name__)
            else:
                for event in events:
                    topic = topic_consultation(event["consultation_id"])
                    self.hub.deliver_local([topic], event)
                return
        for cid, (lo, _hi) in ranges.items():  # each subscriber reads what it has not shown
            ref = {"type": "message_ref", "consultation_id": cid, "seq": lo}
            self.hub.deliver_local([topic_consultation(cid)], ref)

    # -- sending -----------------------------------------------------------------------
    async def send(self, topics: list[str], event: Event) -> None:
        """Queue the event for the other processes; never makes the caller wait for them."""
        try:
            self._outbox.put_nowait((topics, event))
        except asyncio.QueueFull:
            log.warning("event bridge outbox full; other processes will catch up on resume")

    async def _drain_outbox(self) -> None:
        """One task, one connection, in order: look up which other processes want each
        event's topics, then NOTIFY each of them one payload holding its events in order."""
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < BATCH:
                batch.append(self._outbox.get_nowait())
            try:
                assert self._pool is not None
                async with self._pool.acquire() as conn:
                    await self._route(conn, batch)
            except DB_ERRORS as exc:
                log.warning("event bridge: NOTIFY failed (%s)", type(exc).__name__)

    async def _route(self, conn: asyncpg.Connection, batch: list[tuple[list[str], Event]]) -> None:
        """A batch that fits in one payload (light load: usually one event) is routed and
        notified in one statement; a larger one is routed first, then packed per channel (an
        event no other process wants is not encoded beyond the first payload's worth)."""
        encoded = wire.encode_while_fits(self.origin, batch)
        if len(encoded) == len(batch):
            self.notified += await interest.route_and_notify(
                conn, self.origin, [topics for topics, _ in batch], encoded, self.channel
            )
            return
        wanted = {t for topics, _ in batch for t in topics}
        where = await interest.route(conn, list(wanted), self.channel)
        if not where:
            return  # every subscriber is local: no NOTIFY at all
        per_channel: dict[str, list[bytes]] = {}
        for i, (topics, event) in enumerate(batch):
            channels = {c for t in topics for c in where.get(t, ())}
            if not channels:
                continue
            item = encoded[i] if i < len(encoded) else wire.encode_item(topics, event)
            for channel in channels:
                per_channel.setdefault(channel, []).append(item)
        args: list[tuple[str, str]] = []
        for channel, theirs in per_channel.items():
            payloads, dropped = wire.payloads(self.origin, theirs)
            if dropped:
                log.warning("event bridge: %d event(s) too large for NOTIFY", dropped)
            args += [(channel, p) for p in payloads]
        if args:
            await conn.executemany("SELECT pg_notify($1, $2)", args)
            self.notified += len(args)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        listener = self._listener
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(*DB_ERRORS, TimeoutError):  # no rows left for the sweep
                await listener.execute(
                    "DELETE FROM yorisoi_listener WHERE channel = $1", self.channel, timeout=2
                )
            try:
                await listener.close(timeout=2)
            except (*DB_ERRORS, TimeoutError):
                listener.terminate()
        if self._pool is not None:
            try:
                async with asyncio.timeout(5):
                    await self._pool.close()
            except (*DB_ERRORS, TimeoutError):
                self._pool.terminate()


class Leadership:
    """Run `on_lead` while this process holds the scheduler lock; stop it when the lock is lost.

    The lock lives on a dedicated connection: if this process dies, PostgreSQL releases it and
    another process takes over at its next try.
    """

    def __init__(
        self,
        dsn: str,
        on_lead: Callable[[], Awaitable[None]],
        on_lose: Callable[[], Awaitable[None]],
        retry_seconds: float = 2.0,
    ) -> None:
        self.dsn = dsn
        self.on_lead = on_lead
        self.on_lose = on_lose
        self.retry = retry_seconds
        self.leading = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                # Polling is the point: the lock lives in PostgreSQL, not in this process.
                while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):  # noqa: ASYNC110
                    await asyncio.sleep(self.retry)
                self.leading = True
                log.info("this process now runs the scheduler")
                await self.on_lead()
                while True:  # hold the lock; notice a lost connection
                    await asyncio.sleep(self.retry)
                    await conn.fetchval("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - lost database: retry leadership
                log.warning("scheduler leadership lost or unavailable: %s", type(exc).__name__)
            finally:
                if self.leading:
                    self.leading = False
                    await self.on_lose()
                if conn is not None and not conn.is_closed():
                    await conn.close()
            await asyncio.sleep(self.retry)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
