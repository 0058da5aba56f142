"""A realistic hour, compressed: chats, bookings, chat-now and the 17:00 scheduler burst at once.

- CHATS open consultations (walk-in, seeded), both sides connected and joined; each side
  sends one message every 5–10 s (uniform think time) for the whole phase;
- signed-in clients POST /api/bookings and /api/chat-now, each at BOOK_PER_MIN a minute
  (Poisson arrivals; one fresh keep-alive connection per client, the request timed from
  its first byte written to the last byte read) against a few mentors on shift;
- BURST reservations for 17:00 (seeded with their line holds), every client connected and
  joined (the waiting screen); the server's clock is injected (YORISOI_CLOCK_START) so that
  17:00 falls in the middle of the phase, and the lateness of `consultation`/`opened` is
  timed on the server's clock as in scheduler_burst.py.

The seeded chats hold no lines (as in the relay row: YORISOI_LINES is capped at 500, and the
lines are what the bookings, chat-now and the burst compete for). Afterwards the database is
checked: no tick holds more than LINES lines, and no tick is overlapped by more than LINES
booked/open consultations other than the seeded chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import random
import sqlite3
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import uvloop
from common import HOST, database, jst, percentile, psql, stalls, stalls_between, start_service
from load import PairSpec, Phase, run_load
from relay import stored_messages
from seed import seed
from websockets.asyncio.client import ClientConnection, connect

SLOT = jst(2026, 12, 1, 17, 0)
LINES = 500
MENTORS_ON_SHIFT = 20
BOOK_SLOTS = [SLOT + timedelta(minutes=30 * k) for k in range(1, 9)]  # 17:30 … 21:00


# -- the extras process: HTTP clients and the burst's waiting clients ------------------------
async def _http(port: int, path: str, token: str, body: dict[str, Any]) -> tuple[int, str, float]:
    data = json.dumps(body).encode()
    raw = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nOrigin: http://{HOST}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        t = time.perf_counter()
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        payload = await reader.readexactly(length) if length else b""
        elapsed = time.perf_counter() - t
    finally:
        writer.close()
    code = "ok"
    if status >= 300:
        try:
            code = json.loads(payload)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = "?"
    return status, code, elapsed


async def _waiting_client(
    port: int, token: str, cid: int, offsets: list[float]
) -> ClientConnection:
    ws = await connect(
        f"ws://{HOST}:{port}/ws",
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=f"http://{HOST}:{port}",  # type: ignore[arg-type]
        compression=None,
        open_timeout=60,
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
    received = time.time()
    offsets.append(datetime.fromisoformat(hello["server_time"]).timestamp() - received)
    await ws.send(json.dumps({"type": "join", "consultation_id": cid}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("type") in ("joined", "error"):
            return ws


async def _watch(ws: ClientConnection, cid: int, opened: list[float]) -> None:
    with contextlib.suppress(Exception):
        async for raw in ws:
            frame = json.loads(raw)
            if (
                frame.get("type") == "consultation"
                and frame.get("event") == "opened"
                and frame.get("consultation_id") == cid
            ):
                opened.append(time.time())
                return


async def _extras_main(conn: Any, job: dict[str, Any]) -> None:
    port = job["port"]
    offsets: list[float] = []
    gate = asyncio.Semaphore(32)

    async def join(token: str, cid: int) -> ClientConnection | None:
        async with gate:
            try:
                return await _waiting_client(port, token, cid, offsets)
            except Exception:  # noqa: BLE001 - counted
                return None

    socks = await asyncio.gather(
        *(join(t, c) for t, c in zip(job["burst_tokens"], job["burst_cids"], strict=True))
    )
    joined_at = time.time()
    offset = max(offsets) if offsets else 0.0  # server clock − local clock, least delayed hello
    slot_local = SLOT.timestamp() - offset
    opened: list[float] = []
    watchers = [
        asyncio.create_task(_watch(ws, cid, opened))
        for ws, cid in zip(socks, job["burst_cids"], strict=True)
        if ws is not None
    ]
    conn.send(("ready", slot_local))
    loop = asyncio.get_running_loop()
    _, start, seconds = await loop.run_in_executor(None, conn.recv)
    await asyncio.sleep(max(0.0, start - time.time()))
    results: dict[str, list[tuple[int, str, float]]] = {"booking": [], "chat_now": []}
    tasks: list[asyncio.Task[None]] = []
    rate = job["per_minute"] / 60.0

    async def fire(kind: str, token: str, body: dict[str, Any], at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        path = "/api/bookings" if kind == "booking" else "/api/chat-now"
        try:
            results[kind].append(await asyncio.wait_for(_http(port, path, token, body), 30))
        except Exception as exc:  # noqa: BLE001 - counted as a failed request
            results[kind].append((0, type(exc).__name__, 0.0))

    rng = random.Random(7)
    tokens = iter(job["http_tokens"])
    mentors = job["mentor_ids"]
    for kind in ("booking", "chat_now"):
        t = start + rng.expovariate(rate)
        while t < start + seconds:
            token = next(tokens, None)
            if token is None:
                break
            mentor = rng.choice(mentors)
            body: dict[str, Any] = {"mentor_id": mentor}
            if kind == "booking":
                body["start"] = rng.choice(BOOK_SLOTS).isoformat()
            tasks.append(asyncio.create_task(fire(kind, token, body, t)))
            t += rng.expovariate(rate)
    await asyncio.gather(*tasks)
    deadline = max(start + seconds, slot_local + 5.0)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*watchers), max(1.0, deadline - time.time()))
    for w in watchers:
        w.cancel()
    for ws in socks:
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)
    late = [x - slot_local for x in opened]
    conn.send(
        (
            "done",
            {
                "http": results,
                "burst": {
                    "reservations": len(job["burst_cids"]),
                    "connected": sum(1 for s in socks if s is not None),
                    "joined_before_start": (
                        sum(1 for s in socks if s is not None) if joined_at < slot_local else 0
                    ),
                    "told": len(late),
                    "lateness_p50_ms": _ms(percentile(late, 50)),
                    "lateness_p99_ms": _ms(percentile(late, 99)),
                    "lateness_max_ms": _ms(max(late) if late else None),
                    "slot_in_phase_s": round(slot_local - start, 1),
                },
            },
        )
    )


def _ms(x: float | None) -> float | None:
    return round(x * 1000, 1) if x is not None else None


def _extras_entry(conn: Any, job: dict[str, Any]) -> None:
    uvloop.run(_extras_main(conn, job))


def http_summary(results: list[tuple[int, str, float]], seconds: float) -> dict[str, Any]:
    """Counts, answers and latency of one kind of request."""
    lat = [e * 1000 for s, _, e in results if s]
    statuses = Counter(s for s, _, _ in results)
    return {
        "requests": len(results),
        "per_minute": round(len(results) / seconds * 60, 1),
        "p50_ms": round(percentile(lat, 50) or 0, 1),
        "p99_ms": round(percentile(lat, 99) or 0, 1),
        "max_ms": round(max(lat) if lat else 0, 1),
        "codes": dict(Counter(c for _, c, _ in results).most_common()),
        "http_500": statuses.get(500, 0),
        "failed": statuses.get(0, 0),
    }


# -- the database afterwards -----------------------------------------------------------------
def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///") :]) as c:
            return list(c.execute(sql).fetchall())
    text = psql(sql, db=url.rsplit("/", 1)[1])
    return [tuple(line.split("|")) for line in text.splitlines() if line]


def overbooked(url: str, seeded_chats: list[int]) -> tuple[int, int]:
    """(ticks holding more than LINES lines, ticks overlapped by more than LINES booked/open
    consultations other than the seeded chats)."""
    holds = _query(url, f"SELECT tick FROM line_hold GROUP BY tick HAVING count(*) > {LINES}")
    epoch = (
        "CAST(strftime('%s', {}) AS INTEGER)"
        if url.startswith("sqlite")
        else "CAST(extract(epoch FROM {}) AS BIGINT)"
    )
    rows = _query(
        url,
        f"SELECT id, {epoch.format('starts_at')}, {epoch.format('ends_at')} FROM consultation"
        " WHERE status IN ('booked', 'open')",
    )
    skip = set(seeded_chats)
    use: Counter[int] = Counter()
    for cid, start, end in rows:
        if int(cid) in skip:
            continue
        tick = int(start) // 300 * 300
        while tick < int(end):
            use[tick] += 1
            tick += 300
    return len(holds), sum(1 for v in use.values() if v > LINES)


# -- the row ---------------------------------------------------------------------------------
def run(
    db_kind: str,
    chats: int,
    *,
    burst: int,
    seconds: float,
    lead: float,
    per_minute: float = 200.0,
    workers: int = 2,
) -> dict[str, Any]:
    """lead: seconds of server clock before 17:00 at start-up (connecting fits in it)."""
    start_clock = SLOT - timedelta(seconds=lead)
    requests = int(per_minute * seconds / 60 * 1.5) + 20  # Poisson: room for the tail
    with database(db_kind, "real") as url:
        talk = asyncio.run(
            seed(
                url,
                now=start_clock,
                mentors=chats,
                mentor_sessions=True,
                clients=chats,
                open_pairs=chats,
            )
        )
        booked = asyncio.run(
            seed(
                url,
                now=start_clock,
                mentors=burst,
                clients=burst,
                booked_at=SLOT,
                booked_pairs=burst,
                prefix="b",
            )
        )
        day = jst(2026, 12, 1, 15, 0)
        http = asyncio.run(
            seed(
                url,
                now=start_clock,
                mentors=MENTORS_ON_SHIFT,
                clients=2 * requests,
                shift_days=[day],
                prefix="h",
            )
        )
        env = {"YORISOI_CLOCK_START": start_clock.isoformat(), "YORISOI_LINES": str(LINES)}
        server = start_service(url, env=env, name=f"real-{db_kind}")
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        job = {
            "port": server.port,
            "burst_tokens": booked.client_tokens,
            "burst_cids": booked.consultation_ids,
            "http_tokens": http.client_tokens,
            "mentor_ids": http.mentor_ids,
            "per_minute": per_minute,
        }
        extras = ctx.Process(target=_extras_entry, args=(child, job), daemon=True)
        extras.start()
        try:
            if not parent.poll(120):
                raise RuntimeError("the burst's clients did not connect in time")
            _, slot_local = parent.recv()
            port = server.port
            specs = [
                PairSpec(
                    cid=cid,
                    a_url=f"ws://{HOST}:{port}/ws",
                    b_url=f"ws://{HOST}:{port}/ws",
                    a_token=talk.client_tokens[i],
                    b_token=talk.mentor_tokens[i],
                    a_origin=f"http://{HOST}:{port}",
                    b_origin=f"http://{HOST}:{port}",
                )
                for i, cid in enumerate(talk.consultation_ids)
            ]
            phase = Phase("chat", "uniform", seconds, interval=(5.0, 10.0), drain=4.0)
            at_start: list[dict[str, Any]] = []
            at_end: list[dict[str, Any]] = []

            def started(start: float) -> None:
                parent.send(("go", start, seconds))
                # the service's stalls so far, read as the phase starts and as its receipts'
                # wait ends (before a thousand sockets close: their stalls are not the phase's)
                for at, reading in ((start, at_start), (start + seconds + phase.drain, at_end)):
                    timer = threading.Timer(
                        max(0.0, at - time.time()), lambda r=reading: r.append(stalls(port))
                    )
                    timer.daemon = True
                    timer.start()

            result = run_load(
                "service",
                specs,
                [phase],
                [server.pid],
                workers=workers,
                not_before=slot_local - seconds / 2,
                on_start=started,
                loadgen_pids=[extras.pid] if extras.pid else None,
            )
            if not parent.poll(seconds + 90):
                raise RuntimeError("the HTTP clients did not report")
            _, extra = parent.recv()
            final = stalls(port)
            result["stalls"] = stalls_between(
                at_start[0] if at_start else None, at_end[0] if at_end else final
            )
            if at_end:  # the sockets' closing, after the phase
                result["stalls_closing"] = stalls_between(at_end[0], final)
            result["stored_messages"] = stored_messages(url)
            result["server_log_tail"] = server.log_tail(5)
        finally:
            extras.join(20)
            if extras.is_alive():
                extras.terminate()
                extras.join(5)
            server.stop()
        over_holds, over_consultations = overbooked(url, talk.consultation_ids)
    result["booking"] = http_summary(extra["http"]["booking"], seconds)
    result["chat_now"] = http_summary(extra["http"]["chat_now"], seconds)
    result["burst"] = extra["burst"]
    result["overbooked_ticks"] = over_holds
    result["overbooked_ticks_by_consultation"] = over_consultations
    result["chats"] = chats
    result["server"] = f"yorisoi on {db_kind}, 1 process"
    return result
