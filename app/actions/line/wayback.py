"""The way back: events from the realtime hub for linked LINE clients (their consultations'
messages, passed through realtime.delivery.Delivery so each goes once and in seq order;
openings, the mentor's arrival, the 5-minute warning, closings, help cards, the waiting
line's end) become LINE messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from app.actions.chat import messages_after
from app.actions.events import message_event
from app.actions.line.messages import MENU, contact_line, pb, text_message
from app.actions.line.sending import Sender
from app.actions.safety import help_contacts
from app.db.tables import Consultation, LineUser, Mentor, QueueEntry
from app.realtime.hub import topic_consultation


class WayBack(Sender):
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
