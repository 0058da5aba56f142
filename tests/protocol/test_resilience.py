"""A server restart mid-conversation and a client that stops reading."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.clock import ManualClock
from app.db.migrate import upgrade
from tests.conftest import make_settings
from tests.helpers import bearer
from tests.protocol.conftest import client_frame, live_server, server_frame, ws_client
from tests.protocol.helpers import chat_pair


async def test_restart_in_the_middle_of_a_conversation_loses_nothing(
    db_url: str, clock: ManualClock
) -> None:
    settings = make_settings(db_url)
    async with live_server(settings, clock) as first:
        pair = await chat_pair(first)
        cid = pair.consultation_id
        child = await connect(
            first.ws_url,
            additional_headers=bearer(pair.child),
            origin=first.origin,
            compression=None,
        )  # type: ignore[arg-type]
        mentor = await connect(
            first.ws_url,
            additional_headers=bearer(pair.mentor),
            origin=first.origin,
            compression=None,
        )  # type: ignore[arg-type]
        for ws in (child, mentor):
            await ws.send(client_frame({"type": "join", "consultation_id": cid}))
        for i in range(1, 4):
            await child.send(
                client_frame(
                    {
                        "type": "send",
                        "consultation_id": cid,
                        "client_msg_id": f"c{i}",
                        "text": f"c{i}",
                    }
                )
            )
        acked = set()
        while len(acked) < 3:
            frame = server_frame(await asyncio.wait_for(child.recv(), 5))
            if frame["type"] == "ack":
                acked.add(frame["seq"])
        await first.stop()  # the server goes away under both of them
        with pytest.raises(ConnectionClosed):
            while True:  # drain what was sent before the shutdown, then see it close
                server_frame(await asyncio.wait_for(child.recv(), 5))
    async with live_server(settings, clock) as second:
        async with ws_client(second, pair.mentor) as m2:
            await m2.send(type="join", consultation_id=cid, last_seq=0)
            await m2.expect("joined")
            seen = [await m2.expect("message") for _ in range(3)]
            assert [m["text"] for m in seen] == ["c1", "c2", "c3"]
            await m2.send(
                type="send", consultation_id=cid, client_msg_id="m-after", text="おかえり"
            )
            assert (await m2.expect("ack"))["seq"] == 4
        async with ws_client(second, pair.child) as c2:
            # the child resends its last message (no ack seen by the app): stored once
            await c2.send(type="join", consultation_id=cid, last_seq=3)
            await c2.expect("joined")
            assert (await c2.expect("message"))["seq"] == 4
            await c2.send(type="send", consultation_id=cid, client_msg_id="c3", text="c3")
            ack = await c2.expect("ack")
            assert (ack["seq"], ack["duplicate"]) == (3, True)


async def test_a_client_that_stops_reading_is_dropped_and_others_are_not_slowed(
    tmp_path: Path, clock: ManualClock
) -> None:
    # Queues and backpressure do not depend on the database: SQLite only (it takes ~10 s of
    # real traffic to fill the kernel's socket buffers first).
    db_url = f"sqlite+aiosqlite:///{tmp_path}/slow.db"
    await upgrade(db_url)
    settings = make_settings(
        db_url, ws_queue_size=8, ws_messages_per_minute=100_000, ws_frames_per_minute=100_000
    )
    async with live_server(settings, clock) as live:
        pair = await chat_pair(live)
        cid = pair.consultation_id
        # the stuck tablet: joins, then never reads again (websockets stops reading from TCP
        # once its own small buffer is full, so the server's sends back up)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a tiny window: fills fast
        sock.connect(("127.0.0.1", live.server.config.port))
        stuck = await connect(
            live.ws_url,
            sock=sock,
            additional_headers=bearer(pair.child),
            origin=live.origin,
            compression=None,
            max_queue=1,
        )  # type: ignore[arg-type]
        await stuck.send(client_frame({"type": "join", "consultation_id": cid}))
        async with ws_client(live, pair.mentor) as mentor:
            await mentor.send(type="join", consultation_id=cid)
            await mentor.expect("joined")
            text = "あ" * 2000
            closed = False
            sent = 0
            for _batch in range(60):  # bounded: at most 6,000 messages of 6 KB
                for _ in range(100):
                    sent += 1
                    await mentor.send(
                        type="send", consultation_id=cid, client_msg_id=f"m{sent}", text=text
                    )
                for _ in range(100):  # the mentor is never slowed by the stuck reader
                    await mentor.expect("ack", timeout=5)
                if not live.ctx.hub.connections_of("client:1"):
                    closed = True
                    break
            assert closed, "the stuck client was never disconnected"
        await stuck.close()
