"""Chat relay: the bare relay (baseline) and the service, same load generator, same phases.

The service's consultations are seeded open (walk-in, both sides signed in); each side
connects to /ws with a bearer token, joins, and the pairs exchange `send` frames. Every
message is stored before its `ack`; the peer's receipt of the `message` is what is timed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from common import (
    HOST,
    database,
    jst,
    psql,
    start_bare,
    start_service,
)
from load import PairSpec, Phase, run_load
from seed import seed

CLOCK = jst(2026, 12, 1, 16, 0)


def phases(
    light_rate: float,
    sockets: int,
    seconds: float,
    *,
    sat_senders: int,
    light_seconds: float | None = None,
    window: int = 1,
) -> list[Phase]:
    """Saturation first (closed loop, bounded in flight, so it drains at once), then the
    open-loop light load, whose backlog (if the server cannot keep up) is left to the end.
    light_seconds (default: seconds): the light phase is longer in `make bench`, so that its
    p99 is not set by one stop of a shared machine (see docs/benchmarks.md)."""
    light = seconds if light_seconds is None else light_seconds
    return [
        Phase("saturation", "sat", seconds, window=window, active=sat_senders, drain=2.0),
        Phase("light", "light", light, rate_per_socket=light_rate / sockets, drain=4.0),
    ]


def bare(pairs: int, ph: list[Phase], workers: int) -> dict[str, Any]:
    server = start_bare()
    try:
        url = f"ws://{HOST}:{server.port}/ws/"
        specs = [PairSpec(cid=i, a_url=f"{url}{i}", b_url=f"{url}{i}") for i in range(pairs)]
        result = run_load("bare", specs, ph, [server.pid], workers=workers)
    finally:
        server.stop()
    result["server"] = "bare Starlette relay"
    return result


def stored_messages(url: str) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///") :]) as c:
            return int(c.execute("SELECT count(*) FROM message").fetchone()[0])
    return int(psql("SELECT count(*) FROM message", db=url.rsplit("/", 1)[1]))


def service(
    db_kind: str, pairs: int, ph: list[Phase], workers: int, *, processes: int = 1
) -> dict[str, Any]:
    """processes=2: clients connect to one server process, mentors to another (PostgreSQL)."""
    with database(db_kind, "relay") as url:
        seeded = asyncio.run(
            seed(
                url, now=CLOCK, mentors=pairs, mentor_sessions=True, clients=pairs, open_pairs=pairs
            )
        )
        env = {"YORISOI_CLOCK_START": CLOCK.isoformat(), "YORISOI_LINES": "500"}
        servers = [
            start_service(url, env=env, name=f"service-{db_kind}-{i}") for i in range(processes)
        ]
        try:
            a, b = servers[0], servers[-1]
            specs = [
                PairSpec(
                    cid=cid,
                    a_url=f"ws://{HOST}:{a.port}/ws",
                    b_url=f"ws://{HOST}:{b.port}/ws",
                    a_token=seeded.client_tokens[i],
                    b_token=seeded.mentor_tokens[i],
                    a_origin=f"http://{HOST}:{a.port}",
                    b_origin=f"http://{HOST}:{b.port}",
                )
                for i, cid in enumerate(seeded.consultation_ids)
            ]
            result = run_load("service", specs, ph, [s.pid for s in servers], workers=workers)
            result["stored_messages"] = stored_messages(url)
            result["server_log_tail"] = servers[0].log_tail(5)
        finally:
            for s in servers:
                s.stop()
    result["server"] = f"yorisoi on {db_kind}, {processes} process(es)"
    return result
