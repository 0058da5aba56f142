"""Booking storm: N concurrent booking and chat-now requests against a handful of slots.

Every client is signed in (seeded session); half POST /api/bookings for one of a few slots,
half POST /api/chat-now, all against a few mentors, LINES=4. All sockets are opened first
(HTTP/1.1 keep-alive, a minimal client so the load generator stays cheap), then every request
is written at once. Afterwards the database is checked: no tick may hold more than LINES
line_hold rows, and no tick may be overlapped by more than LINES booked/open consultations.

A storm lasts one to two seconds, and on a small shared machine the same code measured 445 to
954 req/s in consecutive runs: `rounds` repeats it on fresh databases and reports the median
round, every round's throughput, and the worst correctness figures of any round.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import uvloop
from common import HOST, cpu_seconds, database, jst, percentile, psql, start_service
from seed import seed

CLOCK = jst(2026, 12, 1, 16, 0)
SLOTS = [jst(2026, 12, 1, 17, 0), jst(2026, 12, 1, 17, 30), jst(2026, 12, 1, 18, 0)]
MENTORS = 5
LINES = 4


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, str, float]:
    t = time.perf_counter()
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    elapsed = time.perf_counter() - t
    code = "ok"
    if status >= 300:
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = "?"
    return status, code, elapsed


def _raw(port: int, path: str, token: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nOrigin: http://{HOST}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data


async def _storm(port: int, requests: list[bytes]) -> tuple[list[tuple[int, str, float]], float]:
    conns = []
    gate = asyncio.Semaphore(100)

    async def open_one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with gate:
            return await asyncio.open_connection(HOST, port)

    conns = await asyncio.wait_for(asyncio.gather(*(open_one() for _ in requests)), 60)
    t0 = time.perf_counter()
    results = await asyncio.wait_for(
        asyncio.gather(
            *(_request(r, w, raw) for (r, w), raw in zip(conns, requests, strict=True)),
            return_exceptions=True,
        ),
        120,
    )
    wall = time.perf_counter() - t0
    for _, w in conns:
        w.close()
    out = [r if isinstance(r, tuple) else (0, type(r).__name__, 0.0) for r in results]
    return out, wall


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///") :]) as c:
            return list(c.execute(sql).fetchall())
    text = psql(sql, db=url.rsplit("/", 1)[1])
    return [tuple(line.split("|")) for line in text.splitlines() if line]


def _overlapping(url: str) -> int:
    """Ticks overlapped by more than LINES booked/open consultations (from consultation rows,
    independently of line_hold)."""
    if url.startswith("sqlite"):
        rows = _query(
            url,
            "SELECT CAST(strftime('%s', starts_at) AS INTEGER), "
            "CAST(strftime('%s', ends_at) AS INTEGER) FROM consultation "
            "WHERE status IN ('booked', 'open')",
        )
    else:
        rows = _query(
            url,
            "SELECT CAST(extract(epoch FROM starts_at) AS BIGINT), "
            "CAST(extract(epoch FROM ends_at) AS BIGINT) FROM consultation "
            "WHERE status IN ('booked', 'open')",
        )
    use: Counter[int] = Counter()
    for start, end in rows:
        tick = int(start) // 300 * 300
        while tick < int(end):
            use[tick] += 1
            tick += 300
    return sum(1 for v in use.values() if v > LINES)


def rounds(db_kind: str, n: int, count: int = 3) -> dict[str, Any]:
    """The storm `count` times, each on a fresh database and server: the median round's figures
    (by req/s), each round's req/s and server CPU, and correctness summed over all rounds."""
    return combine([run(db_kind, n) for _ in range(count)])


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by req/s (the upper one of an even count), with every run's req/s and
    server CPU, and the correctness figures of all runs added up."""
    median = sorted(runs, key=lambda r: r["req_per_s"])[len(runs) // 2]
    out = dict(median)
    out["rounds"] = [
        {"req_per_s": r["req_per_s"], "server_cpu_ms_per_req": r["server_cpu_ms_per_req"]}
        for r in runs
    ]
    for key in ("overbooked_ticks", "overbooked_ticks_by_consultation", "mentor_double_booked"):
        out[key] = sum(r[key] for r in runs)
    out["http_500"] = sum(r["http_500"] for r in runs)
    return out


def run(
    db_kind: str,
    n: int,
    *,
    before_storm: Callable[[int], None] | None = None,
    after_storm: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """before_storm(server pid) / after_storm(): hooks for a profiler (profile_storm.py)."""
    day = jst(2026, 12, 1, 15, 0)
    with database(db_kind, "storm") as url:
        seeded = asyncio.run(seed(url, now=CLOCK, mentors=MENTORS, clients=n, shift_days=[day]))
        env = {"YORISOI_CLOCK_START": CLOCK.isoformat(), "YORISOI_LINES": str(LINES)}
        server = start_service(url, env=env, name=f"storm-{db_kind}")
        try:
            requests = []
            for i, token in enumerate(seeded.client_tokens):
                mentor = seeded.mentor_ids[i % MENTORS]
                if i % 2:
                    requests.append(
                        _raw(server.port, "/api/chat-now", token, {"mentor_id": mentor})
                    )
                else:
                    slot = SLOTS[(i // 2) % len(SLOTS)].isoformat()
                    body = {"mentor_id": mentor, "start": slot}
                    requests.append(_raw(server.port, "/api/bookings", token, body))
            if before_storm is not None:
                before_storm(server.pid)
            cpu0 = cpu_seconds(server.pid)
            results, wall = uvloop.run(_storm(server.port, requests))
            cpu = cpu_seconds(server.pid) - cpu0
            if after_storm is not None:
                after_storm()
            log_tail = server.log_tail(3)
        finally:
            server.stop()
        over_holds = _query(
            url,
            f"SELECT tick, count(*) FROM line_hold GROUP BY tick HAVING count(*) > {LINES}",
        )
        dup_mentor = _query(
            url,
            "SELECT mentor_id, tick FROM line_hold GROUP BY mentor_id, tick HAVING count(*) > 1",
        )
        live = _query(
            url,
            "SELECT count(*) FROM consultation WHERE status IN ('booked', 'open')",
        )
        per_tick = _query(url, "SELECT count(DISTINCT tick), count(*) FROM line_hold")
        over_consultations = _overlapping(url)
    statuses = Counter(s for s, _, _ in results)
    codes = Counter(c for _, c, _ in results)
    lat = [e * 1000 for s, _, e in results if s]
    return {
        "requests": len(results),
        "seconds": round(wall, 3),
        "req_per_s": round(len(results) / wall, 1),
        "p50_ms": round(percentile(lat, 50) or 0, 1),
        "p99_ms": round(percentile(lat, 99) or 0, 1),
        "max_ms": round(max(lat) if lat else 0, 1),
        "server_cpu_ms_per_req": round(cpu / len(results) * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "codes": dict(codes.most_common()),
        "taken": int(live[0][0]),
        "overbooked_ticks": len(over_holds),
        "overbooked_ticks_by_consultation": over_consultations,
        "mentor_double_booked": len(dup_mentor),
        "holds": {"ticks": int(per_tick[0][0]), "rows": int(per_tick[0][1])},
        "http_500": statuses.get(500, 0),
        "server_log_tail": log_tail,
    }
