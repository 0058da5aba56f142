"""The in-process event hub: topics -> subscribers, each with its own bounded queue.

publish() never awaits a subscriber: a full queue marks that subscriber as overflowed (its
connection is then closed and the client resumes from the database), so one slow reader
cannot delay anyone else. Events reach other processes through an optional bridge, which
is told whenever this process gains its first or loses its last subscriber of a topic
(`touch`), so that other processes send it only what it has subscribers for.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

log = logging.getLogger("yorisoi.hub")
ANNOUNCE_WAIT_SECONDS = 2.0  # longest a subscription waits for other processes to know of it

Event = dict[str, Any]


class Mailbox:
    """A bounded single-consumer queue: a deque and at most one waiting future.

    asyncio.Queue carries machinery this needs none of (several waiter deques, task
    accounting, an Event); with thousands of mostly idle sockets that is memory per socket.
    The deque itself (~0.6 KiB) exists only while something is waiting in it.
    """

    __slots__ = ("_items", "_maxsize", "_waiter")

    def __init__(self, maxsize: int) -> None:
        self._items: deque[Event] | None = None
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Event) -> None:
        items = self._items
        if items is None:
            items = self._items = deque()
        elif len(items) >= self._maxsize:
            raise asyncio.QueueFull
        items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Event:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items = self._items
        item = items.popleft()
        if not items:
            self._items = None  # an idle socket keeps no empty deque
        return item

    def qsize(self) -> int:
        return len(self._items) if self._items is not None else 0

    def idle(self) -> bool:
        """The consumer waits for an item, none is queued, and it has not been woken yet:
        whatever is handed to it now would be the next thing it handles."""
        waiter = self._waiter
        return self._items is None and waiter is not None and not waiter.done()


class Owner(Protocol):
    def deliver_now(self, event: Event) -> bool:
        """Handle the event at once, in the publisher's turn, as the consumer would; False:
        it needs the consumer's own turn (nothing was done)."""


class Subscriber:
    """One consumer (a websocket connection) with a bounded queue of outgoing events.

    owner: the consumer, when it can handle some events at once (a socket writes a message
    frame straight to its transport). It is asked only while its queue is idle, so an event
    handled at once is still handled after everything offered before it, and the consumer's
    task is not woken for it (a task switch per frame was much of a chat message's cost).
    """

    __slots__ = ("key", "queue", "topics", "overflowed", "on_overflow", "owner")

    def __init__(
        self, key: str, maxsize: int = 256, on_overflow: Callable[[], None] | None = None
    ) -> None:
        self.key = key  # the account, e.g. "client:7" or "staff:3"
        self.queue = Mailbox(maxsize)
        # A socket follows a handful of topics: a tuple is ~50 bytes where a set is ~220; a
        # subscriber of many topics (the LINE channel: one per linked client) gets a set.
        self.topics: tuple[str, ...] | set[str] = ()
        self.overflowed = False
        self.on_overflow = on_overflow
        self.owner: Owner | None = None

    def offer(self, event: Event) -> None:
        if self.overflowed:
            return
        owner = self.owner
        if owner is not None and self.queue.idle() and owner.deliver_now(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            if self.on_overflow is not None:
                self.on_overflow()


class Bridge:
    """Carries events to other processes. The in-memory default carries nothing."""

    async def send(self, topics: list[str], event: Event) -> None:
        return None

    def touch(self, topic: str) -> None:
        """Whether this process has subscribers for topic may have changed (Hub.interested)."""
        return None

    def announced(self, topic: str) -> Awaitable[None] | None:
        """None when other processes already send this process the topic's events; otherwise
        something to await until they do."""
        return None

    async def close(self) -> None:
        return None


SMALL = 8  # a subscriber's topics stay a tuple up to this many


class Hub:
    """Topic -> its subscribers, as a tuple: most topics (a client's, a mentor's, a
    consultation's) have one to a few subscribers, and with 10,000 sockets a set per topic
    and per account was ~0.4 KiB per socket. Subscribing rebuilds the topic's tuple (a few
    entries); delivery, the hot path, only iterates it."""

    def __init__(self) -> None:
        self._topics: dict[str, tuple[Subscriber, ...]] = {}
        self._accounts: dict[str, int] = {}  # open sockets per account
        self._held: Counter[str] = Counter()  # topics being announced before a subscribe
        self.bridge: Bridge = Bridge()

    # -- subscribers -------------------------------------------------------------------
    def add(self, sub: Subscriber) -> None:
        self._accounts[sub.key] = self._accounts.get(sub.key, 0) + 1

    def connections_of(self, key: str) -> int:
        return self._accounts.get(key, 0)

    def subscribe(self, sub: Subscriber, topic: str) -> None:
        topics = sub.topics
        if isinstance(topics, set):
            topics.add(topic)
        elif topic not in topics:
            sub.topics = (*topics, topic) if len(topics) < SMALL else {*topics, topic}
        subs = self._topics.get(topic, ())
        if sub not in subs:
            self._topics[topic] = (*subs, sub)
            if not subs and topic not in self._held:
                self.bridge.touch(topic)

    async def subscribe_announced(self, sub: Subscriber, topic: str) -> None:
        """Subscribe once other processes know this process wants the topic (at most
        ANNOUNCE_WAIT_SECONDS). A reader that then catches up from the database misses
        nothing: what was committed before it is read, what is committed after reaches it."""
        ready = self.bridge.announced(topic)
        if ready is None:
            self.subscribe(sub, topic)
            return
        self._held[topic] += 1
        if self._held[topic] == 1 and topic not in self._topics:
            self.bridge.touch(topic)
        try:
            async with asyncio.timeout(ANNOUNCE_WAIT_SECONDS):  # not wait_for (see pg.py)
                await ready
        except TimeoutError:
            log.warning("subscribing before other processes know of it")
        except BaseException:
            self._release(topic)
            raise
        self.subscribe(sub, topic)
        self._release(topic)

    def _release(self, topic: str) -> None:
        self._held[topic] -= 1
        if not self._held[topic]:
            del self._held[topic]
            if topic not in self._topics:
                self.bridge.touch(topic)

    def unsubscribe(self, sub: Subscriber, topic: str) -> None:
        topics = sub.topics
        if isinstance(topics, set):
            topics.discard(topic)
        elif topic in topics:
            sub.topics = tuple(t for t in topics if t != topic)
        subs = self._topics.get(topic)
        if subs is not None and sub in subs:
            rest = tuple(s for s in subs if s is not sub)
            if rest:
                self._topics[topic] = rest
            else:
                del self._topics[topic]
                if topic not in self._held:
                    self.bridge.touch(topic)

    def interested(self, topic: str) -> bool:
        """This process has (or is about to have) a subscriber for the topic."""
        return topic in self._topics or topic in self._held

    def topics(self) -> list[str]:
        return [*self._topics, *(t for t in self._held if t not in self._topics)]

    def has_subscribers(self, topics: Iterable[str]) -> bool:
        return any(topic in self._topics for topic in topics)

    def remove(self, sub: Subscriber) -> None:
        """Forget a socket: its topics, and its place in its account's count. Called once
        per add() (the endpoint's finally)."""
        for topic in list(sub.topics):
            self.unsubscribe(sub, topic)
        left = self._accounts.get(sub.key, 0) - 1
        if left > 0:
            self._accounts[sub.key] = left
        else:
            self._accounts.pop(sub.key, None)

    def subscribers(self, topics: Iterable[str]) -> set[Subscriber]:
        found: set[Subscriber] = set()
        for topic in topics:
            found.update(self._topics.get(topic, ()))
        return found

    # -- delivery ----------------------------------------------------------------------
    def deliver_local(self, topics: list[str] | tuple[str, ...], event: Event) -> None:
        """Offer the event once to every local subscriber of any of the topics."""
        if len(topics) == 1:  # a message: one topic, no set needed to offer each sub once
            for sub in self._topics.get(topics[0], ()):
                sub.offer(event)
            return
        for sub in self.subscribers(topics):
            sub.offer(event)

    async def publish(
        self, topics: list[str], event: Event, *, remote: Event | None = None
    ) -> None:
        """Deliver here at once, then to other processes (remote: a pointer form, if any)."""
        self.deliver_local(topics, event)
        try:
            await self.bridge.send(topics, remote if remote is not None else event)
        except Exception:  # noqa: BLE001 - local delivery already happened; resume covers gaps
            log.warning("event bridge send failed for %s", event.get("type"))


def topic_consultation(consultation_id: int) -> str:
    return f"consultation:{consultation_id}"


def topic_client(client_id: int) -> str:
    return f"client:{client_id}"


def topic_mentor(mentor_id: int) -> str:
    return f"mentor:{mentor_id}"


SUPERVISORS = "supervisors"
# Account changes every process's socket registry acts on (revoked sessions, lifted lockouts).
ACCOUNTS = "accounts"
