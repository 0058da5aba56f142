"""What a mentor must act on is published: a booking made or cancelled, a walk-in opened, a
client's message (as activity) and a client's arrival, each to the right audiences only."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from app.actions import Principal
from app.actions.accounts import principal_for_token
from app.actions.booking import do_book, do_cancel, do_chat_now
from app.actions.chat import do_join, do_send
from app.actions.events import publish_presence
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


def everyone(cid: int, client_id: int, mentor_id: int) -> list[str]:
    return [topic_consultation(cid), topic_client(client_id), topic_mentor(mentor_id), SUPERVISORS]


async def test_booking_and_cancelling_tell_the_mentor_hq_and_the_client(
    env: Env, capture_events: Capture
) -> None:
    mentor_id = await add_mentor(env.ctx, "さくら")
    child = await principal(env, await sign_up(env.http, "こぐま"))
    with capture_events(env.ctx) as events:
        c = await do_book(env.ctx, child, mentor_id=mentor_id, start="2026-12-02T17:00:00+09:00")
    assert c.id is not None
    assert events.types() == ["consultation"]
    assert events[0].topics == everyone(c.id, child.id, mentor_id)
    expected = {
        "type": "consultation",
        "consultation_id": c.id,
        "event": "booked",
        "status": "booked",
        "mode": "booked",
        "starts_at": "2026-12-02T17:00:00+09:00",
        "ends_at": "2026-12-02T17:30:00+09:00",
        "reason": None,
    }
    assert {k: events[0].event.get(k) for k in expected} == expected
    with capture_events(env.ctx) as events:
        await do_cancel(env.ctx, child, consultation_id=c.id)
    assert events.types() == ["consultation"]
    assert events[0].topics == everyone(c.id, child.id, mentor_id)
    assert events[0].event["event"] == "cancelled"
    assert events[0].event["status"] == "cancelled"
    assert events[0].event["reason"] == "cancelled_by_client"


async def test_chat_now_announces_an_opened_walk_in(env: Env, capture_events: Capture) -> None:
    mentor_id = await add_mentor(env.ctx, "さくら", kind="nurse")
    parent = await principal(env, await sign_up(env.http, "はは", audience="parent"))
    with capture_events(env.ctx) as events:
        c = await do_chat_now(env.ctx, parent, kind="nurse")
    assert c.id is not None
    assert events.types() == ["consultation"]
    assert events[0].topics == everyone(c.id, parent.id, mentor_id)
    assert events[0].event["event"] == "opened"
    assert events[0].event["status"] == "open" and events[0].event["mode"] == "walk_in"


async def test_refused_bookings_publish_nothing(env: Env, capture_events: Capture) -> None:
    mentor_id = await add_mentor(env.ctx, "さくら")
    child = await principal(env, await sign_up(env.http, "こぐま"))
    other = await principal(env, await sign_up(env.http, "こねこ"))
    c = await do_book(env.ctx, child, mentor_id=mentor_id, start="2026-12-02T17:00:00+09:00")
    assert c.id is not None
    with capture_events(env.ctx) as events:
        with pytest.raises(Refusal, match="slot_taken"):
            await do_book(env.ctx, other, mentor_id=mentor_id, start="2026-12-02T17:00:00+09:00")
        with pytest.raises(Refusal, match="not_found"):
            await do_cancel(env.ctx, other, consultation_id=c.id)  # not theirs
        with pytest.raises(Refusal, match="outside_hours"):
            env.clock.set(env.clock.now().replace(hour=21, minute=31))
            await do_chat_now(env.ctx, other, mentor_id=mentor_id)
    assert events == []


async def test_a_client_message_is_activity_for_the_mentor_without_its_words(
    env: Env, capture_events: Capture
) -> None:
    mentor_id = await add_mentor(env.ctx, "さくら")
    await add_staff(env.ctx, "m1", "mentor-password-1", mentor_id=mentor_id)
    child = await principal(env, await sign_up(env.http, "こぐま"))
    mentor = await principal(env, await staff_token(env.http, "m1", "mentor-password-1"))
    c = await do_chat_now(env.ctx, child, mentor_id=mentor_id)
    assert c.id is not None
    mine = await do_join(env.ctx, child, c.id)
    theirs = await do_join(env.ctx, mentor, c.id)
    with capture_events(env.ctx) as events:
        await do_send(env.ctx, child, mine, "c-1", "ひみつの はなし")
        await do_send(env.ctx, mentor, theirs, "m-1", "きいているよ")
    assert events.types() == ["message", "activity", "message"]  # the mentor's own: no badge
    activity = events.of("activity")[0]
    assert activity.topics == [topic_mentor(mentor_id)]
    assert activity.event == {
        "type": "activity",
        "consultation_id": c.id,
        "seq": 1,
        "role": "client",
        "sent_at": "2026-12-01T16:00:00+09:00",
    }
    assert "ひみつ" not in str(activity.event)


async def test_a_clients_presence_reaches_the_mentors_console(
    env: Env, capture_events: Capture
) -> None:
    with capture_events(env.ctx) as events:
        await publish_presence(env.ctx, 7, "client", "こぐま", "joined", "client:1", mentor_id=3)
        await publish_presence(env.ctx, 7, "mentor", "さくら", "joined", "staff:2", mentor_id=3)
    assert events[0].topics == [topic_consultation(7), topic_mentor(3)]
    assert events[1].topics == [topic_consultation(7)]  # the mentor's own arrival: no echo


async def test_a_client_away_or_back_reaches_headquarters(
    env: Env, capture_events: Capture
) -> None:
    with capture_events(env.ctx) as events:
        await publish_presence(
            env.ctx, 7, "client", "こぐま", "left", "client:1", mentor_id=3, board=True
        )
        await publish_presence(  # only a client's presence moves the board
            env.ctx, 7, "mentor", "さくら", "left", "staff:2", mentor_id=3, board=True
        )
    assert events[0].topics == [topic_consultation(7), topic_mentor(3), SUPERVISORS]
    assert events[1].topics == [topic_consultation(7)]
