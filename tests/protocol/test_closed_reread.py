"""Re-reading a finished consultation as a client needs the secret typed again (10 minutes)
and is possible only for REREAD_DAYS after it closed; uvicorn believes no proxy by default."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import make_settings
from tests.helpers import bearer
from tests.protocol.conftest import Live, Ws, live_server, ws_client
from tests.protocol.helpers import Pair, chat_pair, join_all


async def _finished_chat(live: Live) -> Pair:
    pair = await chat_pair(live)
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        await join_all(pair.consultation_id, child, mentor)
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="c1", text="ないしょ"
        )
        await child.expect("ack")
        await mentor.send(type="end", consultation_id=pair.consultation_id)
        await child.expect("consultation", event="closed")
    return pair


async def _join(child: Ws, cid: int, last_seq: int = 0) -> dict[str, object]:
    await child.send(type="join", consultation_id=cid, last_seq=last_seq)
    while True:
        frame = await child.next()
        if frame["type"] in ("joined", "error"):
            return frame


async def test_a_closed_consultation_needs_the_secret_again(live: Live) -> None:
    pair = await _finished_chat(live)
    cid = pair.consultation_id
    async with ws_client(live, pair.child) as child:
        refused = await _join(child, cid)
        assert refused["type"] == "error" and refused["code"] == "secret_needed"
        assert refused["consultation_id"] == cid
        assert not [f for f in child.seen if f["type"] == "message"]  # nothing was read

        wrong = await live.http.post(
            "/api/session/reverify", json={"secret": "not-it"}, headers=bearer(pair.child)
        )
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_credentials"
        ok = await live.http.post(
            "/api/session/reverify", json={"secret": "himitsu123"}, headers=bearer(pair.child)
        )
        assert ok.status_code == 200 and ok.json()["valid_minutes"] == 10
        joined = await _join(child, cid)
        assert joined["type"] == "joined"
        message = await child.expect("message")
        assert message["text"] == "ないしょ"

    live.ctx.clock.advance(minutes=10, seconds=1)  # type: ignore[attr-defined]
    async with ws_client(live, pair.child) as child:
        again = await _join(child, cid)
        assert again["type"] == "error" and again["code"] == "secret_needed"
        # Nothing left to read (a reconnect after the end, everything seen): no prompt.
        assert (await _join(child, cid, last_seq=1))["type"] == "joined"


async def test_a_mentor_rereads_without_a_secret(live: Live) -> None:
    pair = await _finished_chat(live)
    async with ws_client(live, pair.mentor) as mentor:
        assert (await _join(mentor, pair.consultation_id))["type"] == "joined"
        assert (await mentor.expect("message"))["text"] == "ないしょ"


async def test_rereading_ends_after_the_configured_days(live: Live) -> None:
    pair = await _finished_chat(live)
    live.ctx.clock.advance(days=30, seconds=1)  # type: ignore[attr-defined]
    signed_in = await live.http.post(  # that session ended too: sign in again
        "/api/session/client", json={"nickname": "うさぎ", "secret": "himitsu123"}
    )
    token = signed_in.json()["token"]
    r = await live.http.post(
        "/api/session/reverify", json={"secret": "himitsu123"}, headers=bearer(token)
    )
    assert r.status_code == 200
    async with ws_client(live, token) as child:
        over = await _join(child, pair.consultation_id)
        assert over["type"] == "error" and over["code"] == "reread_over"


@pytest.fixture
async def no_reread(db_url: str, clock) -> AsyncIterator[Live]:  # type: ignore[no-untyped-def]
    async with live_server(make_settings(db_url, reread_days=0), clock) as running:
        yield running


async def test_zero_days_turns_rereading_off(no_reread: Live) -> None:
    live = no_reread
    pair = await _finished_chat(live)
    await live.http.post(
        "/api/session/reverify", json={"secret": "himitsu123"}, headers=bearer(pair.child)
    )
    async with ws_client(live, pair.child) as child:
        over = await _join(child, pair.consultation_id)
        assert over["type"] == "error" and over["code"] == "reread_over"


async def test_forwarded_for_from_localhost_is_not_believed(live: Live) -> None:
    """A local hop cannot claim a fresh throttle bucket with X-Forwarded-For."""
    for i in range(3):
        r = await live.http.post(
            "/api/session/client",
            json={"nickname": "だれ", "secret": "guess"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        assert r.status_code == 401
    assert live.ctx.delays.wait("signin:だれ", "127.0.0.1") > 0
    assert live.ctx.delays.wait("signin:だれ", "203.0.113.2") == 0
