"""Headquarters' "client away": a client whose socket leaves an open consultation they had
joined is shown away on the staff list within a second (supervisors are pushed the presence),
and in progress again once they join again; a second tab still open keeps them here."""

from __future__ import annotations

import contextlib
from typing import Any

from tests.helpers import bearer
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair, join_all, supervisor_token


async def board_row(live: Live, token: str, cid: int) -> dict[str, Any]:
    r = await live.http.get(
        "/api/staff/consultations", params={"date": "2026-12-01"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    return next(c for c in r.json()["consultations"] if c["id"] == cid)


async def test_client_leaves_then_comes_back(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    boss = await supervisor_token(live)
    async with ws_client(live, boss) as hq, ws_client(live, pair.mentor) as mentor:
        await join_all(cid, mentor)
        async with ws_client(live, pair.child) as child:
            await join_all(cid, child)
            came = await hq.expect("presence", timeout=1, role="client", state="joined")
            assert came["consultation_id"] == cid
            row = await board_row(live, boss, cid)
            assert row["state"] == "in_progress" and row["client_left_at"] is None
        # the child's socket closed: pushed to headquarters and the mentor within a second
        await hq.expect("presence", timeout=1, role="client", state="left")
        await mentor.expect("presence", timeout=1, role="client", state="left")
        row = await board_row(live, boss, cid)
        assert row["state"] == "client_away"
        assert row["client_left_at"] == "2026-12-01T16:00:00+09:00"
        mine = await board_row(live, pair.mentor, cid)  # the mentor's console row too
        assert mine["client_left_at"] == row["client_left_at"]
        async with ws_client(live, pair.child) as child:
            await join_all(cid, child)
            await hq.expect("presence", timeout=1, role="client", state="joined")
            row = await board_row(live, boss, cid)
            assert row["state"] == "in_progress" and row["client_left_at"] is None
            # leaving with the leave frame (back to the home page) is away too
            await child.send(type="leave", consultation_id=cid)
            await hq.expect("presence", timeout=1, role="client", state="left")
            assert (await board_row(live, boss, cid))["state"] == "client_away"


async def test_a_second_tab_keeps_the_client_here(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    boss = await supervisor_token(live)
    async with ws_client(live, boss) as hq, ws_client(live, pair.mentor) as mentor:
        await join_all(cid, mentor)
        async with ws_client(live, pair.child) as first:
            await join_all(cid, first)
            await hq.expect("presence", timeout=1, role="client", state="joined")
            async with ws_client(live, pair.child) as second:
                await join_all(cid, second)
            # one tab closed, the other still reads: no board change, nothing to headquarters
            await mentor.expect("presence", timeout=1, role="client", state="left")
            assert not [f for f in await hq.quiet(0.3) if f["type"] == "presence"]
            row = await board_row(live, boss, cid)
            assert row["state"] == "in_progress" and row["client_left_at"] is None


async def test_a_dropped_connection_is_away_too(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    boss = await supervisor_token(live)
    async with ws_client(live, boss) as hq, ws_client(live, pair.mentor) as mentor:
        await join_all(cid, mentor)
        async with ws_client(live, pair.child) as child:
            await join_all(cid, child)
            await hq.expect("presence", timeout=1, role="client", state="joined")
            child.conn.transport.abort()  # no close frame: the network went away
            await hq.expect("presence", timeout=1, role="client", state="reconnecting")
        assert (await board_row(live, boss, cid))["state"] == "client_away"


async def test_children_dropped_together_are_each_away(live: Live) -> None:
    """A school's network drops: every child's socket closes in the same moment, and each is
    shown away (tests/actions/test_departures.py: in one write)."""
    boss = await supervisor_token(live)
    pairs = [await chat_pair(live, f"こども{i}", f"せんせい{i}") for i in range(3)]
    async with ws_client(live, boss) as hq, contextlib.AsyncExitStack() as stack:
        children = []
        for pair in pairs:
            mentor = await stack.enter_async_context(ws_client(live, pair.mentor))
            await join_all(pair.consultation_id, mentor)
            child = await stack.enter_async_context(ws_client(live, pair.child))
            await join_all(pair.consultation_id, child)
            await hq.expect("presence", timeout=1, role="client", state="joined")
            children.append(child)
        for child in children:
            child.conn.transport.abort()
        left = [await hq.expect("presence", timeout=2, state="reconnecting") for _ in pairs]
        assert {p["consultation_id"] for p in left} == {p.consultation_id for p in pairs}
    for pair in pairs:
        assert (await board_row(live, boss, pair.consultation_id))["state"] == "client_away"
