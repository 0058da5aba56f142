"""A Hypothesis state machine drives the WebSocket protocol against a real server.

Two readers of one walk-in consultation — its client and its mentor — join, send (new ids
and, now and then, an id they used before), leave, and reconnect with any `last_seq` up to
the highest seq they have seen, in any order. After every step:

- every acknowledged message reaches each joined reader exactly once per join, in seq
  order, from the join's `last_seq + 1` on, with the text and sender that were acknowledged
  (the socket that sent a message has it by its ack, and is never sent it again);
- nothing that was not acknowledged appears, and a reader not joined receives no message;
- a duplicate send is answered with the original seq (`duplicate: true`), a new one with
  the next seq.

Every frame read or sent is checked against the contract (tests/protocol/conftest.py).

The server runs in the test's event loop (tests/protocol/conftest.py live_server); the state
machine runs in a worker thread with the synchronous `websockets` client, and makes each
example's consultation through the loop (run_coroutine_threadsafe). The message and frame
budgets are raised for this server only: the machine sends far faster than a person.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from websockets.sync.client import ClientConnection, connect

from app.clock import ManualClock
from app.web.ws.frames import JOINS_PER_MINUTE
from tests.conftest import make_settings
from tests.protocol.conftest import Live, client_frame, live_server, server_frame
from tests.protocol.helpers import chat_pair

READ_TIMEOUT = 5.0
MACHINE = settings(
    max_examples=15,
    stateful_step_count=20,
    deadline=None,  # network round trips; timing is not the property
    database=None,  # a fresh consultation per example: nothing worth replaying
    suppress_health_check=[HealthCheck.too_slow],
)
WHO = st.sampled_from(["client", "mentor"])
IDS = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), min_size=1, max_size=64
)
TEXTS = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=80
).filter(lambda t: t.strip() != "")


@dataclass
class Reader:
    role: str
    token: str
    conn: ClientConnection | None = None
    joined: bool = False
    joins: int = 0  # joins on this socket (the server allows JOINS_PER_MINUTE)
    next_seq: int = 1  # the seq this join must deliver next
    high: int = 0  # the highest seq this reader has ever been delivered
    sent: dict[str, int] = field(default_factory=dict)  # its client_msg_id -> seq
    got: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> message, this join


class ProtocolMachine(RuleBasedStateMachine):
    live: ClassVar[Live]
    loop: ClassVar[asyncio.AbstractEventLoop]
    examples: ClassVar[itertools.count[int]] = itertools.count()
    steps: ClassVar[Counter[str]] = Counter()  # what the run did, to check it did something

    def __init__(self) -> None:
        super().__init__()
        n = next(self.examples)
        pair = asyncio.run_coroutine_threadsafe(
            chat_pair(self.live, nickname=f"うさぎ{n}", mentor_name=f"さくら{n}"), self.loop
        ).result(60)
        self.cid = pair.consultation_id
        self.readers = {
            "client": Reader("client", pair.child),
            "mentor": Reader("mentor", pair.mentor),
        }
        self.acked: dict[int, tuple[str, str, str]] = {}  # seq -> (role, client_msg_id, text)
        self.sockets = ExitStack()  # every socket of this example, closed at its teardown

    # -- the wire --------------------------------------------------------------------------
    def open(self, r: Reader) -> None:
        if r.conn is not None:
            r.conn.close()
        r.conn = self.sockets.enter_context(
            connect(
                self.live.ws_url,
                additional_headers={"Authorization": f"Bearer {r.token}"},
                origin=self.live.origin,  # type: ignore[arg-type]
                compression=None,
            )
        )
        r.joined, r.joins, r.got = False, 0, {}
        assert self.read(r)["type"] == "hello"

    def read(self, r: Reader) -> dict[str, Any]:
        assert r.conn is not None
        frame = server_frame(r.conn.recv(timeout=READ_TIMEOUT))
        assert frame["type"] != "error", f"{r.role} was refused: {frame}"
        if frame["type"] == "message":
            self.delivered(r, frame)
        return frame

    def send(self, r: Reader, **frame: Any) -> None:
        assert r.conn is not None
        r.conn.send(client_frame(frame))

    def delivered(self, r: Reader, message: dict[str, Any]) -> None:
        seq = message["seq"]
        assert message["consultation_id"] == self.cid
        assert r.joined, f"{r.role} got seq {seq} while not joined"
        assert seq == r.next_seq, f"{r.role} got seq {seq}, expected {r.next_seq}"
        r.next_seq += 1
        r.high = max(r.high, seq)
        r.got[seq] = message

    def join(self, r: Reader, last_seq: int) -> None:
        if r.conn is None or r.joins >= JOINS_PER_MINUTE:
            self.open(r)
        self.send(r, type="join", consultation_id=self.cid, last_seq=last_seq)
        r.joins += 1
        r.got, r.next_seq = {}, last_seq + 1
        while self.read(r)["type"] != "joined":  # a message before it: delivered() fails
            pass
        r.joined = True

    def barrier(self, r: Reader) -> None:
        """Frames are handled in order: once the pong is here, everything sent before it was."""
        self.send(r, type="ping")
        while self.read(r)["type"] != "pong":
            pass

    # -- rules -----------------------------------------------------------------------------
    @rule(who=WHO)
    def join_from_the_highest_seen(self, who: str) -> None:
        r = self.readers[who]
        if not r.joined:
            self.join(r, r.high)

    @rule(
        who=WHO,
        text=TEXTS,
        again=st.integers(0, 3).map(lambda n: n == 0),
        new_id=IDS,
        data=st.data(),
    )
    def send_message(self, who: str, text: str, again: bool, new_id: str, data: Any) -> None:
        r = self.readers[who]
        if not r.joined:
            self.join(r, r.high)
        cmid = data.draw(st.sampled_from(sorted(r.sent))) if again and r.sent else new_id
        self.send(r, type="send", consultation_id=self.cid, client_msg_id=cmid, text=text)
        while True:
            ack = self.read(r)
            if ack["type"] == "ack" and ack["client_msg_id"] == cmid:
                break
        if cmid in r.sent:  # sent before (maybe with another text): the original seq
            assert (ack["seq"], ack["duplicate"]) == (r.sent[cmid], True), ack
            self.steps["duplicate"] += 1
            return
        self.steps["send"] += 1
        assert (ack["seq"], ack["duplicate"]) == (len(self.acked) + 1, False), ack
        r.sent[cmid] = ack["seq"]
        self.acked[ack["seq"]] = (r.role, cmid, text.strip())
        # The sending socket is not sent its own live message: the ack is its copy, in its seq
        # turn (every earlier message reached it before). Sent right after a join, the replay
        # of that join may have read it from storage first: then it came once, as a message.
        own = {"seq": ack["seq"], "consultation_id": self.cid, "client_msg_id": cmid}
        if ack["seq"] < r.next_seq:
            assert r.got[ack["seq"]]["client_msg_id"] == cmid, r.got[ack["seq"]]
        else:
            self.delivered(r, {**own, "sender": {"role": r.role}, "text": text.strip()})

    @rule(who=WHO, data=st.data())
    def reconnect(self, who: str, data: Any) -> None:
        r = self.readers[who]
        last_seq = data.draw(st.integers(0, r.high), label="last_seq")
        self.open(r)
        self.join(r, last_seq)
        self.steps["reconnect behind" if last_seq < r.high else "reconnect"] += 1

    @rule(who=WHO)
    def leave(self, who: str) -> None:
        r = self.readers[who]
        if r.joined:
            self.send(r, type="leave", consultation_id=self.cid)
            r.joined = False
            self.barrier(r)
            self.steps["leave"] += 1

    # -- what must hold after every step ---------------------------------------------------
    @invariant()
    def every_acknowledged_message_delivered_once_in_order(self) -> None:
        for r in self.readers.values():
            if not r.joined:
                continue
            while r.next_seq <= len(self.acked):
                self.read(r)
            for seq, message in r.got.items():
                assert seq in self.acked, f"{r.role} got seq {seq}, never acknowledged"
                role, cmid, text = self.acked[seq]
                assert (message["sender"]["role"], message["client_msg_id"], message["text"]) == (
                    role,
                    cmid,
                    text,
                )
            assert sorted(r.got) == list(range(r.next_seq - len(r.got), r.next_seq))

    def teardown(self) -> None:
        """End the consultation (its line is free for the next example), close the sockets."""
        client = self.readers["client"]
        try:
            self.open(client)
            self.join(client, client.high)
            self.send(client, type="end", consultation_id=self.cid)
            self.barrier(client)
        finally:
            self.sockets.close()


async def test_protocol_state_machine(db_url: str, clock: ManualClock) -> None:
    generous = make_settings(
        db_url,
        ws_messages_per_minute=100_000,
        ws_frames_per_minute=100_000,
        lines=500,
        signups_per_hour_per_address=100_000,  # every example signs a child up
    )
    async with live_server(generous, clock) as live:
        ProtocolMachine.live = live
        ProtocolMachine.steps.clear()
        ProtocolMachine.loop = asyncio.get_running_loop()
        kinds = ("send", "duplicate", "reconnect behind", "leave")
        # Every kind of step must have run at least once; random examples miss one now and
        # then (a run of 15 without a reconnect behind): up to two more runs, not a failure.
        for _ in range(3):
            await asyncio.to_thread(run_state_machine_as_test, ProtocolMachine, settings=MACHINE)
            if all(ProtocolMachine.steps[k] > 0 for k in kinds):
                break
    done = ProtocolMachine.steps
    assert all(done[k] > 0 for k in kinds), done
