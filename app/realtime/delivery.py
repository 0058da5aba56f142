"""Exactly once and in order: next-seq tracking and gap filling for one receiver.

A receiver (a websocket, a LINE bridge, a test) follows consultations from the last seq it
has seen. Messages reach it three ways — live from this process, as a pointer from another
process, or as a catch-up read after a join — and in any order. Delivery passes each one
exactly once and in seq order: what was already passed is dropped, a message beyond the next
expected seq means a gap, which is filled from storage first. No framework here: `send`
delivers one message event, `load(consultation_id, after_seq)` reads the stored ones after a
seq, oldest first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Event = dict[str, Any]
Send = Callable[[Event], Awaitable[None]]
Load = Callable[[int, int], Awaitable[list[Event]]]


class Delivery:
    def __init__(self, send: Send, load: Load) -> None:
        self._send = send
        self._load = load
        self.next_seq: dict[int, int] = {}

    def follow(self, consultation_id: int, last_seq: int) -> None:
        """From now on pass this consultation's messages after last_seq (call catch_up to read
        what is already stored)."""
        self.next_seq[consultation_id] = last_seq + 1

    def forget(self, consultation_id: int) -> None:
        self.next_seq.pop(consultation_id, None)

    def follows(self, consultation_id: int) -> bool:
        return consultation_id in self.next_seq

    async def message(self, event: Event) -> None:
        """A message event with its text: pass it, drop it (seen), or fill the gap before it."""
        cid = event["consultation_id"]
        expected = self.next_seq.get(cid)
        if expected is None or event["seq"] < expected:
            return  # not followed (any more), or already passed
        if event["seq"] > expected:
            await self.catch_up(cid)  # a gap: read it from storage, in order
            return
        await self._send(event)
        self.next_seq[cid] = expected + 1

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
