"""Two processes on one PostgreSQL (two apps in one event loop, each with its own hub and
bridge): a process is sent only what it has subscribers for, exactly once and in order; a
subscription is announced before its catch-up read; a dead process's interest is swept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import pytest

from app.clock import ManualClock
from app.realtime import interest, wire
from app.realtime.hub import Hub, Subscriber, topic_consultation
from app.realtime.pg import PgBridge, asyncpg_dsn
from tests.conftest import _truncate, make_settings
from tests.protocol.conftest import Live, Ws, live_server, ws_client
from tests.protocol.helpers import chat_pair, join_all

pytestmark = pytest.mark.postgres


@pytest.fixture
async def two(pg_database: str, clock: ManualClock) -> AsyncIterator[tuple[Live, Live]]:
    await _truncate(pg_database)
    settings = make_settings(pg_database)
    async with live_server(settings, clock) as a, live_server(settings, clock) as b:
        yield a, b


def bridge_of(live: Live) -> PgBridge:
    bridge = live.ctx.hub.bridge
    assert isinstance(bridge, PgBridge)
    return bridge


async def messages(ws: Ws, upto: int) -> list[int]:
    """The seqs of the messages this socket receives until seq `upto`, then (after a
    ping's pong) anything else that came: every message exactly once, in order."""
    seqs: list[int] = []
    async with asyncio.timeout(20):
        while not seqs or seqs[-1] < upto:
            frame = await ws.next(20)
            if frame["type"] == "message":
                seqs.append(frame["seq"])
    await ws.send(type="ping")
    while (frame := await ws.next(10))["type"] != "pong":
        if frame["type"] == "message":
            seqs.append(frame["seq"])
    return seqs


async def test_messages_between_two_processes_arrive_once_in_order(two: tuple[Live, Live]) -> None:
    a, b = two
    pair = await chat_pair(a)
    async with ws_client(a, pair.child) as child, ws_client(b, pair.mentor) as mentor:
        await join_all(pair.consultation_id, child, mentor)
        for i in range(1, 31):  # a burst: not waiting for each ack
            await child.send(
                type="send",
                consultation_id=pair.consultation_id,
                client_msg_id=f"c{i}",
                text=f"{i}",
            )
        assert await messages(mentor, 30) == list(range(1, 31))
        await mentor.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="m", text="ok"
        )
        assert (await child.expect("message", seq=31))["text"] == "ok"


async def seqs_seen(ws: Ws, sent: int, received: int) -> tuple[list[int], list[int]]:
    """(seqs of this socket's acks, seqs of the messages it was sent), once it has both."""
    acks: list[int] = []
    seqs: list[int] = []
    async with asyncio.timeout(20):
        while len(acks) < sent or len(seqs) < received:
            frame = await ws.next(20)
            if frame["type"] == "ack":
                acks.append(frame["seq"])
            elif frame["type"] == "message":
                seqs.append(frame["seq"])
    return acks, seqs


async def test_both_sides_writing_at_once_across_processes(two: tuple[Live, Live]) -> None:
    """Each side's own message is often published here before the other side's, stored by
    the other process, arrives as a pointer: it is held, never passed out of order."""
    a, b = two
    pair = await chat_pair(a)
    cid = pair.consultation_id
    async with ws_client(a, pair.child) as child, ws_client(b, pair.mentor) as mentor:
        await join_all(cid, child, mentor)
        for i in range(25):
            await child.send(type="send", consultation_id=cid, client_msg_id=f"c{i}", text="c")
            await mentor.send(type="send", consultation_id=cid, client_msg_id=f"m{i}", text="m")
        child_acks, child_got = await seqs_seen(child, 25, 25)
        mentor_acks, mentor_got = await seqs_seen(mentor, 25, 25)
    assert child_got == sorted(child_got) and mentor_got == sorted(mentor_got)
    assert sorted(child_acks + child_got) == list(range(1, 51))
    assert sorted(mentor_acks + mentor_got) == list(range(1, 51))
    assert set(child_got) == set(mentor_acks) and set(mentor_got) == set(child_acks)


async def test_no_notify_when_every_socket_is_local(two: tuple[Live, Live]) -> None:
    a, b = two
    local = await chat_pair(a, "ひよこ", "もみじ")
    crossing = await chat_pair(a, "こねこ", "かえで")
    watcher = await asyncpg.connect(asyncpg_dsn(str(a.ctx.settings.database_url)))
    heard: list[str] = []
    got = asyncio.Event()

    def on_notify(_c: object, _pid: int, _channel: str, payload: str) -> None:
        heard.append(payload)
        got.set()

    await watcher.add_listener(bridge_of(b).channel, on_notify)  # what A sends to B
    try:
        async with AsyncExitStack() as stack:
            child = await stack.enter_async_context(ws_client(a, local.child))
            mentor = await stack.enter_async_context(ws_client(a, local.mentor))
            far_child = await stack.enter_async_context(ws_client(a, crossing.child))
            far_mentor = await stack.enter_async_context(ws_client(b, crossing.mentor))
            await join_all(local.consultation_id, child, mentor)
            await join_all(crossing.consultation_id, far_child, far_mentor)
            heard.clear()
            got.clear()
            for i in range(5):
                await child.send(
                    type="send",
                    consultation_id=local.consultation_id,
                    client_msg_id=f"l{i}",
                    text="x",
                )
                await child.expect("ack", client_msg_id=f"l{i}")
                await mentor.expect("message", client_msg_id=f"l{i}")
            # then one message that must cross: A's notifications leave in order, so had the
            # local ones been sent to B they would be heard first
            await far_child.send(
                type="send", consultation_id=crossing.consultation_id, client_msg_id="f", text="y"
            )
            await far_mentor.expect("message", client_msg_id="f")
            await asyncio.wait_for(got.wait(), 10)
            other = wire.new_origin()
            topics = {
                t for p in heard for item_topics, _e in wire.decode(other, p) for t in item_topics
            }
            assert topics and topic_consultation(local.consultation_id) not in topics
            assert topics <= {
                topic_consultation(crossing.consultation_id),
                f"mentor:{crossing.mentor_id}",
            }
    finally:
        await watcher.close()


async def test_a_subscription_is_announced_before_it_returns(two: tuple[Live, Live]) -> None:
    """The race of a join on B while A publishes: A routes by what is committed when it
    publishes; B subscribes only once its interest is committed, and reads from storage
    after that. So whatever A commits later reaches B, and what came before is read."""
    a, b = two
    topic = "consultation:424242"
    sub = Subscriber("test")
    # A's outbox routes after publish() returns: 1 may or may not find B's interest
    # committed by then (B reads such an event from storage anyway); 2 must reach B.
    await a.ctx.hub.publish([topic], {"type": "probe", "n": 1})
    await b.ctx.hub.subscribe_announced(sub, topic)
    await a.ctx.hub.publish([topic], {"type": "probe", "n": 2})
    seen = [(await asyncio.wait_for(sub.queue.get(), 10))["n"]]
    if seen == [1]:
        seen.append((await asyncio.wait_for(sub.queue.get(), 10))["n"])
    assert seen in ([2], [1, 2])


async def test_joining_while_the_other_process_writes_misses_nothing(
    two: tuple[Live, Live],
) -> None:
    a, b = two
    pair = await chat_pair(a)
    async with ws_client(a, pair.child) as child, ws_client(b, pair.mentor) as mentor:
        await join_all(pair.consultation_id, child)

        async def write() -> None:
            for i in range(1, 25):  # within the 30 messages a minute
                await child.send(
                    type="send",
                    consultation_id=pair.consultation_id,
                    client_msg_id=f"c{i}",
                    text="t",
                )
                if i % 4 == 0:
                    await child.expect("ack", client_msg_id=f"c{i}")

        writing = asyncio.create_task(write())
        await asyncio.sleep(0)  # let the first messages go out, then join mid-stream
        await mentor.send(type="join", consultation_id=pair.consultation_id, last_seq=0)
        await writing
        assert await messages(mentor, 24) == list(range(1, 25))


async def test_a_dead_process_interest_is_swept(two: tuple[Live, Live]) -> None:
    a, _b = two
    dsn = asyncpg_dsn(str(a.ctx.settings.database_url))
    hub = Hub()
    doomed = PgBridge(dsn, hub)
    await doomed.start()
    hub.bridge = doomed
    await hub.subscribe_announced(Subscriber("x"), "consultation:777")
    admin = await asyncpg.connect(dsn)
    try:
        count = "SELECT count(*) FROM yorisoi_interest WHERE channel = $1"
        assert await admin.fetchval(count, doomed.channel) == 1
        # it dies: no watchdog, no goodbye; its session ends
        for task in doomed._tasks:
            task.cancel()
        assert doomed._listener is not None
        pid = doomed._listener.get_server_pid()
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 10000)", pid)  # waits
        assert await admin.fetchval(count, doomed.channel) == 1  # until someone sweeps
        assert await interest.sweep(admin) >= 1
        assert await admin.fetchval(count, doomed.channel) == 0
        assert await interest.route(admin, ["consultation:777"], "") == {}
    finally:
        await admin.close()
        if doomed._pool is not None:
            await doomed._pool.close()


async def test_a_dropped_listen_connection_claims_its_interest_again(
    two: tuple[Live, Live],
) -> None:
    a, b = two
    pair = await chat_pair(a)
    async with ws_client(a, pair.child) as child, ws_client(b, pair.mentor) as mentor:
        await join_all(pair.consultation_id, child, mentor)
        bridge = bridge_of(b)
        assert bridge._listener is not None
        old_pid = bridge._listener.get_server_pid()
        admin = await asyncpg.connect(asyncpg_dsn(str(a.ctx.settings.database_url)))
        try:
            await admin.fetchval("SELECT pg_terminate_backend($1)", old_pid)
            async with asyncio.timeout(20):  # the watchdog looks every 2 s
                # the state lives in the bridge's reconnect loop: polling it is the point
                while not (bridge.listening and bridge._listener.get_server_pid() != old_pid):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            await interest.sweep(admin)
            row = "SELECT pid FROM yorisoi_listener WHERE channel = $1"
            assert await admin.fetchval(row, bridge.channel) == bridge._listener.get_server_pid()
        finally:
            await admin.close()
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="c", text="z"
        )
        assert (await mentor.expect("message", timeout=10))["client_msg_id"] == "c"


async def test_a_batch_is_routed_in_payloads_that_fit(pg_database: str) -> None:
    """A batch reaches another process as one payload when it fits, else split over payloads
    that fit: that process hears exactly the items it wants, once and in order."""
    await _truncate(pg_database)
    dsn = asyncpg_dsn(pg_database)
    sender = PgBridge(dsn, Hub())
    await sender.start()
    watcher = await asyncpg.connect(dsn)
    heard: list[str] = []
    try:
        channel = interest.channel_of(wire.new_origin())
        await interest.claim(watcher, channel)
        await interest.update(watcher, channel, ["consultation:901", "mentor:5"], [])
        await watcher.add_listener(channel, lambda _c, _p, _ch, payload: heard.append(payload))

        def event(cid: int, seq: int, size: int = 10) -> tuple[list[str], dict[str, object]]:
            body = {"type": "message", "consultation_id": cid, "seq": seq, "text": "あ" * size}
            return [topic_consultation(cid), "mentor:5" if cid == 901 else "mentor:6"], body

        async def route(batch: list[tuple[list[str], dict[str, object]]]) -> list[int]:
            heard.clear()
            before = sender.notified
            assert sender._pool is not None
            async with sender._pool.acquire() as conn:
                await sender._route(conn, batch)
            await watcher.execute("SELECT 1")  # notifications are read before this returns
            assert sender.notified - before == len(heard)
            other = wire.new_origin()
            return [e["seq"] for p in heard for _t, e in wire.decode(other, p)]

        small = [event(901, 1), event(902, 1), event(901, 2), event(903, 1), event(901, 3)]
        assert await route(small) == [1, 2, 3] and len(heard) == 1
        assert await route([event(902, 2)]) == [] and heard == []  # nobody there wants it
        large = [event(901, s, size=900) for s in range(4, 14)]  # ~27 KB: four payloads
        assert await route(large) == list(range(4, 14)) and len(heard) >= 4
        assert all(len(p.encode()) <= wire.MAX_PAYLOAD for p in heard)
    finally:
        await watcher.close()
        await sender.close()


async def test_routing_planned_on_an_empty_table_still_uses_its_index(pg_database: str) -> None:
    """The routing statement is prepared once, when a process starts and yorisoi_interest is
    nearly empty; thousands of subscriptions later (a class connecting) it must still look
    topics up by index, not read every row of the table for each routed round."""
    await _truncate(pg_database)
    dsn = asyncpg_dsn(pg_database)
    sender = PgBridge(dsn, Hub())
    await sender.start()
    admin = await asyncpg.connect(dsn)

    async def scans() -> int:
        await admin.execute("SELECT pg_stat_clear_snapshot()")
        return int(
            await admin.fetchval(
                "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'yorisoi_interest'"
            )
            or 0
        )

    async def flush(conn: asyncpg.Connection) -> None:
        """This session's table counters into the shared view now (PostgreSQL >= 15)."""
        await conn.execute("SELECT pg_stat_force_next_flush()")
        await conn.execute("SELECT 1")

    try:
        channel = interest.channel_of(wire.new_origin())
        await interest.claim(admin, channel)
        await admin.execute("DELETE FROM yorisoi_interest")
        await admin.execute("ANALYZE yorisoi_interest")  # measured empty, as at a fresh start
        batch = [([topic_consultation(1)], {"type": "typing", "consultation_id": 1})]
        assert sender._pool is not None
        async with sender._pool.acquire() as conn:
            for _ in range(8):  # past the executions after which a generic plan is kept
                await sender._route(conn, batch)
            await interest.update(
                admin, channel, [topic_consultation(cid) for cid in range(2, 5002)], []
            )
            await flush(conn)
            before = await scans()
            for _ in range(20):
                await sender._route(conn, batch)
            await flush(conn)
        assert await scans() == before
    finally:
        await admin.close()
        await sender.close()
