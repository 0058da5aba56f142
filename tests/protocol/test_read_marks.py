"""Read marks over a real socket: "read" reaches the writer, only forward, survives a
reconnect, and a foreign or supervisor's mark changes nothing (docs/protocol.md, Read marks)."""

from __future__ import annotations

from app.db.tables import Consultation
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair, join_all, supervisor_token


async def stored_marks(live: Live, cid: int) -> tuple[int, int]:
    async with live.ctx.db.read() as s:
        c = await s.get(Consultation, cid)
    assert c is not None
    return c.client_read_seq, c.mentor_read_seq


async def test_the_mentor_reading_reaches_the_child_and_survives_a_reconnect(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        await join_all(cid, child, mentor)
        first = next(f for f in child.seen if f["type"] == "joined")
        assert first["consultation"]["read"] == {"client": 0, "mentor": 0}
        await child.send(type="send", consultation_id=cid, client_msg_id="c-1", text="きいて")
        await child.expect("ack")
        await mentor.expect("message", seq=1)

        await mentor.send(type="read", consultation_id=cid, seq=1)
        told = await child.expect("read")
        assert told == {"type": "read", "consultation_id": cid, "by": "mentor", "seq": 1}
        # The same mark again is nothing new: no write, no event. Then a real step forward.
        await mentor.send(type="read", consultation_id=cid, seq=1)
        await mentor.send(type="send", consultation_id=cid, client_msg_id="m-1", text="うん")
        await child.expect("message", seq=2)
        await child.send(type="read", consultation_id=cid, seq=2)
        assert (await mentor.expect("read", by="client"))["seq"] == 2
        await child.send(type="send", consultation_id=cid, client_msg_id="c-2", text="あのね")
        await mentor.expect("message", seq=3)
        await mentor.send(type="read", consultation_id=cid, seq=3)
        await child.expect("read", by="mentor", seq=3)
        mentor_marks = [f["seq"] for f in child.seen if f["type"] == "read" and f["by"] == "mentor"]
        assert mentor_marks == [1, 3]

        # Past the transcript: refused, and the socket stays open.
        await mentor.send(type="read", consultation_id=cid, seq=4)
        refused = await mentor.expect("error")
        assert (refused["code"], refused["field"], refused["ref"]) == (
            "invalid_input",
            "seq",
            "read",
        )
        assert refused["consultation_id"] == cid
        await mentor.send(type="ping")
        await mentor.expect("pong")
    assert await stored_marks(live, cid) == (2, 3)

    # The tablet slept: a new socket learns both marks from `joined`.
    async with ws_client(live, pair.child) as child:
        await child.send(type="join", consultation_id=cid, last_seq=3)
        again = await child.expect("joined")
        assert again["consultation"]["read"] == {"client": 2, "mentor": 3}
    async with ws_client(live, pair.mentor) as mentor:
        await mentor.send(type="join", consultation_id=cid, last_seq=3)
        assert (await mentor.expect("joined"))["consultation"]["read"] == {"client": 2, "mentor": 3}


async def test_a_foreign_or_supervisors_read_changes_nothing(live: Live) -> None:
    ours = await chat_pair(live, "うさぎ", "さくら")
    theirs = await chat_pair(live, "きつね", "ひまわり")
    boss = await supervisor_token(live)
    async with (
        ws_client(live, ours.child) as child,
        ws_client(live, theirs.child) as other,
        ws_client(live, boss) as hq,
    ):
        await join_all(theirs.consultation_id, other)
        await other.send(
            type="send", consultation_id=theirs.consultation_id, client_msg_id="o-1", text="ひみつ"
        )
        await other.expect("ack")

        # Someone else's consultation: not joined, and joining it is not_found.
        await child.send(type="read", consultation_id=theirs.consultation_id, seq=1)
        assert (await child.expect("error"))["code"] == "not_joined"
        await child.send(type="join", consultation_id=theirs.consultation_id)
        assert (await child.expect("error", ref="join"))["code"] == "not_found"
        await child.send(type="read", consultation_id=theirs.consultation_id, seq=1)
        assert (await child.expect("error", ref="read"))["code"] == "not_joined"

        # Headquarters in a group talk reads without marking.
        await hq.send(type="join", consultation_id=theirs.consultation_id, reason="見守り")
        await hq.expect("joined")
        await hq.send(type="read", consultation_id=theirs.consultation_id, seq=1)
        assert (await hq.expect("error", ref="read"))["code"] == "not_allowed"

        await other.send(type="ping")
        await other.expect("pong")
        assert [f for f in other.seen if f["type"] == "read"] == []
    assert await stored_marks(live, theirs.consultation_id) == (0, 0)
