"""The LINE channel against a real uvicorn and a local stand-in for the LINE API.

Webhook requests are signed (or not) like LINE signs them; what the child's LINE receives is
what the stand-in recorded. The mentor is a real websocket client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from app.actions import line as line_actions
from app.actions.lifecycle import sweep
from app.actions.privacy import purge_expired
from app.actions.queue import sweep_queue
from app.clock import ManualClock
from app.db.tables import (
    Consultation,
    CrisisAlert,
    LineEvent,
    LineUndelivered,
    LineUser,
    Message,
    QueueEntry,
)
from tests.conftest import make_settings
from tests.helpers import add_mentor, add_staff, bearer, staff_token
from tests.line_standin import (
    SECRET,
    TOKEN,
    StandIn,
    event,
    line_standin,
    postback_event,
    sign,
    sticker_event,
    text_event,
    webhook_body,
)
from tests.protocol.conftest import Live, live_server, ws_client
from tests.protocol.helpers import chat_pair, supervisor_token
from tests.servers import running_server

CHILD = "U" + "1" * 32
JST = ZoneInfo("Asia/Tokyo")


@asynccontextmanager
async def line_live(db_url: str, clock: ManualClock) -> AsyncIterator[tuple[Live, StandIn]]:
    async with line_standin() as standin:
        settings = make_settings(
            db_url,
            line_channel_secret=SECRET,
            line_channel_access_token=TOKEN,
            line_api_base=standin.base,
        )
        async with live_server(settings, clock) as live:
            yield live, standin


async def post(
    live: Live, *events: dict[str, object], signature: str | None = "ok"
) -> httpx.Response:
    body = webhook_body(*events)
    headers = {"Content-Type": "application/json"}
    if signature == "ok":
        headers["X-Line-Signature"] = sign(body)
    elif signature is not None:
        headers["X-Line-Signature"] = signature
    return await live.http.post("/line/webhook", content=body, headers=headers)


async def count(live: Live, table: type) -> int:
    async with live.ctx.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(table))).scalar_one())


async def become_client(
    live: Live, standin: StandIn, user: str = CHILD, name: str = "ひよこ"
) -> None:
    """Follow, give a nickname, answer "child": an anonymous client linked to the LINE user."""
    assert (await post(live, event("follow", user))).status_code == 200
    await standin.wait_text("ニックネーム")
    assert (await post(live, text_event(user, name))).status_code == 200
    await standin.wait_text("こども？")
    assert (await post(live, postback_event(user, "a=aud&v=child"))).status_code == 200
    await standin.wait_text("なにを する？")


async def test_the_signature_is_checked_before_anything_and_a_bad_one_changes_nothing(
    db_url: str, clock: ManualClock
) -> None:
    async with line_live(db_url, clock) as (live, standin):
        follow = event("follow", CHILD)
        assert (await post(live, follow, signature=None)).status_code == 401
        wrong = sign(webhook_body(follow), "another-secret")
        r = await post(live, follow, signature=wrong)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "bad_signature"
        assert (await post(live, follow, signature="not base64 at all")).status_code == 401
        # a signed body that is not LINE's JSON: refused without a 500
        body = b"{not json"
        r = await live.http.post(
            "/line/webhook", content=body, headers={"X-Line-Signature": sign(body)}
        )
        assert r.status_code == 400
        assert await count(live, LineEvent) == 0
        assert await count(live, LineUser) == 0
        assert standin.calls == []

        # correctly signed: acknowledged at once, answered by reply token
        assert (await post(live, follow)).status_code == 200
        await standin.wait_text("ニックネーム")
        assert standin.calls[0].kind == "reply"
        assert standin.calls[0].body["replyToken"] == follow["replyToken"]
        assert standin.refused == 0  # the bearer token was the channel's


async def test_a_redelivered_event_is_applied_once_and_unknown_events_are_ignored(
    db_url: str, clock: ManualClock
) -> None:
    async with line_live(db_url, clock) as (live, standin):
        await become_client(live, standin)
        before = len(standin.calls)
        menu = postback_event(CHILD, "a=help")
        assert (await post(live, menu)).status_code == 200
        redelivery = {**menu, "deliveryContext": {"isRedelivery": True}}
        assert (await post(live, redelivery)).status_code == 200
        odd = event("beacon", CHILD, beacon={"hwid": "d41d8cd98f", "type": "enter"})
        group = {
            **text_event(CHILD, "やあ"),
            "source": {"type": "group", "groupId": "C" + "2" * 32},
        }
        assert (await post(live, odd, group)).status_code == 200
        # odd shapes of known events: ignored or answered, never a crash of the worker
        hostile = [
            {**event("follow", CHILD), "source": "U1"},
            {**text_event(CHILD, "x"), "message": ["not", "an", "object"]},
            {**postback_event(CHILD, "a=help"), "postback": {"data": 7}},
            {**event("follow", CHILD), "webhookEventId": "x" * 65},
            {**event("follow", CHILD), "source": {"type": "user", "userId": "U" * 80}},
        ]
        assert (await post(live, *hostile)).status_code == 200
        await standin.wait_text("でんわ")
        # a sticker gets the kind answer and nothing is stored
        assert (await post(live, sticker_event(CHILD))).status_code == 200
        await standin.wait_for(lambda s: sum("もじで" in t for t in s.texts()) == 2)
        # help once (the redelivery skipped), "もじで" for the list-shaped message and the
        # sticker, the menu for the postback without data; nothing for the rest
        assert len(standin.calls) == before + 4
        assert len([t for t in standin.texts() if "でんわ" in t]) == 1
        async with live.ctx.db.read() as s:
            user = (await s.execute(select(LineUser))).scalar_one()
        assert user.client_id is not None and user.line_user_id == CHILD
        assert await count(live, Message) == 0


async def test_a_line_child_and_a_web_mentor_talk(db_url: str, clock: ManualClock) -> None:
    async with line_live(db_url, clock) as (live, standin):
        mentor_id = await add_mentor(live.ctx, "さくら", audience="both")
        await add_staff(live.ctx, "sakura", "mentor-pass", mentor_id=mentor_id)
        mentor_token = await staff_token(live.http, "sakura", "mentor-pass")
        boss = await supervisor_token(live)
        await become_client(live, standin)
        await post(live, postback_event(CHILD, "a=talk"))
        await standin.wait_text("だれと はなす？")
        talk = next(c for c in standin.calls if "だれと はなす？" in c.texts()[0])
        labels = [i["action"]["label"] for i in talk.body["messages"][0]["quickReply"]["items"]]
        assert "さくら" in labels
        await post(live, postback_event(CHILD, f"a=now&m={mentor_id}"))
        await standin.wait_text("そうだんが はじまったよ")
        async with live.ctx.db.read() as s:
            c = (await s.execute(select(Consultation))).scalar_one()
        assert c.channel == "line" and c.status == "open"
        assert c.client_joined_at is not None  # here: choosing to talk is joining
        # the mentor's console: the same consultation, marked LINE
        listed = await live.http.get("/api/staff/consultations", headers=bearer(mentor_token))
        assert [x["channel"] for x in listed.json()["consultations"]] == ["line"]

        async with ws_client(live, mentor_token) as mentor, ws_client(live, boss) as hq:
            await mentor.send(type="join", consultation_id=c.id)
            await mentor.expect("joined")
            await standin.wait_text("さくらさんが きたよ")
            # the child's LINE text goes in through the same path as web messages
            said = text_event(CHILD, "きょう がっこうで いやな ことが あったの")
            await post(live, said)
            got = await mentor.expect("message", seq=1)
            assert got["sender"]["role"] == "client"
            assert got["client_msg_id"] == f"line:{said['message']['id']}"
            await post(live, {**said, "deliveryContext": {"isRedelivery": True}})
            # the mentor answers from the web console; the child's LINE gets it
            await mentor.send(
                type="send", consultation_id=c.id, client_msg_id="m1", text="きかせてね"
            )
            await mentor.expect("ack")
            assert await standin.wait_text("きかせてね") == "さくら：きかせてね"
            # a crisis word raises headquarters' alert and sends the child a help card
            await post(live, text_event(CHILD, "もう しにたい"))
            alert = (await hq.expect("alert"))["alert"]
            assert (alert["kind"], alert["consultation_id"]) == ("crisis", c.id)
            await standin.wait_text("ひとりで かかえないでね")
            # the 5-minute warning and the close reach LINE too
            clock.set(c.ends_at - timedelta(minutes=4))
            await sweep(live.ctx)
            await standin.wait_text("あと 5ふんで おわるよ")
            clock.set(c.ends_at)
            await sweep(live.ctx)
            await standin.wait_text("そうだんは おわったよ")
        async with live.ctx.db.read() as s:
            seqs = (
                await s.execute(select(Message.seq, Message.sender_role).order_by(Message.seq))
            ).all()
        assert seqs == [(1, "client"), (2, "mentor"), (3, "client")]  # redelivery stored once
        mentor_texts = [t for t in standin.texts() if t.startswith("さくら：")]
        assert mentor_texts == ["さくら：きかせてね"]  # exactly once


async def test_a_429_storm_is_retried_then_raised_to_headquarters(
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
            await standin.wait_text("さくらさんが きたよ")
            before = len(standin.calls)
            standin.always = 429
            await mentor.send(type="send", consultation_id=cid, client_msg_id="m1", text="いる？")
            await mentor.expect("ack")
            alert = (await hq.expect("alert", timeout=15))["alert"]
            assert (alert["kind"], alert["consultation_id"]) == ("line_undelivered", cid)
            notice = await mentor.expect("line_undelivered")
            assert (notice["seq"], notice["reason"]) == (1, "rate_limited")
            tries = standin.calls[before:]
            assert len(tries) == line_actions.SEND_TRIES  # bounded
            assert {c.kind for c in tries} == {"push"}
            assert len({c.retry_key for c in tries}) == 1  # one retry key: LINE sends once
            # a message LINE refuses (400) is not retried and shows as not delivered
            standin.always = None
            standin.next_statuses = [400]
            await mentor.send(type="send", consultation_id=cid, client_msg_id="m2", text="おーい")
            await mentor.expect("ack")
            refused = await mentor.expect("line_undelivered", seq=2)
            assert refused["reason"] == "refused"
        url = f"/api/staff/consultations/{cid}/line-undelivered"
        listed = await live.http.get(url, headers=bearer(mentor_token))
        assert listed.json() == {"consultation_id": cid, "seqs": [1, 2]}
        assert (await live.http.get(url, headers=bearer(boss))).json()["seqs"] == [1, 2]
        other = await add_mentor(live.ctx, "みどり", audience="both")
        await add_staff(live.ctx, "midori", "mentor-pass", mentor_id=other)
        midori = await staff_token(live.http, "midori", "mentor-pass")
        assert (await live.http.get(url, headers=bearer(midori))).status_code == 404
        assert (await live.http.get(url)).status_code == 401
        async with live.ctx.db.read() as s:
            rows = (await s.execute(select(LineUndelivered).order_by(LineUndelivered.id))).scalars()
            assert [(r.message_seq, r.reason) for r in rows] == [
                (1, "rate_limited"),
                (2, "refused"),
            ]
            alerts = (await s.execute(select(CrisisAlert))).scalars().all()
            assert [a.kind for a in alerts] == ["line_undelivered"]


async def test_kesu_erases_the_account_and_unfollow_ends_the_link(
    db_url: str, clock: ManualClock
) -> None:
    async with line_live(db_url, clock) as (live, standin):
        await become_client(live, standin)
        await post(live, text_event(CHILD, "けす"))
        await standin.wait_text("ほんとうに けす？")
        await post(live, postback_event(CHILD, "a=erase"))
        await standin.wait_text("けしたよ")
        async with live.ctx.db.read() as s:
            user = (await s.execute(select(LineUser))).scalar_one()
            assert user.client_id is None
        await post(live, event("unfollow", CHILD))
        # the worker applies events in order: a later follow sees the unfollow applied
        await post(live, event("follow", CHILD))
        await standin.wait_for(lambda s: len([t for t in s.texts() if "ニックネーム" in t]) == 2)
        async with live.ctx.db.read() as s:
            user = (await s.execute(select(LineUser))).scalar_one()
        assert (user.unfollowed_at, user.client_id, user.state) == (None, None, "nickname")


async def test_the_channel_is_off_without_its_settings(live: Live) -> None:
    body = webhook_body(event("follow", CHILD))
    r = await live.http.post(
        "/line/webhook", content=body, headers={"X-Line-Signature": sign(body)}
    )
    assert r.status_code == 404


def test_the_served_app_reads_its_line_settings_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """scripts/serve.py as `make run` starts it: the webhook is on with both settings and
    checks signatures (the stand-in is not needed: a bad signature stops before any call)."""
    with running_server(
        tmp_path,
        YORISOI_LINE_CHANNEL_SECRET=SECRET,
        YORISOI_LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        YORISOI_LINE_API_BASE="http://127.0.0.1:9",
    ) as (base, _log):
        body = webhook_body(event("unfollow", CHILD))
        bad = httpx.post(f"{base}/line/webhook", content=body, headers={"X-Line-Signature": "x"})
        assert bad.status_code == 401
        good = httpx.post(
            f"{base}/line/webhook", content=body, headers={"X-Line-Signature": sign(body)}
        )
        assert good.status_code == 200


async def test_booking_and_cancelling_by_postback(db_url: str, clock: ManualClock) -> None:
    async with line_live(db_url, clock) as (live, standin):
        mentor_id = await add_mentor(live.ctx, "さくら", audience="both")
        await become_client(live, standin)
        await post(live, postback_event(CHILD, "a=book"))
        await standin.wait_text("いまは よやくは ないよ")
        await post(live, postback_event(CHILD, f"a=slots&m={mentor_id}"))
        await standin.wait_text("いつに する？")
        offer = next(c for c in standin.calls if c.texts() == ["いつに する？"])
        items = offer.body["messages"][0]["quickReply"]["items"]
        first = items[0]["action"]
        assert first["type"] == "postback" and first["data"].startswith("a=slot&")
        await post(live, postback_event(CHILD, first["data"]))
        booked = await standin.wait_text("よやく できたよ")
        assert first["label"] in booked
        async with live.ctx.db.read() as s:
            c = (await s.execute(select(Consultation))).scalar_one()
        assert (c.status, c.channel, c.mentor_id) == ("booked", "line", mentor_id)
        await post(live, postback_event(CHILD, "a=book"))
        await standin.wait_text("よやく：")
        await post(live, postback_event(CHILD, f"a=cancel&c={c.id}"))
        await standin.wait_text("よやくを とりけしたよ")
        async with live.ctx.db.read() as s:
            assert (await s.get(Consultation, c.id, populate_existing=True)).status == "cancelled"
        # someone else's booking id: refused like the web refuses it, in child words
        await post(live, postback_event(CHILD, "a=cancel&c=999"))
        await standin.wait_text("みつからなかったよ")


async def test_retention_deletes_an_ended_link_and_old_event_ids(
    db_url: str, clock: ManualClock
) -> None:
    async with line_live(db_url, clock) as (live, standin):
        await become_client(live, standin)
        await post(live, event("unfollow", CHILD))
        await post(live, event("follow", "U" + "3" * 32))  # applied after the unfollow
        await standin.wait_text("ニックネーム")
        await standin.wait_for(lambda s: len([t for t in s.texts() if "ニックネーム" in t]) == 2)
        assert await count(live, LineUser) == 2
        clock.set(clock.now() + timedelta(days=live.ctx.settings.retention_days + 1))
        await purge_expired(live.ctx)
        async with live.ctx.db.read() as s:
            left = (await s.execute(select(LineUser.line_user_id))).scalars().all()
        assert left == ["U" + "3" * 32]  # the one still following stays
        assert await count(live, LineEvent) == 0


async def test_the_waiting_line_from_line(db_url: str, clock: ManualClock) -> None:
    """The one line is taken: the LINE child waits, is offered the freed line, and taps
    はじめる (joining, so the offer is served, not expired)."""
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
            other = await add_mentor(live.ctx, "みどり", audience="both")
            await become_client(live, standin)
            await post(live, postback_event(CHILD, f"a=now&m={other}"))
            full = next(
                c for c in await _calls_after(standin, "まって ならぶ") if c.body["messages"]
            )
            items = full.body["messages"][0]["quickReply"]["items"]
            assert items[0]["action"]["data"] == "a=queue"
            await post(live, postback_event(CHILD, "a=queue"))
            await standin.wait_text("ならんだよ")
            async with ws_client(live, pair.child) as child:  # the web child ends the chat
                await child.send(type="join", consultation_id=pair.consultation_id)
                await child.expect("joined")
                await child.send(type="end", consultation_id=pair.consultation_id)
                await child.expect("consultation", event="closed")
            await standin.wait_text("そうだんが はじまったよ")
            await post(live, postback_event(CHILD, "a=join"))
            await standin.wait_text("どうぞ。なんでも かいてね")
            await sweep_queue(live.ctx)
            async with live.ctx.db.read() as s:
                entry = (await s.execute(select(QueueEntry))).scalar_one()
                c = await s.get(Consultation, entry.consultation_id)
            assert entry.state == "served"
            assert c is not None and c.channel == "line"
            assert c.mentor_id in (pair.mentor_id, other)  # waiting for anyone


async def _calls_after(standin: StandIn, label: str) -> list:  # type: ignore[type-arg]
    def offered(s: StandIn) -> bool:
        return any(
            i["action"]["label"] == label
            for c in s.delivered()
            for m in c.body["messages"]
            for i in m.get("quickReply", {}).get("items", [])
        )

    await standin.wait_for(offered)
    return [
        c
        for c in standin.delivered()
        if any(
            i["action"]["label"] == label
            for m in c.body["messages"]
            for i in m.get("quickReply", {}).get("items", [])
        )
    ]


async def test_a_waiting_line_closed_at_the_cutoff_is_told_on_line(
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
            await chat_pair(live)  # a web child holds the only line
            await become_client(live, standin)
            await post(live, postback_event(CHILD, "a=queue"))
            await standin.wait_text("ならんだよ")
            clock.set(datetime(2026, 12, 1, 21, 31, tzinfo=JST))  # past the last start
            await sweep_queue(live.ctx)
            await standin.wait_text("きょうの うけつけは おわったよ")
            await sweep_queue(live.ctx)
            assert sum("うけつけは おわった" in t for t in standin.texts()) == 1
