"""LineChannel: the running channel of one process (started and stopped by the app's
lifespan): the webhook worker (intake.py) and the hub receiver (wayback.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from app.actions.context import Context
from app.actions.line.base import log
from app.actions.line.intake import Intake
from app.db.tables import Consultation, LineUser
from app.realtime.delivery import Delivery
from app.realtime.hub import Subscriber, topic_client


class LineChannel(Intake):
    """The running channel of one process: the webhook worker and the hub receiver."""

    def __init__(self, ctx: Context) -> None:
        from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration

        self.ctx = ctx
        settings = ctx.settings
        self._config = Configuration(
            host=settings.line_api_base, access_token=settings.line_channel_access_token
        )
        self._client = AsyncApiClient(self._config)
        self.api = AsyncMessagingApi(self._client)
        self._wake = asyncio.Event()
        self.sub = Subscriber("line", maxsize=100_000)
        self.delivery = Delivery(self._deliver_message, self._load)
        self._tasks: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()
        # (asked at, pushes left this month; None: no limit or not known)
        self._quota: tuple[datetime, int | None] | None = None

    async def start(self) -> None:
        self.ctx.hub.add(self.sub)
        async with self.ctx.db.read() as s:
            linked = (
                await s.execute(
                    select(col(LineUser.client_id)).where(
                        col(LineUser.client_id).is_not(None), col(LineUser.unfollowed_at).is_(None)
                    )
                )
            ).scalars()
            client_ids = [c for c in linked if c is not None]
            open_rows = (
                await s.execute(
                    select(col(Consultation.id), col(Consultation.last_seq)).where(
                        col(Consultation.client_id).in_(client_ids),
                        col(Consultation.status) == "open",
                    )
                )
            ).all()
        for cid in client_ids:
            self.ctx.hub.subscribe(self.sub, topic_client(cid))
        for consultation_id, last_seq in open_rows:
            if consultation_id is not None:
                self._follow(consultation_id, last_seq)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._run_webhook(), name="line-webhook"),
            loop.create_task(self._run_hub(), name="line-hub"),
        ]

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Apply the events already acknowledged to LINE (bounded), then stop; what is left
        stays pending in line_event for the next start (or another process)."""
        try:
            async with asyncio.timeout(drain_seconds):  # not wait_for (see realtime/pg.py)
                await self._drained()
        except TimeoutError:
            log.warning("line: webhook events left pending at shutdown")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self.ctx.hub.remove(self.sub)
        await self._client.close()

    async def _run_hub(self) -> None:
        while True:
            if self.sub.overflowed:  # fell behind: start over from what is stored
                self.sub.overflowed = False
                for cid in list(self.delivery.next_seq):
                    await self.delivery.catch_up(cid)
            event = await self.sub.queue.get()
            try:
                await self._hub_event(event)
            except Exception:  # noqa: BLE001
                log.exception("line: hub event %s failed", event.get("type"))
