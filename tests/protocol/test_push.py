"""Everything a mentor must act on reaches the mentor's console socket within a second,
without the console joining anything: a walk-in opened, a booking made or cancelled, the
client arriving and leaving, and a client's message while that chat is not open there."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import _truncate
from tests.helpers import add_mentor, add_staff, bearer, sign_up, staff_token
from tests.protocol.conftest import Live, Ws, ws_client
from tests.protocol.helpers import supervisor_token
from tests.protocol.test_two_processes import open_ws
from tests.servers import serve_process


async def console(live: Live) -> tuple[int, str]:
    mentor_id = await add_mentor(live.ctx, "さくら")
    await add_staff(live.ctx, "m-sakura", "mentor-pass", mentor_id=mentor_id)
    return mentor_id, await staff_token(live.http, "m-sakura", "mentor-pass")


async def within_a_second(ws: Ws, started: float, **match: object) -> dict[str, object]:
    frame = await ws.expect("consultation", timeout=1.0, **match)
    assert time.monotonic() - started < 1.0
    return frame


async def test_walk_in_booking_and_cancel_reach_the_console_and_hq(live: Live) -> None:
    mentor_id, mentor = await console(live)
    hq = await supervisor_token(live)
    child = await sign_up(live.http, "こぐま")
    parent = await sign_up(live.http, "はは", audience="parent")
    async with ws_client(live, mentor) as desk, ws_client(live, hq) as board:
        started = time.monotonic()
        r = await live.http.post(
            "/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(child)
        )
        assert r.status_code == 201
        walk_in = r.json()["consultation"]["id"]
        opened = await within_a_second(desk, started, event="opened")
        assert opened["consultation_id"] == walk_in and opened["mode"] == "walk_in"
        await board.expect("consultation", timeout=1.0, event="opened", consultation_id=walk_in)

        started = time.monotonic()
        r = await live.http.post(
            "/api/bookings",
            json={"mentor_id": mentor_id, "start": "2026-12-02T17:00:00+09:00"},
            headers=bearer(parent),
        )
        assert r.status_code == 201
        booking = r.json()["consultation"]["id"]
        booked = await within_a_second(desk, started, event="booked")
        assert booked["consultation_id"] == booking and booked["status"] == "booked"
        assert booked["starts_at"] == "2026-12-02T17:00:00+09:00"
        await board.expect("consultation", timeout=1.0, event="booked", consultation_id=booking)

        started = time.monotonic()
        r = await live.http.delete(f"/api/bookings/{booking}", headers=bearer(parent))
        assert r.status_code == 200
        cancelled = await within_a_second(desk, started, event="cancelled")
        assert cancelled["consultation_id"] == booking
        assert cancelled["reason"] == "cancelled_by_client"


async def test_another_mentors_console_hears_nothing(live: Live) -> None:
    mentor_id, _mentor = await console(live)
    other_id = await add_mentor(live.ctx, "みどり")
    await add_staff(live.ctx, "m-midori", "mentor-pass", mentor_id=other_id)
    other = await staff_token(live.http, "m-midori", "mentor-pass")
    child = await sign_up(live.http, "こぐま")
    async with ws_client(live, other) as desk:
        r = await live.http.post(
            "/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(child)
        )
        assert r.status_code == 201
        assert await desk.quiet(0.5) == []


async def test_client_presence_and_messages_badge_the_console_until_the_chat_is_open(
    live: Live,
) -> None:
    mentor_id, mentor = await console(live)
    child = await sign_up(live.http, "こぐま")
    r = await live.http.post("/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(child))
    cid = r.json()["consultation"]["id"]
    async with ws_client(live, mentor) as desk, ws_client(live, child) as kid:
        await kid.send(type="join", consultation_id=cid)
        await kid.expect("joined")
        here = await desk.expect("presence", timeout=1.0, consultation_id=cid)
        assert here["role"] == "client" and here["state"] == "joined" and here["name"] == "こぐま"

        started = time.monotonic()
        await kid.send(type="send", consultation_id=cid, client_msg_id="c1", text="いますか？")
        activity = await desk.expect("activity", timeout=1.0, consultation_id=cid)
        assert time.monotonic() - started < 1.0
        assert activity["seq"] == 1 and activity["role"] == "client"
        assert "text" not in activity  # a badge, not a preview
        assert not [f for f in desk.seen if f["type"] == "message"]  # not joined: no words

        # the mentor opens the chat on this socket: the message is there, no more badges
        await desk.send(type="join", consultation_id=cid)
        await desk.expect("joined")
        assert (await desk.expect("message", timeout=1.0))["seq"] == 1
        await kid.send(type="send", consultation_id=cid, client_msg_id="c2", text="よかった")
        assert (await desk.expect("message", timeout=1.0))["seq"] == 2
        assert [f for f in await desk.quiet(0.3) if f["type"] == "activity"] == []

        async with ws_client(live, mentor) as second_tab:  # another tab without the chat open
            await kid.send(type="send", consultation_id=cid, client_msg_id="c3", text="あのね")
            assert (await second_tab.expect("activity", timeout=1.0))["seq"] == 3

        await kid.send(type="leave", consultation_id=cid)
        gone = await desk.expect("presence", timeout=1.0, state="left")
        assert gone["role"] == "client"


# -- two processes ---------------------------------------------------------------------------


@pytest.mark.postgres
async def test_a_booking_on_one_process_reaches_a_console_on_another(
    pg_database: str, tmp_path: Path
) -> None:
    await _truncate(pg_database)
    clock = {"YORISOI_CLOCK_START": "2026-12-01T16:00:00+09:00", "YORISOI_SCHEDULER": "0"}
    with (
        serve_process(tmp_path, name="a", DATABASE_URL=pg_database, **clock) as (a, _la, _pa),
        serve_process(tmp_path, "--no-seed", name="b", DATABASE_URL=pg_database, **clock) as (
            b,
            _lb,
            _pb,
        ),
    ):
        async with httpx.AsyncClient() as http:
            r = await http.post(
                f"{b}/api/session/staff", json={"username": "mentor1", "password": "yorisoi-demo"}
            )
            mentor_token = r.json()["token"]
            desk = await open_ws(b, mentor_token)
            try:
                hello = await desk.expect("hello")
                mentor_id = hello["account"]["mentor_id"]
                detail = (await http.get(f"{a}/api/mentors/{mentor_id}")).json()["mentor"]
                audience = "parent" if detail["audience"] == "parent" else "child"
                r = await http.post(
                    f"{a}/api/clients",
                    json={"nickname": "とおく", "secret": "secret-12", "audience": audience},
                )
                client = {"Authorization": f"Bearer {r.json()['token']}"}
                started = time.monotonic()
                r = await http.post(
                    f"{a}/api/bookings",
                    json={"mentor_id": mentor_id, "start": "2026-12-02T17:00:00+09:00"},
                    headers=client,
                )
                assert r.status_code == 201, r.text
                booked = await desk.expect("consultation", seconds=1.0, event="booked")
                assert time.monotonic() - started < 1.0
                assert booked["consultation_id"] == r.json()["consultation"]["id"]
            finally:
                await desk.conn.close()
