"""Read marks (docs/protocol.md, "Read marks"): stored per side, only forward, never past the
transcript, published once to the consultation; a supervisor reads without marking."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from app.actions.chat import check_access, do_join, do_read, do_send
from app.actions.handover import do_reassign
from app.errors import Refusal
from app.realtime.hub import topic_consultation
from tests.actions.capture import Captured
from tests.actions.test_events import principal, walk_in
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, staff_token

Capture = Callable[..., AbstractContextManager[Captured]]


async def test_a_read_moves_the_mark_forward_once_and_tells_the_consultation(
    env: Env, capture_events: Capture
) -> None:
    child, mentor, cid, _ = await walk_in(env)
    child_access = await do_join(env.ctx, child, cid)
    mentor_access = await do_join(env.ctx, mentor, cid)
    for i in range(1, 4):
        await do_send(env.ctx, child, child_access, f"c-{i}", f"こんにちは{i}")
    with capture_events(env.ctx) as events:
        assert await do_read(env.ctx, mentor, mentor_access, 2) == 2
        assert await do_read(env.ctx, mentor, mentor_access, 2) is None  # not forward
        assert await do_read(env.ctx, mentor, mentor_access, 1) is None  # never back
        assert await do_read(env.ctx, mentor, mentor_access, 3) == 3
    assert events.types() == ["read", "read"]
    assert events[0].topics == [topic_consultation(cid)]
    assert [p.event for p in events] == [
        {"type": "read", "consultation_id": cid, "by": "mentor", "seq": 2},
        {"type": "read", "consultation_id": cid, "by": "mentor", "seq": 3},
    ]
    stored = (await check_access(env.ctx, child, cid)).consultation
    assert (stored.mentor_read_seq, stored.client_read_seq) == (3, 0)


async def test_the_client_marks_its_own_side(env: Env, capture_events: Capture) -> None:
    child, mentor, cid, _ = await walk_in(env)
    mentor_access = await do_join(env.ctx, mentor, cid)
    child_access = await do_join(env.ctx, child, cid)
    await do_send(env.ctx, mentor, mentor_access, "m-1", "やあ")
    with capture_events(env.ctx) as events:
        assert await do_read(env.ctx, child, child_access, 1) == 1
    assert [p.event["by"] for p in events] == ["client"]
    stored = (await check_access(env.ctx, child, cid)).consultation
    assert (stored.client_read_seq, stored.mentor_read_seq) == (1, 0)


async def test_refused_reads_change_nothing_and_publish_nothing(
    env: Env, capture_events: Capture
) -> None:
    await add_staff(env.ctx, "hq", "supervisor-pass-1", role="supervisor")
    hq = await principal(env, await staff_token(env.http, "hq", "supervisor-pass-1"))
    child, mentor, cid, _ = await walk_in(env)
    child_access = await do_join(env.ctx, child, cid)
    mentor_access = await do_join(env.ctx, mentor, cid)
    hq_access = await do_join(env.ctx, hq, cid, "見守りのため")
    await do_send(env.ctx, child, child_access, "c-1", "ねえ")
    with capture_events(env.ctx) as events:
        for bad in (2, 0, -1, True, "1", None, 2**31):  # past last_seq, or not a seq at all
            with pytest.raises(Refusal) as refused:
                await do_read(env.ctx, mentor, mentor_access, bad)
            assert (refused.value.code, refused.value.field) == ("invalid_input", "seq")
        with pytest.raises(Refusal) as supervisor:
            await do_read(env.ctx, hq, hq_access, 1)  # headquarters reads without marking
        assert supervisor.value.code == "not_allowed"
    assert events == []
    stored = (await check_access(env.ctx, child, cid)).consultation
    assert (stored.client_read_seq, stored.mentor_read_seq) == (0, 0)


async def test_a_mentor_handed_away_no_longer_marks(env: Env, capture_events: Capture) -> None:
    child, mentor, cid, _ = await walk_in(env)
    child_access = await do_join(env.ctx, child, cid)
    old_access = await do_join(env.ctx, mentor, cid)  # the socket keeps this access
    await do_send(env.ctx, child, child_access, "c-1", "ねえ")
    other = await add_mentor(env.ctx, "ひまわり")
    await add_staff(env.ctx, "hq", "supervisor-pass-1", role="supervisor")
    hq = await principal(env, await staff_token(env.http, "hq", "supervisor-pass-1"))
    await do_reassign(env.ctx, hq, cid, mentor_id=other, note="")
    with capture_events(env.ctx) as events:
        with pytest.raises(Refusal) as refused:
            await do_read(env.ctx, mentor, old_access, 1)
    assert refused.value.code == "not_joined"
    assert events.of("read") == []
