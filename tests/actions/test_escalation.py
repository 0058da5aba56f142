"""Two-person escalation: a mentor raises it, a supervisor confirms or declines; what each
side is told (events, to whom), what is audited, and that the client hears only the notice."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.actions import Principal
from app.actions.chat import do_end, do_join
from app.actions.escalation import do_decide, do_raise, pending
from app.actions.privacy import purge_expired
from app.db.tables import AuditLog, Escalation
from app.errors import Refusal
from app.realtime.hub import SUPERVISORS, topic_client, topic_consultation, topic_mentor
from tests.actions.capture import Captured
from tests.actions.test_events import principal, walk_in
from tests.conftest import Env, make_settings, open_env
from tests.helpers import add_staff, staff_token

Capture = Callable[..., AbstractContextManager[Captured]]
RAISE = {
    "destination": "child_guidance",
    "reason": "家で叩かれている",
    "shared": "ニックネームと経緯",
}


async def supervisor(env: Env) -> Principal:
    await add_staff(env.ctx, "boss", "boss-password-1", role="supervisor")
    return await principal(env, await staff_token(env.http, "boss", "boss-password-1"))


async def audits(env: Env, cid: int) -> list[tuple[str, str]]:
    async with env.ctx.db.read() as s:
        rows = await s.execute(
            select(AuditLog)
            .where(col(AuditLog.consultation_id) == cid, col(AuditLog.action).like("escalation%"))
            .order_by(col(AuditLog.id))
        )
        return [(a.action, a.actor_role) for a in rows.scalars().all()]


async def test_confirm_tells_supervisors_the_mentor_and_gives_the_client_only_the_notice(
    env: Env, capture_events: Capture
) -> None:
    child, mentor, cid, mentor_id = await walk_in(env)
    boss = await supervisor(env)
    await do_join(env.ctx, mentor, cid)
    with capture_events(env.ctx) as events:
        raised = await do_raise(env.ctx, mentor, cid, RAISE)
    assert raised["status"] == "pending" and raised["mentor"]["id"] == mentor_id
    assert [p.topics for p in events] == [[SUPERVISORS, topic_mentor(mentor_id)]]
    assert events[0].event == {"type": "escalation", "escalation": raised}
    assert [e["id"] for e in await pending(env.ctx, boss)] == [raised["id"]]

    with capture_events(env.ctx) as events:
        decided = await do_decide(
            env.ctx, boss, raised["id"], {"decision": "confirm", "note": "連絡してよい"}
        )
    assert decided["status"] == "confirmed" and decided["decided_by"]["display_name"] == "boss"
    assert decided["decided_at"] is not None and decided["decision_note"] == "連絡してよい"
    assert events.types() == ["escalation", "notice"]
    assert events[0].topics == [SUPERVISORS, topic_mentor(mentor_id)]
    notice = events.of("notice")[0]
    assert notice.topics == [topic_client(child.id)]
    assert notice.event["text"] == env.ctx.settings.escalation_client_notice
    # nothing of the escalation reaches the consultation's topic, where the client listens
    for p in events:
        assert topic_consultation(cid) not in p.topics
        if topic_client(child.id) in p.topics:
            assert set(p.event) == {"type", "consultation_id", "kind", "text"}
    assert await pending(env.ctx, boss) == []
    assert await audits(env, cid) == [
        ("escalation_raised", "mentor"),
        ("escalation_confirmed", "supervisor"),
    ]

    # decided once: a second decision is refused and publishes nothing
    with capture_events(env.ctx) as events, pytest.raises(Refusal) as refused:
        await do_decide(env.ctx, boss, raised["id"], {"decision": "decline"})
    assert refused.value.code == "already_decided" and list(events) == []


async def test_decline_is_audited_and_the_client_is_told_nothing(
    env: Env, capture_events: Capture
) -> None:
    _child, mentor, cid, mentor_id = await walk_in(env)
    boss = await supervisor(env)
    await do_join(env.ctx, mentor, cid)
    raised = await do_raise(env.ctx, mentor, cid, {**RAISE, "destination": "police"})
    with capture_events(env.ctx) as events:
        decided = await do_decide(env.ctx, boss, raised["id"], {"decision": "decline"})
    assert decided["status"] == "declined" and decided["decision_note"] is None
    assert events.types() == ["escalation"]
    assert events[0].topics == [SUPERVISORS, topic_mentor(mentor_id)]
    assert await audits(env, cid) == [
        ("escalation_raised", "mentor"),
        ("escalation_declined", "supervisor"),
    ]


async def test_the_notice_can_be_switched_off(db_url: str, clock, capture_events: Capture) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(db_url, escalation_client_notice=None)
    async for env in open_env(settings, clock):
        _child, mentor, cid, _ = await walk_in(env)
        boss = await supervisor(env)
        await do_join(env.ctx, mentor, cid)
        raised = await do_raise(env.ctx, mentor, cid, RAISE)
        with capture_events(env.ctx) as events:
            await do_decide(env.ctx, boss, raised["id"], {"decision": "confirm"})
        assert events.types() == ["escalation"]


async def test_who_may_raise_and_decide(env: Env, capture_events: Capture) -> None:
    child, mentor, cid, _ = await walk_in(env)
    boss = await supervisor(env)
    with pytest.raises(Refusal) as refused:
        await do_raise(env.ctx, mentor, cid, RAISE)
    assert refused.value.code == "not_joined"  # the mentor has not answered yet
    await do_join(env.ctx, mentor, cid)
    for who in (child, boss):
        with pytest.raises(Refusal) as refused:
            await do_raise(env.ctx, who, cid, RAISE)
        assert refused.value.code == "not_allowed"
    for bad, field in (
        ({**RAISE, "destination": "friend"}, "destination"),
        ({**RAISE, "reason": "  "}, "reason"),
        ({**RAISE, "shared": "x" * 1001}, "shared"),
        ({"destination": "189", "reason": "r"}, "shared"),
    ):
        with capture_events(env.ctx) as events, pytest.raises(Refusal) as refused:
            await do_raise(env.ctx, mentor, cid, bad)
        assert (refused.value.code, refused.value.field) == ("invalid_input", field)
        assert list(events) == []
    raised = await do_raise(env.ctx, mentor, cid, RAISE)
    for who in (child, mentor):
        with pytest.raises(Refusal) as refused:
            await do_decide(env.ctx, who, raised["id"], {"decision": "confirm"})
        assert refused.value.code == "not_allowed"
    with pytest.raises(Refusal) as refused:
        await do_decide(env.ctx, boss, raised["id"], {"decision": "maybe"})
    assert refused.value.field == "decision"
    with pytest.raises(Refusal) as refused:
        await do_decide(env.ctx, boss, raised["id"] + 100, {"decision": "confirm"})
    assert refused.value.code == "not_found"
    async with env.ctx.db.read() as s:
        stored = (await s.execute(select(Escalation))).scalars().all()
    assert [(e.status, e.decided_by) for e in stored] == [("pending", None)]


async def test_retention_erases_the_words_and_keeps_the_fact(env: Env) -> None:
    _child, mentor, cid, _ = await walk_in(env)
    boss = await supervisor(env)
    access = await do_join(env.ctx, mentor, cid)
    raised = await do_raise(env.ctx, mentor, cid, RAISE)
    await do_decide(env.ctx, boss, raised["id"], {"decision": "confirm", "note": "連絡済み"})
    await do_end(env.ctx, mentor, access)
    env.clock.advance(days=env.ctx.settings.retention_days + 1)
    await purge_expired(env.ctx)
    async with env.ctx.db.read() as s:
        e = (await s.execute(select(Escalation))).scalar_one()
    assert (e.reason, e.shared, e.decision_note) == ("", "", None)
    assert (e.destination, e.status, e.decided_at is not None) == (
        "child_guidance",
        "confirmed",
        True,
    )
