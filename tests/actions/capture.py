"""What actions publish, captured (the model: Zulip's capture_send_event_calls).

    with capture_events(env.ctx) as events:   # the fixture in conftest.py
        await do_end(...)
    assert events.of("consultation") == [...]

Events are recorded as they reach the hub (after the action committed), with their topics,
and still delivered: the capture watches, it does not replace the hub.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.actions import Context


@dataclass
class Published:
    topics: list[str]
    event: dict[str, Any]
    remote: dict[str, Any] | None


class Captured(list[Published]):
    def of(self, event_type: str) -> list[Published]:
        return [p for p in self if p.event.get("type") == event_type]

    def types(self) -> list[str]:
        return [str(p.event.get("type")) for p in self]


@contextmanager
def capture(ctx: Context) -> Iterator[Captured]:
    captured = Captured()
    hub = ctx.hub
    original = hub.publish

    async def recording(
        topics: list[str], event: dict[str, Any], *, remote: dict[str, Any] | None = None
    ) -> None:
        shown = {k: v for k, v in event.items() if k != "_json"}
        captured.append(Published(list(topics), shown, remote))
        await original(topics, event, remote=remote)

    hub.publish = recording  # type: ignore[method-assign]
    try:
        yield captured
    finally:
        del hub.publish
