"""Scheduler burst: N reservations for the same slot, every client connected and joined.

N mentors and N clients are seeded with one reservation each for SLOT (line holds included,
YORISOI_LINES=N). The server's clock starts LEAD seconds before SLOT; every client connects,
joins its booked consultation (the waiting screen) and waits for `consultation`/`opened`.
Lateness = the server-clock instant at which the client received `opened` minus SLOT. The
client/server clock offset is taken from `hello.server_time` (the tightest of all sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime
from typing import Any

import uvloop
from common import HOST, database, jst, percentile, start_service
from seed import seed
from websockets.asyncio.client import ClientConnection, connect

SLOT = jst(2026, 12, 1, 17, 0)
LEAD = 10.0  # seconds of server clock before the slot: start-up, connect and join fit in it


async def _client(
    port: int, token: str, cid: int, out: dict[str, Any], opened: asyncio.Event
) -> ClientConnection:
    ws = await connect(
        f"ws://{HOST}:{port}/ws",
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=f"http://{HOST}:{port}",  # type: ignore[arg-type]
        compression=None,
        ping_interval=None,
        open_timeout=60,
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
    received = time.time()
    server = datetime.fromisoformat(hello["server_time"]).timestamp()
    out["offsets"].append(server - received)
    await ws.send(json.dumps({"type": "join", "consultation_id": cid}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("type") == "joined":
            if frame["consultation"]["status"] != "booked":
                out["joined_late"] += 1
            break
    out["joined_at"].append(time.time())
    return ws


async def _watch(ws: ClientConnection, cid: int, out: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):
        async for raw in ws:
            frame = json.loads(raw)
            if (
                frame.get("type") == "consultation"
                and frame.get("event") == "opened"
                and frame.get("consultation_id") == cid
            ):
                out["opened"].append(time.time())
                return


async def _burst(
    port: int, tokens: list[str], cids: list[int], wait_after: float
) -> dict[str, Any]:
    out: dict[str, Any] = {"offsets": [], "opened": [], "joined_at": [], "joined_late": 0}
    gate = asyncio.Semaphore(64)
    opened = asyncio.Event()

    async def one(token: str, cid: int) -> ClientConnection | None:
        async with gate:
            try:
                return await _client(port, token, cid, out, opened)
            except Exception:  # noqa: BLE001 - counted
                return None

    socks = await asyncio.wait_for(
        asyncio.gather(*(one(t, c) for t, c in zip(tokens, cids, strict=True))), LEAD + 30
    )
    offset = max(out["offsets"])  # server clock - local clock, least delayed hello
    slot_local = SLOT.timestamp() - offset
    watchers = [
        asyncio.create_task(_watch(ws, cid, out))
        for ws, cid in zip(socks, cids, strict=True)
        if ws is not None
    ]
    deadline = slot_local + wait_after
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*watchers), max(1.0, deadline - time.time()))
    for w in watchers:
        w.cancel()
    for ws in socks:
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)
    late = [t - slot_local for t in out["opened"]]
    return {
        "connected": sum(1 for s in socks if s is not None),
        "joined_before_start": sum(1 for t in out["joined_at"] if t < slot_local),
        "told": len(late),
        "lateness_p50_ms": round((percentile(late, 50) or 0) * 1000, 1),
        "lateness_p99_ms": round((percentile(late, 99) or 0) * 1000, 1),
        "lateness_max_ms": round(max(late) * 1000 if late else 0, 1),
        "within_1s": sum(1 for x in late if x <= 1.0),
    }


def run(db_kind: str, n: int) -> dict[str, Any]:
    with database(db_kind, "burst") as url:
        seeded = asyncio.run(
            seed(url, now=SLOT, mentors=n, clients=n, booked_at=SLOT, booked_pairs=n)
        )
        start = datetime.fromtimestamp(SLOT.timestamp() - LEAD, SLOT.tzinfo)
        env = {"YORISOI_CLOCK_START": start.isoformat(), "YORISOI_LINES": str(max(n, 4))}
        server = start_service(url, env=env, name=f"burst-{db_kind}")
        try:
            result = uvloop.run(
                _burst(server.port, seeded.client_tokens, seeded.consultation_ids, 15)
            )
            result["server_log_tail"] = server.log_tail(4)
        finally:
            server.stop()
    result["reservations"] = n
    return result
