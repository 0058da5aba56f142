"""What a handover request from the chat publishes: the question to the client and the asking
mentor (never the note), then the answer; on a yes-now the reassignment as well."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import jsonschema

from app.actions.booking import do_chat_now
from app.actions.chat import do_join
from app.actions.handover_requests import do_answer, do_request
from app.contract.frames import union
from app.realtime.hub import topic_client, topic_mentor
from tests.actions.capture import Captured
from tests.actions.test_events import principal
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, sign_up, staff_token

Capture = Callable[..., AbstractContextManager[Captured]]


async def test_question_then_yes_now(env: Env, capture_events: Capture) -> None:
    sakura = await add_mentor(env.ctx, "さくら", kind="student_mentor")
    emi = await add_mentor(env.ctx, "えみ")
    await add_staff(env.ctx, "sakura", "sakura-password-1", mentor_id=sakura)
    child = await principal(env, await sign_up(env.http, "まつこ"))
    mentor = await principal(env, await staff_token(env.http, "sakura", "sakura-password-1"))
    c = await do_chat_now(env.ctx, child, mentor_id=sakura)
    assert c.id is not None
    await do_join(env.ctx, mentor, c.id)
    schema = union("server")
    with capture_events(env.ctx) as events:
        asked = await do_request(
            env.ctx, mentor, c.id, mentor_id=emi, mode="now", note="ひみつのメモ"
        )
    (ev,) = events
    assert ev.topics == [topic_client(child.id), topic_mentor(sakura)]
    assert ev.event["type"] == "handover_request"
    assert ev.event["request"]["state"] == "pending"
    assert ev.event["request"]["mentor"] == {
        "id": emi,
        "display_name": "えみ",
        "kind": "psychologist",
    }
    assert "ひみつのメモ" not in repr(ev.event)  # the note is for staff only
    jsonschema.validate(ev.event, schema)
    assert asked.request.id is not None
    with capture_events(env.ctx) as events:
        await do_answer(env.ctx, child, c.id, asked.request.id, accept=True)
    assert [p.event.get("event", p.event["type"]) for p in events] == [
        "reassigned",
        "handover_request",
    ]
    assert events[0].event["reason"] == "mentor_handover"
    assert events[1].event["request"]["state"] == "accepted"
    for p in events:
        jsonschema.validate(p.event, schema)
        assert "ひみつのメモ" not in repr(p.event)


async def test_no_is_published_and_changes_nothing(env: Env, capture_events: Capture) -> None:
    sakura = await add_mentor(env.ctx, "さくら")
    emi = await add_mentor(env.ctx, "えみ")
    await add_staff(env.ctx, "sakura", "sakura-password-1", mentor_id=sakura)
    child = await principal(env, await sign_up(env.http, "まつこ"))
    mentor = await principal(env, await staff_token(env.http, "sakura", "sakura-password-1"))
    c = await do_chat_now(env.ctx, child, mentor_id=sakura)
    assert c.id is not None
    asked = await do_request(env.ctx, mentor, c.id, mentor_id=emi, mode="now", note="メモ")
    assert asked.request.id is not None
    with capture_events(env.ctx) as events:
        await do_answer(env.ctx, child, c.id, asked.request.id, accept=False)
    assert events.types() == ["handover_request"]
    assert events[0].event["request"]["state"] == "declined"
