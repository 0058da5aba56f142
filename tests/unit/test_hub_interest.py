"""The hub tells its bridge when this process gains its first or loses its last subscriber of
a topic, once each way; an announced subscription waits for the bridge first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from app.realtime.hub import Bridge, Hub, Subscriber


class Recording(Bridge):
    def __init__(self) -> None:
        self.touched: list[str] = []
        self.recorded: set[str] = set()
        self.round: asyncio.Future[None] | None = None

    def touch(self, topic: str) -> None:
        self.touched.append(topic)

    def announced(self, topic: str) -> Awaitable[None] | None:
        if topic in self.recorded:
            return None
        self.round = asyncio.get_running_loop().create_future()
        return self.round


async def test_one_touch_each_way_and_the_subscription_waits_for_the_bridge() -> None:
    hub = Hub()
    bridge = hub.bridge = Recording()
    first, second = Subscriber("a"), Subscriber("b")
    joining = asyncio.create_task(hub.subscribe_announced(first, "consultation:1"))
    await asyncio.sleep(0)
    assert bridge.touched == ["consultation:1"] and hub.interested("consultation:1")
    assert not hub.has_subscribers(["consultation:1"])  # not before the bridge has it
    bridge.recorded.add("consultation:1")
    assert bridge.round is not None
    bridge.round.set_result(None)
    await joining
    assert hub.has_subscribers(["consultation:1"])
    await hub.subscribe_announced(second, "consultation:1")  # already recorded: no wait
    hub.unsubscribe(first, "consultation:1")
    assert bridge.touched == ["consultation:1"]  # still a subscriber here
    hub.unsubscribe(second, "consultation:1")
    assert bridge.touched == ["consultation:1", "consultation:1"]
    assert not hub.interested("consultation:1") and hub.topics() == []


async def test_a_cancelled_join_leaves_no_interest_behind() -> None:
    hub = Hub()
    bridge = hub.bridge = Recording()
    joining = asyncio.create_task(hub.subscribe_announced(Subscriber("a"), "client:3"))
    await asyncio.sleep(0)
    joining.cancel()
    await asyncio.gather(joining, return_exceptions=True)
    assert not hub.interested("client:3") and bridge.touched == ["client:3", "client:3"]
