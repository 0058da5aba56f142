"""uvicorn's websockets (sans-I/O) protocol, lighter per open socket and per frame sent.

uvicorn keeps, for the whole life of every socket, the handshake's request and response
(their header multidicts, ~3 KiB), an asyncio.Queue for incoming events (three deques,
~2 KiB) and an asyncio.Event for write flow control (a waiter deque, ~0.7 KiB). With
thousands of mostly idle sockets that is most of a socket's memory. This subclass changes
nothing on the wire or in the ASGI events: it drops the handshake objects once the accept is
sent, and uses a deque-less inbox and gate that allocate only while something waits.

It also offers the app a direct way to send a text frame (the protocol itself, under the
scope extension LEAN): the same bytes on the wire as ASGI's `websocket.send`, without the
path through Starlette's WebSocket, its exception wrapper, uvicorn's send and websockets'
generic Frame serializer. `write_text_now` writes at once or says it cannot (the transport's
buffer is full, the connection is not open in its plain state: closing, a close sent, an
extension negotiated); `send_text` then takes the ASGI path, so errors are the same as there.

Selected in scripts/serve.py (`ws=`) and in the protocol tests' server.
"""

from __future__ import annotations

import asyncio
from collections import deque
from struct import pack
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import OPEN

LEAN = "yorisoi.lean_websocket"  # scope["extensions"] key: the LeanWebSocketProtocol


def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented text frame (a server's, RFC 6455 section 5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return pack("!BBH", 0x81, 126, n) + payload
    return pack("!BBQ", 0x81, 127, n) + payload


class _Inbox:
    """The protocol's queue of ASGI receive events: unbounded (uvicorn pauses reading
    instead), one consumer (the app's receive())."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items = self._items
        item = items.popleft()
        if not items:
            self._items = None
        return item

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0


class _Gate:
    """asyncio.Event's set/clear/wait/is_set for write flow control, without a waiter deque
    until someone actually waits (the transport's buffer is full)."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for w in waiters or ():
            if not w.done():
                w.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        if self._open:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        gate = _Gate()
        gate.set()
        self.writable = gate  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][LEAN] = self

    def write_text_now(self, text: str) -> bool:
        """Write a text frame now if nothing stands in the way; False: nothing was written."""
        conn = self.conn
        if (
            not self.writable.is_set()
            or self.close_sent
            or self.initial_response is not None
            or conn.state is not OPEN
            or conn.expect_continuation_frame
            or conn.extensions
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(text_frame(text.encode()))
        return True

    async def send_text(self, text: str) -> None:
        """ASGI's {"type": "websocket.send", "text": text}, written directly when it can be."""
        if not self.write_text_now(text):
            await self.send({"type": "websocket.send", "text": text})

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # The accept has been written: nothing reads the handshake objects again.
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]
