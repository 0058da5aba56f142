"""A LINE client who unfollows (blocks the account) leaves nothing hanging.

Real uvicorn, the LINE stand-in, the mentor and headquarters as real websocket clients.
"""

from __future__ import annotations

from sqlalchemy import select

from app.actions.line import LineChannel
from app.clock import ManualClock
from app.db.tables import AuditLog, Consultation, LineHold, LineUser, QueueEntry
from app.rules.capacity import current_tick
from tests.conftest import make_settings
from tests.helpers import add_mentor, add_staff, staff_token
from tests.line_standin import SECRET, TOKEN, event, line_standin, postback_event, text_event
from tests.protocol.conftest import Live, live_server, ws_client
from tests.protocol.helpers import chat_pair, supervisor_token
from tests.protocol.test_line import CHILD, become_client, line_live, post


def channel(live: Live) -> LineChannel:
    line = live.server.config.app.state.line
    assert isinstance(line, LineChannel)
    return line


async def test_unfollow_mid_chat_ends_the_chat_cancels_bookings_and_stops_sending(
    db_url: str, clock: ManualClock
) -> None:
    async with line_live(db_url, clock) as (live, standin):
        sakura = await add_mentor(live.ctx, "さくら", audience="both")
        midori = await add_mentor(live.ctx, "みどり", audience="both")
        await add_staff(live.ctx, "sakura", "mentor-pass", mentor_id=sakura)
        mentor_token = await staff_token(live.http, "sakura", "mentor-pass")
        boss = await supervisor_token(live)
        await become_client(live, standin)
        # a reservation with みどり, later today
        await post(live, postback_event(CHILD, f"a=slots&m={midori}"))
        await standin.wait_text("いつに する？")
        offer = next(c for c in standin.calls if c.texts() == ["いつに する？"])
        later = offer.body["messages"][0]["quickReply"]["items"][-2]["action"]["data"]
        await post(live, postback_event(CHILD, later))
        await standin.wait_text("よやく できたよ")
        # and a chat with さくら now
        await post(live, postback_event(CHILD, f"a=now&m={sakura}"))
        await standin.wait_text("そうだんが はじまったよ")
        async with live.ctx.db.read() as s:
            rows = (await s.execute(select(Consultation).order_by(Consultation.id))).scalars()
            booked, chat = list(rows)
        assert (booked.status, chat.status) == ("booked", "open")

        async with ws_client(live, mentor_token) as mentor, ws_client(live, boss) as hq:
            await mentor.send(type="join", consultation_id=chat.id)
            await mentor.expect("joined")
            # the child is told the mentor came (a push of its own, on its way meanwhile)
            await standin.wait_text("さくらさんが きたよ")
            await post(live, text_event(CHILD, "あのね"))
            await mentor.expect("message", seq=1)
            sent_before = len(standin.calls)

            await post(live, event("unfollow", CHILD))
            # the mentor is told in the chat why it ended; headquarters sees both end
            closed = await mentor.expect("consultation", event="closed")
            assert (closed["consultation_id"], closed["reason"]) == (chat.id, "line_unfollowed")
            cancelled = await hq.expect("consultation", event="cancelled")
            assert (cancelled["consultation_id"], cancelled["reason"]) == (
                booked.id,
                "line_unfollowed",
            )
            await channel(live)._drained()
            # the mentor can no longer write into it
            await mentor.send(type="send", consultation_id=chat.id, client_msg_id="m1", text="?")
            assert (await mentor.expect("error"))["code"] == "consultation_closed"

        # nothing more went to the LINE user: no closing notice, no menu
        assert len(standin.calls) == sent_before
        async with live.ctx.db.read() as s:
            got = {
                c.id: (c.status, c.close_reason)
                for c in (await s.execute(select(Consultation))).scalars()
            }
            assert got == {
                booked.id: ("cancelled", "line_unfollowed"),
                chat.id: ("closed", "line_unfollowed"),
            }
            holds = (
                await s.execute(select(LineHold).where(LineHold.tick >= current_tick(clock.now())))
            ).all()
            assert holds == []  # the line, the mentors and the slot are free again
            audited = (
                await s.execute(
                    select(AuditLog.consultation_id, AuditLog.actor_role).where(
                        AuditLog.action == "line_unfollowed"
                    )
                )
            ).all()
            assert sorted(audited) == sorted([(chat.id, "system"), (booked.id, "system")])
            user = (await s.execute(select(LineUser))).scalar_one()
            assert user.unfollowed_at is not None


async def test_unfollow_while_waiting_leaves_the_waiting_line(
    db_url: str, clock: ManualClock
) -> None:
    async with line_standin() as standin:
        settings = make_settings(
            db_url,
            lines=1,
            line_channel_secret=SECRET,
            line_channel_access_token=TOKEN,
            line_api_base=standin.base,
        )
        async with live_server(settings, clock) as live:
            pair = await chat_pair(live)  # a web child holds the only line
            await become_client(live, standin)
            await post(live, postback_event(CHILD, "a=queue"))
            await standin.wait_text("ならんだよ")
            boss = await supervisor_token(live)
            async with ws_client(live, boss) as hq:
                await post(live, event("unfollow", CHILD))
                await channel(live)._drained()
                async with live.ctx.db.read() as s:
                    entry = (await s.execute(select(QueueEntry))).scalar_one()
                assert entry.state == "left"
                # headquarters' board counts nobody waiting any more
                assert (await hq.expect("queue_changed"))["waiting"] == 0
            # the web chat holding the line is untouched
            async with live.ctx.db.read() as s:
                c = await s.get(Consultation, pair.consultation_id)
            assert c is not None and c.status == "open"
