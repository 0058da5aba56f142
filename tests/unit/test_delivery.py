"""Delivery: exactly once and in seq order, whichever way a message arrives."""

from __future__ import annotations

from typing import Any

from app.realtime.delivery import Delivery


class Store:
    """Messages of consultation 7 as the database would hand them back."""

    def __init__(self, seqs: list[int]) -> None:
        self.seqs = seqs
        self.reads = 0

    async def load(self, cid: int, after: int) -> list[dict[str, Any]]:
        self.reads += 1
        return [msg(s, cid) for s in self.seqs if s > after]


def msg(seq: int, cid: int = 7) -> dict[str, Any]:
    return {"type": "message", "consultation_id": cid, "seq": seq}


def receiver(store: Store) -> tuple[Delivery, list[int]]:
    seen: list[int] = []

    async def send(event: dict[str, Any]) -> None:
        seen.append(event["seq"])

    return Delivery(send, store.load), seen


async def test_live_messages_pass_once_in_order() -> None:
    delivery, seen = receiver(Store([]))
    delivery.follow(7, 0)
    for seq in (1, 2, 2, 1, 3):
        await delivery.message(msg(seq))
    assert seen == [1, 2, 3]


async def test_a_gap_is_filled_from_storage_before_the_message_after_it() -> None:
    store = Store([1, 2, 3, 4])
    delivery, seen = receiver(store)
    delivery.follow(7, 1)
    await delivery.message(msg(4))  # 2 and 3 went missing on the way
    await delivery.message(msg(3))  # arrives late: already passed
    assert seen == [2, 3, 4]


async def test_resume_catches_up_then_live_overlap_is_dropped() -> None:
    store = Store([1, 2, 3])
    delivery, seen = receiver(store)
    delivery.follow(7, 1)  # the client saw 1 before the reconnect
    await delivery.message(msg(3))  # live, before the catch-up ran: a gap, filled
    await delivery.catch_up(7)  # the join's own catch-up: nothing new
    await delivery.message(msg(2))
    assert seen == [2, 3]


async def test_pointers_from_another_process_are_read_back_only_when_new() -> None:
    store = Store([1, 2])
    delivery, seen = receiver(store)
    delivery.follow(7, 0)
    await delivery.pointer(7, 1)
    assert seen == [1, 2] and store.reads == 1
    await delivery.pointer(7, 2)  # already read with the first one
    assert store.reads == 1


async def test_nothing_passes_for_a_consultation_not_followed() -> None:
    store = Store([1])
    delivery, seen = receiver(store)
    await delivery.message(msg(1))
    await delivery.pointer(7, 1)
    await delivery.catch_up(7)
    delivery.follow(7, 0)
    delivery.forget(7)
    await delivery.message(msg(1))
    assert seen == [] and store.reads == 0 and not delivery.follows(7)


def waiting_receiver(store: Store) -> tuple[Delivery, list[int], list[int]]:
    """A receiver that holds messages behind a gap; `due` lists the grace periods started."""
    seen: list[int] = []
    due: list[int] = []

    async def send(event: dict[str, Any]) -> None:
        seen.append(event["seq"])

    return Delivery(send, store.load, due.append), seen, due


async def test_a_gap_filled_in_its_grace_period_needs_no_read() -> None:
    # Another process stored 2; this one stored 3 and publishes it first.
    store = Store([1, 2, 3, 4])
    delivery, seen, due = waiting_receiver(store)
    delivery.follow(7, 1)
    await delivery.message(msg(3))  # early: held
    await delivery.message(msg(4))
    assert seen == [] and due == [7]  # one grace period for the gap, not one per message
    await delivery.message(msg(2))  # the message on its way arrives
    assert seen == [2, 3, 4]
    await delivery.gap_due(7)  # the grace period ends: nothing is held, nothing is read
    await delivery.message(msg(3))
    assert seen == [2, 3, 4] and store.reads == 0


async def test_a_gap_still_open_when_its_grace_ends_is_read_from_storage() -> None:
    store = Store([1, 2, 3])
    delivery, seen, due = waiting_receiver(store)
    delivery.follow(7, 1)
    await delivery.message(msg(3))
    await delivery.gap_due(7)  # 2 never came live (a lost pointer): storage has it
    assert seen == [2, 3] and store.reads == 1
    await delivery.message(msg(2))  # late after all: already passed
    await delivery.message(msg(5))  # a new gap (4 is missing): a new grace period
    assert seen == [2, 3] and due == [7, 7]


async def test_forgetting_drops_what_was_held() -> None:
    store = Store([1, 2, 3])
    delivery, seen, _due = waiting_receiver(store)
    delivery.follow(7, 1)
    await delivery.message(msg(3))
    delivery.forget(7)
    await delivery.gap_due(7)
    delivery.follow(7, 1)
    await delivery.message(msg(2))
    assert seen == [2] and store.reads == 0


def at_once(store: Store, *, writable: list[bool]) -> tuple[Delivery, list[int], list[int]]:
    """A receiver with send_now, whose transport can write while writable[0] holds."""
    queued: list[int] = []
    written: list[int] = []

    async def send(event: dict[str, Any]) -> None:
        queued.append(event["seq"])

    def send_now(event: dict[str, Any]) -> bool:
        if writable[0]:
            written.append(event["seq"])
        return writable[0]

    return Delivery(send, store.load, lambda _cid: None, send_now), written, queued


async def test_message_now_passes_only_the_message_due_and_declines_what_needs_waiting() -> None:
    writable = [True]
    delivery, written, queued = at_once(Store([1, 2, 3, 4, 5]), writable=writable)
    delivery.follow(7, 0)
    assert delivery.message_now(msg(1)) and written == [1]
    assert delivery.message_now(msg(1))  # passed before: dropped, nothing written
    assert delivery.message_now(msg(9, cid=8))  # not followed: dropped
    assert not delivery.message_now(msg(3))  # a gap: the receiver's own turn
    await delivery.message(msg(3))  # held behind the gap
    assert not delivery.message_now(msg(2))  # due, but passing it releases 3: message() does
    await delivery.message(msg(2))
    assert queued == [2, 3] and delivery.next_seq[7] == 4
    writable[0] = False
    assert not delivery.message_now(msg(4)) and delivery.next_seq[7] == 4  # nothing done
    writable[0] = True
    assert delivery.message_now(msg(4)) and written == [1, 4] and delivery.next_seq[7] == 5
