"""What crosses between processes: own notifications are dropped before any decoding,
payloads stay under PostgreSQL's limit in order, and a burst of message pointers is read back
once per burst."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from app.realtime import wire
from app.realtime.hub import Hub, Subscriber, topic_consultation
from app.realtime.pg import PgBridge


def test_own_notifications_are_dropped_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[object] = []
    real = orjson.loads

    def counting(data: Any) -> Any:
        decoded.append(data)
        return real(data)

    monkeypatch.setattr(wire.orjson, "loads", counting)
    mine, theirs = wire.new_origin(), wire.new_origin()
    assert len(mine) == len(theirs) == wire.ORIGIN_WIDTH
    [payload], _ = wire.payloads(mine, [wire.encode_item(["t"], {"type": "x"})])
    assert wire.decode(mine, payload) == [] and decoded == []  # not even looked at
    assert wire.decode(theirs, payload) == [(["t"], {"type": "x"})] and len(decoded) == 1


def test_payloads_keep_order_stay_under_the_limit_and_share_no_private_keys() -> None:
    origin = wire.new_origin()
    event = {"type": "typing", "_from": "client:1", "_json": "cached", "_origin": object()}
    assert wire.shareable(event) == {"type": "typing", "_from": "client:1"}
    items = [wire.encode_item(["t"], {"type": "n", "i": i, "pad": "あ" * 100}) for i in range(200)]
    items.append(wire.encode_item(["t"], {"type": "huge", "pad": "x" * 9000}))
    payloads, dropped = wire.payloads(origin, items)
    assert dropped == 1 and len(payloads) > 1
    assert all(len(p.encode()) <= wire.MAX_PAYLOAD for p in payloads)
    other = wire.new_origin()
    got = [event["i"] for p in payloads for _t, event in wire.decode(other, p)]
    assert got == list(range(200))


@pytest.mark.parametrize(
    "sizes", [[], [10], [7_870], [7_871], [3_000, 4_853], [3_000, 4_854], [3_000] * 3]
)
def test_a_batch_is_encoded_whole_exactly_when_one_payload_holds_it(sizes: list[int]) -> None:
    origin = wire.new_origin()
    batch: list[wire.Item] = [(["t"], {"s": "x" * n}) for n in sizes]
    items = [wire.encode_item(topics, event) for topics, event in batch]
    packed, dropped = wire.payloads(origin, items)
    encoded = wire.encode_while_fits(origin, batch)
    assert encoded == items[: len(encoded)]  # a prefix, in order
    fits = len(packed) <= 1 and dropped == 0
    assert (len(encoded) == len(batch)) == fits
    if packed and fits:
        assert len(packed[0].encode()) <= wire.MAX_PAYLOAD
    else:  # no more than a payload's worth was encoded
        assert len(wire.payloads(origin, encoded)[0]) <= 1


def test_a_payload_that_is_not_ours_to_read_is_ignored() -> None:
    origin = wire.new_origin()
    for bad in ("", "short", "x" * 12 + "{not json", "x" * 12 + '{"a":1}', "x" * 12 + "[[1,2]]"):
        assert wire.decode(origin, bad) == []


async def test_a_burst_of_pointers_is_read_once_then_delivered_in_order() -> None:
    hub = Hub()
    sub = Subscriber("mentor:1")
    hub.subscribe(sub, topic_consultation(7))
    console = Subscriber("mentor:1")
    hub.subscribe(console, "mentor:1")
    reads: list[dict[int, tuple[int, int]]] = []

    async def resolve(ranges: dict[int, tuple[int, int]]) -> list[dict[str, Any]]:
        reads.append(dict(ranges))
        lo, hi = ranges[7]
        return [{"type": "message", "consultation_id": 7, "seq": s} for s in range(lo, hi + 1)]

    bridge = PgBridge("postgresql://unused", hub, resolve=resolve)
    other = wire.new_origin()

    def pointer(cid: int, seq: int) -> bytes:
        ref = {"type": "message_ref", "consultation_id": cid, "seq": seq}
        return wire.encode_item([topic_consultation(cid)], ref)

    badge = {"type": "activity", "consultation_id": 7, "seq": 1}  # the console's, not the chat's
    for first in (1, 4):  # two notifications of the same burst
        items = [pointer(7, s) for s in range(first, first + 3)]
        items.append(wire.encode_item(["mentor:1"], badge))
        payloads, _ = wire.payloads(other, items)
        for p in payloads:
            bridge._on_notify(None, 0, bridge.channel, p)
    # a consultation nobody here follows: not read at all
    bridge._on_notify(None, 0, bridge.channel, wire.payloads(other, [pointer(8, 1)])[0][0])
    end = {"type": "consultation", "consultation_id": 7, "event": "closed"}
    bridge._on_notify(
        None,
        0,
        bridge.channel,
        wire.payloads(other, [wire.encode_item(["consultation:7"], end)])[0][0],
    )
    await bridge._deliver_inbox()
    assert reads == [{7: (1, 6)}]  # one read for the burst, not one per pointer or socket
    assert console.queue.qsize() == 2  # the badges, which wait for no read
    got = [sub.queue._items.popleft() for _ in range(sub.queue.qsize())]
    assert [(e["type"], e.get("seq")) for e in got] == [("message", s) for s in range(1, 7)] + [
        ("consultation", None)
    ]  # the messages before the end that came after them
