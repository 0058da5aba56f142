"""The websocket endpoint: handshake checks, then one receiver and one sender task per socket.

The receiver spends each frame from the socket's budget and hands it to its handler
(frames.py); everything the client is told goes through the connection's own bounded queue,
drained by the sender. The sender passes messages through Delivery (app/realtime/delivery.py),
which keeps each joined consultation exactly once and in seq order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import orjson
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.actions import Context, Principal
from app.actions.accounts import fits_face, principal_for_token
from app.actions.chat import (
    Seat,
    follow_consultation_event,
    mark_client_away,
    messages_after,
    shown_name,
)
from app.actions.events import error_event, hello_event, message_event, publish_presence
from app.actions.inputs import check_json, load_json, storable
from app.errors import Refusal, Register
from app.observability import metrics
from app.realtime.delivery import Delivery
from app.realtime.hub import (
    SUPERVISORS,
    Subscriber,
    topic_client,
    topic_consultation,
    topic_mentor,
)
from app.security.ratelimit import SlidingWindow, TokenBucket
from app.web.auth import bearer_token, context, cookie_name, face_of, fits_cookie
from app.web.errors import failure_response
from app.web.ws.frames import FRAMES
from app.web.ws.registry import CLOSE_SIGNED_OUT, ConnectionRegistry
from app.web.ws.transport import LEAN, LeanWebSocketProtocol

log = logging.getLogger("yorisoi.ws")
CLOSE_TOO_SLOW = 4408
CLOSE_FLOODING = 4429  # kept sending after rate_limited: a second budget's worth refused
NOTICE_EVERY_SECONDS = 1.0  # at most one rate_limited error a second for refused frames
CLOSE_TRY_AGAIN = 1013
# A message that arrives before the one due (it was stored here, the one before it by another
# process, still a pointer on its way) waits this long for it before storage is read. Only a
# lost pointer (a full outbox, a failed NOTIFY: both logged) needs the read; under load a
# pointer can take over 0.3 s, and at 0.3 every such socket read what was already on its way
# (two processes at saturation: 9 % more CPU a message, four A/B pairs, docs/benchmarks.md).
GAP_GRACE_SECONDS = 1.0
CLEAN_CLOSE = {1000, 1001}


def _dump(event: dict[str, Any]) -> str:
    """The frame for an event, encoded once however many sockets receive it (orjson; what it
    will not encode, such as an integer past 64 bits, goes through json with the same
    compact, non-ASCII-escaping form)."""
    encoded = event.get("_json")
    if encoded is None:
        body = {k: v for k, v in event.items() if not k.startswith("_")}
        try:
            encoded = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        event["_json"] = encoded
    return str(encoded)


async def endpoint(ws: WebSocket) -> None:
    ctx = context(ws)
    origin = ws.headers.get("origin")
    bearer = bearer_token(ws)
    face = face_of(ws)  # ?face=child from the child page: its own cookie
    token = bearer or ws.cookies.get(cookie_name(ctx, face))
    if origin is not None and origin not in ctx.settings.origins:
        await ws.close(code=1008)
        return
    if origin is None and bearer is None:  # a cookie without Origin is not a browser we trust
        await ws.close(code=1008)
        return
    try:
        principal = await principal_for_token(ctx, token) if token else None
    except Exception as exc:  # noqa: BLE001 - the handshake's boundary: never a bare 500
        await _deny(ws, exc)
        return
    if principal is None or principal.restricted is not None:  # restricted: finish sign-in first
        await ws.close(code=1008)
        return
    if not fits_face(principal, face) or (bearer is None and not fits_cookie(principal, face)):
        await ws.close(code=1008)  # e.g. a parent's session on the child page
        return
    key = f"{principal.kind}:{principal.id}"
    if ctx.hub.connections_of(key) >= ctx.settings.ws_max_per_account:
        await ws.close(code=1008)
        return
    sub = Subscriber(key, ctx.settings.ws_queue_size)
    registry: ConnectionRegistry = ws.app.state.connections
    conn = Connection(ctx, ws, principal, sub, token or "")
    ctx.hub.add(sub)
    registry.connections.add(conn)
    metrics.socket_opened(conn.role)
    try:
        await ws.accept()
        await conn.run()
    finally:
        registry.connections.discard(conn)
        metrics.socket_closed(conn.role)
        ctx.hub.remove(sub)


async def _deny(ws: WebSocket, exc: Exception) -> None:
    """Refuse the upgrade with an HTTP answer (busy_try_again with Retry-After when the
    database is overloaded or lost; the page's socket retries with its backoff)."""
    response = failure_response(exc, ws.scope, "websocket handshake")
    try:
        await ws.send_denial_response(response)
    except RuntimeError:  # a server without the denial extension
        await ws.close(code=CLOSE_TRY_AGAIN)


class Connection:
    # One per socket, ten thousand per process: slots, not an instance dict (~0.2 KiB each)
    __slots__ = (
        "ctx",
        "ws",
        "lean",
        "principal",
        "sub",
        "token",
        "joined",
        "delivery",
        "client_close_code",
        "close_code",
        "rate",
        "frames",
        "refused",
        "_noticed_at",
        "typing_at",
        "read_upto",
        "joins",
        "_sender_task",
    )

    def __init__(
        self, ctx: Context, ws: WebSocket, principal: Principal, sub: Subscriber, token: str
    ) -> None:
        self.ctx = ctx
        self.ws = ws
        # The server's direct text writer, where it offers one (app/web/ws/transport.py)
        self.lean: LeanWebSocketProtocol | None = ws.scope.get("extensions", {}).get(LEAN)
        self.principal = principal
        self.sub = sub
        self.token = token
        self.joined: dict[int, Seat] = {}
        self.delivery = Delivery(
            self._send_message,
            self._stored_after,
            self._wait_for_gap,
            self._send_message_now if self.lean is not None else None,
        )
        self.client_close_code: int | None = None
        self.close_code: int | None = None  # set when the server decides to close
        self.rate: SlidingWindow = ws.app.state.message_rate
        # Every frame spends from this socket's budget; frames refused past it spend from the
        # second one, and whoever empties that too is closed (CLOSE_FLOODING).
        per_minute = ctx.settings.ws_frames_per_minute
        self.frames = TokenBucket(ctx.now, rate=per_minute / 60, burst=per_minute)
        self.refused = TokenBucket(ctx.now, rate=per_minute / 60, burst=per_minute)
        self._noticed_at = float("-inf")
        self.typing_at: dict[int, float] = {}
        self.read_upto: dict[int, int] = {}  # the read mark this socket's side is known to have
        self.joins: SlidingWindow | None = None  # made on the first join
        self._sender_task: asyncio.Task[None] | None = None
        sub.on_overflow = lambda: self.kill(CLOSE_TOO_SLOW)
        if self.lean is not None:
            sub.owner = self  # deliver_now: the frames of a chat, written in the publisher's turn

    def kill(self, code: int) -> None:
        """Close this socket from outside its tasks (slow reader, signed-out session)."""
        if self.close_code is None:
            self.close_code = code
        if self._sender_task is not None:
            self._sender_task.cancel()

    def kill_signed_out(self) -> None:
        self.kill(CLOSE_SIGNED_OUT)

    @property
    def role(self) -> str:
        return "client" if self.principal.is_client else self.principal.role

    def name(self, cid: int) -> str:
        """The name this socket's person shows in a consultation."""
        seat = self.joined.get(cid)
        return shown_name(seat, self.principal) if seat else self.principal.display_name

    def forget(self, cid: int) -> None:
        """Stop following a consultation: no more of its events, its messages, or sends."""
        self.ctx.hub.unsubscribe(self.sub, topic_consultation(cid))
        self.joined.pop(cid, None)
        self.read_upto.pop(cid, None)
        self.delivery.forget(cid)

    async def presence(
        self, cid: int, state: str, seat: Seat | None = None, *, board: bool = False
    ) -> None:
        """Tell the consultation (and, for a client, its mentor's console) who is here;
        seat: the consultation as it was, when it is no longer in self.joined; board: the
        client's arrival or leaving changed headquarters' board (supervisors are told too)."""
        seat = seat or self.joined.get(cid)
        mentor_id = seat.mentor_id if seat is not None else None
        await publish_presence(
            self.ctx,
            cid,
            self.role,
            self.name(cid),
            state,
            self.sub.key,
            mentor_id=mentor_id,
            board=board,
        )

    def elsewhere(self, cid: int) -> bool:
        """Another socket of the same person on this process still has the consultation
        joined (a second tab): their leaving here does not make them away. Most people have
        one socket: then nothing is scanned (a thousand sockets closing at once, a school's
        network dropping, each scanned every socket: ~0.4 s with the event loop stopped)."""
        if self.ctx.hub.connections_of(self.sub.key) <= 1:  # this socket is still counted
            return False
        registry: ConnectionRegistry = self.ws.app.state.connections
        return any(
            other is not self and other.sub.key == self.sub.key and cid in other.joined
            for other in registry.connections
        )

    # -- lifecycle -----------------------------------------------------------------------
    async def run(self) -> None:
        hub = self.ctx.hub
        p = self.principal
        # hello once every process sends this socket its account's events
        if p.is_client:
            await hub.subscribe_announced(self.sub, topic_client(p.id))
        elif p.is_supervisor:
            await hub.subscribe_announced(self.sub, SUPERVISORS)
        elif p.mentor_id is not None:
            await hub.subscribe_announced(self.sub, topic_mentor(p.mentor_id))
        self.sub.offer(hello_event(self.ctx, p))
        receiver = asyncio.create_task(self._receiver(), name="ws-receiver")
        self._sender_task = asyncio.create_task(self._sender(), name="ws-sender")
        if self.close_code is not None:  # killed before the sender existed
            self._sender_task.cancel()
        tasks = (receiver, self._sender_task)
        # Whichever task ends first ends the socket. (asyncio.wait(FIRST_COMPLETED) did the
        # same with a set, a frame and a future held for the socket's life: ~1 KiB each.)
        first = asyncio.get_running_loop().create_future()

        def finished(_task: asyncio.Task[None]) -> None:
            if not first.done():
                first.set_result(None)

        for task in tasks:
            task.add_done_callback(finished)
        await first
        for task in tasks:
            if not task.done():
                task.cancel()
        for task in tasks:  # collect every outcome: no "exception never retrieved"
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.close_code is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):  # not wait_for (see realtime/pg.py)
                    await self.ws.close(code=self.close_code)
        state = "left" if self.client_close_code in CLEAN_CLOSE else "reconnecting"
        for cid in list(self.joined):
            with contextlib.suppress(Exception):
                away = not self.elsewhere(cid) and await mark_client_away(
                    self.ctx, self.principal, cid
                )
                await self.presence(cid, state, board=away)

    async def _receiver(self) -> None:
        while True:
            try:
                frame = await self.ws.receive()
            except WebSocketDisconnect as exc:
                self.client_close_code = exc.code
                return
            if frame["type"] == "websocket.disconnect":
                self.client_close_code = frame.get("code", 1000)
                return
            if not self._within_budget():
                if self.close_code is not None:
                    return
                await asyncio.sleep(0)  # buffered frames never wait: let the sender run
                continue
            text = frame.get("text")
            if text is None:
                self.error(Refusal("invalid_input", field="frame"), None)
                continue
            await self._handle(text)

    async def _write(self, text: str) -> None:
        if self.lean is None:
            await self.ws.send_text(text)
        else:
            await self.lean.send_text(text)

    async def _send(self, event: dict[str, Any]) -> None:
        await self._write(_dump(event))

    async def _send_message(self, event: dict[str, Any]) -> None:
        """A message in its seq turn. This socket's own fresh message is not sent back: its
        ack (with the seq, offered after this event) already told it; Delivery still counts
        the seq as passed, so the next message needs no gap filling."""
        if event.get("_origin") is self.sub:
            return
        await self._write(_dump(event))

    def _send_message_now(self, event: dict[str, Any]) -> bool:
        if event.get("_origin") is self.sub:
            return True
        lean = self.lean  # never None here: Delivery is given this only with a lean writer
        return lean is not None and lean.write_text_now(_dump(event))

    def deliver_now(self, event: dict[str, Any]) -> bool:
        """The sender's handling of a chat's frames (a message, an ack, a console's activity
        badge), done in the publisher's turn while the sender is idle (Subscriber.owner):
        no task switch per frame. Anything else, or anything that would wait (a gap, a full
        transport buffer, a socket closing), goes through the queue as before."""
        if self.close_code is not None or self.lean is None:
            return False
        try:
            kind = event.get("type")
            if kind == "message":
                return self.delivery.message_now(event)
            if kind == "activity" and event["consultation_id"] in self.joined:
                return True  # as the sender: this socket has that chat open
            if kind in ("ack", "activity"):
                return self.lean.write_text_now(_dump(event))
        except Exception as exc:  # noqa: BLE001 - never into the publisher's loop over sockets
            log.error("direct delivery failed (%s)", type(exc).__name__)
            self.kill(CLOSE_TRY_AGAIN)  # the client resumes from storage when it reconnects
            return True
        return False

    def _wait_for_gap(self, cid: int) -> None:
        """Delivery holds messages behind a gap: look again after the grace period (in this
        socket's own turn, through its queue)."""
        asyncio.get_running_loop().call_later(
            GAP_GRACE_SECONDS, self.sub.offer, {"type": "_gap", "consultation_id": cid}
        )

    async def _stored_after(self, cid: int, seq: int) -> list[dict[str, Any]]:
        return [message_event(self.ctx, m) for m in await messages_after(self.ctx, cid, seq)]

    async def _sender(self) -> None:
        while True:
            event = None  # an idle socket holds no past event (nor its encoded frame)
            event = await self.sub.queue.get()
            kind = event.get("type")
            if kind == "message":
                await self.delivery.message(event)
            elif kind == "message_ref":  # stored by another process: read it back, in order
                await self.delivery.pointer(event["consultation_id"], event["seq"])
            elif kind == "_catchup":
                await self.delivery.catch_up(event["consultation_id"])
            elif kind == "_gap":
                await self.delivery.gap_due(event["consultation_id"])
            elif kind == "consultation":
                cid = event["consultation_id"]
                seat = self.joined.get(cid)
                if seat is not None:
                    seat = await follow_consultation_event(self.ctx, self.principal, seat, event)
                    if seat is None:
                        self.forget(cid)  # handed to another mentor: no more reading or writing
                    else:
                        self.joined[cid] = seat
                await self._send(event)
            elif kind == "activity":
                if event["consultation_id"] in self.joined:
                    continue  # this socket has that chat open: the message itself is here
                await self._send(event)
            elif kind in ("typing", "presence"):
                if event.get("_from") == self.sub.key:
                    continue
                if kind == "presence" and event.get("state") == "joined":
                    cid = event["consultation_id"]
                    if cid in self.joined:  # let the newcomer know we are already here
                        await self.presence(cid, "present")
                await self._send(event)
            else:
                await self._send(event)

    # -- frames --------------------------------------------------------------------------
    def _within_budget(self) -> bool:
        """Spend one frame of this socket's budget. Over it, the frame is dropped unread and
        the sender told rate_limited (once a second); a sender that keeps on is closed."""
        if self.frames.take():
            return True
        if not self.refused.take():
            self.kill(CLOSE_FLOODING)
            return False
        now = self.ctx.now().timestamp()
        if now - self._noticed_at >= NOTICE_EVERY_SECONDS:
            self._noticed_at = now
            self.error(Refusal("rate_limited"), None)
        return False

    def error(self, refusal: Refusal, ref: object, consultation_id: object = None) -> None:
        child = self.principal.is_client and self.principal.role == "child"
        register: Register = "child" if child else "adult"  # a child reads a child's words
        self.sub.offer(error_event(refusal, ref, consultation_id, register))

    async def _handle(self, text: str) -> None:
        if len(text.encode()) > self.ctx.settings.ws_max_frame_bytes:
            self.error(Refusal("invalid_input", field="frame"), None)
            return
        try:
            data = load_json(text, field="frame")
        except Refusal as refusal:
            self.error(refusal, None)
            return
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self.error(Refusal("invalid_input", field="type"), None)
            return
        kind = data["type"]
        handler = FRAMES.get(kind)
        ref = data.get("client_msg_id", kind) if kind in ("send", "share") else kind
        if not isinstance(ref, str) or not storable(ref):  # an echo must be encodable
            ref = kind if storable(kind) else None
        if handler is None:
            self.error(Refusal("invalid_input", field="type"), ref)
            return
        try:
            check_json(data, field="frame")  # after the ref is known: the sender can match it
            await handler(self, data)
        except Refusal as refusal:
            self.error(refusal, ref, data.get("consultation_id"))
        except Exception as exc:  # type only: a traceback could carry a child's words
            log.error("websocket handler %s failed (%s)", kind, type(exc).__name__)
            self.error(Refusal("internal_error"), ref, data.get("consultation_id"))


ROUTES = [WebSocketRoute("/ws", endpoint)]
