"""What the presence actions publish: the absence alert, the mentor's arrival, a handover."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from app.actions.booking import do_chat_now
from app.actions.chat import do_join
from app.actions.handover import do_reassign
from app.actions.lifecycle import absent_due
from app.errors import Refusal
from app.realtime.hub import SUPERVISORS, topic_client, topic_consultation, topic_mentor
from tests.actions.capture import Captured
from tests.actions.test_events import principal
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, jst, sign_up, staff_token

Capture = Callable[..., AbstractContextManager[Captured]]


async def test_absence_then_handover_then_arrival(env: Env, capture_events: Capture) -> None:
    midori = await add_mentor(env.ctx, "みどり")
    emi = await add_mentor(env.ctx, "えみ")
    await add_staff(env.ctx, "emi", "emi-password-1", mentor_id=emi)
    await add_staff(env.ctx, "boss", "boss-password-1", role="supervisor")
    child = await principal(env, await sign_up(env.http, "まつこ"))
    boss = await principal(env, await staff_token(env.http, "boss", "boss-password-1"))
    emi_staff = await principal(env, await staff_token(env.http, "emi", "emi-password-1"))
    c = await do_chat_now(env.ctx, child, mentor_id=midori)
    assert c.id is not None
    env.clock.set(jst(2026, 12, 1, 16, 3))
    with capture_events(env.ctx) as events:
        assert await absent_due(env.ctx) == 1
        assert await absent_due(env.ctx) == 0
    assert events.types() == ["mentor_absent", "consultation"]
    assert events[0].topics == [SUPERVISORS]
    assert events[1].event["event"] == "mentor_absent" and events[1].event["mentor_absent"]
    with capture_events(env.ctx) as refused, pytest.raises(Refusal):
        await do_reassign(env.ctx, boss, c.id, mentor_id=midori, note="")
    assert refused == []
    with capture_events(env.ctx) as events:
        await do_reassign(env.ctx, boss, c.id, mentor_id=emi, note="引き継ぎ")
    assert events.types() == ["alert_acknowledged", "consultation"]
    moved = events[1]
    assert moved.event["event"] == "reassigned" and moved.event["reason"] == "mentor_absent"
    assert moved.event["mentor"] == {"id": emi, "display_name": "えみ"}
    assert "note" not in moved.event  # the note is for staff, never on the client's topics
    assert moved.topics == [
        topic_consultation(c.id),
        topic_client(child.id),
        topic_mentor(midori),
        topic_mentor(emi),
        SUPERVISORS,
    ]
    with capture_events(env.ctx) as events:
        await do_join(env.ctx, emi_staff, c.id)
        await do_join(env.ctx, emi_staff, c.id)  # a second tab: no second arrival
    arrivals = events.of("consultation")
    assert [p.event["event"] for p in arrivals] == ["mentor_joined"]
    assert arrivals[0].event["mentor_joined_at"] == "2026-12-01T16:03:00+09:00"
