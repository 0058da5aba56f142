"""N processes on one PostgreSQL: each consultation's client on process i mod N, its mentor
on process (i + 1) mod N, so every message crosses processes (routed NOTIFY of a pointer, one
read per burst on the receiving process) and every process carries the same load."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

from common import HOST, database, start_service
from load import PairSpec, Phase, run_load
from relay import CLOCK, stored_messages
from seed import seed


def specs_across(seeded: Any, servers: list[Any]) -> list[PairSpec]:
    """Pair i: the client on servers[i mod N], the mentor on servers[(i + 1) mod N]."""
    n = len(servers)
    specs = []
    for i, cid in enumerate(seeded.consultation_ids):
        a, b = servers[i % n], servers[(i + 1) % n]
        specs.append(
            PairSpec(
                cid=cid,
                a_url=f"ws://{HOST}:{a.port}/ws",
                b_url=f"ws://{HOST}:{b.port}/ws",
                a_token=seeded.client_tokens[i],
                b_token=seeded.mentor_tokens[i],
                a_origin=f"http://{HOST}:{a.port}",
                b_origin=f"http://{HOST}:{b.port}",
            )
        )
    return specs


def run(pairs: int, phases: list[Phase], workers: int, processes: int = 2) -> dict[str, Any]:
    with database("postgres", "relay") as url:
        seeded = asyncio.run(
            seed(
                url, now=CLOCK, mentors=pairs, mentor_sessions=True, clients=pairs, open_pairs=pairs
            )
        )
        env = {
            "YORISOI_CLOCK_START": CLOCK.isoformat(),
            "YORISOI_LINES": "500",
            # two processes keep the default 30; more share 60 (PostgreSQL allows 100 here)
            "YORISOI_DB_POOL": str(min(30, 60 // processes)),
        }
        servers = [
            start_service(url, env=env, name=f"service-postgres-{i}") for i in range(processes)
        ]
        try:
            specs = specs_across(seeded, servers)
            result = run_load("service", specs, phases, [s.pid for s in servers], workers=workers)
            try:  # a busy server may refuse psql a connection: keep the figures anyway
                result["stored_messages"] = stored_messages(url)
            except subprocess.CalledProcessError:
                result["stored_messages"] = None
            result["server_log_tail"] = servers[0].log_tail(5)
        finally:
            for s in servers:
                s.stop()
    result["server"] = f"yorisoi on postgres, {processes} processes, every message crossing"
    return result
