"""The lighter uvicorn websocket protocol (app/web/ws/transport.py): its inbox and write gate
behave as the asyncio.Queue and asyncio.Event they replace, for the calls uvicorn makes, and
its direct text writer puts the frames websockets would on the wire."""

from __future__ import annotations

import asyncio

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode

from app.web.ws.transport import LEAN, LeanWebSocketProtocol, _Gate, _Inbox, text_frame
from tests.servers import free_port


async def test_inbox_delivers_in_order_and_wakes_a_waiting_reader() -> None:
    inbox = _Inbox()
    assert inbox.empty() and inbox.qsize() == 0
    inbox.put_nowait({"type": "websocket.connect"})
    inbox.put_nowait({"type": "websocket.receive", "text": "a"})
    assert inbox.qsize() == 2 and not inbox.empty()
    assert (await inbox.get())["type"] == "websocket.connect"
    assert (await inbox.get())["text"] == "a"
    assert inbox.empty() and inbox._items is None  # nothing kept while idle
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    assert (await waiting)["code"] == 1000


async def test_gate_blocks_writers_while_cleared_and_releases_them_all() -> None:
    gate = _Gate()
    gate.set()
    assert gate.is_set() and await gate.wait()
    gate.clear()
    writers = [asyncio.ensure_future(gate.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in writers)
    gate.set()
    assert await asyncio.gather(*writers) == [True, True, True]
    assert gate._waiters is None


async def test_a_cancelled_writer_leaves_no_waiter_behind() -> None:
    gate = _Gate()
    waiter = asyncio.ensure_future(gate.wait())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert not gate._waiters
    gate.set()
    assert gate.is_set()


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_direct_text_frame_is_what_websockets_would_write(size: int) -> None:
    payload = ("あ" * size).encode()[:size]
    assert text_frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False)


async def test_direct_sends_reach_a_real_client_and_a_closed_socket_refuses_like_asgi() -> None:
    """Under uvicorn with the lean protocol, the app finds the direct writer in the scope;
    a client reads every frame whole (small, 16-bit and 64-bit lengths, Japanese). After the
    client has gone, a direct send fails as the ASGI send does (an exception, nothing
    written), so the endpoint's sender ends the same way."""
    sizes = [1, 125, 126, 65536, 70000]
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def app(ws: WebSocket) -> None:
        await ws.accept()
        send = ws.scope["extensions"][LEAN].send_text
        for n in sizes:
            await send("心" * n)
        await ws.receive()  # the client's close
        try:
            await send("late")
        except Exception as exc:  # noqa: BLE001 - what it raises is the assertion
            outcome.set_result(type(exc).__name__)
        else:
            outcome.set_result("sent")

    port = free_port()
    config = uvicorn.Config(
        Starlette(routes=[WebSocketRoute("/ws", app)]),
        host="127.0.0.1",
        port=port,
        ws=LeanWebSocketProtocol,
        ws_per_message_deflate=False,
        ws_max_size=1 << 20,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.01)
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=1 << 20) as client:
            got = [await client.recv() for _ in sizes]
        assert got == ["心" * n for n in sizes]
        assert await asyncio.wait_for(outcome, 5) != "sent"
    finally:
        server.should_exit = True
        await task
