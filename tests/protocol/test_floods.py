"""Floods and hostile frames: every frame spends from its socket's budget, typing and join
replays are bounded, and bad JSON is an error frame on a socket that stays open."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed

from app.clock import ManualClock
from app.db.tables import Message
from app.web.ws import CLOSE_FLOODING, JOINS_PER_MINUTE
from tests.conftest import make_settings
from tests.protocol.conftest import Live, Ws, live_server, ws_client
from tests.protocol.helpers import chat_pair, join_all, supervisor_token


async def _until_closed(ws: Ws) -> tuple[list[dict[str, Any]], int | None]:
    """Everything the socket still delivers, and the close code it ends with."""
    frames: list[dict[str, Any]] = []
    try:
        while True:
            frames.append(await ws.next())
    except ConnectionClosed as exc:
        return frames, exc.rcvd.code if exc.rcvd else None


async def _until_pong(ws: Ws) -> list[dict[str, Any]]:
    await ws.send(type="ping")
    frames: list[dict[str, Any]] = []
    while (frame := await ws.next())["type"] != "pong":
        frames.append(frame)
    return frames


async def test_a_typing_flood_never_reaches_the_others(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    boss_token = await supervisor_token(live)
    async with (
        ws_client(live, pair.mentor) as mentor,
        ws_client(live, boss_token) as boss,
        ws_client(live, pair.child) as child,
    ):
        await join_all(cid, mentor, child)
        await boss.send(type="join", consultation_id=cid, reason="見守り")
        await boss.expect("joined")
        await mentor.expect("presence", state="joined", role="supervisor")
        typing = json.dumps({"type": "typing", "consultation_id": cid})
        with contextlib.suppress(ConnectionClosed):  # the server may close it mid-flood
            for _ in range(2000):
                await child.conn.send(typing)
        frames, code = await _until_closed(child)
        assert code == CLOSE_FLOODING
        limited = [f for f in frames if f.get("code") == "rate_limited"]
        assert len(limited) == 1 and limited[0]["ref"] is None  # told once, not per frame
        for side in (mentor, boss):  # still connected, and shown "typing" only once
            seen = await _until_pong(side)
            assert len([f for f in seen if f["type"] == "typing"]) <= 2
        await mentor.send(
            type="send", consultation_id=cid, client_msg_id="m1", text="だいじょうぶ?"
        )
        assert (await mentor.expect("ack"))["seq"] == 1


async def test_typing_is_forwarded_at_most_once_a_second(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    clock: ManualClock = live.ctx.clock  # type: ignore[assignment]
    async with ws_client(live, pair.mentor) as mentor, ws_client(live, pair.child) as child:
        await join_all(cid, mentor, child)
        sent: list[dict[str, Any]] = []  # what the child hears back: nothing but pongs

        async def typing_then_wait(n: int = 1) -> None:
            for _ in range(n):
                await child.send(type="typing", consultation_id=cid)
            sent.extend(await _until_pong(child))  # handled before the clock moves on

        await typing_then_wait(5)
        clock.advance(seconds=0.5)
        await typing_then_wait()
        assert len([f for f in await _until_pong(mentor) if f["type"] == "typing"]) == 1
        clock.advance(seconds=0.6)
        await typing_then_wait()
        assert (await mentor.expect("typing"))["role"] == "client"
        assert not [f for f in sent if f["type"] == "error"]  # dropped silently


async def test_join_replays_are_bounded(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    clock: ManualClock = live.ctx.clock  # type: ignore[assignment]
    async with ws_client(live, pair.mentor) as mentor:
        await mentor.send(type="join", consultation_id=cid)
        await mentor.expect("joined")
        for i in range(20):
            await mentor.send(
                type="send", consultation_id=cid, client_msg_id=f"m{i}", text="あ" * 2000
            )
            await mentor.expect("ack")
    async with ws_client(live, pair.child) as child:
        for _ in range(200):
            await child.send(type="join", consultation_id=cid, last_seq=0)
        frames = await _until_pong(child)
        replayed = [f for f in frames if f["type"] == "message"]
        refused = [f for f in frames if f["type"] == "error"]
        assert len([f for f in frames if f["type"] == "joined"]) == JOINS_PER_MINUTE
        assert 20 <= len(replayed) <= JOINS_PER_MINUTE * 20  # not 200 x 20 (5 MB)
        assert sum(len(json.dumps(f, ensure_ascii=False).encode()) for f in replayed) < 1_000_000
        assert {(f["code"], f["ref"]) for f in refused} == {("rate_limited", "join")}
        assert len(refused) == 200 - JOINS_PER_MINUTE
        clock.advance(seconds=61)  # the window moves on: a reconnecting page can join again
        await child.send(type="join", consultation_id=cid, last_seq=19)
        assert (await child.expect("message"))["seq"] == 20


@pytest.fixture
async def small_budget(db_url: str, clock: ManualClock) -> AsyncIterator[Live]:
    async with live_server(make_settings(db_url, ws_frames_per_minute=10), clock) as running:
        yield running


FRAMES: list[str | bytes] = [
    json.dumps({"type": "ping"}),
    json.dumps({"type": "typing", "consultation_id": 1}),
    json.dumps({"type": "read", "consultation_id": 1, "seq": 1}),
    json.dumps({"type": "join", "consultation_id": 999}),
    json.dumps({"type": "leave", "consultation_id": 1}),
    json.dumps({"type": "send", "consultation_id": 1, "client_msg_id": "a", "text": "x"}),
    json.dumps({"type": "share", "consultation_id": 1, "client_msg_id": "a", "entry_id": "x"}),
    json.dumps({"type": "end", "consultation_id": 1}),
    json.dumps({"type": "call_supervisor", "consultation_id": 1}),
    json.dumps({"type": "dance"}),
    "not json",
    b"\x00binary",
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: str(f)[:24])
async def test_every_frame_spends_from_the_socket_budget(
    small_budget: Live, frame: str | bytes
) -> None:
    live = small_budget
    pair = await chat_pair(live)
    async with ws_client(live, pair.mentor) as mentor, ws_client(live, pair.child) as child:
        for _ in range(10):  # the whole budget: each frame is answered as usual
            await child.conn.send(frame)
        await child.conn.send(frame)  # one over
        await child.conn.send(json.dumps({"type": "ping"}))  # dropped too: no pong
        await child.expect("error", code="rate_limited", ref=None)  # the socket's budget
        assert not [f for f in await child.quiet() if f["type"] == "pong"]
        for _ in range(9):  # a second budget's worth refused: the socket is closed
            await child.conn.send(frame)
        _frames, code = await _until_closed(child)
        assert code == CLOSE_FLOODING
        await mentor.send(type="ping")  # nobody else is touched
        await mentor.expect("pong")


async def test_budget_refills_with_time(small_budget: Live) -> None:
    live = small_budget
    pair = await chat_pair(live)
    clock: ManualClock = live.ctx.clock  # type: ignore[assignment]
    async with ws_client(live, pair.child) as child:
        for _ in range(11):
            await child.send(type="ping")
        await child.expect("error", code="rate_limited")
        clock.advance(seconds=6)  # 10 a minute: one frame every 6 seconds
        await child.send(type="ping")
        await child.expect("pong")


async def test_hostile_json_frames_get_error_frames_on_an_open_socket(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    async with ws_client(live, pair.mentor) as mentor, ws_client(live, pair.child) as child:
        await join_all(cid, mentor, child)
        await child.conn.send("[" * 7000 + "]" * 7000)  # was a RecursionError: 1006, no frame
        error = await child.expect("error")
        assert (error["code"], error["field"]) == ("invalid_input", "frame")
        await child.conn.send('{"type": "ping", "x": ' + "[" * 9 + "]" * 9 + "}")
        assert (await child.expect("error"))["field"] == "frame"
        for text in ("x\ud800", "\udfff", "a\x00b"):  # json.dumps escapes them: valid JSON
            await child.send(
                raw=True, type="send", consultation_id=cid, client_msg_id="bad", text=text
            )
            error = await child.expect("error")
            assert (error["code"], error["field"], error["ref"]) == ("invalid_input", "text", "bad")
        await child.send(
            raw=True, type="send", consultation_id=cid, client_msg_id="\ud800", text="hi"
        )
        error = await child.expect("error")
        assert (error["field"], error["ref"]) == ("client_msg_id", "send")
        await child.send(raw=True, type="\ud800")
        assert (await child.expect("error"))["field"] == "type"
        await child.send(type="send", consultation_id=cid, client_msg_id="ok", text="ふつう")
        assert (await child.expect("ack"))["seq"] == 1
        assert (await mentor.expect("message"))["text"] == "ふつう"
    async with live.ctx.db.read() as s:
        assert [m.text for m in (await s.execute(select(Message))).scalars()] == ["ふつう"]


async def test_a_bad_character_never_refuses_another_childs_messages(live: Live) -> None:
    first, second = await chat_pair(live, "いち", "m-a"), await chat_pair(live, "に", "m-b")
    async with ws_client(live, first.child) as one, ws_client(live, second.child) as two:
        await join_all(first.consultation_id, one)
        await join_all(second.consultation_id, two)
        for i in range(27):  # interleaved, so they share the writer's batches
            await one.send(
                type="send",
                consultation_id=first.consultation_id,
                client_msg_id=f"p{i}",
                text="x\ud800",
            )
            await two.send(
                type="send",
                consultation_id=second.consultation_id,
                client_msg_id=f"g{i}",
                text=f"g{i}",
            )
        acks = [await two.expect("ack") for _ in range(27)]
        assert [a["seq"] for a in acks] == list(range(1, 28))
        errors = [await one.expect("error") for _ in range(27)]
        assert {e["code"] for e in errors} == {"invalid_input"}
