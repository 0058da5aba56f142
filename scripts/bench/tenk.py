"""10,000 sockets held by one process: every socket authenticated and joined to its open
consultation (5,000 seeded straight into the database), heartbeats on (the server's
WebSocket pings every 20 s, and every client's protocol `ping` frame every 20 s), while a
subset of the pairs carries a light load (500 msg/s offered in total).

Memory per socket = the server's RSS once every socket is connected and joined, minus its
RSS before the first one, divided by the sockets. The load generator spreads the sockets
over several worker processes (a socket costs a client too); the open-file limit is raised
for this run only (common.raise_nofile, inherited by the server and the workers).
"""

from __future__ import annotations

import asyncio
from typing import Any

from common import HOST, database, raise_nofile, start_service
from load import PairSpec, Phase, run_load
from relay import CLOCK, stored_messages
from seed import seed

HEARTBEAT_S = 20.0  # docs/protocol.md: a client pings every 20 s
# Pairs not connected and joined by then are given up and reported (a busy machine connects
# a few hundred sockets a second; the row must stay bounded).
CONNECT_S = 150.0


def run(
    db_kind: str,
    sockets: int,
    *,
    rate: float = 500.0,
    senders: int = 2000,
    seconds: float = 15.0,
    workers: int = 4,
) -> dict[str, Any]:
    pairs = sockets // 2
    limit = raise_nofile()
    if limit < sockets + 1000:
        raise RuntimeError(f"open-file limit {limit} is too low for {sockets} sockets")
    senders = min(senders, sockets)
    phase = Phase(
        "light",
        "light",
        seconds,
        rate_per_socket=rate / senders,
        active=senders,
        heartbeat=HEARTBEAT_S,
        drain=4.0,
    )
    with database(db_kind, "tenk") as url:
        seeded = asyncio.run(
            seed(
                url, now=CLOCK, mentors=pairs, mentor_sessions=True, clients=pairs, open_pairs=pairs
            )
        )
        # LINES is only the capacity new bookings compete for; the seeded open consultations
        # hold no lines, so the cap (500) is enough (docs/benchmarks.md).
        env = {
            "YORISOI_CLOCK_START": CLOCK.isoformat(),
            "YORISOI_LINES": "500",
        }
        server = start_service(url, env=env, name=f"tenk-{db_kind}")
        try:
            port = server.port
            specs = [
                PairSpec(
                    cid=cid,
                    a_url=f"ws://{HOST}:{port}/ws",
                    b_url=f"ws://{HOST}:{port}/ws",
                    a_token=seeded.client_tokens[i],
                    b_token=seeded.mentor_tokens[i],
                    a_origin=f"http://{HOST}:{port}",
                    b_origin=f"http://{HOST}:{port}",
                )
                for i, cid in enumerate(seeded.consultation_ids)
            ]
            result = run_load(
                "service",
                specs,
                [phase],
                [server.pid],
                workers=workers,
                rss_pid=server.pid,
                connect_timeout=CONNECT_S,
            )
            result["stored_messages"] = stored_messages(url)
            result["server_log_tail"] = server.log_tail(5)
        finally:
            server.stop()
    result["server"] = f"yorisoi on {db_kind}, 1 process"
    result["offered_msgs_per_s"] = rate
    result["sending_sockets"] = senders
    result["attempted"] = 2 * pairs
    return result
