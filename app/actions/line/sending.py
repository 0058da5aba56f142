"""Outbound: LINE messages out by reply token while it is fresh, by push otherwise (not past
the month's quota), each consultation message claimed once across processes; 429s and 5xx
retried with a bounded backoff; what does not arrive is recorded for the mentor
(line_undelivered) and raised to headquarters, never dropped silently."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions.chat import check_access
from app.actions.context import Context, Principal
from app.actions.events import alert_body
from app.actions.line.base import ChannelState, log
from app.db.tables import (
    AuditLog,
    Consultation,
    CrisisAlert,
    LineEvent,
    LineUndelivered,
    LineUser,
    Mentor,
)
from app.observability import metrics
from app.realtime.hub import SUPERVISORS, topic_consultation

# A reply token is accepted by LINE for about a minute; use it only well inside that.
REPLY_TOKEN_SECONDS = 50
# 429 / 5xx: tries and the first pause (doubled each time), so a storm ends in seconds.
SEND_TRIES = 4
FIRST_PAUSE = 0.2
UNDELIVERED_ALERT = "line_undelivered"
# The month's push quota is asked at most this often (pushes made meanwhile are counted here).
QUOTA_CACHE_SECONDS = 60


class SendFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "refused" | "rate_limited" | "quota"


class Unfollowed(Exception):
    """The LINE user blocked the official account (or the link is gone)."""


class Sender(ChannelState):
    # -- sending ---------------------------------------------------------------------------
    async def say(self, user: LineUser, message: dict[str, Any]) -> None:
        """A message outside a consultation (the menu, the dialogue): failures are logged."""
        try:
            await self._send(user, [message])
        except SendFailed as failed:
            log.warning("line: a menu message was not delivered (%s)", failed.reason)

    async def _claim(self, key: str) -> bool:
        """Whether this process sends this outgoing message: with several processes every
        one of them hears the same events, and the first to store the key sends (the keys
        share line_event with the webhook's event ids and its retention)."""
        try:
            async with self.ctx.db.write() as s:
                s.add(LineEvent(webhook_event_id=key[:64], received_at=self.ctx.now()))
        except IntegrityError:
            return False
        return True

    async def send_in(
        self, user: LineUser, cid: int, seq: object, key: str, messages: list[dict[str, Any]]
    ) -> None:
        """A message of a consultation, sent once whichever processes hear of it (key: what
        it is within the consultation); what does not arrive is recorded for the mentor and
        raised to headquarters."""
        if not await self._claim(f"out:{cid}:{key}"):
            return
        try:
            await self._send(user, messages)
        except SendFailed as failed:
            await self._undelivered(cid, seq if isinstance(seq, int) else None, failed.reason)

    async def _fresh_token(self, user: LineUser) -> str | None:
        """Take the user's reply token if it is still fresh (each token is used once).
        Raises Unfollowed when the user has blocked the account: nothing goes to them."""
        now = self.ctx.now()
        async with self.ctx.db.write() as s:
            row = (
                await s.execute(
                    select(
                        col(LineUser.reply_token),
                        col(LineUser.reply_token_at),
                        col(LineUser.unfollowed_at),
                    ).where(col(LineUser.id) == user.id)
                )
            ).first()
            if row is None or row[2] is not None:
                raise Unfollowed
            if row[0] is None or row[1] is None:
                return None
            await s.execute(
                update(LineUser).where(col(LineUser.id) == user.id).values(reply_token=None)
            )
        token, at = row[0], row[1]
        return (
            token if at is not None and now - at <= timedelta(seconds=REPLY_TOKEN_SECONDS) else None
        )

    async def _pushes_left(self) -> int | None:
        """The month's pushes left (None: no limit, or LINE could not say: then push and let
        a 429 tell), from GET /v2/bot/message/quota and .../quota/consumption, asked at most
        once a minute. Replies do not count against the quota; pushes do."""
        from linebot.v3.messaging.exceptions import ApiException

        now = self.ctx.now()
        if self._quota is not None and now - self._quota[0] < timedelta(
            seconds=QUOTA_CACHE_SECONDS
        ):
            return self._quota[1]
        left: int | None = None
        try:
            quota = await self.api.get_message_quota()
            if quota.type == "limited" and quota.value is not None:
                used = await self.api.get_message_quota_consumption()
                left = max(0, quota.value - (used.total_usage or 0))
        except (ApiException, OSError, ValueError) as exc:
            log.warning("line: the message quota could not be read (%s)", type(exc).__name__)
        self._quota = (now, left)
        return left

    def _pushed(self) -> None:
        if self._quota is not None and self._quota[1] is not None:
            self._quota = (self._quota[0], max(0, self._quota[1] - 1))

    def _quota_used_up(self) -> None:
        self._quota = (self.ctx.now(), 0)

    async def _send(self, user: LineUser, messages: list[dict[str, Any]]) -> None:
        from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest
        from linebot.v3.messaging.exceptions import ApiException

        try:
            token = await self._fresh_token(user)
        except Unfollowed:
            return  # blocked (or gone): LINE would refuse it; nobody is waiting for it
        retry_key = str(uuid.uuid4())
        pause = FIRST_PAUSE
        for attempt in range(SEND_TRIES):
            try:
                if token is not None:
                    await self.api.reply_message(
                        ReplyMessageRequest.from_dict({"replyToken": token, "messages": messages})
                    )
                else:
                    if await self._pushes_left() == 0:
                        raise SendFailed("quota")  # not even tried: it would count as refused
                    await self.api.push_message(
                        PushMessageRequest.from_dict(
                            {"to": user.line_user_id, "messages": messages}
                        ),
                        x_line_retry_key=retry_key,
                    )
                    self._pushed()
                return
            except ApiException as exc:
                status = exc.status or 0
                if token is not None and status == 400:
                    token = None  # an expired or used reply token: push instead
                    continue
                if status == 409:
                    return  # the retry key was already accepted: it was delivered
                if token is None and status == 429 and "monthly limit" in str(exc.body or ""):
                    self._quota_used_up()  # the month's quota is gone: no use retrying
                    raise SendFailed("quota") from None
                if status == 429 or status >= 500:
                    token = None  # a reply token is single use; retry as a push
                    if attempt + 1 < SEND_TRIES:
                        await asyncio.sleep(pause)
                        pause *= 2
                        continue
                    raise SendFailed("rate_limited") from None
                log.warning("line: the API refused a message (%s)", status)
                raise SendFailed("refused") from None
            except OSError:
                if attempt + 1 < SEND_TRIES:
                    await asyncio.sleep(pause)
                    pause *= 2
                    continue
                raise SendFailed("rate_limited") from None
        raise SendFailed("rate_limited")

    async def _undelivered(self, cid: int, seq: int | None, reason: str) -> None:
        now = self.ctx.now()
        alert: CrisisAlert | None = None
        async with self.ctx.db.write() as s:
            s.add(
                LineUndelivered(consultation_id=cid, message_seq=seq, reason=reason, created_at=now)
            )
            c = await s.get(Consultation, cid)
        if c is None:
            return
        try:
            async with self.ctx.db.write() as s:
                alert = CrisisAlert(
                    consultation_id=cid,
                    kind=UNDELIVERED_ALERT,
                    category=UNDELIVERED_ALERT,
                    message_seq=seq or 0,
                    mentor_id=c.mentor_id,
                    created_at=now,
                )
                s.add(alert)
                await s.flush()
                s.add(
                    AuditLog(
                        at=now,
                        actor_role="system",
                        actor_id=0,
                        action="line_undelivered",
                        consultation_id=cid,
                        reason=reason,
                    )
                )
                mentor = await s.get(Mentor, c.mentor_id)
        except IntegrityError:
            alert = None  # already an open alert for this consultation
        log.warning("line: a message of consultation %s was not delivered (%s)", cid, reason)
        metrics.line_undelivered(reason)
        await self.ctx.hub.publish(
            [topic_consultation(cid)],
            {"type": "line_undelivered", "consultation_id": cid, "seq": seq, "reason": reason},
        )
        if alert is not None:
            metrics.alert_raised(alert.kind, alert.category)
            await self.ctx.hub.publish(
                [SUPERVISORS], {"type": "alert", "alert": alert_body(self.ctx, alert, mentor)}
            )


async def undelivered_seqs(
    ctx: Context, principal: Principal | None, consultation_id: int
) -> list[int]:
    """The messages of a consultation that did not reach the client's LINE, for its mentor or
    a supervisor (after a reload the mentor's chat marks them again). Seqs only, no text."""
    from app.actions.staff import require_staff

    staff = require_staff(principal)
    await check_access(ctx, staff, consultation_id)  # not theirs: not_found
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(col(LineUndelivered.message_seq))
                .where(
                    col(LineUndelivered.consultation_id) == consultation_id,
                    col(LineUndelivered.message_seq).is_not(None),
                )
                .order_by(col(LineUndelivered.message_seq))
            )
        ).scalars()
        return sorted({seq for seq in rows if seq is not None})
