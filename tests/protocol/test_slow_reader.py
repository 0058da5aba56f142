"""A socket that stops reading: the frames written to it at once (app/web/ws/endpoint.py,
`deliver_now`) stop at its full transport buffer, the rest wait in its bounded queue, and a
queue that overflows closes that socket alone. The sender is never held up; the slow reader
gets, when it reads again and then resumes from storage, every message once and in order."""

from __future__ import annotations

import contextlib
import socket

from websockets.exceptions import ConnectionClosed

from app.clock import ManualClock
from tests.conftest import make_settings
from tests.protocol.conftest import live_server, ws_client
from tests.protocol.helpers import chat_pair, join_all

MESSAGES = 300
TEXT = "あ" * 2000  # 6 KB a frame: far more than the paused reader's buffers hold


async def test_a_reader_that_stops_reading_delays_nobody_and_misses_nothing(
    db_url: str, clock: ManualClock
) -> None:
    settings = make_settings(
        db_url, ws_messages_per_minute=100_000, ws_frames_per_minute=100_000, ws_queue_size=8
    )
    async with live_server(settings, clock) as live:
        pair = await chat_pair(live)
        cid = pair.consultation_id
        async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
            await join_all(cid, child, mentor)
            await child.quiet()
            # A slow network: the server's kernel buffer for the mentor's socket is small, so
            # what the tablet does not read soon fills the transport's own buffer.
            registry = live.server.config.app.state.connections  # type: ignore[attr-defined]
            (served,) = [c for c in registry.connections if c.role == "mentor"]
            sock = served.lean.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            mentor.conn.transport.pause_reading()  # the mentor's tablet stops reading
            for i in range(MESSAGES):
                await child.send(type="send", consultation_id=cid, client_msg_id=f"c{i}", text=TEXT)
                ack = await child.expect("ack", timeout=5)
                assert ack["seq"] == i + 1  # every one stored and acked, in turn
            mentor.conn.transport.resume_reading()
            seen: list[int] = []
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                while True:
                    frame = await mentor.next(timeout=3)
                    if frame["type"] == "message":
                        seen.append(frame["seq"])
            closed = mentor.conn.close_code
        # What reached the slow reader is a gap-free start of the conversation.
        assert seen == list(range(1, len(seen) + 1))
        # It fell behind and was closed: 4408 (too slow), or 1006 when even the close frame
        # could not be written within the endpoint's two seconds.
        assert len(seen) < MESSAGES and closed in (4408, 1006)
        async with ws_client(live, pair.mentor) as again:
            await again.send(type="join", consultation_id=cid, last_seq=len(seen))
            await again.expect("joined")
            rest = [(await again.expect("message"))["seq"] for _ in range(MESSAGES - len(seen))]
            assert seen + rest == list(range(1, MESSAGES + 1))
            assert [f for f in await again.quiet() if f["type"] == "message"] == []
