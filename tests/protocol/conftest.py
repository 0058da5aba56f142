"""A real uvicorn on a free port, in the test's event loop, and real `websockets` clients.

Running uvicorn in the test's own loop lets a test move the injected clock and run the
scheduler's sweep directly: no sleeping until 17:00.

Every frame a client reads is validated against the server schemas of the contract
(app/contract/frames.py), and every frame it sends against the client schemas unless the test
sends a bad one on purpose (`send(..., raw=True)`): a shape the contract does not describe
fails the test that met it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from app.actions import Context
from app.clock import ManualClock
from app.contract.frames import document, frame_schema
from app.main import create_app, proxy_options
from app.settings import Settings
from app.web.ws.transport import LeanWebSocketProtocol
from tests.conftest import make_settings
from tests.servers import free_port


@dataclass
class Live:
    base: str
    ws_url: str
    origin: str
    ctx: Context
    http: httpx.AsyncClient
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


@asynccontextmanager
async def live_server(settings: Settings, clock: ManualClock) -> AsyncIterator[Live]:
    port = free_port()
    settings = Settings(**{**settings.__dict__, "port": port})
    app = create_app(settings, clock)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws=LeanWebSocketProtocol,  # as scripts/serve.py
        ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_frame_bytes,
        lifespan="on",
        log_level="warning",
        **proxy_options(settings),  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "server failed to start"
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as http:
        live = Live(base, f"ws://127.0.0.1:{port}/ws", base, app.state.ctx, http, server, task)
        try:
            yield live
        finally:
            if not task.done():
                await live.stop()


@pytest.fixture
async def live(db_url: str, clock: ManualClock) -> AsyncIterator[Live]:
    async with live_server(make_settings(db_url), clock) as running:
        yield running


CONTRACT = document()
UNIONS = {
    side: jsonschema.Draft202012Validator({"$defs": CONTRACT["$defs"], **CONTRACT[side]})
    for side in ("client", "server")
}


def short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 400 else f"{text[:400]}… ({len(text)} characters)"


def check_frame(side: str, frame: object) -> None:
    """Fail (AssertionError: the frame and the schema error) unless the frame matches the
    contract's `client` or `server` union; the error names the one schema its type claims."""
    if UNIONS[side].is_valid(frame):
        return
    claimed = frame_schema(side, frame)
    if claimed is None:
        raise AssertionError(f"{side} frame of no known type: {short(frame)}")
    name, schema = claimed
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(frame)
    )
    raise AssertionError(
        f"{side} frame does not match $defs/{name}: {short(frame)}\n"
        f"at {'/'.join(map(str, error.absolute_path)) or '(top)'}: {short(error.message)}"
        if error is not None
        else f"{side} frame matches none of the union: {short(frame)}"
    )


def server_frame(text: str | bytes) -> dict[str, Any]:
    """One received frame, decoded and checked against the server schemas."""
    frame = json.loads(text)
    check_frame("server", frame)
    return dict(frame)


def client_frame(frame: dict[str, Any]) -> str:
    """A frame to send on a bare connection, checked against the client schemas."""
    check_frame("client", frame)
    return json.dumps(frame)


class Ws:
    """A websocket client that remembers every frame it has read; every frame read or sent is
    checked against the contract (raw=True: a bad frame sent on purpose, not checked)."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen: list[dict[str, Any]] = []

    async def send(self, *, raw: bool = False, **frame: Any) -> None:
        if not raw:
            check_frame("client", frame)
        await self.conn.send(json.dumps(frame))

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        frame = server_frame(await asyncio.wait_for(self.conn.recv(), timeout))
        self.seen.append(frame)
        return dict(frame)

    async def expect(self, type_: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """Read until a frame of this type (and matching fields) arrives."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.next(timeout)
                if frame.get("type") == type_ and all(frame.get(k) == v for k, v in match.items()):
                    return frame

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Whatever arrives within a short window (to assert that nothing else came)."""
        got = []
        try:
            while True:
                got.append(await self.next(seconds))
        except TimeoutError:
            return got

    async def close(self) -> None:
        await self.conn.close()


@asynccontextmanager
async def ws_client(live: Live, token: str, **kwargs: Any) -> AsyncIterator[Ws]:
    async with connect(
        live.ws_url,
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=kwargs.pop("origin", live.origin),  # type: ignore[arg-type]
        compression=None,
        **kwargs,
    ) as conn:
        client = Ws(conn)
        hello = await client.next()
        assert hello["type"] == "hello"
        yield client
