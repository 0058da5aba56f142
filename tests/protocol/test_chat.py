"""The conversation itself: order, acknowledgements, resume, duplicates, presence, ending."""

from __future__ import annotations

from sqlalchemy import select

from app.db.tables import AuditLog, Message
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair


async def test_child_and_mentor_talk(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        await child.send(type="join", consultation_id=pair.consultation_id, last_seq=0)
        joined = await child.expect("joined")
        assert joined["consultation"]["status"] == "open" and joined["you"] == {"role": "client"}
        await mentor.send(type="join", consultation_id=pair.consultation_id)
        await mentor.expect("joined")
        presence = await child.expect("presence", state="joined")
        assert presence["role"] == "mentor"
        assert (await mentor.expect("presence", state="present"))["role"] == "client"

        await child.send(type="typing", consultation_id=pair.consultation_id)
        assert (await mentor.expect("typing"))["role"] == "client"

        await child.send(
            type="send",
            consultation_id=pair.consultation_id,
            client_msg_id="c-1",
            text="こんにちは",
        )
        ack = await child.expect("ack")
        assert (ack["seq"], ack["client_msg_id"], ack["duplicate"]) == (1, "c-1", False)
        got = await mentor.expect("message")
        assert (got["seq"], got["text"], got["sender"]["role"]) == (1, "こんにちは", "client")

        await mentor.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="m-1", text="やあ"
        )
        reply = await child.expect("message", seq=2)
        assert reply["sender"] == {"role": "mentor", "name": "さくら"}
        # The child's own message reached its socket once, as the ack (no echo of it), then
        # the reply: 1, 2 and nothing else.
        assert [f["seq"] for f in child.seen if f["type"] == "ack"] == [1]
        assert [f["seq"] for f in child.seen if f["type"] == "message"] == [2]
        # The ack came after the commit: the row is there.
    async with live.ctx.db.read() as s:
        rows = (await s.execute(select(Message).order_by(Message.seq))).scalars().all()
    assert [(m.seq, m.text) for m in rows] == [(1, "こんにちは"), (2, "やあ")]


async def test_resume_after_disconnect_gets_everything_once_in_order(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.mentor) as mentor:
        await mentor.send(type="join", consultation_id=pair.consultation_id)
        await mentor.expect("joined")
        async with ws_client(live, pair.child) as child:
            await child.send(type="join", consultation_id=pair.consultation_id)
            await child.expect("joined")
            await mentor.send(
                type="send", consultation_id=pair.consultation_id, client_msg_id="m1", text="一"
            )
            first = await child.expect("message")
            assert first["seq"] == 1
        # The tablet went to sleep: the mentor keeps writing.
        await mentor.expect("presence", state="left")  # a clean close; a drop says "reconnecting"
        for i in range(2, 6):
            await mentor.send(
                type="send",
                consultation_id=pair.consultation_id,
                client_msg_id=f"m{i}",
                text=str(i),
            )
            await mentor.expect("ack")
        async with ws_client(live, pair.child) as child:
            await child.send(type="join", consultation_id=pair.consultation_id, last_seq=1)
            await child.expect("joined")
            backlog = [await child.expect("message") for _ in range(4)]
            assert [m["seq"] for m in backlog] == [2, 3, 4, 5]
            assert [m["text"] for m in backlog] == ["2", "3", "4", "5"]
            assert [f for f in await child.quiet() if f["type"] == "message"] == []
            # a fresh device with no history gets the whole conversation
        async with ws_client(live, pair.child) as fresh:
            await fresh.send(type="join", consultation_id=pair.consultation_id)
            await fresh.expect("joined")
            everything = [await fresh.expect("message") for _ in range(5)]
            assert [m["seq"] for m in everything] == [1, 2, 3, 4, 5]


async def test_duplicate_client_msg_id_is_stored_once(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        for c in (child, mentor):
            await c.send(type="join", consultation_id=pair.consultation_id)
            await c.expect("joined")
        for _ in range(3):
            await child.send(
                type="send", consultation_id=pair.consultation_id, client_msg_id="same", text="hi"
            )
        acks = [await child.expect("ack") for _ in range(3)]
        assert [(a["seq"], a["duplicate"]) for a in acks] == [(1, False), (1, True), (1, True)]
        await mentor.expect("message", seq=1)
        assert [f for f in await mentor.quiet() if f["type"] == "message"] == []
        # the mentor may use the same id for its own message: ids are per sender
        await mentor.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="same", text="hello"
        )
        assert (await mentor.expect("ack"))["seq"] == 2
    async with live.ctx.db.read() as s:
        assert len((await s.execute(select(Message))).scalars().all()) == 2


async def test_ending_closes_for_both_and_makes_it_read_only(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        for c in (child, mentor):
            await c.send(type="join", consultation_id=pair.consultation_id)
            await c.expect("joined")
        await mentor.send(type="end", consultation_id=pair.consultation_id)
        closed = await child.expect("consultation", event="closed")
        assert closed["status"] == "closed" and closed["reason"] == "ended_by_mentor"
        await mentor.expect("consultation", event="closed")
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="late", text="まって"
        )
        error = await child.expect("error")
        assert error["code"] == "consultation_closed" and error["ref"] == "late"
        assert error["message"]["ja"] and error["message"]["en"]
        await child.send(type="end", consultation_id=pair.consultation_id)
        assert (await child.expect("error"))["code"] == "consultation_closed"
    use = (await live.http.get(f"/api/mentors/{pair.mentor_id}/availability")).json()
    assert use["chat_now"]["possible"] is True  # the mentor and the line are free again


async def test_mentor_console_hears_about_new_walk_ins(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.mentor) as mentor:
        await mentor.send(type="join", consultation_id=pair.consultation_id)
        await mentor.expect("joined")
        await mentor.send(type="end", consultation_id=pair.consultation_id)
        await mentor.expect("consultation", event="closed")
    audits = []
    async with live.ctx.db.read() as s:
        audits = [(a.actor_role, a.action) for a in (await s.execute(select(AuditLog))).scalars()]
    assert ("mentor", "mentor_join") in audits


async def test_own_message_goes_to_the_senders_other_sockets_only(live: Live) -> None:
    """The sending socket has its message by the ack; the same person's other socket (a
    second tab, another device) and the other side receive the message itself."""
    pair = await chat_pair(live)
    cid = pair.consultation_id
    async with (
        ws_client(live, pair.child) as tab1,
        ws_client(live, pair.child) as tab2,
        ws_client(live, pair.mentor) as mentor,
    ):
        for side in (tab1, tab2, mentor):
            await side.send(type="join", consultation_id=cid)
            await side.expect("joined")
        await tab1.send(type="send", consultation_id=cid, client_msg_id="t-1", text="ひとつめ")
        assert (await tab1.expect("ack"))["seq"] == 1
        other = await tab2.expect("message", seq=1)
        assert (other["client_msg_id"], other["text"]) == ("t-1", "ひとつめ")
        assert (await mentor.expect("message", seq=1))["text"] == "ひとつめ"
        await mentor.send(type="send", consultation_id=cid, client_msg_id="m-1", text="ふたつめ")
        assert (await tab1.expect("message", seq=2))["text"] == "ふたつめ"
        await tab1.send(type="ping")
        await tab1.expect("pong")  # every frame before it was answered
        assert [f["seq"] for f in tab1.seen if f["type"] == "message"] == [2]
        # A resend of the same id: the original seq, still no copy to the sending socket.
        await tab1.send(type="send", consultation_id=cid, client_msg_id="t-1", text="ひとつめ")
        assert ((ack := await tab1.expect("ack"))["seq"], ack["duplicate"]) == (1, True)
        await tab1.send(type="ping")
        await tab1.expect("pong")
        assert [f["seq"] for f in tab1.seen if f["type"] == "message"] == [2]
    # Reconnected, the transcript replays every message, its own included.
    async with ws_client(live, pair.child) as again:
        await again.send(type="join", consultation_id=cid, last_seq=0)
        await again.expect("joined")
        await again.expect("message", seq=2)
        assert [f["seq"] for f in again.seen if f["type"] == "message"] == [1, 2]
