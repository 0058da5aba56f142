"""Clients leaving at the same moment are marked away in one write, each only for their own
open, joined consultation; each caller learns whether the board changed for it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlmodel import col

from app.actions.booking import do_chat_now
from app.actions.chat import do_join, mark_client_away
from app.db.tables import Consultation
from tests.actions.test_events import principal
from tests.conftest import Env
from tests.helpers import add_mentor, sign_up


async def test_clients_leaving_together_are_marked_away_in_one_write(env: Env) -> None:
    children, cids = [], []
    for i in range(3):
        mentor = await add_mentor(env.ctx, f"せんせい{i}")
        child = await principal(env, await sign_up(env.http, f"こども{i}"))
        c = await do_chat_now(env.ctx, child, mentor_id=mentor)
        assert c.id is not None
        await do_join(env.ctx, child, c.id)
        children.append(child)
        cids.append(c.id)
    changed = await asyncio.gather(
        *(mark_client_away(env.ctx, child, cid) for child, cid in zip(children, cids, strict=True)),
        mark_client_away(env.ctx, children[0], cids[1]),  # not theirs: changes nothing
    )
    assert changed == [True, True, True, False]
    assert env.ctx.clients_away is not None and env.ctx.clients_away.calls == 1
    async with env.ctx.db.read() as s:
        left = (
            await s.execute(
                select(col(Consultation.id), col(Consultation.client_left_at)).where(
                    col(Consultation.id).in_(cids)
                )
            )
        ).all()
    assert {cid for cid, at in left if at is not None} == set(cids)
    # already away: the board does not change again
    assert await mark_client_away(env.ctx, children[2], cids[2]) is False
