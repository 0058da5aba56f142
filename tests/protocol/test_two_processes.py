"""Two real uvicorn processes on one PostgreSQL database: a child on one, the mentor on the
other; one scheduler between them; killing a process loses nothing."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import _truncate
from tests.protocol.conftest import check_frame, server_frame
from tests.servers import serve_process

pytestmark = pytest.mark.postgres


CLOCK = "2026-12-01T16:59:45+09:00"


def scheduler_on(base: str) -> bool:
    return bool(httpx.get(f"{base}/healthz", timeout=5).json()["scheduler"])


async def wait_for(predicate, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await asyncio.to_thread(predicate):
        assert time.monotonic() < deadline, "condition never became true"
        await asyncio.sleep(0.2)


class Sock:
    def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.conn = conn

    async def send(self, **frame: object) -> None:
        check_frame("client", frame)
        await self.conn.send(json.dumps(frame))

    async def expect(self, type_: str, seconds: float = 20.0, **match: object) -> dict:  # type: ignore[type-arg]
        async with asyncio.timeout(seconds):
            while True:
                frame = server_frame(await self.conn.recv())
                if frame["type"] == type_ and all(frame.get(k) == v for k, v in match.items()):
                    return dict(frame)


async def open_ws(base: str, token: str) -> Sock:
    conn = await connect(
        base.replace("http", "ws") + "/ws",
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=base,  # type: ignore[arg-type]
        compression=None,
    )
    return Sock(conn)


async def test_two_processes_one_conversation_one_scheduler(
    pg_database: str, tmp_path: Path
) -> None:
    await _truncate(pg_database)
    with (
        serve_process(tmp_path, name="a", DATABASE_URL=pg_database, YORISOI_CLOCK_START=CLOCK) as (
            a,
            _log_a,
            proc_a,
        ),
        serve_process(
            tmp_path, "--no-seed", name="b", DATABASE_URL=pg_database, YORISOI_CLOCK_START=CLOCK
        ) as (b, _log_b, _proc_b),
    ):
        await wait_for(lambda: scheduler_on(a) != scheduler_on(b))  # exactly one leads
        leader, follower = (a, b) if scheduler_on(a) else (b, a)
        async with httpx.AsyncClient() as http:
            r = await http.post(
                f"{follower}/api/clients",
                json={"nickname": "ふたつ", "secret": "secret-1", "audience": "child"},
            )
            child_token = r.json()["token"]
            mentors = (
                await http.get(f"{follower}/api/mentors?audience=child&kind=psychologist")
            ).json()["mentors"]
            mentor_id = mentors[0]["id"]
            r = await http.post(
                f"{leader}/api/session/staff",
                json={"username": "mentor1", "password": "yorisoi-demo"},
            )
            mentor_token = r.json()["token"]
            r = await http.post(
                f"{follower}/api/bookings",
                json={"mentor_id": mentor_id, "start": "2026-12-01T17:00:00+09:00"},
                headers={"Authorization": f"Bearer {child_token}"},
            )
            assert r.status_code == 201, r.text
            cid = r.json()["consultation"]["id"]
        child = await open_ws(follower, child_token)
        mentor = await open_ws(leader, mentor_token)
        await child.send(type="join", consultation_id=cid)
        await child.expect("joined")
        # the leader's scheduler opens it at 17:00; the child on the other process is told
        opened = await child.expect("consultation", seconds=30, event="opened")
        assert opened["status"] == "open"
        await mentor.send(type="join", consultation_id=cid)
        await mentor.expect("joined")
        await child.send(type="send", consultation_id=cid, client_msg_id="c1", text="きこえる?")
        assert (await child.expect("ack"))["seq"] == 1
        got = await mentor.expect("message", seq=1)
        assert got["text"] == "きこえる?"
        # the mentor has seen it: the child on the other process is told (a read mark is whole)
        await mentor.send(type="read", consultation_id=cid, seq=1)
        assert (await child.expect("read"))["by"] == "mentor"
        await mentor.send(type="send", consultation_id=cid, client_msg_id="m1", text="きこえるよ")
        assert (await child.expect("message", seq=2))["text"] == "きこえるよ"

        # the leader dies; the follower takes over the scheduler; the mentor moves over
        leader_proc = proc_a if leader == a else _proc_b
        leader_proc.send_signal(signal.SIGKILL)
        leader_proc.wait(timeout=10)
        await wait_for(lambda: scheduler_on(follower), seconds=30)
        await child.send(type="send", consultation_id=cid, client_msg_id="c2", text="まだいる?")
        assert (await child.expect("ack"))["seq"] == 3
        mentor2 = await open_ws(follower, mentor_token)
        await mentor2.send(type="join", consultation_id=cid, last_seq=2)
        assert (await mentor2.expect("joined"))["consultation"]["read"]["mentor"] == 1
        assert (await mentor2.expect("message"))["seq"] == 3
        for sock in (child, mentor2):
            await sock.conn.close()
