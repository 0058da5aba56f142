"""A background loop that waits "for an event, or at most N seconds" must stop when the
shutdown cancels it, even as the event is set at that very moment. On Python 3.11,
asyncio.wait_for swallows such a cancel (the inner wait finished first) and the loop goes on:
that was the LINE protocol tests' intermittent hang, the event bridge's interest loop
outliving its server's shutdown. The service's code uses asyncio.timeout instead."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import app

APP = Path(app.__file__).parent


async def loop_on(event: asyncio.Event) -> None:
    """The shape of PgBridge._register and the LINE intake's loop."""
    while True:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await event.wait()
        event.clear()


async def test_a_waiting_loop_stops_when_cancelled_as_its_event_is_set() -> None:
    event = asyncio.Event()
    task = asyncio.create_task(loop_on(event))
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2)
    assert task in done and task.cancelled()


def test_the_service_never_uses_wait_for() -> None:
    users = [
        f"{path.relative_to(APP)}:{n}"
        for path in sorted(APP.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "wait_for(" in line and not line.lstrip().startswith("#")
    ]
    assert users == []
