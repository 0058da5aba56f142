"""The LINE channel: LINE users as anonymous clients of the same consultations.

A webhook request is verified (webhook_signature_ok); its events are stored 'pending' in
line_event (raw JSON, webhookEventId unique) in one transaction, and only then is LINE answered
200, so a crash after the answer loses nothing. LineChannel's worker applies the pending rows
in order, marks each 'applied' and clears its payload; at start it applies what an earlier
process left. With several processes on PostgreSQL a row is claimed under FOR UPDATE SKIP
LOCKED (held while it is applied, released by a crash) and one user's events wait for their
earlier ones, so each is applied by one process, in order. A LINE user answers two questions (a nickname, child or parent) and becomes
an anonymous client linked to their LINE user id; nothing from their LINE profile is stored.
The menu works by postback and calls the same actions as the web pages (booking.py,
queue.py, chat.py); while a consultation is open their text goes in through chat.do_send.

The way back is one more receiver of the realtime hub: a Subscriber for the linked clients'
topics whose messages pass through realtime.delivery.Delivery (exactly once, in seq order)
and go out as LINE messages, by reply token while it is fresh and by push otherwise. 429s
and server errors are retried with a bounded backoff; what still does not arrive is kept in
line_undelivered (the mentor sees it) and raised to headquarters as a line_undelivered
alert, never dropped silently.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.actions.accounts import check_nickname, nickname_key
from app.actions.booking import do_book, do_cancel, do_chat_now
from app.actions.catalog import mentor_day
from app.actions.chat import (
    Access,
    check_access,
    close_consultation,
    do_end,
    do_join,
    do_send,
    messages_after,
)
from app.actions.context import Context, Principal
from app.actions.events import alert_body, message_event
from app.actions.queue import do_join_queue, do_leave_queue
from app.actions.safety import help_contacts
from app.db.tables import (
    AuditLog,
    Client,
    Consultation,
    CrisisAlert,
    LineEvent,
    LineUndelivered,
    LineUser,
    Mentor,
    QueueEntry,
)
from app.errors import CATALOG, Refusal
from app.realtime.delivery import Delivery
from app.realtime.hub import SUPERVISORS, Subscriber, topic_client, topic_consultation
from app.rules.hours import bookable_days

log = logging.getLogger("yorisoi.line")

# A reply token is accepted by LINE for about a minute; use it only well inside that.
REPLY_TOKEN_SECONDS = 50
# 429 / 5xx: tries and the first pause (doubled each time), so a storm ends in seconds.
SEND_TRIES = 4
FIRST_PAUSE = 0.2
UNDELIVERED_ALERT = "line_undelivered"
# The month's push quota is asked at most this often (pushes made meanwhile are counted here).
QUOTA_CACHE_SECONDS = 60
UNFOLLOWED = "line_unfollowed"  # the close / cancel reason when a LINE client blocks us
MAX_QUICK = 13  # LINE's limit of quick-reply buttons
NOT_TEXT = "もじで おくってね。"
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


RUBY = re.compile(r"\{([^|{}]+)\|([^|{}]+)\}")


def contact_line(entry: dict[str, Any]) -> str:
    """A help-directory entry in one line of easy Japanese: its name and telephone."""
    name = entry.get("name") or {}
    shown = name.get("easy") or name.get("ja") or "" if isinstance(name, dict) else str(name)
    shown = RUBY.sub(r"\1（\2）", shown)
    contact = entry.get("contact") or {}
    tel = contact.get("tel") if isinstance(contact, dict) else None
    return f"{shown} ☎ {tel}" if tel else shown


def client_principal(client: Client) -> Principal:
    assert client.id is not None
    return Principal(
        kind="client",
        id=client.id,
        role=client.audience,
        display_name=client.nickname,
        session_id=0,
    )


def text_message(text: str, quick: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """A LINE text message (the Messaging API's JSON, not one of our socket frames: built with
    dict() so the frame-contract test does not take it for one); quick: (label, postback data)
    buttons."""
    body: dict[str, Any] = dict(type="text", text=text[:5000])
    if quick:
        body["quickReply"] = {
            "items": [
                dict(
                    type="action",
                    action=dict(
                        type="postback", label=label[:20], data=data, displayText=label[:20]
                    ),
                )
                for label, data in quick[:MAX_QUICK]
            ]
        }
    return body


def pb(action: str, **values: object) -> str:
    return urlencode({"a": action, **{k: str(v) for k, v in values.items()}})


MENU = [
    ("はなす", pb("talk")),
    ("よやく", pb("book")),
    ("まえの ひと", pb("prev")),
    ("こまったときは", pb("help")),
]


def refusal_text(refusal: Refusal) -> str:
    entry = CATALOG.get(refusal.code)
    if entry is None:
        return "いまは できないよ。"
    try:
        return entry.child.ja.format(**refusal.params)
    except (KeyError, IndexError, AttributeError):
        return entry.child.ja


class SendFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "refused" | "rate_limited" | "quota"


class Unfollowed(Exception):
    """The LINE user blocked the official account (or the link is gone)."""


class LineChannel:
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

    # -- running -------------------------------------------------------------------------
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
            await asyncio.wait_for(self._drained(), drain_seconds)
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
            try:
                await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)
            except TimeoutError:
                pass
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
        try:
            event = json.loads(payload) if payload else None
            if isinstance(event, dict):
                await self.apply(event, received_at)
        except Exception:  # noqa: BLE001 - one bad event never stops the channel
            log.exception("line: a webhook event failed")

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

    # -- webhook events ------------------------------------------------------------------
    async def apply(self, event: dict[str, Any], received_at: datetime | None = None) -> None:
        """One stored webhook event (store() keeps each webhookEventId once). Applied again
        only if a process died between applying it and marking it: a child's text then goes
        in once all the same (do_send is idempotent on the LINE message id)."""
        source = event.get("source")
        if not isinstance(source, dict):
            return
        user_id = source.get("userId")
        if source.get("type") != "user" or not isinstance(user_id, str) or len(user_id) > 64:
            return  # groups and rooms are not a consultation place
        kind = event.get("type")
        token = event.get("replyToken")
        if kind == "unfollow":
            await self._unfollow(user_id)
            return
        if kind not in ("follow", "message", "postback"):
            return
        user = await self._user(
            user_id, token if isinstance(token, str) else None, received_at or self.ctx.now()
        )
        if kind == "follow":
            await self._follow_event(user)
        elif kind == "message":
            message = event.get("message")
            await self._message_event(user, message if isinstance(message, dict) else {})
        else:
            postback = event.get("postback")
            data = postback.get("data") if isinstance(postback, dict) else None
            await self._postback(user, data[:300] if isinstance(data, str) else "")

    async def _user(
        self, line_user_id: str, reply_token: str | None, received_at: datetime
    ) -> LineUser:
        now = self.ctx.now()
        async with self.ctx.db.write() as s:
            user = (
                await s.execute(select(LineUser).where(col(LineUser.line_user_id) == line_user_id))
            ).scalar_one_or_none()
            if user is None:
                user = LineUser(line_user_id=line_user_id, state="nickname", created_at=now)
                s.add(user)
            if reply_token is not None and len(reply_token) <= 255:
                user.reply_token = reply_token
                user.reply_token_at = received_at  # LINE's minute runs from the delivery
            await s.flush()
        return user

    async def _client_of(self, user: LineUser) -> Client | None:
        if user.client_id is None:
            return None
        async with self.ctx.db.read() as s:
            client = await s.get(Client, user.client_id)
        return client if client is not None and client.deleted_at is None else None

    async def _set(self, user: LineUser, **values: object) -> None:
        async with self.ctx.db.write() as s:
            await s.execute(update(LineUser).where(col(LineUser.id) == user.id).values(**values))
        for key, value in values.items():
            setattr(user, key, value)

    async def _follow_event(self, user: LineUser) -> None:
        if user.unfollowed_at is not None:
            await self._set(user, unfollowed_at=None)
        client = await self._client_of(user)
        if client is not None and client.id is not None:
            self.ctx.hub.subscribe(self.sub, topic_client(client.id))  # linked again
            await self.say(user, text_message("また きてくれて ありがとう。", MENU))
            return
        await self._set(user, state="nickname", client_id=None)
        await self.say(
            user,
            text_message(
                "こんにちは。よりそいだよ。\nここでは なまえを ださずに そうだん できるよ。\n"
                "なんて よんだら いい？ ニックネームを おくってね。"
            ),
        )

    async def _unfollow(self, line_user_id: str) -> None:
        """The user blocked the account: nothing more is sent to them (every way back checks
        unfollowed_at, set first), and nothing of theirs is left hanging."""
        async with self.ctx.db.write() as s:
            user = (
                await s.execute(select(LineUser).where(col(LineUser.line_user_id) == line_user_id))
            ).scalar_one_or_none()
            if user is None:
                return
            user.unfollowed_at = self.ctx.now()
            user.reply_token = None
            client_id = user.client_id
        if client_id is not None:
            self.ctx.hub.unsubscribe(self.sub, topic_client(client_id))
            async with self.ctx.db.read() as s:
                client = await s.get(Client, client_id)
            if client is not None and client.deleted_at is None:
                await self._client_gone(client)

    async def _client_gone(self, client: Client) -> None:
        """End what a client who unfollowed had going, the way the web ends each: out of the
        waiting line (an offer declined), the open consultation closed (the mentor is told
        "line_unfollowed", the line freed), future reservations cancelled (the mentor sees
        them cancelled). Each is on the audit log."""
        principal = client_principal(client)
        ended: list[int] = []
        try:
            place = await do_leave_queue(self.ctx, principal)
            if place.entry.consultation_id is not None:
                ended.append(place.entry.consultation_id)
        except Refusal:
            pass  # not waiting
        open_c = await self._open_consultation(client)
        if open_c is not None and open_c.id is not None:
            self._forget(open_c.id)
            if await close_consultation(self.ctx, open_c.id, reason=UNFOLLOWED) is not None:
                ended.append(open_c.id)
        async with self.ctx.db.read() as s:
            booked = (
                await s.execute(
                    select(col(Consultation.id)).where(
                        col(Consultation.client_id) == client.id,
                        col(Consultation.status) == "booked",
                        col(Consultation.starts_at) > self.ctx.now(),
                    )
                )
            ).scalars()
            booked_ids = [i for i in booked if i is not None]
        for cid in booked_ids:
            try:
                await do_cancel(self.ctx, principal, consultation_id=cid, reason=UNFOLLOWED)
                ended.append(cid)
            except Refusal:
                pass  # started or cancelled meanwhile
        if ended:
            now = self.ctx.now()
            async with self.ctx.db.write() as s:
                for cid in ended:
                    s.add(
                        AuditLog(
                            at=now,
                            actor_role="system",
                            actor_id=0,
                            action=UNFOLLOWED,
                            consultation_id=cid,
                        )
                    )

    async def _message_event(self, user: LineUser, message: dict[str, Any]) -> None:
        text = message.get("text") if message.get("type") == "text" else None
        client = await self._client_of(user)
        if user.state == "nickname" or client is None and user.state != "audience":
            if not isinstance(text, str):
                await self.say(user, text_message(NOT_TEXT))
                return
            await self._nickname(user, text)
            return
        if user.state == "audience" or client is None:
            await self.say(user, self._audience_question(user.pending_nickname or ""))
            return
        if not isinstance(text, str):
            await self.say(user, text_message(NOT_TEXT))
            return
        if user.state == "confirm_delete":
            await self._set(user, state="ready")
            await self.say(user, text_message("けさないで おいたよ。", MENU))
            return
        if text.strip() in ("けす", "消す"):
            await self._set(user, state="confirm_delete")
            await self.say(
                user,
                text_message(
                    "ほんとうに けす？ はなした ことも よやくも ぜんぶ きえるよ。",
                    [("けす", pb("erase")), ("やめる", pb("keep"))],
                ),
            )
            return
        open_c = await self._open_consultation(client)
        if open_c is None:
            await self.say(user, text_message("なにを する？", MENU))
            return
        principal = client_principal(client)
        try:
            access = await self._present(principal, open_c.id)
            await do_send(self.ctx, principal, access, f"line:{message.get('id')}"[:64], text)
        except Refusal as refusal:
            await self.say(user, text_message(refusal_text(refusal)))

    def _audience_question(self, nickname: str) -> dict[str, Any]:
        return text_message(
            f"{nickname}さん だね。あなたは こども？ おとな（ほごしゃ）？",
            [("こども", pb("aud", v="child")), ("おとな", pb("aud", v="parent"))],
        )

    async def _nickname(self, user: LineUser, text: str) -> None:
        try:
            name = check_nickname(text)
        except Refusal:
            await self.say(user, text_message("みじかい ニックネームを おくってね。"))
            return
        async with self.ctx.db.read() as s:
            taken = (
                await s.execute(
                    select(col(Client.id)).where(col(Client.nickname_key) == nickname_key(name))
                )
            ).first()
        if taken is not None:
            await self.say(
                user, text_message("その なまえは もう つかわれて いるよ。ほかの なまえに してね。")
            )
            return
        await self._set(user, state="audience", pending_nickname=name)
        await self.say(user, self._audience_question(name))

    async def _create_client(self, user: LineUser, audience: str) -> Client | None:
        name = user.pending_nickname
        if name is None or audience not in ("child", "parent"):
            return None
        # A secret nobody knows: a LINE client signs in only through LINE.
        hashed = await self.ctx.hasher.hash(secrets.token_urlsafe(24))
        client = Client(
            nickname=name,
            nickname_key=nickname_key(name),
            secret_hash=hashed,
            audience=audience,
            created_at=self.ctx.now(),
        )
        try:
            async with self.ctx.db.write() as s:
                s.add(client)
                await s.flush()
                await s.execute(
                    update(LineUser)
                    .where(col(LineUser.id) == user.id)
                    .values(client_id=client.id, state="ready", pending_nickname=None)
                )
        except IntegrityError:
            await self._set(user, state="nickname", pending_nickname=None)
            await self.say(
                user,
                text_message("その なまえは もう つかわれて いるよ。ほかの なまえを おくってね。"),
            )
            return None
        user.client_id, user.state, user.pending_nickname = client.id, "ready", None
        assert client.id is not None
        self.ctx.hub.subscribe(self.sub, topic_client(client.id))
        return client

    async def _present(self, principal: Principal, consultation_id: int | None) -> Access:
        """The LINE client is here (chose to talk, tapped はじめる, or wrote): joined, as a web
        client's socket joins, so an offer from the waiting line is taken, a reservation is
        no no-show, and headquarters' board does not say "client away"."""
        access = await check_access(self.ctx, principal, consultation_id)
        c = access.consultation
        if c.status == "open" and (c.client_joined_at is None or c.client_left_at is not None):
            access = await do_join(self.ctx, principal, c.id)
        return access

    async def _open_consultation(self, client: Client) -> Consultation | None:
        async with self.ctx.db.read() as s:
            return (
                await s.execute(
                    select(Consultation).where(
                        col(Consultation.client_id) == client.id,
                        col(Consultation.status) == "open",
                    )
                )
            ).scalar_one_or_none()

    async def _mentors(self, client: Client) -> list[Mentor]:
        async with self.ctx.db.read() as s:
            rows = (
                await s.execute(
                    select(Mentor).where(col(Mentor.active).is_(True)).order_by(col(Mentor.id))
                )
            ).scalars()
            return [m for m in rows if m.audience in (client.audience, "both")]

    async def _postback(self, user: LineUser, data: str) -> None:
        values = {k: v[0] for k, v in parse_qs(data).items() if v}
        action = values.get("a", "")
        if action == "aud":
            if user.state != "audience":
                return
            client = await self._create_client(user, values.get("v", ""))
            if client is not None:
                await self.say(
                    user,
                    text_message(
                        f"ありがとう、{client.nickname}さん。\n"
                        "けしたい ときは「けす」と おくってね。\nなにを する？",
                        MENU,
                    ),
                )
            return
        client = await self._client_of(user)
        if client is None:
            await self._follow_event(user)
            return
        principal = client_principal(client)
        try:
            await self._menu_action(user, client, principal, action, values)
        except Refusal as refusal:
            quick = (
                [("まって ならぶ", pb("queue"))]
                if refusal.code
                in (
                    "no_free_line",
                    "mentor_busy",
                )
                else MENU
            )
            await self.say(user, text_message(refusal_text(refusal), quick))

    async def _menu_action(
        self,
        user: LineUser,
        client: Client,
        principal: Principal,
        action: str,
        values: dict[str, str],
    ) -> None:
        if action == "erase" and user.state == "confirm_delete":
            await self._erase(user, client)
            return
        if action == "keep":
            await self._set(user, state="ready")
            await self.say(user, text_message("けさないで おいたよ。", MENU))
            return
        if action == "talk":
            mentors = await self._mentors(client)
            quick = [(m.display_name, pb("now", m=m.id)) for m in mentors][: MAX_QUICK - 1]
            quick.append(("まって ならぶ", pb("queue")))
            await self.say(user, text_message("だれと はなす？", quick))
        elif action == "now":
            c = await do_chat_now(self.ctx, principal, mentor_id=_int(values.get("m")))
            await self._present(principal, c.id)
        elif action == "prev":
            mentor_id = await self._previous_mentor(client)
            if mentor_id is None:
                await self.say(user, text_message("まだ はなした ひとは いないよ。", MENU))
                return
            c = await do_chat_now(self.ctx, principal, mentor_id=mentor_id)
            await self._present(principal, c.id)
        elif action == "queue":
            await do_join_queue(self.ctx, principal)
            await self.say(user, text_message("ならんだよ。じゅんばんが きたら しらせるね。"))
        elif action == "book":
            await self._booking_menu(user, client)
        elif action == "bookm":
            mentors = await self._mentors(client)
            quick = [(m.display_name, pb("slots", m=m.id)) for m in mentors][:MAX_QUICK]
            await self.say(user, text_message("だれに よやく する？", quick))
        elif action == "slots":
            await self._slots_menu(user, principal, _int(values.get("m")) or 0)
        elif action == "slot":
            await do_book(
                self.ctx, principal, mentor_id=_int(values.get("m")), start=values.get("s")
            )  # the "booked" event tells the child (the way back)
        elif action == "cancel":
            await do_cancel(self.ctx, principal, consultation_id=_int(values.get("c")) or 0)
            await self.say(user, text_message("よやくを とりけしたよ。", MENU))
        elif action == "join":
            open_c = await self._open_consultation(client)
            if open_c is not None:
                await self._present(principal, open_c.id)
                await self.say(user, text_message("どうぞ。なんでも かいてね。"))
        elif action == "end":
            open_c = await self._open_consultation(client)
            if open_c is not None:
                access: Access = await check_access(self.ctx, principal, open_c.id)
                await do_end(self.ctx, principal, access)
        elif action == "help":
            lines = [contact_line(c) for c in help_contacts(self.ctx)]
            await self.say(
                user,
                text_message(
                    "こまったときは ここに でんわ できるよ。\n" + "\n".join(lines[:8]), MENU
                ),
            )
        else:
            await self.say(user, text_message("なにを する？", MENU))

    async def _booking_menu(self, user: LineUser, client: Client) -> None:
        """The client's bookings with a cancel button each (new bookings: the web page)."""
        async with self.ctx.db.read() as s:
            rows = (
                await s.execute(
                    select(Consultation, Mentor)
                    .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
                    .where(
                        col(Consultation.client_id) == client.id,
                        col(Consultation.status) == "booked",
                    )
                    .order_by(col(Consultation.starts_at))
                )
            ).all()
        new = ("あたらしく よやく", pb("bookm"))
        if not rows:
            await self.say(user, text_message("いまは よやくは ないよ。", [new, *MENU]))
            return
        tz = self.ctx.rules.tz
        lines, quick = [], [new]
        for c, m in rows:
            when = c.starts_at.astimezone(tz).strftime("%m/%d %H:%M")
            lines.append(f"{when} {m.display_name}")
            quick.append((f"とりけす {when}", pb("cancel", c=c.id)))
        await self.say(user, text_message("よやく：\n" + "\n".join(lines), [*quick, *MENU]))

    async def _slots_menu(self, user: LineUser, principal: Principal, mentor_id: int) -> None:
        """The mentor's next free slots (up to a dozen) as buttons."""
        tz = self.ctx.rules.tz
        free: list[tuple[str, str]] = []
        for day in bookable_days(self.ctx.now(), self.ctx.rules):
            _m, _d, slots, _now = await mentor_day(
                self.ctx, mentor_id=mentor_id, day=day.isoformat(), principal=principal
            )
            for slot in slots:
                if slot.free and len(free) < MAX_QUICK - 1:
                    label = slot.start.astimezone(tz).strftime("%m/%d %H:%M")
                    start = slot.start.astimezone(tz).isoformat()
                    free.append((label, pb("slot", m=mentor_id, s=start)))
            if len(free) >= MAX_QUICK - 1:
                break
        if not free:
            await self.say(user, text_message("いまは あいている じかんが ないよ。", MENU))
            return
        await self.say(user, text_message("いつに する？", [*free, ("やめる", pb("menu"))]))

    async def _previous_mentor(self, client: Client) -> int | None:
        async with self.ctx.db.read() as s:
            return (
                await s.execute(
                    select(col(Consultation.mentor_id))
                    .where(
                        col(Consultation.client_id) == client.id,
                        col(Consultation.status) == "closed",
                    )
                    .order_by(col(Consultation.closed_at).desc())
                    .limit(1)
                )
            ).scalar_one_or_none()

    async def _erase(self, user: LineUser, client: Client) -> None:
        from app.actions.privacy import erase_client

        assert client.id is not None
        self.ctx.hub.unsubscribe(self.sub, topic_client(client.id))
        await erase_client(self.ctx, client.id)  # unlinks the LINE user too
        await self._set(user, client_id=None, state="nickname", pending_nickname=None)
        await self.say(user, text_message("けしたよ。また いつでも きてね。"))

    # -- the way back ----------------------------------------------------------------------
    def _follow(self, consultation_id: int, last_seq: int) -> None:
        self.ctx.hub.subscribe(self.sub, topic_consultation(consultation_id))
        self.delivery.follow(consultation_id, last_seq)

    def _forget(self, consultation_id: int) -> None:
        self.ctx.hub.unsubscribe(self.sub, topic_consultation(consultation_id))
        self.delivery.forget(consultation_id)

    async def _load(self, consultation_id: int, after: int) -> list[dict[str, Any]]:
        return [
            message_event(self.ctx, m)
            for m in await messages_after(self.ctx, consultation_id, after)
        ]

    async def _user_of_consultation(
        self, consultation_id: int
    ) -> tuple[LineUser, Consultation] | None:
        async with self.ctx.db.read() as s:
            row = (
                await s.execute(
                    select(LineUser, Consultation)
                    .join(Consultation, col(Consultation.client_id) == LineUser.client_id)
                    .where(
                        col(Consultation.id) == consultation_id,
                        col(LineUser.unfollowed_at).is_(None),
                    )
                )
            ).first()
        return (row[0], row[1]) if row is not None else None

    async def _hub_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "queue":
            await self._queue_event(event)
            return
        cid = event.get("consultation_id")
        if not isinstance(cid, int):
            return
        if kind == "message":
            await self.delivery.message(event)
        elif kind == "message_ref" and isinstance(event.get("seq"), int):
            await self.delivery.pointer(cid, event["seq"])  # stored by another process
        elif kind == "consultation":
            await self._lifecycle(cid, event)
        elif kind == "help_card":
            found = await self._user_of_consultation(cid)
            if found is not None:
                await self._help_card(found[0], found[1])

    async def _queue_event(self, event: dict[str, Any]) -> None:
        """The waiting line ended without a chat: tell the waiting LINE child (an offer is
        told by the consultation's `opened`)."""
        state, entry_id = event.get("state"), event.get("id")
        if state not in ("expired", "closed") or not isinstance(entry_id, int):
            return
        async with self.ctx.db.read() as s:
            row = (
                await s.execute(
                    select(LineUser)
                    .join(QueueEntry, col(QueueEntry.client_id) == LineUser.client_id)
                    .where(col(QueueEntry.id) == entry_id, col(LineUser.unfollowed_at).is_(None))
                )
            ).scalar_one_or_none()
        if row is None or not await self._claim(f"out:q:{entry_id}:{state}"):
            return
        text = (
            "きょうの うけつけは おわったよ。よやくも できるよ。"
            if state == "closed"
            else "じゅんばんの じかんが すぎたよ。また ならんでね。"
        )
        await self.say(row, text_message(text, MENU))

    async def _deliver_message(self, event: dict[str, Any]) -> None:
        sender = event.get("sender") or {}
        if sender.get("role") == "client":
            return  # the child's own words came from LINE
        cid = event["consultation_id"]
        found = await self._user_of_consultation(cid)
        if found is None:
            return
        text = f"{sender.get('name', '')}：{event.get('text', '')}"
        card = event.get("card")
        if isinstance(card, dict):
            text = f"{sender.get('name', '')}：{contact_line(card)}"
        seq = event.get("seq")
        await self.send_in(found[0], cid, seq, f"m:{seq}", [text_message(text)])

    async def _help_card(self, user: LineUser, c: Consultation) -> None:
        lines = [contact_line(c) for c in help_contacts(self.ctx)]
        assert c.id is not None
        await self.send_in(
            user,
            c.id,
            None,
            f"h:{c.last_seq}",
            [
                text_message(
                    "ひとりで かかえないでね。ここにも でんわ できるよ。\n" + "\n".join(lines[:8])
                )
            ],
        )

    async def _lifecycle(self, cid: int, event: dict[str, Any]) -> None:
        found = await self._user_of_consultation(cid)
        if found is None:
            return
        user, c = found
        what = event.get("event")
        tz = self.ctx.rules.tz
        since = c.mentor_assigned_at or c.opened_at
        turn = f"{c.mentor_id}:{int(since.timestamp()) if since else 0}"
        if what == "opened":
            if not self.delivery.follows(cid):
                self._follow(cid, 0)
                await self.delivery.catch_up(cid)
            end = c.ends_at.astimezone(tz).strftime("%H:%M")
            await self.send_in(
                user,
                cid,
                None,
                "opened",
                [
                    text_message(
                        f"そうだんが はじまったよ（{end}まで）。ここに かいてね。",
                        [("はじめる", pb("join")), ("おわる", pb("end"))],
                    )
                ],
            )
        elif what == "mentor_joined":
            async with self.ctx.db.read() as s:
                mentor = await s.get(Mentor, c.mentor_id)
            name = mentor.display_name if mentor else ""
            await self.send_in(
                user, cid, None, f"joined:{turn}", [text_message(f"{name}さんが きたよ。")]
            )
        elif what == "warning":
            await self.send_in(
                user, cid, None, "warning", [text_message("あと 5ふんで おわるよ。")]
            )
        elif what in ("closed", "no_show"):
            await self.delivery.catch_up(cid)
            self._forget(cid)
            await self.send_in(
                user,
                cid,
                None,
                "closed",
                [text_message("そうだんは おわったよ。はなして くれて ありがとう。", MENU)],
            )
        elif what == "booked":
            when = c.starts_at.astimezone(tz).strftime("%m/%d %H:%M")
            if await self._claim(f"out:{cid}:booked"):
                await self.say(user, text_message(f"よやく できたよ：{when}"))
        elif what == "reassigned":
            new = event.get("mentor") or {}
            await self.send_in(
                user,
                cid,
                None,
                f"to:{turn}",
                [text_message(f"{new.get('display_name', '')}さんに かわったよ。")],
            )

    # -- sending -----------------------------------------------------------------------------
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
        await self.ctx.hub.publish(
            [topic_consultation(cid)],
            {"type": "line_undelivered", "consultation_id": cid, "seq": seq, "reason": reason},
        )
        if alert is not None:
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


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


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
