"""What a client may send: {frame type: handler}. Each handler parses its frame, calls one
action and tells the socket what to remember (joined consultations) or to offer (acks);
shapes come from app/actions/events.py, rules and writes from app/actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.actions.accounts import principal_for_token
from app.actions.chat import (
    Seat,
    changes_board,
    check_access,
    check_last_seq,
    check_read_seq,
    do_call_supervisor,
    do_end,
    do_join,
    do_leave,
    do_read,
    do_send,
    do_share,
    own_read_seq,
)
from app.actions.events import ack_event, joined_event, pong_event, publish_typing
from app.actions.inputs import check_id
from app.errors import Refusal
from app.observability import metrics
from app.realtime.hub import topic_consultation
from app.security.ratelimit import SlidingWindow

if TYPE_CHECKING:
    from app.web.ws.endpoint import Connection

TYPING_EVERY_SECONDS = 1.0  # typing is forwarded at most this often per socket and consultation
JOINS_PER_MINUTE = 5  # joins (each replays from last_seq) per socket and consultation

Frame = dict[str, Any]
Handler = Callable[["Connection", Frame], Awaitable[None]]


def joined(conn: Connection, data: Frame) -> Seat:
    cid = check_id(data.get("consultation_id"), "consultation_id")
    seat = conn.joined.get(cid)
    if seat is None:
        raise Refusal("not_joined")
    return seat


async def on_ping(conn: Connection, _data: Frame) -> None:
    conn.sub.offer(pong_event(conn.ctx))


async def on_join(conn: Connection, data: Frame) -> None:
    last_seq = check_last_seq(data.get("last_seq"))
    # A join replays a whole transcript: check the session and account as they are now,
    # not as they were at the handshake (a stopped login must not slip in between).
    if await principal_for_token(conn.ctx, conn.token) is None:
        conn.kill_signed_out()
        raise Refusal("not_signed_in")
    count_join(conn, data.get("consultation_id"))
    access = await do_join(
        conn.ctx, conn.principal, data.get("consultation_id"), data.get("reason"), last_seq=last_seq
    )
    cid = access.consultation_id
    first_time = cid not in conn.joined
    conn.joined[cid] = access.seat()  # not the rows: what the socket keeps for its life
    conn.read_upto[cid] = own_read_seq(access)
    conn.delivery.follow(cid, last_seq)
    # Subscribe before catching up: anything committed meanwhile is either read by the
    # catch-up or arrives live (from other processes too: the subscription is announced to
    # them first); delivery's seq tracking drops the overlap.
    await conn.ctx.hub.subscribe_announced(conn.sub, topic_consultation(cid))
    conn.sub.offer(joined_event(conn.ctx, access))
    conn.sub.offer({"type": "_catchup", "consultation_id": cid})
    if first_time:
        await conn.presence(cid, "joined", board=changes_board(access))


def count_join(conn: Connection, consultation_id: object) -> None:
    """Each join replays the transcript from last_seq: a few per minute per consultation
    are plenty for reconnects, a loop of them is refused before any work is done."""
    if conn.joins is None:
        conn.joins = SlidingWindow(conn.ctx.now, JOINS_PER_MINUTE, 60)
    if not conn.joins.hit(str(check_id(consultation_id, "consultation_id"))):
        raise Refusal("rate_limited")


async def on_leave(conn: Connection, data: Frame) -> None:
    seat = joined(conn, data)
    cid = seat.consultation_id
    conn.ctx.hub.unsubscribe(conn.sub, topic_consultation(cid))
    del conn.joined[cid]
    conn.read_upto.pop(cid, None)
    conn.delivery.forget(cid)
    board = await do_leave(conn.ctx, conn.principal, seat, last_tab=not conn.elsewhere(cid))
    await conn.presence(cid, "left", seat, board=board)


@metrics.timed_ack
async def on_send(conn: Connection, data: Frame) -> None:
    seat = writer(conn, data)
    message, duplicate = await do_send(
        conn.ctx,
        conn.principal,
        seat,
        data.get("client_msg_id"),
        data.get("text"),
        origin=conn.sub,  # this socket learns of its own message from the ack alone
    )
    conn.sub.offer(ack_event(conn.ctx, message, duplicate))


@metrics.timed_ack
async def on_share(conn: Connection, data: Frame) -> None:
    seat = writer(conn, data)
    message, duplicate = await do_share(
        conn.ctx,
        conn.principal,
        seat,
        data.get("client_msg_id"),
        data.get("entry_id"),
        origin=conn.sub,
    )
    conn.sub.offer(ack_event(conn.ctx, message, duplicate))


def writer(conn: Connection, data: Frame) -> Seat:
    """A joined consultation this socket may store a message in now (messages per minute)."""
    seat = joined(conn, data)
    if not conn.rate.hit(conn.sub.key):
        raise Refusal("rate_limited")
    return seat


async def on_typing(conn: Connection, data: Frame) -> None:
    cid = joined(conn, data).consultation_id
    now = conn.ctx.now().timestamp()
    if now - conn.typing_at.get(cid, float("-inf")) < TYPING_EVERY_SECONDS:
        return  # "is typing" is already showing on the other side: drop, silently
    conn.typing_at[cid] = now
    await publish_typing(conn.ctx, cid, conn.role, conn.name(cid), conn.sub.key)


async def on_read(conn: Connection, data: Frame) -> None:
    seat = joined(conn, data)
    cid = seat.consultation_id
    seq = check_read_seq(data.get("seq"))
    # Coalesced per socket: a page repeating a mark it already sent (or that was stored when it
    # joined) costs no query; only a mark that moves forward reaches the database.
    if seq <= conn.read_upto.get(cid, 0):
        return
    await do_read(conn.ctx, conn.principal, seat, seq)
    conn.read_upto[cid] = max(seq, conn.read_upto.get(cid, 0))


async def on_end(conn: Connection, data: Frame) -> None:
    seat = joined(conn, data)
    fresh = await check_access(conn.ctx, conn.principal, seat.consultation_id)
    await do_end(conn.ctx, conn.principal, fresh)


async def on_call_supervisor(conn: Connection, data: Frame) -> None:
    await do_call_supervisor(conn.ctx, conn.principal, data.get("consultation_id"))


FRAMES: dict[str, Handler] = {
    "ping": on_ping,
    "join": on_join,
    "leave": on_leave,
    "send": on_send,
    "share": on_share,
    "typing": on_typing,
    "read": on_read,
    "end": on_end,
    "call_supervisor": on_call_supervisor,
}
