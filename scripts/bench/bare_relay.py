"""The baseline: a bare Starlette websocket relay. Two sockets per room, each text frame is
forwarded to the peer. No auth, no storage, no JSON. Served by uvicorn with the same flags as
scripts/serve.py (uvloop, httptools, websockets-sansio, per-message deflate off, 16 KiB frames,
20 s pings).

Run: BARE_PORT=8765 python scripts/bench/bare_relay.py
"""

from __future__ import annotations

import os

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

ROOMS: dict[str, list[WebSocket]] = {}


async def healthz(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def relay(ws: WebSocket) -> None:
    room = ws.path_params["room"]
    members = ROOMS.setdefault(room, [])
    if len(members) >= 2:
        await ws.close(code=1008)
        return
    await ws.accept()
    members.append(ws)
    try:
        while True:
            text = await ws.receive_text()
            for peer in members:
                if peer is not ws:
                    await peer.send_text(text)
    except WebSocketDisconnect:
        pass
    finally:
        members.remove(ws)
        if not members:
            ROOMS.pop(room, None)


app = Starlette(
    routes=[Route("/healthz", healthz), WebSocketRoute("/ws/{room}", relay)],
)


def main() -> None:
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ.get("BARE_PORT", "8765")),
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=16 * 1024,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        log_level="info",
    )


if __name__ == "__main__":
    main()
