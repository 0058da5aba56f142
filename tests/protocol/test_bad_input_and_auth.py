"""Bad frames, foreign consultations and hostile handshakes: clear errors, nothing changed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.db.tables import Message
from tests.helpers import add_mentor, bearer, sign_up
from tests.protocol.conftest import Live, check_frame, server_frame, ws_client
from tests.protocol.helpers import chat_pair


async def _count_messages(live: Live) -> int:
    async with live.ctx.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(Message))).scalar_one())


async def test_bad_frames_get_errors_and_the_socket_keeps_serving(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.child) as child:
        cases: list[tuple[str, str]] = [
            ("not json at all", "invalid_input"),
            ("[1, 2, 3]", "invalid_input"),
            (json.dumps({"type": "dance"}), "invalid_input"),
            (json.dumps({"no_type": True}), "invalid_input"),
            (json.dumps({"type": "join", "consultation_id": "1"}), "invalid_input"),
            (json.dumps({"type": "join", "consultation_id": 1, "last_seq": -1}), "invalid_input"),
            # past an INTEGER: PostgreSQL would refuse the query (internal_error before)
            (
                json.dumps({"type": "join", "consultation_id": 1, "last_seq": 2**63}),
                "invalid_input",
            ),
            (json.dumps({"type": "join", "consultation_id": 99999}), "not_found"),
            (
                json.dumps(
                    {
                        "type": "send",
                        "consultation_id": pair.consultation_id,
                        "client_msg_id": "x",
                        "text": "hi",
                    }
                ),
                "not_joined",
            ),
        ]
        for raw, code in cases:
            await child.conn.send(raw)
            error = await child.expect("error")
            assert error["code"] == code, raw
            assert error["message"]["ja"] and error["message"]["en"]
        await child.send(type="join", consultation_id=pair.consultation_id)
        await child.expect("joined")
        bad_sends = [
            ({"client_msg_id": "a", "text": "x" * 2001}, "message_too_long"),
            ({"client_msg_id": "a", "text": "   "}, "message_too_long"),
            ({"client_msg_id": "", "text": "hi"}, "invalid_input"),
            ({"client_msg_id": "a" * 65, "text": "hi"}, "invalid_input"),
            ({"client_msg_id": "a", "text": 5}, "invalid_input"),
            ({"text": "hi"}, "invalid_input"),
        ]
        for fields, code in bad_sends:
            frame = {"type": "send", "consultation_id": pair.consultation_id, **fields}
            with pytest.raises(AssertionError):  # the contract refuses it too
                check_frame("client", frame)
            await child.send(raw=True, **frame)
            assert (await child.expect("error"))["code"] == code, fields
        await child.conn.send(b"\x00binary")
        assert (await child.expect("error"))["code"] == "invalid_input"
        assert await _count_messages(live) == 0
        await child.send(type="ping")
        assert (await child.expect("pong"))["server_time"]
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="ok", text="x" * 2000
        )
        assert (await child.expect("ack"))["seq"] == 1


async def test_oversized_frame_closes_only_that_socket(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.mentor) as mentor:
        async with ws_client(live, pair.child) as child:
            await child.conn.send("x" * (live.ctx.settings.ws_max_frame_bytes + 10))
            with pytest.raises(ConnectionClosed) as info:
                await child.next()
            assert info.value.rcvd is not None and info.value.rcvd.code == 1009
        await mentor.send(type="ping")
        await mentor.expect("pong")


async def test_rate_limit_per_sender(live: Live) -> None:
    pair = await chat_pair(live)
    limit = live.ctx.settings.ws_messages_per_minute
    async with ws_client(live, pair.child) as child:
        await child.send(type="join", consultation_id=pair.consultation_id)
        await child.expect("joined")
        for i in range(limit):
            await child.send(
                type="send", consultation_id=pair.consultation_id, client_msg_id=f"m{i}", text="hi"
            )
            await child.expect("ack")
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="over", text="hi"
        )
        error = await child.expect("error")
        assert (error["code"], error["ref"]) == ("rate_limited", "over")
        assert await _count_messages(live) == limit


async def test_nobody_reads_a_consultation_that_is_not_theirs(live: Live) -> None:
    pair = await chat_pair(live)
    other_child = await sign_up(live.http, "ほかのこ")
    parent = await sign_up(live.http, "おや", audience="parent")
    other_mentor_id = await add_mentor(live.ctx, "べつ")
    from tests.helpers import add_staff, staff_token

    await add_staff(live.ctx, "other-mentor", "pw-other-1", mentor_id=other_mentor_id)
    other_mentor = await staff_token(live.http, "other-mentor", "pw-other-1")
    async with ws_client(live, pair.child) as child:
        await child.send(type="join", consultation_id=pair.consultation_id)
        await child.expect("joined")
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="s", text="ひみつ"
        )
        await child.expect("ack")
    for token in (other_child, parent, other_mentor):
        async with ws_client(live, token) as intruder:
            await intruder.send(type="join", consultation_id=pair.consultation_id)
            error = await intruder.expect("error")
            assert error["code"] == "not_found"  # same answer as a consultation that does not exist
            await intruder.send(
                type="send", consultation_id=pair.consultation_id, client_msg_id="x", text="x"
            )
            assert (await intruder.expect("error"))["code"] == "not_joined"
            assert all(f["type"] != "message" for f in intruder.seen)
    # and over HTTP: a client has no transcript endpoint; another mentor is refused
    r = await live.http.post(
        f"/api/staff/consultations/{pair.consultation_id}/transcript",
        json={"reason": "curious"},
        headers=bearer(other_mentor),
    )
    assert r.status_code == 404
    r = await live.http.post(
        f"/api/staff/consultations/{pair.consultation_id}/transcript",
        json={"reason": "x"},
        headers=bearer(other_child),
    )
    assert r.status_code == 403


async def test_handshake_refusals(live: Live) -> None:
    pair = await chat_pair(live)

    async def refused(**kwargs) -> int:  # type: ignore[no-untyped-def]
        with pytest.raises(InvalidStatus) as info:
            async with connect(live.ws_url, compression=None, **kwargs):
                pass
        return int(info.value.response.status_code)

    auth = {"Authorization": f"Bearer {pair.child}"}
    assert await refused(additional_headers=auth, origin="https://evil.example") == 403
    assert await refused(additional_headers=auth, origin=live.origin + ".evil.example") == 403
    assert await refused(origin=live.origin) == 403  # no session
    assert (
        await refused(additional_headers={"Authorization": "Bearer nope"}, origin=live.origin)
        == 403
    )
    cookie = {"Cookie": f"yorisoi_child={pair.child}"}
    child_face = live.ws_url + "?face=child"
    assert await refused(additional_headers=cookie) == 403  # a cookie but no Origin
    # the child's session sits in the child face's cookie, which only ?face=child reads
    assert await refused(additional_headers=cookie, origin=live.origin) == 403
    grown_ups = {"Cookie": f"yorisoi_session={pair.child}"}
    assert await refused(additional_headers=grown_ups, origin=live.origin) == 403
    async with connect(
        child_face, additional_headers=cookie, origin=live.origin, compression=None
    ) as ok:
        assert server_frame(await ok.recv())["type"] == "hello"
    # signed out: the token no longer opens a socket
    await live.http.delete("/api/session", headers=bearer(pair.child))
    assert await refused(additional_headers=auth, origin=live.origin) == 403


async def test_connections_per_account_are_limited(live: Live) -> None:
    token = await sign_up(live.http, "たくさん")
    limit = live.ctx.settings.ws_max_per_account
    clients = []
    try:
        for _ in range(limit):
            clients.append(
                await connect(
                    live.ws_url,
                    additional_headers=bearer(token),
                    origin=live.origin,
                    compression=None,
                )  # type: ignore[arg-type]
            )
        with pytest.raises(InvalidStatus):
            async with connect(
                live.ws_url, additional_headers=bearer(token), origin=live.origin, compression=None
            ):  # type: ignore[arg-type]
                pass
    finally:
        for c in clients:
            await c.close()


async def test_signing_out_closes_open_sockets(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        await live.http.delete("/api/session", headers=bearer(pair.child))
        registry = live.server.config.app.state.connections  # type: ignore[union-attr]
        closed = await registry.close_revoked(live.ctx)  # the periodic check, run now
        assert closed == 1
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await child.next()
        assert info.value.rcvd is not None and info.value.rcvd.code == 4401
        await mentor.send(type="ping")
        await mentor.expect("pong")  # everyone else is untouched
