"""Webhook intake: the signature check, the events of a verified body, and their durable
path. store() keeps each event 'pending' in line_event (raw JSON, webhookEventId unique) in
one transaction before the webhook answers LINE; the worker applies pending rows oldest
first, marks each 'applied' and clears its payload. On PostgreSQL a row is claimed FOR
UPDATE SKIP LOCKED and held while applied (a crash releases it) and one user's events wait
for their earlier ones, so each is applied by one process, in order."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.actions.line.base import log
from app.actions.line.conversation import Conversation
from app.db.tables import LineEvent

PENDING, APPLIED = "pending", "applied"
# The worker looks for pending rows this often even unwoken: rows another process stored
# for a user whose earlier event this one was applying, or rows a crashed process held.
SWEEP_SECONDS = 30.0


def webhook_signature_ok(secret: str, body: bytes, signature: str | None) -> bool:
    """X-Line-Signature: base64 HMAC-SHA256 of the raw body with the channel secret."""
    if not signature or not secret:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.encode("ascii", "replace"))


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """The events of a verified webhook body (checked with the SDK's models), as dicts."""
    from linebot.v3.webhooks import Event

    payload = json.loads(body)
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise ValueError("no events")
    kept: list[dict[str, Any]] = []
    for raw in events:
        if not isinstance(raw, dict):
            continue
        if raw.get("type") not in ("follow", "unfollow", "message", "postback"):
            continue  # anything else is ignored safely
        try:
            Event.from_dict(raw)
        except Exception as exc:  # noqa: BLE001 - LINE may be ahead of the SDK's models
            log.info("line: an event the SDK's models do not accept (%s)", type(exc).__name__)
        kept.append(raw)  # apply() reads only the fields it needs, each checked
    return kept


class Intake(Conversation):
    async def _drained(self) -> None:
        while self._wake.is_set() or not self._idle.is_set():
            await self._idle.wait()
            await asyncio.sleep(0)

    async def store(self, events: list[dict[str, Any]]) -> None:
        """Keep a verified webhook's events, pending, in one transaction: the webhook answers
        LINE only after this commits. An event id already stored (pending or applied: a
        redelivery) is left as it is; an event without a usable id is not kept."""
        now = self.ctx.now()
        rows: list[dict[str, Any]] = []
        for event in events:
            event_id = event.get("webhookEventId")
            if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64:
                continue
            if event_id.startswith("out:"):
                continue  # the outgoing keys' namespace
            source = event.get("source")
            user_id = source.get("userId") if isinstance(source, dict) else None
            rows.append(
                {
                    "webhook_event_id": event_id,
                    "received_at": now,
                    "state": PENDING,
                    "line_user_id": user_id
                    if isinstance(user_id, str) and len(user_id) <= 64
                    else None,
                    "payload": json.dumps(event, ensure_ascii=False),
                }
            )
        if not rows:
            return
        insert = sqlite_insert if self.ctx.db.is_sqlite else pg_insert
        async with self.ctx.db.write() as s:
            await s.execute(
                insert(LineEvent)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["webhook_event_id"])
            )
        self._idle.clear()
        self._wake.set()

    async def _run_webhook(self) -> None:
        while True:
            self._wake.clear()
            try:
                while await self._apply_next():
                    pass
            except Exception:  # noqa: BLE001 - the database away: the rows wait, pending
                log.exception("line: pending webhook events could not be applied")
            if not self._wake.is_set():
                self._idle.set()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
            # lands as the wait ends, and this loop would outlive the shutdown (a hung stop).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SWEEP_SECONDS):
                    await self._wake.wait()
            self._idle.clear()

    async def _apply_next(self) -> bool:
        """Apply the oldest pending event this process may take; False when there is none."""
        if self.ctx.db.is_sqlite:  # one process owns the file: no claim needed
            async with self.ctx.db.read() as s:
                row = (
                    await s.execute(
                        select(
                            col(LineEvent.id), col(LineEvent.payload), col(LineEvent.received_at)
                        )
                        .where(col(LineEvent.state) == PENDING)
                        .order_by(col(LineEvent.id))
                        .limit(1)
                    )
                ).first()
            if row is None:
                return False
            await self._apply_stored(row[1], row[2])
            async with self.ctx.db.write() as s:
                await self._mark_applied(s, row[0])
            return True
        earlier = aliased(LineEvent)
        async with self.ctx.db.write() as s:
            # Held locked while it is applied; a crash ends the transaction and the row is
            # pending again for another process. One user's events wait for the earlier ones.
            row = (
                await s.execute(
                    select(col(LineEvent.id), col(LineEvent.payload), col(LineEvent.received_at))
                    .where(
                        col(LineEvent.state) == PENDING,
                        ~exists().where(
                            col(earlier.state) == PENDING,
                            col(earlier.line_user_id) == LineEvent.line_user_id,
                            col(earlier.id) < LineEvent.id,
                        ),
                    )
                    .order_by(col(LineEvent.id))
                    .limit(1)
                    .with_for_update(skip_locked=True, of=LineEvent)
                )
            ).first()
            if row is None:
                return False
            await self._apply_stored(row[1], row[2])
            await self._mark_applied(s, row[0])
        return True

    async def _mark_applied(self, s: Any, row_id: int | None) -> None:
        # The payload goes: the consultation's messages hold the content, once.
        await s.execute(
            update(LineEvent).where(col(LineEvent.id) == row_id).values(state=APPLIED, payload=None)
        )

    async def _apply_stored(self, payload: str | None, received_at: datetime) -> None:
        """Apply one stored event. The database or the network away: raised, so the row
        stays pending and is tried again (at the next wake or sweep). Anything else is this
        event's own fault: logged, and the event counts as applied, so one bad event never
        stops the channel nor holds back the user's later ones."""
        try:
            event = json.loads(payload) if payload else None
            if isinstance(event, dict):
                await self.apply(event, received_at)
        except Exception as exc:
            if transient(exc):
                raise
            log.exception("line: a webhook event failed")


def transient(exc: BaseException) -> bool:
    """A failure that says nothing about the event: try it again later."""
    if isinstance(exc, IntegrityError | DataError | ProgrammingError):
        return False
    return isinstance(exc, DBAPIError | OSError | TimeoutError)
