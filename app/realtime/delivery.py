"""Exactly once and in order: next-seq tracking and gap filling for one receiver.

A receiver (a websocket, a LINE bridge, a test) follows consultations from the last seq it
has seen. Messages reach it three ways — live from this process, as a pointer from another
process, or as a catch-up read after a join — and in any order. Delivery passes each one
exactly once and in seq order: what was already passed is dropped, a message beyond the next
expected seq means a gap, which is filled from storage first. No framework here: `send`
delivers one message event, `load(consultation_id, after_seq)` reads the stored ones after a
seq, oldest first.

With several processes a gap is usually only a message on its way: the client's message,
stored by the other process, is still a pointer in flight when the mentor's own next message
(seq + 1) arrives locally. A receiver given `wait(consultation_id)` holds what came early
and reads storage only if the gap is still open when its grace period is over (`wait`
arranges for `gap_due` to be called then); without one, a gap is read at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Event = dict[str, Any]
Send = Callable[[Event], Awaitable[None]]
SendNow = Callable[[Event], bool]  # sent (or rightly not sent) at once; False: not possible now
Load = Callable[[int, int], Awaitable[list[Event]]]
Wait = Callable[[int], None]


class Delivery:
    # one per socket: slots, not an instance dict (~0.25 KiB each with ten thousand sockets)
    __slots__ = ("_send", "_send_now", "_load", "_wait", "next_seq", "_held")

    def __init__(
        self, send: Send, load: Load, wait: Wait | None = None, send_now: SendNow | None = None
    ) -> None:
        self._send = send
        self._send_now = send_now
        self._load = load
        self._wait = wait
        self.next_seq: dict[int, int] = {}
        # consultation -> {seq: message} that came before the seq expected next (only while
        # a gap is open; None when nothing is held, as for almost every receiver)
        self._held: dict[int, dict[int, Event]] | None = None

    def follow(self, consultation_id: int, last_seq: int) -> None:
        """From now on pass this consultation's messages after last_seq (call catch_up to read
        what is already stored)."""
        self.next_seq[consultation_id] = last_seq + 1

    def forget(self, consultation_id: int) -> None:
        self.next_seq.pop(consultation_id, None)
        self._drop_held(consultation_id)

    def follows(self, consultation_id: int) -> bool:
        return consultation_id in self.next_seq

    async def message(self, event: Event) -> None:
        """A message event with its text: pass it, drop it (seen), or fill the gap before it."""
        cid = event["consultation_id"]
        expected = self.next_seq.get(cid)
        if expected is None or event["seq"] < expected:
            return  # not followed (any more), or already passed
        if event["seq"] > expected:  # a gap
            if self._wait is None:
                await self.catch_up(cid)  # read it from storage, in order
                return
            if self._held is None:
                self._held = {}
            held = self._held.setdefault(cid, {})
            if not held:
                self._wait(cid)
            held[event["seq"]] = event
            return
        await self._send(event)
        self.next_seq[cid] = expected + 1
        await self._release(cid)

    def message_now(self, event: Event) -> bool:
        """message(), when it needs no waiting: the event is the one due (nothing held behind
        a gap) and send_now can write it now, or it is one to drop. False: nothing was done;
        hand it to message() in the receiver's own turn."""
        cid = event["consultation_id"]
        expected = self.next_seq.get(cid)
        if expected is None or event["seq"] < expected:
            return True  # not followed (any more), or already passed
        if event["seq"] > expected or self._send_now is None:
            return False
        if self._held is not None and cid in self._held:
            return False  # passing it releases held ones: message() does that
        if not self._send_now(event):
            return False
        self.next_seq[cid] = expected + 1
        return True

    async def gap_due(self, consultation_id: int) -> None:
        """A gap's grace period is over: if messages are still held behind it, read it."""
        if self._held is not None and self._held.get(consultation_id):
            await self.catch_up(consultation_id)

    async def _release(self, consultation_id: int) -> None:
        """Pass the held messages that are next now; drop those passed meanwhile."""
        held = self._held.get(consultation_id) if self._held is not None else None
        if not held:
            return
        while held:
            expected = self.next_seq.get(consultation_id)
            if expected is None:
                break
            for seq in [seq for seq in held if seq < expected]:
                del held[seq]
            event = held.pop(expected, None)
            if event is None:
                break
            await self._send(event)
            self.next_seq[consultation_id] = expected + 1
        if not held:
            self._drop_held(consultation_id)

    def _drop_held(self, consultation_id: int) -> None:
        if self._held is not None:
            self._held.pop(consultation_id, None)
            if not self._held:
                self._held = None

    async def pointer(self, consultation_id: int, seq: int) -> None:
        """A message stored elsewhere (another process): read it back if it is new to us."""
        expected = self.next_seq.get(consultation_id)
        if expected is not None and seq >= expected:
            await self.catch_up(consultation_id)

    async def catch_up(self, consultation_id: int) -> None:
        expected = self.next_seq.get(consultation_id)
        if expected is None:
            return
        for event in await self._load(consultation_id, expected - 1):
            now_expected = self.next_seq.get(consultation_id)
            if now_expected is None or event["seq"] < now_expected:
                continue  # forgotten while reading, or passed meanwhile
            await self._send(event)
            self.next_seq[consultation_id] = event["seq"] + 1
        await self._release(consultation_id)
