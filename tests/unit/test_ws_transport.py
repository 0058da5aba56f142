"""The lighter uvicorn websocket protocol's inbox and write gate (app/web/ws/transport.py)
behave as the asyncio.Queue and asyncio.Event they replace, for the calls uvicorn makes."""

from __future__ import annotations

import asyncio

from app.web.ws.transport import _Gate, _Inbox


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
