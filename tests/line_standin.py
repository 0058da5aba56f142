"""A local stand-in for the LINE Messaging API, started by the tests on 127.0.0.1.

It checks the bearer token, records every reply and push call (body and headers), answers
with the bodies LINE documents, and can be told to answer 429 or 400 instead, or to hold
every call unanswered (a sender stuck on LINE, for the tests that kill a server then). It
serves the month's message quota (GET /v2/bot/message/quota and .../quota/consumption) from
`quota` (None: no limit) and `quota_used` (each delivered push counts one; replies do not);
a push past the quota gets LINE's 429 "You have reached your monthly limit.". Tests point
YORISOI_LINE_API_BASE at it and assert what it received.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.servers import free_port

TOKEN = "standin-access-token"  # noqa: S105 - a test value
SECRET = "standin-channel-secret"  # noqa: S105 - a test value

TOO_MANY = {"message": "Too Many Requests"}
QUOTA = {"message": "You have reached your monthly limit."}
HELD = -1  # Call.status of a call the stand-in held unanswered
BAD_REQUEST = {
    "message": "The request body has 1 error(s)",
    "details": [{"message": "May not be empty", "property": "messages[0].text"}],
}
BAD_TOKEN = {
    "message": "Authentication failed due to the following reason: invalid token. "
    "Confirm that the access token in the authorization header is valid."
}


@dataclass
class Call:
    kind: str  # "reply" | "push"
    body: dict[str, Any]
    retry_key: str | None
    status: int

    def texts(self) -> list[str]:
        return [m.get("text", "") for m in self.body.get("messages", [])]


@dataclass
class StandIn:
    base: str = ""
    calls: list[Call] = field(default_factory=list)
    refused: int = 0  # calls with a wrong bearer token
    # What to answer next: a status per call (popped), then `always` (None: 200).
    next_statuses: list[int] = field(default_factory=list)
    always: int | None = None
    quota: int | None = None
    quota_used: int = 0
    quota_asks: int = 0  # GET quota + consumption calls
    # hold(): calls are recorded with status HELD and not answered until release().
    holding: bool = False
    _loop: asyncio.AbstractEventLoop | None = None
    _released: asyncio.Event | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _changed_sync: threading.Condition = field(default_factory=threading.Condition)

    def delivered(self) -> list[Call]:
        return [c for c in self.calls if c.status == 200]

    def texts(self) -> list[str]:
        return [t for c in self.delivered() for t in c.texts()]

    async def wait_for(self, check: Callable[[StandIn], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: check(self))

    async def wait_text(self, fragment: str, timeout: float = 10.0) -> str:
        found: list[str] = []

        def has(s: StandIn) -> bool:
            found[:] = [t for t in s.texts() if fragment in t]
            return bool(found)

        await self.wait_for(has, timeout)
        return found[0]

    def wait_text_sync(self, fragment: str, timeout: float = 15.0) -> str:
        """wait_text for a test outside the stand-in's loop (the browser tests)."""
        with self._changed_sync:
            ok = self._changed_sync.wait_for(
                lambda: any(fragment in t for t in self.texts()), timeout
            )
        assert ok, f"the LINE stand-in never got {fragment!r}: {self.texts()}"
        return next(t for t in self.texts() if fragment in t)

    def hold(self) -> None:
        """From now on, answer no call (each is recorded with status HELD) until release()."""
        self.holding = True

    def release(self) -> None:
        """Answer the held calls (200) and the next ones as usual; safe from any thread."""
        self.holding = False
        if self._loop is not None and self._released is not None:
            self._loop.call_soon_threadsafe(self._released.set)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
        with self._changed_sync:
            self._changed_sync.notify_all()

    def wait_sync(self, check: Callable[[StandIn], bool], timeout: float = 15.0) -> None:
        with self._changed_sync:
            ok = self._changed_sync.wait_for(lambda: check(self), timeout)
        assert ok, f"the LINE stand-in never saw it: {self.calls}"

    async def _record(self, request: Request, kind: str) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            self.refused += 1
            return JSONResponse(BAD_TOKEN, status_code=401)
        body = json.loads(await request.body())
        if self.holding:
            if self._released is None or self._released.is_set():
                self._loop, self._released = asyncio.get_running_loop(), asyncio.Event()
            released = self._released
            self.calls.append(Call(kind, body, request.headers.get("x-line-retry-key"), HELD))
            await self._notify()
            await released.wait()
            return JSONResponse({"sentMessages": []})
        status = self.next_statuses.pop(0) if self.next_statuses else (self.always or 200)
        used_up = kind == "push" and self.quota is not None and self.quota_used >= self.quota
        if used_up and status == 200:
            status = 429
        elif status == 200 and kind == "push":
            self.quota_used += 1
        self.calls.append(Call(kind, body, request.headers.get("x-line-retry-key"), status))
        await self._notify()
        if status == 429:
            return JSONResponse(QUOTA if used_up else TOO_MANY, status_code=429)
        if status == 400:
            return JSONResponse(BAD_REQUEST, status_code=400)
        if status != 200:
            return JSONResponse({"message": "error"}, status_code=status)
        sent = [
            {"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex}
            for _ in body.get("messages", [])
        ]
        return JSONResponse({"sentMessages": sent})

    def _authorized(self, request: Request) -> bool:
        if request.headers.get("authorization") == f"Bearer {TOKEN}":
            return True
        self.refused += 1
        return False

    async def get_quota(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return JSONResponse(BAD_TOKEN, status_code=401)
        self.quota_asks += 1
        if self.quota is None:
            return JSONResponse({"type": "none"})
        return JSONResponse({"type": "limited", "value": self.quota})

    async def get_consumption(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return JSONResponse(BAD_TOKEN, status_code=401)
        self.quota_asks += 1
        return JSONResponse({"totalUsage": self.quota_used})

    async def reply(self, request: Request) -> JSONResponse:
        return await self._record(request, "reply")

    async def push(self, request: Request) -> JSONResponse:
        return await self._record(request, "push")


@asynccontextmanager
async def line_standin() -> AsyncIterator[StandIn]:
    standin = StandIn()
    app = Starlette(
        routes=[
            Route("/v2/bot/message/reply", standin.reply, methods=["POST"]),
            Route("/v2/bot/message/push", standin.push, methods=["POST"]),
            Route("/v2/bot/message/quota", standin.get_quota, methods=["GET"]),
            Route("/v2/bot/message/quota/consumption", standin.get_consumption, methods=["GET"]),
        ]
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the LINE stand-in failed to start"
        await asyncio.sleep(0.01)
    standin.base = f"http://127.0.0.1:{port}"
    try:
        yield standin
    finally:
        server.should_exit = True
        await task


@contextmanager
def line_standin_thread() -> Iterator[StandIn]:
    """The stand-in on its own event loop in a thread, for synchronous tests."""
    started = threading.Event()
    box: list[tuple[StandIn, asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def main() -> None:
        stop = asyncio.Event()
        async with line_standin() as standin:
            box.append((standin, asyncio.get_running_loop(), stop))
            started.set()
            await stop.wait()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert started.wait(30), "the LINE stand-in failed to start"
    standin, loop, stop = box[0]
    try:
        yield standin
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "U" + "0" * 32, "events": list(events)}).encode()


def event(kind: str, user: str, *, event_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A webhook event as LINE sends it (follow, unfollow, message, postback)."""
    body: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1_796_000_000_000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
    }
    if kind != "unfollow":
        body["replyToken"] = uuid.uuid4().hex
    if kind == "follow":
        body["follow"] = {"isUnblocked": False}
    body.update(extra)
    return body


def text_event(user: str, text: str, **kw: Any) -> dict[str, Any]:
    message = {"type": "text", "id": str(uuid.uuid4().int)[:18], "text": text, "quoteToken": "q"}
    return event("message", user, message=message, **kw)


def postback_event(user: str, data: str, **kw: Any) -> dict[str, Any]:
    return event("postback", user, postback={"data": data}, **kw)


def sticker_event(user: str) -> dict[str, Any]:
    message = {
        "type": "sticker",
        "id": str(uuid.uuid4().int)[:18],
        "packageId": "446",
        "stickerId": "1988",
        "stickerResourceType": "STATIC",
        "quoteToken": "q",
    }
    return event("message", user, message=message)
