"""What every part of the LINE channel shares: the running channel's state (set up by
LineChannel.__init__ in channel.py) and its logger."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from app.actions.context import Context
from app.realtime.delivery import Delivery
from app.realtime.hub import Subscriber

if TYPE_CHECKING:
    from linebot.v3.messaging import AsyncMessagingApi

log = logging.getLogger("yorisoi.line")


class ChannelState:
    """The attributes the layers of LineChannel (sending → way back → conversation →
    intake → channel) read; each layer is a class in its own module."""

    ctx: Context
    api: AsyncMessagingApi
    sub: Subscriber
    delivery: Delivery
    _wake: asyncio.Event
    _idle: asyncio.Event
    # (asked at, pushes left this month; None: no limit or not known)
    _quota: tuple[datetime, int | None] | None
