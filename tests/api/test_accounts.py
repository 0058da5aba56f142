"""Sign-up, sign-in from another device, sign-out, staff sign-in, throttling, CSRF."""

from __future__ import annotations

from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up


async def test_child_signs_up_signs_in_elsewhere_and_signs_out(env: Env) -> None:
    r = await env.http.post(
        "/api/clients", json={"nickname": "うさぎ", "secret": "carrot-77", "audience": "child"}
    )
    assert r.status_code == 201
    assert r.json()["account"] == {"kind": "client", "id": 1, "nickname": "うさぎ", "role": "child"}
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = await env.http.get("/api/me", headers={"X-Yorisoi-Face": "child"})  # the cookie works
    assert me.json()["account"]["role"] == "child"

    env.http.cookies.clear()  # another device: sign in with nickname + secret (full-width ok)
    r2 = await env.http.post(
        "/api/session/client", json={"nickname": "うさぎ", "secret": "carrot-77"}
    )
    assert r2.status_code == 200
    token2 = r2.json()["token"]
    env.http.cookies.clear()
    assert (await env.http.get("/api/me", headers=bearer(token2))).status_code == 200

    out = await env.http.delete("/api/session", headers=bearer(token2))
    assert out.status_code == 200
    again = await env.http.get("/api/me", headers=bearer(token2))
    assert again.status_code == 401 and error_code(again) == "not_signed_in"
    # the first device's session is untouched
    assert (await env.http.get("/api/me", headers=bearer(r.json()["token"]))).status_code == 200


async def test_nickname_is_unique_across_width_and_case(env: Env) -> None:
    await sign_up(env.http, "Kuma")
    r = await env.http.post(
        "/api/clients", json={"nickname": "ＫＵＭＡ", "secret": "another1", "audience": "parent"}
    )
    assert r.status_code == 409 and error_code(r) == "nickname_taken"
    assert r.json()["error"]["message"]["ja"] and r.json()["error"]["message"]["en"]


async def test_sign_up_bad_input(env: Env) -> None:
    bad = [
        ({"nickname": "", "secret": "kirin-42", "audience": "child"}, "invalid_input"),
        ({"nickname": "a" * 21, "secret": "kirin-42", "audience": "child"}, "invalid_input"),
        ({"nickname": "ok", "secret": "abc", "audience": "child"}, "secret_too_short"),
        ({"nickname": "ok", "secret": "x" * 257, "audience": "child"}, "invalid_input"),
        ({"nickname": "ok", "secret": "kirin-42", "audience": "teacher"}, "invalid_input"),
        ({"nickname": 5, "secret": "kirin-42", "audience": "child"}, "invalid_input"),
        ({"nickname": "a\u0000b", "secret": "kirin-42", "audience": "child"}, "invalid_input"),
    ]
    for body, code in bad:
        r = await env.http.post("/api/clients", json=body)
        assert r.status_code == 400, body
        assert error_code(r) == code
    for raw in (b"not json", b"[1,2]", b"{" * 20000):
        r = await env.http.post(
            "/api/clients", content=raw, headers={"content-type": "application/json"}
        )
        assert r.status_code == 400 and error_code(r) == "invalid_input"
    r = await env.http.post(
        "/api/clients", json={"nickname": "ok", "secret": "x" * 1_000_000, "audience": "child"}
    )
    assert r.status_code == 400
    assert (
        await env.http.post("/api/session/client", json={"nickname": "ok", "secret": "abcdef"})
    ).status_code == 401


async def test_wrong_secret_and_unknown_name_look_the_same(env: Env) -> None:
    await sign_up(env.http, "ねこ")
    wrong = await env.http.post(
        "/api/session/client", json={"nickname": "ねこ", "secret": "nope-nope"}
    )
    unknown = await env.http.post(
        "/api/session/client", json={"nickname": "いぬ", "secret": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_staff_sign_in(env: Env) -> None:
    mentor_id = await add_mentor(env.ctx)
    await add_staff(env.ctx, "sakura", "correct horse", mentor_id=mentor_id)
    ok = await env.http.post(
        "/api/session/staff", json={"username": "sakura", "password": "correct horse"}
    )
    assert ok.status_code == 200
    assert (
        ok.json()["account"]["role"] == "mentor" and ok.json()["account"]["mentor_id"] == mentor_id
    )
    bad = await env.http.post(
        "/api/session/staff", json={"username": "sakura", "password": "wrong"}
    )
    assert bad.status_code == 401 and error_code(bad) == "bad_credentials"
    huge = await env.http.post(
        "/api/session/staff", json={"username": "sakura", "password": "x" * 100_000}
    )
    assert huge.status_code in (400, 401)


async def test_login_throttle_per_name_and_address_without_lockout_elsewhere(env: Env) -> None:
    await sign_up(env.http, "とら", secret="real-secret")
    for _ in range(5):
        r = await env.http.post(
            "/api/session/client", json={"nickname": "とら", "secret": "guess!!"}
        )
        assert r.status_code == 401
    # Five typos slow the right secret down (8 s after the last failure), never refuse it.
    slowed = await env.http.post(
        "/api/session/client", json={"nickname": "とら", "secret": "real-secret"}
    )
    assert slowed.status_code == 200
    assert env.clock.slept[-1] == 8
    # The real child on another network never waited for the attacker.
    assert env.ctx.delays.wait("signin:とら", "192.0.2.55") == 0


async def test_sessions_expire(env: Env) -> None:
    token = await sign_up(env.http, "りす")
    env.clock.advance(days=env.ctx.settings.session_days, seconds=1)
    assert (await env.http.get("/api/me", headers=bearer(token))).status_code == 401


async def test_cross_site_post_is_refused_and_changes_nothing(env: Env) -> None:
    r = await env.http.post(
        "/api/clients",
        json={"nickname": "evil", "secret": "abcdef", "audience": "child"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and error_code(r) == "cross_site"
    r = await env.http.post(
        "/api/clients",
        json={"nickname": "evil", "secret": "abcdef", "audience": "child"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403
    same = await env.http.post(
        "/api/clients",
        json={"nickname": "evil", "secret": "kirin-42", "audience": "child"},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 201  # nothing was created by the refused attempts


async def test_unknown_route_and_method_are_json(env: Env) -> None:
    r = await env.http.get("/api/nothing-here")
    assert r.status_code == 404 and error_code(r) == "not_found"
    r = await env.http.put("/api/mentors")
    assert r.status_code == 405 and r.json()["error"]["message"]["ja"]
