"""Idle connections: server RSS growth per open socket, the bare relay vs the service.

The service's sockets are authenticated (bearer token; `hello` received) and stay idle. A
small warm-up set is opened first so that pools, caches and the allocator's first arenas are
not charged to the measured connections.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from common import HOST, database, rss_bytes, start_bare, start_service
from load import IdleClients
from relay import CLOCK
from seed import seed

WARMUP = 100


def _measure(pid: int, warm: list[Any], main: list[Any]) -> dict[str, Any]:
    warm_clients = IdleClients(warm, workers=1)
    clients = IdleClients(main, workers=2)
    try:
        warm_clients.open()
        time.sleep(1.0)
        before = rss_bytes(pid)
        n, failures, seconds = clients.open()
        time.sleep(2.0)
        after = rss_bytes(pid)
    finally:
        clients.close()
        warm_clients.close()
    return {
        "connections": n,
        "failures": failures,
        "connect_seconds": round(seconds, 1),
        "connects_per_s": round(n / seconds, 1) if seconds else None,
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_mib": round(after / 2**20, 1),
        "kib_per_connection": round((after - before) / max(n, 1) / 1024, 1),
    }


def bare(n: int) -> dict[str, Any]:
    server = start_bare()
    try:
        url = f"ws://{HOST}:{server.port}/ws/"
        warm = [(f"{url}w{i}", None, None) for i in range(WARMUP)]
        main = [(f"{url}{i}", None, None) for i in range(n)]
        return _measure(server.pid, warm, main)
    finally:
        server.stop()


def service(db_kind: str, n: int) -> dict[str, Any]:
    with database(db_kind, "idle") as url:
        seeded = asyncio.run(seed(url, now=CLOCK, clients=n + WARMUP))
        server = start_service(url, env={"YORISOI_CLOCK_START": CLOCK.isoformat()}, name="idle")
        try:
            ws = f"ws://{HOST}:{server.port}/ws"
            origin = f"http://{HOST}:{server.port}"
            tokens = seeded.client_tokens
            warm = [(ws, t, origin) for t in tokens[:WARMUP]]
            main = [(ws, t, origin) for t in tokens[WARMUP:]]
            return _measure(server.pid, warm, main)
        finally:
            server.stop()
