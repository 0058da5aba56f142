"""The in-process hub's bookkeeping: who follows which topic, sockets per account, and the
bounded mailbox (app/realtime/hub.py)."""

from __future__ import annotations

import asyncio

import pytest

from app.realtime.hub import SMALL, Hub, Mailbox, Subscriber


def test_an_event_reaches_each_subscriber_once_across_its_topics() -> None:
    hub = Hub()
    a, b = Subscriber("client:1"), Subscriber("staff:2")
    for sub in (a, b):
        hub.add(sub)
    hub.subscribe(a, "consultation:5")
    hub.subscribe(a, "client:1")
    hub.subscribe(a, "client:1")  # twice: still once
    hub.subscribe(b, "consultation:5")
    hub.deliver_local(["consultation:5", "client:1"], {"type": "x"})
    assert a.queue.qsize() == 1 and b.queue.qsize() == 1
    assert hub.subscribers(["client:1"]) == {a}
    hub.unsubscribe(a, "consultation:5")
    assert hub.subscribers(["consultation:5"]) == {b}
    assert a.topics == ("client:1",)


def test_remove_forgets_every_topic_and_counts_sockets_per_account() -> None:
    hub = Hub()
    tab1, tab2 = Subscriber("client:1"), Subscriber("client:1")
    hub.add(tab1)
    hub.add(tab2)
    assert hub.connections_of("client:1") == 2
    hub.subscribe(tab1, "client:1")
    hub.subscribe(tab2, "client:1")
    hub.remove(tab1)
    assert hub.connections_of("client:1") == 1
    assert hub.subscribers(["client:1"]) == {tab2}
    hub.remove(tab2)
    assert hub.connections_of("client:1") == 0
    assert hub.subscribers(["client:1"]) == set()
    assert not hub._topics and not hub._accounts  # nothing left behind


def test_a_subscriber_of_many_topics_keeps_them_in_a_set() -> None:
    hub = Hub()
    line = Subscriber("line")
    hub.add(line)
    names = [f"client:{i}" for i in range(SMALL + 3)]
    for name in names:
        hub.subscribe(line, name)
    assert isinstance(line.topics, set) and line.topics == set(names)
    hub.unsubscribe(line, names[0])
    assert names[0] not in line.topics
    hub.remove(line)
    assert not hub._topics


async def test_mailbox_is_bounded_ordered_and_keeps_nothing_when_empty() -> None:
    box = Mailbox(2)
    box.put_nowait({"n": 1})
    box.put_nowait({"n": 2})
    with pytest.raises(asyncio.QueueFull):
        box.put_nowait({"n": 3})
    assert [(await box.get())["n"], (await box.get())["n"]] == [1, 2]
    assert box.qsize() == 0 and box._items is None
    waiting = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    box.put_nowait({"n": 4})
    assert (await waiting)["n"] == 4


def test_overflow_marks_the_subscriber_once() -> None:
    calls: list[int] = []
    sub = Subscriber("client:1", maxsize=1, on_overflow=lambda: calls.append(1))
    sub.offer({"n": 1})
    sub.offer({"n": 2})
    sub.offer({"n": 3})
    assert sub.overflowed and calls == [1]


class Owner:
    """A consumer that handles some events at once (as a socket writes a chat's frames)."""

    def __init__(self, accepts: bool) -> None:
        self.accepts = accepts
        self.handled: list[str] = []

    def deliver_now(self, event: dict[str, object]) -> bool:
        if self.accepts:
            self.handled.append(str(event["type"]))
        return self.accepts


async def test_an_idle_owner_handles_events_at_once_and_order_holds_once_it_is_busy() -> None:
    sub = Subscriber("client:1")
    owner = Owner(accepts=True)
    sub.owner = owner
    sub.offer({"type": "early"})  # nobody waits on the queue yet: queued, owner not asked
    assert owner.handled == [] and sub.queue.qsize() == 1
    assert (await sub.queue.get())["type"] == "early"
    consumer = asyncio.ensure_future(sub.queue.get())
    await asyncio.sleep(0)  # the consumer now waits, nothing queued: idle
    assert sub.queue.idle()
    sub.offer({"type": "a"})
    assert owner.handled == ["a"] and not consumer.done()  # handled, the consumer not woken
    owner.accepts = False
    sub.offer({"type": "b"})  # declined: queued, and the consumer is woken for it
    sub.offer({"type": "c"})  # the consumer is woken but has not run: not idle, queued after b
    owner.accepts = True
    sub.offer({"type": "d"})
    assert owner.handled == ["a"]
    assert (await consumer)["type"] == "b"
    assert [(await sub.queue.get())["type"] for _ in range(2)] == ["c", "d"]


def test_one_topic_offers_each_subscriber_once() -> None:
    hub = Hub()
    a, b = Subscriber("client:1"), Subscriber("mentor:2")
    hub.subscribe(a, "consultation:5")
    hub.subscribe(b, "consultation:5")
    hub.subscribe(a, "consultation:5")
    hub.deliver_local(["consultation:5"], {"type": "message"})
    assert a.queue.qsize() == 1 and b.queue.qsize() == 1
