"""The realtime session over WebSocket (docs/protocol.md).

endpoint.py  the handshake, and one receiver plus one sender task per socket
frames.py    {frame type: handler}; each handler parses, calls one action, nothing else
registry.py  every live socket of this process: closes signed-out and stopped accounts

Ordering and gap filling live in app/realtime/delivery.py, every event's shape in
app/actions/events.py.
"""

from app.web.ws.endpoint import (
    CLOSE_FLOODING,
    CLOSE_SIGNED_OUT,
    CLOSE_TOO_SLOW,
    ROUTES,
)
from app.web.ws.frames import JOINS_PER_MINUTE, TYPING_EVERY_SECONDS
from app.web.ws.registry import ConnectionRegistry

__all__ = [
    "CLOSE_FLOODING",
    "CLOSE_SIGNED_OUT",
    "CLOSE_TOO_SLOW",
    "JOINS_PER_MINUTE",
    "ROUTES",
    "TYPING_EVERY_SECONDS",
    "ConnectionRegistry",
]
