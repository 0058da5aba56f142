"""Session lookups asked for at the same moment share one read (accounts.sessions), each
still read after it was asked: a sign-out committed before a request is refused at that
request, even while a read for others is under way."""

from __future__ import annotations

import asyncio

from app.actions import accounts
from app.actions.accounts import SESSIONS_PER_READ, principal_for_token
from tests.conftest import Env
from tests.helpers import sign_up


async def test_lookups_at_the_same_moment_share_a_read_and_each_gets_its_own(env: Env) -> None:
    tokens = [await sign_up(env.http, f"c{i}") for i in range(SESSIONS_PER_READ + 4)]
    gone = tokens[3]
    principal = await principal_for_token(env.ctx, gone)
    assert principal is not None
    await accounts.do_sign_out(env.ctx, principal=principal)
    assert env.ctx.sessions is not None
    before = env.ctx.sessions.calls
    found = await asyncio.gather(
        *(principal_for_token(env.ctx, t) for t in [*tokens, "not-a-token", tokens[0]])
    )
    assert env.ctx.sessions.calls == before + 1  # one round (its reads: 16 tokens each)
    names = [p.display_name if p is not None else None for p in found]
    expected = [f"c{i}" if i != 3 else None for i in range(len(tokens))]
    assert names == [*expected, None, "c0"]


async def test_a_sign_out_committed_during_a_read_is_seen_by_the_next_request(
    env: Env,
) -> None:
    token = await sign_up(env.http, "こぐま")
    principal = await principal_for_token(env.ctx, token)
    assert principal is not None
    release = asyncio.Event()
    lookups = accounts.sessions(env.ctx)
    real = lookups.call

    async def slow(hashes: list[str]):  # type: ignore[no-untyped-def]
        found = await real(hashes)  # read...
        await release.wait()  # ...and held back while the sign-out commits
        return found

    lookups.call = slow
    early = asyncio.create_task(principal_for_token(env.ctx, token))
    await asyncio.sleep(0.05)
    await accounts.do_sign_out(env.ctx, principal=principal)
    late = asyncio.create_task(principal_for_token(env.ctx, token))  # after the sign-out
    await asyncio.sleep(0.05)
    release.set()
    assert await early is not None  # asked before the sign-out
    assert await late is None  # asked after it: never answered from the older read
