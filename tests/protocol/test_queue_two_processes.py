"""The waiting line across two real processes on one PostgreSQL database: four lines busy,
six children waiting, joining and ending on both processes. Offers go strictly in order,
positions are pushed live, nobody is skipped or served twice, the capacity holds, and a
child who left is never offered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import _truncate
from tests.protocol.test_two_processes import Sock, open_ws, scheduler_on, wait_for
from tests.servers import serve_process

pytestmark = pytest.mark.postgres

CLOCK = "2026-12-01T16:00:00+09:00"


async def child(http: httpx.AsyncClient, base: str, name: str) -> str:
    r = await http.post(
        f"{base}/api/clients", json={"nickname": name, "secret": "secret-1", "audience": "child"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def max_held(dsn: str) -> int:
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        value = await conn.fetchval(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM line_hold GROUP BY tick) t"
        )
    finally:
        await conn.close()
    return int(value)


async def next_queue(sock: Sock, seconds: float = 20.0) -> dict[str, Any]:
    return await sock.expect("queue", seconds=seconds)


async def test_waiting_line_across_two_processes(pg_database: str, tmp_path: Path) -> None:
    await _truncate(pg_database)
    env = {"DATABASE_URL": pg_database, "YORISOI_CLOCK_START": CLOCK}
    with (
        serve_process(tmp_path, name="a", **env) as (a, _la, _pa),
        serve_process(tmp_path, "--no-seed", name="b", **env) as (b, _lb, _pb),
    ):
        await wait_for(lambda: scheduler_on(a) != scheduler_on(b))
        bases = [a, b]
        async with httpx.AsyncClient(timeout=20) as http:
            mentors = (await http.get(f"{a}/api/mentors?audience=child")).json()["mentors"]
            free = [m["id"] for m in mentors if m["chat_now"]["possible"]]
            assert len(free) > 4  # the line, not the mentors, is what is short
            talkers, cids = [], []
            for i in range(4):
                token = await child(http, bases[i % 2], f"talk{i}")
                r = await http.post(
                    f"{bases[i % 2]}/api/chat-now", json={"mentor_id": free[i]}, headers=auth(token)
                )
                assert r.status_code == 201, r.text
                talkers.append(token)
                cids.append(r.json()["consultation"]["id"])
            waiters = [await child(http, bases[i % 2], f"wait{i}") for i in range(6)]
            # everyone waiting listens on b; they join on a: the line is ordered by the time
            # of joining, and each test process runs its own moved clock (started apart)
            socks = [await open_ws(b, t) for t in waiters]
            for i, token in enumerate(waiters):
                r = await http.post(f"{a}/api/queue", json={}, headers=auth(token))
                assert r.status_code == 201, r.text
                assert r.json()["queue"]["position"] == i + 1
                assert (await next_queue(socks[i]))["position"] == i + 1
            staff = await http.post(
                f"{b}/api/session/staff", json={"username": "honbu", "password": "yorisoi-demo"}
            )
            hq = staff.json()["token"]
            line = (await http.get(f"{a}/api/staff/queue", headers=auth(hq))).json()
            assert [e["position"] for e in line["entries"]] == [1, 2, 3, 4, 5, 6]

            # the third leaves (on process b); those behind are told their new place live
            r = await http.delete(f"{b}/api/queue", headers=auth(waiters[2]))
            assert r.status_code == 200 and r.json()["queue"]["state"] == "left"
            assert (await socks[2].expect("queue", state="left"))["position"] is None
            for i, expected in ((3, 3), (4, 4), (5, 5)):
                assert (await socks[i].expect("queue", position=expected))["state"] == "waiting"

            # the talkers end one by one, each on their own process
            talker_socks = [await open_ws(bases[i % 2], t) for i, t in enumerate(talkers)]
            order = [0, 1, 3, 4]
            offered: dict[int, int] = {}
            for n, (sock, cid) in enumerate(zip(talker_socks, cids, strict=True)):
                await sock.send(type="join", consultation_id=cid)
                await sock.expect("joined")
                await sock.send(type="end", consultation_id=cid)
                who = order[n]
                opened = await socks[who].expect("consultation", event="opened")
                offered[who] = opened["consultation_id"]
                told = await socks[who].expect("queue", state="offered")
                assert told["consultation_id"] == opened["consultation_id"]
                assert await max_held(pg_database) <= 4
                # nobody behind was offered before them
                for later in order[n + 1 :] + [5]:
                    r = await http.get(
                        f"{bases[later % 2]}/api/queue", headers=auth(waiters[later])
                    )
                    assert r.json()["queue"]["state"] == "waiting"
                mine = await http.get(f"{bases[who % 2]}/api/bookings", headers=auth(waiters[who]))
                listed = [(c["id"], c["mode"], c["status"]) for c in mine.json()["consultations"]]
                assert listed == [(opened["consultation_id"], "walk_in", "open")]

            # the first offered joins, talks and ends: the last waiter gets that line
            await socks[0].send(type="join", consultation_id=offered[0])
            await socks[0].expect("joined")
            assert (await socks[0].expect("queue", state="served"))["consultation_id"] == offered[0]
            await socks[0].send(type="end", consultation_id=offered[0])
            last = await socks[5].expect("consultation", event="opened")
            assert last["consultation_id"] not in offered.values()
            assert await max_held(pg_database) <= 4
            r = await http.get(f"{a}/api/queue", headers=auth(waiters[2]))
            assert r.json()["queue"] is None  # who left was never offered
            conn = await asyncpg.connect(
                pg_database.replace("postgresql+asyncpg://", "postgresql://")
            )
            try:
                rows = await conn.fetch(
                    "SELECT client_id, count(*) FROM consultation GROUP BY client_id HAVING count(*) > 1"
                )
                offered_left = await conn.fetchval(
                    "SELECT count(*) FROM queue_entry WHERE state = 'left' AND offered_at IS NOT NULL"
                )
            finally:
                await conn.close()
            assert rows == [] and offered_left == 0  # nobody served twice; who left never offered
            for sock in [*socks, *talker_socks]:
                await sock.conn.close()
