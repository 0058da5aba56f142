"""Waiting line: N clients join the line at once while the 4 lines are busy; then lines are
freed one at a time and we time how long until the next client in line is offered one.

The four talkers take the lines through chat-now; every waiter connects a socket and all N
POST /api/queue at once. Each round the current holder of one line ends it (websocket
`end`); latency = from sending `end` to the next waiter receiving `consultation`/`opened`
(an upper bound on line-freed -> offered, since it includes the end itself). The offered
client joins and, next round, ends in turn. Bounded: at most ROUNDS rounds and SECONDS.
Finally the database is read back: were the offers made strictly in line order, and did any
tick ever hold more than 4 lines?
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

import httpx
import uvloop
from common import HOST, ROOT, database, jst, percentile, start_service
from seed import seed
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app.db.engine import Database  # noqa: E402
from app.db.tables import LineHold, QueueEntry  # noqa: E402
from app.settings import _normalise_db_url  # noqa: E402

NOW = jst(2026, 12, 1, 16, 0)
LINES = 4
ROUNDS = 60
SECONDS = 40.0


class Client:
    def __init__(self, token: str, ws: ClientConnection) -> None:
        self.token = token
        self.ws = ws
        self.opened: asyncio.Future[tuple[int, float]] = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                frame = json.loads(raw)
                if (
                    frame.get("type") == "consultation"
                    and frame.get("event") == "opened"
                    and not self.opened.done()
                ):
                    self.opened.set_result((frame["consultation_id"], time.perf_counter()))

    async def end(self, cid: int) -> None:
        await self.ws.send(json.dumps({"type": "join", "consultation_id": cid}))
        await self.ws.send(json.dumps({"type": "end", "consultation_id": cid}))


async def _connect(port: int, token: str) -> ClientConnection:
    ws = await connect(
        f"ws://{HOST}:{port}/ws",
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=f"http://{HOST}:{port}",  # type: ignore[arg-type]
        compression=None,
        ping_interval=None,
        open_timeout=60,
    )
    await asyncio.wait_for(ws.recv(), 30)  # hello
    return ws


async def _run(
    port: int, url: str, talkers: list[str], waiters: list[str], mentors: list[int]
) -> dict[str, Any]:
    base = f"http://{HOST}:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        holders: list[tuple[Client, int]] = []
        for token, mentor in zip(talkers, mentors, strict=False):
            r = await http.post(
                "/api/chat-now",
                json={"mentor_id": mentor},
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
            holders.append(
                (Client(token, await _connect(port, token)), r.json()["consultation"]["id"])
            )
        gate = asyncio.Semaphore(64)

        async def sock(token: str) -> Client:
            async with gate:
                return Client(token, await _connect(port, token))

        clients = await asyncio.gather(*(sock(t) for t in waiters))

        async def join(token: str) -> float:
            t = time.perf_counter()
            r = await http.post("/api/queue", json={}, headers={"Authorization": f"Bearer {token}"})
            r.raise_for_status()
            return time.perf_counter() - t

        started = time.perf_counter()
        join_s = await asyncio.gather(*(join(t) for t in waiters))
        join_wall = time.perf_counter() - started
        latencies: list[float] = []
        timeouts = 0
        pending = list(clients)
        deadline = time.monotonic() + SECONDS
        rounds = 0
        while pending and rounds < ROUNDS and time.monotonic() < deadline:
            holder, cid = holders.pop(0)
            sent = time.perf_counter()
            await holder.end(cid)
            done, _ = await asyncio.wait(
                [c.opened for c in pending], timeout=5, return_when=asyncio.FIRST_COMPLETED
            )
            rounds += 1
            if not done:
                timeouts += 1
                break
            winner = next(c for c in pending if c.opened.done())
            new_cid, at = winner.opened.result()
            latencies.append(at - sent)
            pending.remove(winner)
            holders.append((winner, new_cid))
        for c in [*clients, *(h for h, _ in holders)]:
            c.task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.ws.close(), 5)
    db = Database(_normalise_db_url(url))
    try:
        async with db.read() as s:
            entries = (
                (
                    await s.execute(
                        select(QueueEntry).order_by(QueueEntry.joined_at, QueueEntry.id)
                    )  # type: ignore[arg-type]
                )
                .scalars()
                .all()
            )
            per_tick = (
                (
                    await s.execute(
                        select(func.count()).select_from(LineHold).group_by(LineHold.tick)
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await db.dispose()
    offered = [e for e in entries if e.offered_at is not None]
    by_offer = sorted(offered, key=lambda e: (e.offered_at, e.id))
    in_order = [e.id for e in by_offer] == [e.id for e in entries[: len(offered)]]
    return {
        "waiters": len(waiters),
        "join_wall_s": round(join_wall, 2),
        "join_p99_ms": round((percentile(join_s, 99) or 0) * 1000, 1),
        "rounds": rounds,
        "offered": len(latencies),
        "timeouts": timeouts,
        "offer_p50_ms": round((percentile(latencies, 50) or 0) * 1000, 1),
        "offer_p99_ms": round((percentile(latencies, 99) or 0) * 1000, 1),
        "offer_max_ms": round(max(latencies) * 1000 if latencies else 0, 1),
        "in_order": in_order,
        "max_lines_held": max(per_tick, default=0),
    }


def run(db_kind: str, n: int) -> dict[str, Any]:
    with database(db_kind, "queue") as url:
        seeded = asyncio.run(
            seed(
                url,
                now=NOW,
                mentors=LINES * 2,
                clients=n + LINES,
                shift_days=[jst(2026, 12, 1, 15, 0)],
            )
        )
        env = {"YORISOI_CLOCK_START": NOW.isoformat(), "YORISOI_LINES": str(LINES)}
        server = start_service(url, env=env, name=f"queue-{db_kind}")
        try:
            result = uvloop.run(
                _run(
                    server.port,
                    url,
                    seeded.client_tokens[:LINES],
                    seeded.client_tokens[LINES:],
                    seeded.mentor_ids[:LINES],
                )
            )
            result["server_log_tail"] = server.log_tail(4)
        finally:
            server.stop()
    return result


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    print(json.dumps(run(kind, int(sys.argv[2]) if len(sys.argv) > 2 else 200), indent=1))
