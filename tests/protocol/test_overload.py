"""When the database cannot take a request now (every pool connection busy under a rush),
the caller is told busy_try_again (503, Retry-After), never a bare 500: an HTTP request and a
websocket upgrade alike. Once a connection is free again, the same socket gets in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
import sqlalchemy.exc as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.clock import ManualClock
from tests.conftest import make_settings
from tests.helpers import bearer, error_code, sign_up
from tests.protocol.conftest import live_server, ws_client


@contextlib.asynccontextmanager
async def every_connection_taken(engine: AsyncEngine) -> AsyncIterator[int]:
    """Check out connections of the server's request pool until none is left (the last try
    waits the server's pool wait, 1 s here)."""
    held: list[AsyncConnection] = []
    try:
        while True:
            try:
                held.append(await engine.connect())
            except sa.TimeoutError:
                break
            assert len(held) <= 100, "the pool never ran out"
        yield len(held)
    finally:
        for conn in held:
            await conn.close()


async def test_busy_pool_is_told_busy_try_again_then_lets_the_socket_in(
    db_url: str, clock: ManualClock
) -> None:
    settings = make_settings(db_url, db_pool=2, db_pool_wait_seconds=1)
    async with live_server(settings, clock) as live:
        token = await sign_up(live.http, "うさぎ")
        async with every_connection_taken(live.ctx.db.engine) as taken:
            assert taken >= 2
            with pytest.raises(InvalidStatus) as denied:
                async with connect(
                    f"{live.ws_url}?face=child",
                    additional_headers=bearer(token),
                    origin=live.origin,  # type: ignore[arg-type]
                    compression=None,
                ):
                    pass
            response = denied.value.response
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "2"
            body = response.body.decode()
            assert '"busy_try_again"' in body
            assert "すこし まってから" in body  # the child face: a child's words

            r = await live.http.get("/api/me", headers=bearer(token))
            assert r.status_code == 503 and error_code(r) == "busy_try_again"
            assert r.headers["retry-after"] == "2"
        # A connection is free again: the same person connects and is greeted.
        async with ws_client(live, token) as ws:
            await ws.send(type="ping")
            await ws.expect("pong")
        assert (await live.http.get("/api/me", headers=bearer(token))).status_code == 200
