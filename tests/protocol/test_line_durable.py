"""LINE webhook events survive a killed server: stored before the 200, applied once after.

Real uvicorn processes (scripts/serve.py, as `make run` starts them) on one database; the
LINE stand-in runs in its own thread and is told to hold its answers, so the first server's
worker is stuck on LINE when it is SIGKILLed right after answering the webhook 200.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.actions.privacy import purge_expired
from app.clock import ManualClock
from app.db.engine import Database
from app.db.tables import LineEvent, LineUser, Message
from app.settings import Settings
from tests.conftest import Env, _truncate, make_settings, open_env
from tests.line_standin import (
    HELD,
    SECRET,
    TOKEN,
    StandIn,
    event,
    line_standin,
    line_standin_thread,
    postback_event,
    sign,
    text_event,
    webhook_body,
)
from tests.protocol.test_line import CHILD as LINE_CHILD
from tests.protocol.test_line import become_client, line_live
from tests.protocol.test_line import post as line_post
from tests.protocol.test_two_processes import open_ws
from tests.servers import serve_process

CHILD = "U" + "7" * 32
CLOCK = "2026-12-01T17:00:00+09:00"


def post(base: str, *events: dict[str, object]) -> httpx.Response:
    body = webhook_body(*events)
    return httpx.post(
        f"{base}/line/webhook", content=body, headers={"X-Line-Signature": sign(body)}, timeout=10
    )


def line_env(db_url: str, standin: StandIn) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "YORISOI_CLOCK_START": CLOCK,
        "YORISOI_LINE_CHANNEL_SECRET": SECRET,
        "YORISOI_LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "YORISOI_LINE_API_BASE": standin.base,
    }


def texts_with(standin: StandIn, fragment: str) -> int:
    return sum(fragment in t for t in standin.texts())


async def test_an_acknowledged_event_is_applied_once_after_the_server_is_killed(
    db_url: str, tmp_path: Path
) -> None:
    said = text_event(CHILD, "きいて ほしい ことが あるの")
    with line_standin_thread() as standin:
        env = line_env(db_url, standin)
        with serve_process(tmp_path, name="first", **env) as (base, _log, proc):
            assert post(base, event("follow", CHILD)).status_code == 200
            standin.wait_text_sync("ニックネーム")
            assert post(base, text_event(CHILD, "ほたる")).status_code == 200
            standin.wait_text_sync("こども？")
            assert post(base, postback_event(CHILD, "a=aud&v=child")).status_code == 200
            standin.wait_text_sync("なにを する？")
            async with httpx.AsyncClient(base_url=base) as http:
                mentors = (await http.get("/api/mentors?audience=child&kind=psychologist")).json()
            mentor_id = mentors["mentors"][0]["id"]  # mentor1's
            assert post(base, postback_event(CHILD, f"a=now&m={mentor_id}")).status_code == 200
            standin.wait_text_sync("そうだんが はじまったよ")

            # LINE stops answering: the worker gets stuck sending the help list, with the
            # child's text stored behind it; the webhook still answers 200 (it is stored)
            standin.hold()
            r = post(base, postback_event(CHILD, "a=help"), said)
            assert r.status_code == 200
            standin.wait_sync(lambda s: any(c.status == HELD for c in s.calls))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        standin.release()
        assert texts_with(standin, "でんわ") == 0  # nothing of the stuck event reached LINE

        db = Database(db_url)
        try:
            async with db.read() as s:
                pending = (
                    (await s.execute(select(LineEvent).where(LineEvent.state == "pending")))
                    .scalars()
                    .all()
                )
                assert len(pending) == 2  # both survived the kill
                assert said["message"]["text"] in "".join(p.payload or "" for p in pending)
                assert (await s.execute(select(Message))).first() is None

            with serve_process(tmp_path, "--no-seed", name="second", **env) as (base, _log, _p):
                # the fresh server applies what the dead one acknowledged, in order
                standin.wait_sync(lambda s: texts_with(s, "でんわ") == 1)
                async with httpx.AsyncClient(base_url=base) as http:
                    r = await http.post(
                        "/api/session/staff",
                        json={"username": "mentor1", "password": "yorisoi-demo"},
                    )
                    mentor_token = r.json()["token"]
                    http.cookies.clear()
                    listed = (
                        await http.get(
                            "/api/staff/consultations",
                            headers={"Authorization": f"Bearer {mentor_token}"},
                        )
                    ).json()["consultations"]
                cid = listed[0]["id"]
                mentor = await open_ws(base, mentor_token)
                await mentor.send(type="join", consultation_id=cid, last_seq=0)
                await mentor.expect("joined")
                got = await mentor.expect("message", seq=1)
                assert got["text"] == said["message"]["text"]
                assert got["sender"]["role"] == "client"
                # LINE redelivers it (it never saw the 200 as far as it knows): once still
                assert post(base, {**said, "deliveryContext": {"isRedelivery": True}}).is_success
                assert post(base, postback_event(CHILD, "a=help")).status_code == 200
                standin.wait_sync(lambda s: texts_with(s, "でんわ") == 2)  # applied after it
                await mentor.conn.close()

            async with db.read() as s:
                rows = (await s.execute(select(Message.seq, Message.text))).all()
                assert rows == [(1, said["message"]["text"])]  # in the consultation once
                events = (await s.execute(select(LineEvent))).scalars().all()
                assert {e.state for e in events} == {"applied"}
                assert all(e.payload is None for e in events)  # no second copy of the text
        finally:
            await db.dispose()


@pytest.mark.postgres
async def test_two_processes_apply_each_pending_event_once_and_each_users_in_order(
    pg_database: str, clock: ManualClock
) -> None:
    """Two channels on one PostgreSQL database work the same pending rows: each event is
    applied by one of them, and one user's events are applied in the order LINE sent them
    (a nickname before the audience answer: otherwise no client is made)."""
    await _truncate(pg_database)
    users = [f"U{i:032d}" for i in range(6)]
    async with line_standin() as standin:
        settings = make_settings(
            pg_database,
            line_channel_secret=SECRET,
            line_channel_access_token=TOKEN,
            line_api_base=standin.base,
        )
        async with AsyncExitStack() as stack:
            a = await stack.enter_async_context(aclosing_env(settings, clock))
            b = await stack.enter_async_context(aclosing_env(settings, clock))
            events = [  # one user's three events side by side: the two would race for them
                e
                for i, user in enumerate(users)
                for e in (
                    event("follow", user),
                    text_event(user, f"ふたり{i}"),
                    postback_event(user, "a=aud&v=child"),
                )
            ]
            line_a, line_b = a.app.state.line, b.app.state.line
            await line_a.store(events)
            line_b._wake.set()  # the other process looks too (it would at its next sweep)
            await standin.wait_for(lambda s: len(s.calls) >= len(events), timeout=30)
            await line_a._drained()
            await line_b._drained()
            assert len(standin.calls) == len(events)  # each applied once
            assert sum("ニックネーム" in t for t in standin.texts()) == len(users)
            assert sum("なにを する？" in t for t in standin.texts()) == len(users)
            async with a.ctx.db.read() as s:
                linked = (await s.execute(select(LineUser))).scalars().all()
                assert len(linked) == len(users)
                assert all(u.state == "ready" and u.client_id is not None for u in linked)
                states = (await s.execute(select(LineEvent.state))).scalars().all()
                assert set(states) == {"applied"}


@asynccontextmanager
async def aclosing_env(settings: Settings, clock: ManualClock) -> AsyncIterator[Env]:
    async for e in open_env(settings, clock):
        yield e


async def test_retention_never_deletes_an_event_still_pending(
    db_url: str, clock: ManualClock
) -> None:
    async for env in open_env(make_settings(db_url), clock):
        old = clock.now()
        async with env.ctx.db.write() as s:
            s.add(LineEvent(webhook_event_id="P1", received_at=old, state="pending", payload="{}"))
            s.add(LineEvent(webhook_event_id="A1", received_at=old))
        clock.set(old + timedelta(days=30))
        await purge_expired(env.ctx)
        async with env.ctx.db.read() as s:
            left = (await s.execute(select(LineEvent.webhook_event_id))).scalars().all()
        assert left == ["P1"]


async def test_an_event_that_meets_a_database_outage_stays_pending_and_is_applied_later(
    db_url: str, clock: ManualClock
) -> None:
    async with line_live(db_url, clock) as (live, standin):
        await become_client(live, standin)
        line = live.server.config.app.state.line
        real_apply = line.apply
        failed = asyncio.Event()

        async def outage(event: dict[str, object], received_at: object = None) -> None:
            failed.set()
            raise OperationalError("SELECT 1", {}, Exception("the database went away"))

        line.apply = outage
        help_ = postback_event(LINE_CHILD, "a=help")
        assert (await line_post(live, help_)).status_code == 200
        await asyncio.wait_for(failed.wait(), 10)
        await line._drained()
        async with live.ctx.db.read() as s:
            row = (
                await s.execute(
                    select(LineEvent).where(LineEvent.webhook_event_id == help_["webhookEventId"])
                )
            ).scalar_one()
        assert row.state == "pending" and row.payload is not None  # not lost, not skipped
        # the database is back; the next webhook wakes the worker: the old event first
        line.apply = real_apply
        assert (await line_post(live, postback_event(LINE_CHILD, "a=prev"))).status_code == 200
        await standin.wait_text("まだ はなした ひとは いないよ")
        texts = standin.texts()
        assert sum("でんわ" in t for t in texts) == 1
        assert [i for i, t in enumerate(texts) if "でんわ" in t][0] < len(texts) - 1  # in order
        await line._drained()
        async with live.ctx.db.read() as s:
            states = (await s.execute(select(LineEvent.state))).scalars().all()
        assert set(states) == {"applied"}
