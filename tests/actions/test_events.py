"""What each action publishes, to whom, and that a refused action publishes nothing."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from app.actions import Principal
from app.actions.accounts import principal_for_token
from app.actions.booking import do_chat_now
from app.actions.chat import check_access, do_call_supervisor, do_end, do_join, do_leave, do_send
from app.actions.events import publish_presence, publish_typing
from app.errors import Refusal
from app.realtime.hub import SUPERVISORS, topic_client, topic_consultation, topic_mentor
from tests.actions.capture import Captured
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, sign_up, staff_token

Capture = Callable[..., AbstractContextManager[Captured]]


async def principal(env: Env, token: str) -> Principal:
    p = await principal_for_token(env.ctx, token)
    assert p is not None
    return p


async def walk_in(env: Env) -> tuple[Principal, Principal, int, int]:
    """A child talking now with a mentor: (child, mentor, consultation id, mentor id)."""
    mentor_id = await add_mentor(env.ctx, "さくら")
    await add_staff(env.ctx, "m1", "mentor-password-1", mentor_id=mentor_id)
    child = await principal(env, await sign_up(env.http, "こぐま"))
    mentor = await principal(env, await staff_token(env.http, "m1", "mentor-password-1"))
    c = await do_chat_now(env.ctx, child, mentor_id=mentor_id)
    assert c.id is not None
    return child, mentor, c.id, mentor_id


async def test_send_publishes_one_message_to_the_consultation(
    env: Env, capture_events: Capture
) -> None:
    child, _mentor, cid, _ = await walk_in(env)
    access = await do_join(env.ctx, child, cid)
    with capture_events(env.ctx) as events:
        message, duplicate = await do_send(env.ctx, child, access, "m-1", "こんにちは")
        again, was_duplicate = await do_send(env.ctx, child, access, "m-1", "こんにちは")
    assert not duplicate and was_duplicate and again.seq == message.seq == 1
    # the resend is stored once and published once (with the mentor console's activity badge)
    assert events.types() == ["message", "activity"]
    published = events[0]
    assert published.topics == [topic_consultation(cid)]
    assert published.event["text"] == "こんにちは" and published.event["seq"] == 1
    assert published.event["sender"] == {"role": "client", "name": "こぐま"}
    # other processes get a pointer and read the words from the database themselves
    assert published.remote == {"type": "message_ref", "consultation_id": cid, "seq": 1}


async def test_end_tells_everyone_concerned(env: Env, capture_events: Capture) -> None:
    child, mentor, cid, mentor_id = await walk_in(env)
    access = await do_join(env.ctx, mentor, cid)
    with capture_events(env.ctx) as events:
        await do_end(env.ctx, mentor, access)
    assert events.types() == ["consultation"]
    published = events[0]
    assert published.topics == [
        topic_consultation(cid),
        topic_client(child.id),
        topic_mentor(mentor_id),
        SUPERVISORS,
    ]
    assert published.event["event"] == "closed"
    assert published.event["status"] == "closed"
    assert published.event["reason"] == "ended_by_mentor"


async def test_refused_actions_publish_nothing(env: Env, capture_events: Capture) -> None:
    child, mentor, cid, mentor_id = await walk_in(env)
    access = await do_join(env.ctx, mentor, cid)
    await do_end(env.ctx, mentor, access)
    closed = await check_access(env.ctx, child, cid)
    with capture_events(env.ctx) as events:
        with pytest.raises(Refusal) as refused:
            await do_send(env.ctx, child, closed, "late", "まだいる？")
        assert refused.value.code == "consultation_closed"
        with pytest.raises(Refusal):
            await do_end(env.ctx, child, closed)
        with pytest.raises(Refusal) as busy:
            await do_chat_now(env.ctx, mentor, mentor_id=mentor_id)  # staff cannot walk in
        assert busy.value.code == "not_allowed"
    assert events == []


async def test_calling_a_supervisor_reaches_headquarters_only(
    env: Env, capture_events: Capture
) -> None:
    child, mentor, cid, mentor_id = await walk_in(env)
    with capture_events(env.ctx) as events:
        await do_call_supervisor(env.ctx, mentor, cid)
        with pytest.raises(Refusal) as refused:
            await do_call_supervisor(env.ctx, child, cid)  # only the mentor calls for help
        assert refused.value.code == "not_allowed"
    assert events.types() == ["supervisor_called"]
    assert events[0].topics == [SUPERVISORS]
    assert events[0].event == {
        "type": "supervisor_called",
        "consultation_id": cid,
        "mentor": {"id": mentor_id, "display_name": "さくら"},
    }


async def test_typing_and_presence_stay_inside_the_consultation(
    env: Env, capture_events: Capture
) -> None:
    supervisor = await add_staff(env.ctx, "hq", "supervisor-pass-1", role="supervisor")
    assert supervisor
    hq = await principal(env, await staff_token(env.http, "hq", "supervisor-pass-1"))
    _child, _mentor, cid, _ = await walk_in(env)
    access = await do_join(env.ctx, hq, cid, "見守りのため")
    with capture_events(env.ctx) as events:
        await publish_typing(env.ctx, cid, "client", "こぐま", "client:1")
        await publish_presence(env.ctx, cid, "supervisor", "hq", "joined", "staff:9")
        await do_leave(env.ctx, hq, access)
    assert events.types() == ["typing", "presence"]  # leaving writes the record, no event
    assert all(p.topics == [topic_consultation(cid)] for p in events)
    assert events[0].event["_from"] == "client:1"  # the sender's own sockets skip it
    assert events[1].event["state"] == "joined"
