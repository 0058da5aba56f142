"""Sessions on shared tablets: one session per face, idle expiry, quick exit, cookies,
token only for non-browsers, and secrets a child chooses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from app.actions.accounts import live_tokens
from app.db.tables import Client
from app.main import proxy_options
from app.settings import Settings, load_settings
from tests.conftest import Env, make_settings, open_env
from tests.helpers import add_staff, bearer, error_code, sign_up, staff_token

ORIGIN = {"Origin": "http://testserver"}
CHILD = {**ORIGIN, "X-Yorisoi-Face": "child"}
PARENT = {**ORIGIN, "X-Yorisoi-Face": "parent"}
STAFF = {**ORIGIN, "X-Yorisoi-Face": "staff"}


@pytest.fixture
async def idle_env(db_url: str, clock) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    """The shipped idle limits (the shared fixture lengthens them for clock-jumping tests)."""
    defaults = Settings()
    settings = make_settings(
        db_url,
        client_idle_minutes=defaults.client_idle_minutes,
        staff_idle_minutes=defaults.staff_idle_minutes,
    )
    async for e in open_env(settings, clock):
        yield e


async def _me(env: Env, headers: dict[str, str]) -> dict[str, object] | None:
    r = await env.http.get("/api/me", headers=headers)
    if r.status_code == 401:
        return None
    assert r.status_code == 200, r.text
    account: dict[str, object] = r.json()["account"]
    return account


async def test_a_parent_on_the_parent_page_is_not_signed_in_on_the_child_page(env: Env) -> None:
    """One browser, two pages: each face holds its own cookie and shows only its audience."""
    r = await env.http.post(
        "/api/clients",
        json={"nickname": "はなママ", "secret": "tulip-garden", "audience": "parent"},
        headers=PARENT,
    )
    assert r.status_code == 201
    assert "yorisoi_session=" in r.headers["set-cookie"]
    parent = await _me(env, PARENT)
    assert parent is not None and parent["display_name"] == "はなママ"
    assert await _me(env, CHILD) is None  # the child page does not greet はなママ
    child_bookings = await env.http.get("/api/bookings", headers=CHILD)
    assert child_bookings.status_code == 401

    r = await env.http.post(
        "/api/clients",
        json={"nickname": "はな", "secret": "sunflower-7", "audience": "child"},
        headers=CHILD,
    )
    assert r.status_code == 201 and "yorisoi_child=" in r.headers["set-cookie"]
    child = await _me(env, CHILD)
    assert child is not None and child["display_name"] == "はな"
    parent_again = await _me(env, PARENT)  # signing in on one face left the other alone
    assert parent_again is not None and parent_again["display_name"] == "はなママ"

    out = await env.http.delete("/api/session", headers=CHILD)  # sign out the child only
    assert out.status_code == 200 and "yorisoi_child=" in out.headers["set-cookie"]
    assert await _me(env, CHILD) is None
    assert await _me(env, PARENT) is not None


async def test_an_account_is_refused_on_the_face_of_the_other_audience(env: Env) -> None:
    parent = await sign_up(env.http, "おとうさん", audience="parent")
    child = await sign_up(env.http, "たろう", audience="child")
    await add_staff(env.ctx, "sakura", "sakura-pass")
    mentor = await staff_token(env.http, "sakura", "sakura-pass")
    face = "X-Yorisoi-Face"
    assert await _me(env, {**bearer(parent), face: "child"}) is None
    assert await _me(env, {**bearer(child), face: "parent"}) is None
    assert await _me(env, {**bearer(mentor), face: "parent"}) is None
    assert await _me(env, {**bearer(parent), face: "staff"}) is None
    assert await _me(env, {**bearer(child), face: "child"}) is not None
    assert await _me(env, {**bearer(mentor), face: "staff"}) is not None
    # Signing in on the wrong page says where the name belongs, and signs nobody in.
    r = await env.http.post(
        "/api/session/client",
        json={"nickname": "おとうさん", "secret": "himitsu123"},
        headers=CHILD,
    )
    assert r.status_code == 403 and error_code(r) == "other_face"
    assert "set-cookie" not in r.headers
    r = await env.http.post(
        "/api/clients",
        json={"nickname": "まちがい", "secret": "kirin-42", "audience": "parent"},
        headers=CHILD,
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "audience"
    # A child token left in the grown-ups' cookie (an old browser) opens nothing there.
    env.http.cookies.set("yorisoi_session", child)
    assert await _me(env, ORIGIN) is None
    env.http.cookies.clear()


async def test_a_browser_gets_only_the_cookie_a_script_also_gets_the_token(env: Env) -> None:
    browser = await env.http.post(
        "/api/clients",
        json={"nickname": "ことり", "secret": "blue-bird-9", "audience": "child"},
        headers=CHILD,
    )
    assert browser.status_code == 201 and "token" not in browser.json()
    cookie = browser.headers["set-cookie"]
    assert "HttpOnly" in cookie
    env.http.cookies.clear()
    again = await env.http.post(
        "/api/session/client",
        json={"nickname": "ことり", "secret": "blue-bird-9"},
        headers=CHILD,
    )
    assert again.status_code == 200 and "token" not in again.json()
    env.http.cookies.clear()
    script = await env.http.post(
        "/api/session/client", json={"nickname": "ことり", "secret": "blue-bird-9"}
    )
    assert script.status_code == 200 and isinstance(script.json()["token"], str)
    await add_staff(env.ctx, "midori", "midori-pass")
    staff = await env.http.post(
        "/api/session/staff", json={"username": "midori", "password": "midori-pass"}, headers=STAFF
    )
    assert staff.status_code == 200 and "token" not in staff.json()


async def test_a_client_session_ends_after_30_idle_minutes_and_slides(idle_env: Env) -> None:
    env = idle_env
    token = await sign_up(env.http, "りす")
    for _ in range(4):  # active every 20 minutes: still signed in after 80 minutes
        env.clock.advance(minutes=20)
        assert await _me(env, bearer(token)) is not None
    env.clock.advance(minutes=30, seconds=1)
    assert await _me(env, bearer(token)) is None


async def test_a_staff_session_ends_after_2_idle_hours(idle_env: Env) -> None:
    env = idle_env
    await add_staff(env.ctx, "kaede", "kaede-pass")
    token = await staff_token(env.http, "kaede", "kaede-pass")
    env.clock.advance(minutes=119)
    assert await _me(env, bearer(token)) is not None
    env.clock.advance(hours=2, seconds=1)
    assert await _me(env, bearer(token)) is None


async def test_an_open_socket_keeps_the_session_alive(idle_env: Env) -> None:
    """The registry's periodic socket check counts as activity (no request for an hour)."""
    env = idle_env
    token = await sign_up(env.http, "ぱんだ")
    for _ in range(6):
        env.clock.advance(minutes=10)
        assert await live_tokens(env.ctx, [token]) == {token}
    assert await _me(env, bearer(token)) is not None
    env.clock.advance(minutes=31)
    assert await live_tokens(env.ctx, [token]) == set()


async def test_quick_exit_beacon_signs_out_the_child_face_only(env: Env) -> None:
    await env.http.post(
        "/api/clients",
        json={"nickname": "ママ", "secret": "tulip-garden", "audience": "parent"},
        headers=PARENT,
    )
    await env.http.post(
        "/api/clients",
        json={"nickname": "こども", "secret": "sunflower-7", "audience": "child"},
        headers=CHILD,
    )
    # sendBeacon: no custom header, the face in the query, Origin as browsers send it.
    r = await env.http.post("/api/session/end?face=child", headers=ORIGIN)
    assert r.status_code == 200 and r.json() == {"signed_out": True}
    assert await _me(env, CHILD) is None
    assert await _me(env, PARENT) is not None
    # From another site the beacon is refused like any state change.
    env.http.cookies.set("yorisoi_child", "whatever")
    evil = await env.http.post("/api/session/end", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and error_code(evil) == "cross_site"


@pytest.mark.parametrize(
    ("secret", "code"),
    [
        ("1234", "secret_too_short"),
        ("    ", "secret_too_short"),
        ("  ab  ", "secret_too_short"),
        ("      ", "secret_too_short"),  # spaces do not count
        ("aaaaaaaa", "secret_too_common"),
        ("123456", "secret_too_common"),
        ("password", "secret_too_common"),
        ("ＱＷＥＲＴＹ", "secret_too_common"),
        ("111111", "secret_too_common"),
    ],
)
async def test_weak_secrets_are_refused_in_child_words(env: Env, secret: str, code: str) -> None:
    r = await env.http.post(
        "/api/clients", json={"nickname": "ひよこ", "secret": secret, "audience": "child"}
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert (error["code"], error["field"]) == (code, "secret")
    assert "あいことば" in error["message"]["ja"] and error["message"]["en"]


async def test_an_old_short_secret_still_signs_in(env: Env) -> None:
    """Accounts made before the rule keep their 4-character secret."""
    ok = await env.http.post(
        "/api/clients", json={"nickname": "むかし", "secret": "mukashi-1", "audience": "child"}
    )
    assert ok.status_code == 201
    hashed = await env.ctx.hasher.hash("abcd")
    async with env.ctx.db.write() as s:
        await s.execute(update(Client).values(secret_hash=hashed))
    r = await env.http.post("/api/session/client", json={"nickname": "むかし", "secret": "abcd"})
    assert r.status_code == 200


def test_cookies_are_secure_and_host_prefixed_outside_dev_mode() -> None:
    prod = load_settings({"YORISOI_SECRET_KEY": "k" * 32})
    assert prod.cookie_secure and prod.cookie_prefix == "__Host-"
    dev = load_settings({"YORISOI_DEV": "1"})
    assert not dev.cookie_secure and dev.cookie_prefix == ""
    forced = load_settings({"YORISOI_DEV": "1", "YORISOI_COOKIE_SECURE": "1"})
    assert forced.cookie_prefix == "__Host-"


async def test_secure_cookies_carry_the_host_prefix(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    async for env in open_env(make_settings(db_url, cookie_secure=True), clock):
        r = await env.http.post(
            "/api/clients",
            json={"nickname": "ほし", "secret": "star-light", "audience": "child"},
            headers=CHILD,
        )
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-yorisoi_child=")
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        token = cookie.split(";", 1)[0].split("=", 1)[1]
        me = await env.http.get(
            "/api/me",
            headers={"X-Yorisoi-Face": "child", "Cookie": f"__Host-yorisoi_child={token}"},
        )
        assert me.status_code == 200


def test_uvicorn_trusts_no_proxy_unless_configured() -> None:
    assert proxy_options(Settings()) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    configured = load_settings({"YORISOI_DEV": "1", "YORISOI_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
    assert proxy_options(configured) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.0/8", "::1"],
    }
