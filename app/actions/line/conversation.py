"""The conversation in LINE: a new LINE user's first dialogue (nickname, child or parent)
that makes them an anonymous client, the quick-reply menu and its postbacks (the same
actions as the web pages: booking.py, queue.py, chat.py), the child's text into their open
consultation through chat.do_send, "けす", and an unfollow that leaves nothing hanging."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions.accounts import check_nickname, nickname_key
from app.actions.booking import do_book, do_cancel, do_chat_now
from app.actions.catalog import mentor_day
from app.actions.chat import Access, check_access, close_consultation, do_end, do_join, do_send
from app.actions.context import Principal
from app.actions.line.messages import (
    MAX_QUICK,
    MENU,
    NOT_TEXT,
    client_principal,
    contact_line,
    pb,
    refusal_text,
    text_message,
)
from app.actions.line.wayback import WayBack
from app.actions.queue import do_join_queue, do_leave_queue
from app.actions.safety import help_contacts
from app.db.tables import AuditLog, Client, Consultation, LineUser, Mentor
from app.errors import Refusal
from app.realtime.hub import topic_client
from app.rules.hours import bookable_days

UNFOLLOWED = "line_unfollowed"  # the close / cancel reason when a LINE client blocks us


class Conversation(WayBack):
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


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
