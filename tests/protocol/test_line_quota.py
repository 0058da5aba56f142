"""The LINE channel knows the month's push quota and does not push past it.

Real uvicorn, the LINE stand-in serving GET /v2/bot/message/quota and .../consumption with a
settable quota, the mentor and headquarters as real websocket clients; the clock is injected,
so the one-minute cache of the quota is moved past by the test, not waited for.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.actions import line as line_actions
from app.clock import ManualClock
from app.db.tables import Consultation, LineUndelivered
from tests.helpers import add_mentor, add_staff, bearer, staff_token
from tests.line_standin import postback_event
from tests.protocol.conftest import ws_client
from tests.protocol.helpers import supervisor_token
from tests.protocol.test_line import CHILD, become_client, line_live, post


async def test_an_exhausted_quota_is_not_pushed_past_and_is_raised(
    db_url: str, clock: ManualClock
) -> None:
    async with line_live(db_url, clock) as (live, standin):
        mentor_id = await add_mentor(live.ctx, "さくら", audience="both")
        await add_staff(live.ctx, "sakura", "mentor-pass", mentor_id=mentor_id)
        mentor_token = await staff_token(live.http, "sakura", "mentor-pass")
        boss = await supervisor_token(live)
        await become_client(live, standin)
        await post(live, postback_event(CHILD, f"a=now&m={mentor_id}"))
        await standin.wait_text("そうだんが はじまったよ")
        async with live.ctx.db.read() as s:
            cid = (await s.execute(select(Consultation.id))).scalar_one()
        async with ws_client(live, mentor_token) as mentor, ws_client(live, boss) as hq:
            await mentor.send(type="join", consultation_id=cid)
            await mentor.expect("joined")
            await standin.wait_text("さくらさんが きたよ")  # a push: no limit so far

            # the plan allows one more push this month; the cached answer is a minute old
            standin.quota = standin.quota_used + 1
            clock.set(clock.now() + timedelta(seconds=line_actions.QUOTA_CACHE_SECONDS + 1))
            asks = standin.quota_asks
            await mentor.send(type="send", consultation_id=cid, client_msg_id="m1", text="いる？")
            await mentor.expect("ack")
            assert await standin.wait_text("いる？") == "さくら：いる？"
            assert standin.quota_asks - asks == 2  # quota and consumption, asked afresh
            pushes = len([c for c in standin.calls if c.kind == "push"])

            # used up: the next message is not pushed, the mentor sees it undelivered,
            # headquarters gets the alert
            await mentor.send(type="send", consultation_id=cid, client_msg_id="m2", text="おーい")
            await mentor.expect("ack")
            notice = await mentor.expect("line_undelivered", seq=2)
            assert notice["reason"] == "quota"
            alert = (await hq.expect("alert"))["alert"]
            assert (alert["kind"], alert["consultation_id"]) == ("line_undelivered", cid)
            assert len([c for c in standin.calls if c.kind == "push"]) == pushes  # not tried
            assert standin.quota_asks - asks == 2  # within the minute: the cached count

            # a reply token does not count against the quota: the menu still answers
            await post(live, postback_event(CHILD, "a=help"))
            await standin.wait_text("でんわ")
            assert standin.calls[-1].kind == "reply"

            # the quota ran out behind the cache's back: LINE's 429 "monthly limit" is
            # taken at its word (one try, not the 429 backoff) and recorded the same way
            clock.set(clock.now() + timedelta(seconds=line_actions.QUOTA_CACHE_SECONDS + 1))
            standin.quota = standin.quota_used + 50
            await mentor.send(type="send", consultation_id=cid, client_msg_id="m3", text="1")
            await mentor.expect("ack")
            assert await standin.wait_text("さくら：1")
            standin.quota_used = standin.quota  # pushes made elsewhere (another process)
            before = len(standin.calls)
            await mentor.send(type="send", consultation_id=cid, client_msg_id="m4", text="2")
            await mentor.expect("ack")
            assert (await mentor.expect("line_undelivered", seq=4))["reason"] == "quota"
            assert [c.status for c in standin.calls[before:]] == [429]
        url = f"/api/staff/consultations/{cid}/line-undelivered"
        listed = await live.http.get(url, headers=bearer(mentor_token))
        assert listed.json()["seqs"] == [2, 4]
        async with live.ctx.db.read() as s:
            reasons = (
                (await s.execute(select(LineUndelivered.reason).order_by(LineUndelivered.id)))
                .scalars()
                .all()
            )
        assert reasons == ["quota", "quota"]
