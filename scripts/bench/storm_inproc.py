"""The booking storm's requests sent straight into the app, in this process (not part of
`make bench`): CPU per request without uvicorn, sockets or a load generator beside it.

    .venv/bin/python scripts/bench/storm_inproc.py [sqlite|postgres] [requests] [--together]
        [--profile]

The real storm (booking_storm.py) swings by a third between runs of the same code on a shared
2-core machine; this one, run a few times, tells a change to the request path from noise
(take the lowest of several runs). Requests go one after another, or with --together all at
once (as in the storm: the shared reads of `booking.take_views` and `accounts.sessions` only
pay there). The database is seeded as the storm's; the clock stands at the storm's 16:00.
--profile prints cProfile's top functions (cumulative).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import pstats
import sys
import time
from collections import Counter
from typing import Any

import booking_storm as storm
import uvloop
from common import ROOT, SERVICE_ENV, database
from seed import seed


async def _call(app: Any, path: str, token: str, body: dict[str, Any]) -> int:
    data = json.dumps(body).encode()
    origin = b"http://127.0.0.1:8000"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"origin", origin),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    received = False
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": data, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def _measure(url: str, tokens: list[str], mentors: list[int], together: bool) -> None:
    os.environ.update(SERVICE_ENV)
    os.environ.pop("YORISOI_SECRET_KEY", None)  # tokens are seeded with the dev secret
    os.environ.update(
        {
            "DATABASE_URL": url,
            "YORISOI_CLOCK_START": storm.CLOCK.isoformat(),
            "YORISOI_LINES": str(storm.LINES),
        }
    )
    sys.path.insert(0, str(ROOT))
    from app.main import create_app

    app = create_app()
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    life = asyncio.create_task(app({"type": "lifespan", "state": {}}, inbox.get, outbox.put))
    await outbox.get()
    calls = []
    for i, token in enumerate(tokens):
        mentor = mentors[i % len(mentors)]
        if i % 2:
            calls.append(("/api/chat-now", token, {"mentor_id": mentor}))
        else:
            slot = storm.SLOTS[(i // 2) % len(storm.SLOTS)].isoformat()
            calls.append(("/api/bookings", token, {"mentor_id": mentor, "start": slot}))
    profile = cProfile.Profile() if "--profile" in sys.argv else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    if together:
        statuses = list(await asyncio.gather(*(_call(app, *c) for c in calls)))
    else:
        statuses = [await _call(app, *c) for c in calls]
    if profile is not None:
        profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = len(calls)
    print(
        f"{n} requests {'together' if together else 'one after another'}: "
        f"{cpu / n * 1000:.3f} ms CPU and {wall / n * 1000:.3f} ms wall per request, "
        f"statuses {dict(Counter(statuses))}"
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await life


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    kind = args[0] if args else "postgres"
    n = int(args[1]) if len(args) > 1 else 1000
    with database(kind, "inproc") as url:
        seeded = asyncio.run(
            seed(
                url,
                now=storm.CLOCK,
                mentors=storm.MENTORS,
                clients=n,
                shift_days=[storm.jst(2026, 12, 1, 15, 0)],
            )
        )
        uvloop.run(_measure(url, seeded.client_tokens, seeded.mentor_ids, "--together" in sys.argv))


if __name__ == "__main__":
    main()
