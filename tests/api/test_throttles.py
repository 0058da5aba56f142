"""Throttles that stop guessers, not children: progressive delays per (name, address) on the
injected clock, a per-address cap on unknown names only, and deletion keyed by account and
address (never by a constant)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.conftest import Env, make_settings, open_env
from tests.helpers import add_staff, bearer, error_code, sign_up


@asynccontextmanager
async def from_address(env: Env, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=env.app, client=(address, 4444))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _sign_in(http: httpx.AsyncClient, nickname: str, secret: str) -> httpx.Response:
    return await http.post("/api/session/client", json={"nickname": nickname, "secret": secret})


async def test_the_right_secret_after_typos_is_slowed_not_refused(env: Env) -> None:
    await sign_up(env.http, "うさぎ", secret="carrot-77")
    for _ in range(5):
        assert (await _sign_in(env.http, "うさぎ", "carot-77")).status_code == 401
    ok = await _sign_in(env.http, "うさぎ", "carrot-77")
    assert ok.status_code == 200
    # 0, 0, 1, 2, 4 then 8 seconds, waited on the injected clock before each check.
    assert env.clock.slept == [1, 2, 4, 8]
    # The success cleared the delay: the next sign-in does not wait.
    assert (await _sign_in(env.http, "うさぎ", "carrot-77")).status_code == 200
    assert env.clock.slept == [1, 2, 4, 8]


async def test_a_long_wait_is_returned_as_retry_after(env: Env) -> None:
    await sign_up(env.http, "かめ", secret="slow-and-steady")
    for _ in range(6):
        await _sign_in(env.http, "かめ", "fast")
    r = await _sign_in(env.http, "かめ", "slow-and-steady")
    assert r.status_code == 429 and error_code(r) == "secret_wait"
    assert r.json()["error"]["details"]["retry_after"] == 16
    env.clock.advance(seconds=16)
    assert (await _sign_in(env.http, "かめ", "slow-and-steady")).status_code == 200


async def test_guessing_elsewhere_does_not_slow_the_child(env: Env) -> None:
    await sign_up(env.http, "きつね", secret="forest-fox")
    async with from_address(env, "198.51.100.9") as attacker:
        for _ in range(8):
            await _sign_in(attacker, "きつね", "guess")
    slept = list(env.clock.slept)
    assert (await _sign_in(env.http, "きつね", "forest-fox")).status_code == 200
    assert env.clock.slept == slept  # the child's own address never waited


@pytest.fixture
async def small_cap_env(db_url: str, clock) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    settings = make_settings(db_url, login_max_failures_per_address=5)
    async for e in open_env(settings, clock):
        yield e


async def test_unknown_names_from_a_school_do_not_lock_out_its_children(
    small_cap_env: Env,
) -> None:
    env = small_cap_env
    await sign_up(env.http, "はると", secret="haruto-2015")
    for i in range(5):  # someone at the school tries names that do not exist
        assert (await _sign_in(env.http, f"だれ{i}", "x")).status_code == 401
    capped = await _sign_in(env.http, "だれか", "x")
    assert capped.status_code == 429 and error_code(capped) == "rate_limited"
    # A child behind the same address who types their own name signs in.
    assert (await _sign_in(env.http, "はると", "haruto-2015")).status_code == 200
    # Typos on a real name do not count towards the address cap.
    await sign_up(env.http, "ゆい", secret="yui-2016-ok")
    for _ in range(5):
        await _sign_in(env.http, "ゆい", "nope")
    assert (await _sign_in(env.http, "ゆい", "yui-2016-ok")).status_code == 200


async def test_failed_deletions_are_keyed_by_account_and_address(small_cap_env: Env) -> None:
    """Wrong secrets on one account slow that account from that address only; before, the
    key was the constant "any" and a few failures anywhere blocked every deletion."""
    env = small_cap_env
    mallory = await sign_up(env.http, "いたずら", secret="mischief-1")
    victim = await sign_up(env.http, "ほんもの", secret="real-one-22")
    for _ in range(5):  # as many as the per-address allowance
        r = await env.http.request(
            "DELETE", "/api/me", json={"secret": "wrong-one"}, headers=bearer(mallory)
        )
        assert r.status_code == 401
    waited = list(env.clock.slept)
    async with from_address(env, "203.0.113.30") as elsewhere:
        r = await elsewhere.request(
            "DELETE", "/api/me", json={"secret": "real-one-22"}, headers=bearer(victim)
        )
    assert r.status_code == 200, r.text
    assert env.clock.slept == waited  # nobody else waited for mallory's failures
    # The same account from another address is not slowed either.
    async with from_address(env, "203.0.113.31") as other:
        r = await other.request(
            "DELETE", "/api/me", json={"secret": "mischief-1"}, headers=bearer(mallory)
        )
    assert r.status_code == 200 and env.clock.slept == waited


async def test_staff_sign_in_keeps_its_lockout(small_cap_env: Env) -> None:
    env = small_cap_env
    await add_staff(env.ctx, "kaede", "kaede-pass")
    for _ in range(5):
        r = await env.http.post(
            "/api/session/staff", json={"username": "kaede", "password": "wrong"}
        )
        assert r.status_code == 401
    locked = await env.http.post(
        "/api/session/staff", json={"username": "kaede", "password": "kaede-pass"}
    )
    assert locked.status_code == 429 and error_code(locked) == "rate_limited"
    async with from_address(env, "192.0.2.77") as office:
        r = await office.post(
            "/api/session/staff", json={"username": "kaede", "password": "kaede-pass"}
        )
    assert r.status_code == 200
