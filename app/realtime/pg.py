"""PostgreSQL LISTEN/NOTIFY bridge and scheduler leadership by advisory lock.

NOTIFY payloads are small pointers (topics, ids, states), never message text: a process that
receives a message pointer reads the message from the database before delivering it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from app.realtime.hub import Bridge, Event, Hub

log = logging.getLogger("yorisoi.pg")
CHANNEL = "yorisoi_events"
LEADER_LOCK = 0x5930_7150  # arbitrary, fixed: "the Yorisoi scheduler"


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class PgBridge(Bridge):
    def __init__(self, dsn: str, hub: Hub) -> None:
        self.dsn = dsn
        self.hub = hub
        self.origin = uuid.uuid4().hex
        self._listener: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=100_000)

    async def start(self) -> None:
        # One connection for NOTIFY; reset=None skips the per-release reset query.
        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=1, reset=None)
        await self._listen()
        self._sender = asyncio.get_running_loop().create_task(self._drain_outbox())
        self._watchdog = asyncio.get_running_loop().create_task(self._keep_listening())

    async def _listen(self) -> None:
        self._listener = await asyncpg.connect(self.dsn)
        await self._listener.add_listener(CHANNEL, self._on_notify)

    async def _keep_listening(self, every: float = 2.0) -> None:
        """Reopen LISTEN after the database restarts or drops the connection. Messages missed
        meanwhile reach clients through the seq gap filling of their next message or resume."""
        while True:
            await asyncio.sleep(every)
            listener = self._listener
            if listener is not None and not listener.is_closed():
                continue
            try:
                await self._listen()
                log.warning("event bridge: LISTEN reconnected")
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("event bridge: reconnect failed (%s)", type(exc).__name__)

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if data.get("o") == self.origin:
            return
        # Delivered as it came: a chat message arrives as a pointer (message_ref) and each
        # socket's sender reads what it has not shown yet, so a burst costs one read per
        # socket rather than one per message.
        self.hub.deliver_local(data["t"], data["e"])

    async def send(self, topics: list[str], event: Event) -> None:
        """Queue the event for the other processes; never makes the caller wait for them."""
        shared = {k: v for k, v in event.items() if k != "_json"}
        payload = json.dumps({"o": self.origin, "t": topics, "e": shared}, separators=(",", ":"))
        try:
            self._outbox.put_nowait(payload)
        except asyncio.QueueFull:
            log.warning("event bridge outbox full; other processes will catch up on resume")

    async def _drain_outbox(self) -> None:
        """One task, one connection, in order: NOTIFYs leave in the order events happened."""
        while True:
            payload = await self._outbox.get()
            batch = [payload]
            while not self._outbox.empty() and len(batch) < 100:
                batch.append(self._outbox.get_nowait())
            try:
                assert self._pool is not None
                async with self._pool.acquire() as conn:
                    await conn.executemany(
                        "SELECT pg_notify($1, $2)", [(CHANNEL, p) for p in batch]
                    )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("event bridge: NOTIFY failed (%s)", type(exc).__name__)

    async def close(self) -> None:
        for task in (self._watchdog, self._sender):
            if task is not None:
                task.cancel()
        if self._listener is not None:
            await self._listener.close()
        if self._pool is not None:
            await self._pool.close()


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
