"""The websocket endpoint: handshake checks, then one receiver and one sender task per socket.

The receiver parses frames and calls actions; everything the client is told goes through the
connection's own bounded queue, drained by the sender. The sender also keeps each joined
consultation's messages in order: it tracks the next expected seq, skips what was already
sent and fills any gap from the database, so a client sees every message exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.actions import Context, Principal
from app.actions.accounts import fits_face, gone_accounts, live_tokens, principal_for_token
from app.actions.chat import (
    Access,
    audit,
    check_access,
    check_last_seq,
    do_end,
    do_join,
    do_send,
    do_share,
    mark_client_present,
    messages_after,
    shown_name,
)
from app.actions.events import message_event, publish_to_consultation
from app.actions.inputs import check_id, check_json, load_json, storable
from app.db.tables import Message
from app.errors import Refusal
from app.realtime.hub import (
    ACCOUNTS,
    SUPERVISORS,
    Subscriber,
    topic_client,
    topic_consultation,
    topic_mentor,
)
from app.security.ratelimit import SlidingWindow, TokenBucket
from app.web.auth import bearer_token, context, cookie_name, face_of, fits_cookie

log = logging.getLogger("yorisoi.ws")
CLOSE_TOO_SLOW = 4408
CLOSE_SIGNED_OUT = 4401
CLOSE_FLOODING = 4429  # kept sending after rate_limited: a second budget's worth refused
TYPING_EVERY_SECONDS = 1.0  # typing is forwarded at most this often per socket and consultation
JOINS_PER_MINUTE = 5  # joins (each replays from last_seq) per socket and consultation
NOTICE_EVERY_SECONDS = 1.0  # at most one rate_limited error a second for refused frames
SESSION_RECHECK_SECONDS = 30.0
CLEAN_CLOSE = {1000, 1001}


def _dump(event: dict[str, Any]) -> str:
    """The frame for an event, encoded once however many sockets receive it."""
    encoded = event.get("_json")
    if encoded is None:
        encoded = json.dumps(
            {k: v for k, v in event.items() if not k.startswith("_")},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        event["_json"] = encoded
    return str(encoded)


class ConnectionRegistry:
    """Every live socket of this process, so one periodic check can close the sockets of
    signed-out or expired sessions (instead of one timer task per socket)."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        # Reservations that opened while their client was waiting on this process; marked
        # present in one write per round instead of one per socket (a 17:00 burst).
        self.present: set[int] = set()

    async def mark_present(self, ctx: Context, every: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every)
            await self.flush_present(ctx)

    async def flush_present(self, ctx: Context) -> None:
        batch, self.present = self.present, set()
        if batch:
            try:
                await mark_client_present(ctx, *batch)
            except Exception as exc:  # noqa: BLE001 - a join or a message marks them too
                log.warning(
                    "could not mark %d clients present (%s)", len(batch), type(exc).__name__
                )

    async def watch_sessions(self, ctx: Context, every: float = SESSION_RECHECK_SECONDS) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.close_revoked(ctx)
            except Exception as exc:  # noqa: BLE001 - try again next round
                log.warning("session check failed (%s)", type(exc).__name__)

    async def close_revoked(self, ctx: Context) -> int:
        """Close the sockets whose session, or whose account, may no longer act."""
        by_token: dict[str, list[Connection]] = {}
        for conn in self.connections:
            by_token.setdefault(conn.token, []).append(conn)
        closed = 0
        tokens = list(by_token)
        for start in range(0, len(tokens), 500):
            chunk = tokens[start : start + 500]
            valid = await live_tokens(ctx, chunk)
            for token in chunk:
                if token not in valid:
                    for conn in by_token[token]:
                        conn.kill(CLOSE_SIGNED_OUT)
                        closed += 1
        by_account: dict[str, list[Connection]] = {}
        for conn in self.connections:
            if conn.close_code is None:
                by_account.setdefault(conn.sub.key, []).append(conn)
        keys = list(by_account)
        for start in range(0, len(keys), 500):
            for key in await gone_accounts(ctx, set(keys[start : start + 500])):
                for conn in by_account[key]:
                    conn.kill(CLOSE_SIGNED_OUT)
                    closed += 1
        return closed

    async def watch_accounts(self, ctx: Context) -> None:
        """Act on account events from any process (ACCOUNTS topic): close the sockets of
        revoked logins and sessions at once, forget lifted lockouts."""
        sub = Subscriber("registry", 10_000)
        missed = False

        def overflowed() -> None:
            nonlocal missed
            missed = True

        sub.on_overflow = overflowed
        ctx.hub.subscribe(sub, ACCOUNTS)
        try:
            while True:
                event = await sub.queue.get()
                if missed:  # events were dropped: check every socket against the database
                    missed, sub.overflowed = False, False
                    with contextlib.suppress(Exception):
                        await self.close_revoked(ctx)
                self.on_account_event(ctx, event)
        finally:
            ctx.hub.unsubscribe(sub, ACCOUNTS)

    def on_account_event(self, ctx: Context, event: dict[str, Any]) -> int:
        if event.get("type") == "lockout_lifted" and isinstance(event.get("name"), str):
            ctx.throttle.lift(event["name"])
            return 0
        if event.get("type") != "revoked":
            return 0
        staff_ids = set(event.get("staff_ids") or ())
        session_ids = set(event.get("session_ids") or ())
        closed = 0
        for conn in list(self.connections):
            p = conn.principal
            if p.session_id in session_ids or (p.kind == "staff" and p.id in staff_ids):
                conn.kill(CLOSE_SIGNED_OUT)
                closed += 1
        return closed


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
    principal = await principal_for_token(ctx, token) if token else None
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
    try:
        await ws.accept()
        await conn.run()
    finally:
        registry.connections.discard(conn)
        ctx.hub.remove(sub)


class Connection:
    def __init__(
        self, ctx: Context, ws: WebSocket, principal: Principal, sub: Subscriber, token: str
    ) -> None:
        self.ctx = ctx
        self.ws = ws
        self.principal = principal
        self.sub = sub
        self.token = token
        self.joined: dict[int, Access] = {}
        self.next_seq: dict[int, int] = {}
        self.client_close_code: int | None = None
        self.close_code: int | None = None  # set when the server decides to close
        self.rate: SlidingWindow = ws.app.state.message_rate
        # Every frame spends from this socket's budget; frames refused past it spend from the
        # second one, and whoever empties that too is closed (CLOSE_FLOODING).
        per_minute = ctx.settings.ws_frames_per_minute
        self.frames = TokenBucket(ctx.now, rate=per_minute / 60, burst=per_minute)
        self.refused = TokenBucket(ctx.now, rate=per_minute / 60, burst=per_minute)
        self._noticed_at = float("-inf")
        self._typing_at: dict[int, float] = {}
        self._joins: SlidingWindow | None = None  # made on the first join
        self._sender_task: asyncio.Task[None] | None = None
        self.registry: ConnectionRegistry = ws.app.state.connections
        sub.on_overflow = lambda: self.kill(CLOSE_TOO_SLOW)

    def kill(self, code: int) -> None:
        """Close this socket from outside its tasks (slow reader, signed-out session)."""
        if self.close_code is None:
            self.close_code = code
        if self._sender_task is not None:
            self._sender_task.cancel()

    @property
    def role(self) -> str:
        return "client" if self.principal.is_client else self.principal.role

    # -- lifecycle -----------------------------------------------------------------------
    async def run(self) -> None:
        hub = self.ctx.hub
        p = self.principal
        if p.is_client:
            hub.subscribe(self.sub, topic_client(p.id))
        elif p.is_supervisor:
            hub.subscribe(self.sub, SUPERVISORS)
        elif p.mentor_id is not None:
            hub.subscribe(self.sub, topic_mentor(p.mentor_id))
        s = self.ctx.settings
        self.sub.offer(
            {
                "type": "hello",
                "account": {
                    "kind": p.kind,
                    "id": p.id,
                    "role": p.role,
                    "display_name": p.display_name,
                    "mentor_id": p.mentor_id,
                },
                "server_time": self.ctx.now().astimezone(self.ctx.rules.tz).isoformat(),
                "limits": {
                    "max_text": 2000,
                    "max_frame_bytes": s.ws_max_frame_bytes,
                    "messages_per_minute": s.ws_messages_per_minute,
                    "frames_per_minute": s.ws_frames_per_minute,
                },
            }
        )
        receiver = asyncio.create_task(self._receiver(), name="ws-receiver")
        self._sender_task = asyncio.create_task(self._sender(), name="ws-sender")
        if self.close_code is not None:  # killed before the sender existed
            self._sender_task.cancel()
        tasks = {receiver, self._sender_task}
        _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in tasks:  # collect every outcome: no "exception never retrieved"
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.close_code is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code=self.close_code), 2)
        state = "left" if self.client_close_code in CLEAN_CLOSE else "reconnecting"
        for cid in list(self.joined):
            with contextlib.suppress(Exception):
                await self._presence(cid, state)

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
                self._error(Refusal("invalid_input", field="frame"), None)
                continue
            await self._handle(text)

    async def _sender(self) -> None:
        while True:
            event = await self.sub.queue.get()
            kind = event.get("type")
            if kind == "message":
                await self._send_in_order(event)
            elif kind == "message_ref":  # stored by another process: read it back, in order
                cid = event["consultation_id"]
                expected = self.next_seq.get(cid)
                if expected is not None and event["seq"] >= expected:
                    await self._catch_up(cid)
            elif kind == "_catchup":
                await self._catch_up(event["consultation_id"])
            elif kind == "consultation":
                cid = event["consultation_id"]
                if (
                    event.get("event") == "opened"
                    and self.principal.is_client
                    and cid in self.joined
                ):
                    await mark_client_present(self.ctx, cid)  # was waiting when it opened
                await self.ws.send_text(_dump(event))
            elif kind in ("typing", "presence"):
                if event.get("_from") == self.sub.key:
                    continue
                if kind == "presence" and event.get("state") == "joined":
                    cid = event["consultation_id"]
                    if cid in self.joined:  # let the newcomer know we are already here
                        await self._presence(cid, "present")
                await self.ws.send_text(_dump(event))
            else:
                await self.ws.send_text(_dump(event))

    async def _send_in_order(self, event: dict[str, Any]) -> None:
        cid = event["consultation_id"]
        expected = self.next_seq.get(cid)
        if expected is None or event["seq"] < expected:
            return  # not joined any more, or already sent
        if event["seq"] > expected:
            await self._catch_up(cid)  # a gap: read it from the database, in order
            return
        await self.ws.send_text(_dump(event))
        self.next_seq[cid] = expected + 1

    async def _catch_up(self, cid: int) -> None:
        expected = self.next_seq.get(cid)
        if expected is None:
            return
        for message in await messages_after(self.ctx, cid, expected - 1):
            await self.ws.send_text(_dump(message_event(self.ctx, message)))
            self.next_seq[cid] = message.seq + 1

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
            self._error(Refusal("rate_limited"), None)
        return False

    def _error(self, refusal: Refusal, ref: object, consultation_id: object = None) -> None:
        body: dict[str, Any] = {"type": "error", **refusal.as_dict(), "ref": ref}
        if isinstance(consultation_id, int):
            body["consultation_id"] = consultation_id
        self.sub.offer(body)

    async def _handle(self, text: str) -> None:
        if len(text.encode()) > self.ctx.settings.ws_max_frame_bytes:
            self._error(Refusal("invalid_input", field="frame"), None)
            return
        try:
            data = load_json(text, field="frame")
        except Refusal as refusal:
            self._error(refusal, None)
            return
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self._error(Refusal("invalid_input", field="type"), None)
            return
        kind = data["type"]
        handler = getattr(self, f"_on_{kind}", None) if kind in HANDLED else None
        ref = data.get("client_msg_id", kind) if kind in ("send", "share") else kind
        if not isinstance(ref, str) or not storable(ref):  # an echo must be encodable
            ref = kind if storable(kind) else None
        if handler is None:
            self._error(Refusal("invalid_input", field="type"), ref)
            return
        try:
            check_json(data, field="frame")  # after the ref is known: the sender can match it
            await handler(data)
        except Refusal as refusal:
            self._error(refusal, ref, data.get("consultation_id"))
        except Exception as exc:  # type only: a traceback could carry a child's words
            log.error("websocket handler %s failed (%s)", kind, type(exc).__name__)
            self._error(Refusal("internal_error"), ref, data.get("consultation_id"))

    def _joined(self, data: dict[str, Any]) -> Access:
        cid = check_id(data.get("consultation_id"), "consultation_id")
        access = self.joined.get(cid)
        if access is None:
            raise Refusal("not_joined")
        return access

    def _name(self, cid: int) -> str:
        access = self.joined.get(cid)
        return shown_name(access, self.principal) if access else self.principal.display_name

    async def _presence(self, cid: int, state: str) -> None:
        await publish_to_consultation(
            self.ctx,
            cid,
            {
                "type": "presence",
                "consultation_id": cid,
                "role": self.role,
                "name": self._name(cid),
                "state": state,
                "_from": self.sub.key,
            },
        )

    async def _on_ping(self, _data: dict[str, Any]) -> None:
        now = self.ctx.now().astimezone(self.ctx.rules.tz).isoformat()
        self.sub.offer({"type": "pong", "server_time": now})

    async def _on_join(self, data: dict[str, Any]) -> None:
        last_seq = check_last_seq(data.get("last_seq"))
        # A join replays a whole transcript: check the session and account as they are now,
        # not as they were at the handshake (a stopped login must not slip in between).
        if await principal_for_token(self.ctx, self.token) is None:
            self.kill(CLOSE_SIGNED_OUT)
            raise Refusal("not_signed_in")
        self._count_join(data.get("consultation_id"))
        access = await do_join(
            self.ctx,
            self.principal,
            data.get("consultation_id"),
            data.get("reason"),
            last_seq=last_seq,
        )
        c = access.consultation
        assert c.id is not None
        first_time = c.id not in self.joined
        self.joined[c.id] = access
        self.next_seq[c.id] = last_seq + 1
        # Subscribe before catching up: anything committed meanwhile is either read by the
        # catch-up or arrives live; the sender's seq tracking drops the overlap.
        self.ctx.hub.subscribe(self.sub, topic_consultation(c.id))
        tz = self.ctx.rules.tz
        self.sub.offer(
            {
                "type": "joined",
                "consultation": {
                    "id": c.id,
                    "status": c.status,
                    "mode": c.mode,
                    "starts_at": c.starts_at.astimezone(tz).isoformat(),
                    "ends_at": c.ends_at.astimezone(tz).isoformat(),
                    "opened_at": c.opened_at.astimezone(tz).isoformat() if c.opened_at else None,
                    "closed_at": c.closed_at.astimezone(tz).isoformat() if c.closed_at else None,
                    "mentor": {"id": access.mentor.id, "display_name": access.mentor.display_name},
                    "client": {"nickname": access.client.nickname},
                },
                "you": {"role": access.role},
            }
        )
        self.sub.offer({"type": "_catchup", "consultation_id": c.id})
        if first_time:
            await self._presence(c.id, "joined")

    def _count_join(self, consultation_id: object) -> None:
        """Each join replays the transcript from last_seq: a few per minute per consultation
        are plenty for reconnects, a loop of them is refused before any work is done."""
        if self._joins is None:
            self._joins = SlidingWindow(self.ctx.now, JOINS_PER_MINUTE, 60)
        if not self._joins.hit(str(check_id(consultation_id, "consultation_id"))):
            raise Refusal("rate_limited")

    async def _on_leave(self, data: dict[str, Any]) -> None:
        access = self._joined(data)
        cid = access.consultation.id
        assert cid is not None
        self.ctx.hub.unsubscribe(self.sub, topic_consultation(cid))
        del self.joined[cid]
        self.next_seq.pop(cid, None)
        if self.principal.is_supervisor:
            await audit(self.ctx, self.principal, "supervisor_leave", cid)
        await self._presence(cid, "left")

    async def _on_send(self, data: dict[str, Any]) -> None:
        access = self._joined(data)
        if not self.rate.hit(self.sub.key):
            raise Refusal("rate_limited")
        message, duplicate = await do_send(
            self.ctx, self.principal, access, data.get("client_msg_id"), data.get("text")
        )
        self._ack(message, duplicate)

    def _ack(self, message: Message, duplicate: bool) -> None:
        self.sub.offer(
            {
                "type": "ack",
                "consultation_id": message.consultation_id,
                "client_msg_id": message.client_msg_id,
                "seq": message.seq,
                "sent_at": message.created_at.astimezone(self.ctx.rules.tz).isoformat(),
                "duplicate": duplicate,
            }
        )

    async def _on_share(self, data: dict[str, Any]) -> None:
        access = self._joined(data)
        if not self.rate.hit(self.sub.key):
            raise Refusal("rate_limited")
        message, duplicate = await do_share(
            self.ctx, self.principal, access, data.get("client_msg_id"), data.get("entry_id")
        )
        self._ack(message, duplicate)

    async def _on_typing(self, data: dict[str, Any]) -> None:
        access = self._joined(data)
        cid = access.consultation.id
        assert cid is not None
        now = self.ctx.now().timestamp()
        if now - self._typing_at.get(cid, float("-inf")) < TYPING_EVERY_SECONDS:
            return  # "is typing" is already showing on the other side: drop, silently
        self._typing_at[cid] = now
        await publish_to_consultation(
            self.ctx,
            cid,
            {
                "type": "typing",
                "consultation_id": cid,
                "role": self.role,
                "name": self._name(cid),
                "_from": self.sub.key,
            },
        )

    async def _on_end(self, data: dict[str, Any]) -> None:
        access = self._joined(data)
        fresh = await check_access(self.ctx, self.principal, access.consultation.id)
        await do_end(self.ctx, self.principal, fresh)

    async def _on_call_supervisor(self, data: dict[str, Any]) -> None:
        access = await check_access(self.ctx, self.principal, data.get("consultation_id"))
        if access.role != "mentor":
            raise Refusal("not_allowed")
        cid = access.consultation.id
        await audit(self.ctx, self.principal, "supervisor_called", cid)
        await self.ctx.hub.publish(
            [SUPERVISORS],
            {
                "type": "supervisor_called",
                "consultation_id": cid,
                "mentor": {"id": access.mentor.id, "display_name": access.mentor.display_name},
            },
        )


HANDLED = {"ping", "join", "leave", "send", "share", "typing", "end", "call_supervisor"}
ROUTES = [WebSocketRoute("/ws", endpoint)]
