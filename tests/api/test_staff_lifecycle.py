"""Staff logins: deactivation ends access, one-time passwords, password policy, TOTP, lockout."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest
from sqlalchemy import select, update

from app.actions.accounts import principal_for_token
from app.actions.staff_accounts import OPERATOR, create_account
from app.clock import ManualClock
from app.db.tables import AuditLog, Consultation, Mentor, Staff
from tests.conftest import Env, make_settings, open_env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token

BOSS_PASSWORD = "boss-pass-123"  # noqa: S105
MENTOR_PASSWORD = "mentor-pass-12"  # noqa: S105
NEW_PASSWORD = "kumo-no-ue-de-hirune"  # noqa: S105
READ = {"reason": "振り返り"}


@pytest.fixture
async def env2fa(db_url: str, clock: ManualClock) -> AsyncIterator[Env]:
    """Two-factor sign-in required, as outside dev mode."""
    async for e in open_env(make_settings(db_url, staff_2fa=True), clock):
        yield e


async def _boss(env: Env, username: str = "boss") -> str:
    await add_staff(env.ctx, username, BOSS_PASSWORD, role="supervisor")
    return await staff_token(env.http, username, BOSS_PASSWORD)


async def _mentor_login(env: Env, name: str = "mentor9") -> tuple[int, int, str]:
    mentor_id = await add_mentor(env.ctx, "さくら")
    staff_id = await add_staff(env.ctx, name, MENTOR_PASSWORD, mentor_id=mentor_id)
    return mentor_id, staff_id, await staff_token(env.http, name, MENTOR_PASSWORD)


async def _sign_in(env: Env, username: str, password: str, **extra: object) -> httpx.Response:
    r = await env.http.post(
        "/api/session/staff", json={"username": username, "password": password, **extra}
    )
    env.http.cookies.clear()
    return r


async def _audit(env: Env) -> list[tuple[str, str | None]]:
    async with env.ctx.db.read() as s:
        rows = (await s.execute(select(AuditLog).order_by(AuditLog.id))).scalars()  # type: ignore[arg-type]
        return [(a.action, a.subject) for a in rows]


async def _enrol(env: Env, token: str) -> tuple[pyotp.TOTP, list[str]]:
    begun = await env.http.post("/api/staff/me/second-factor", json={}, headers=bearer(token))
    assert begun.status_code == 200, begun.text
    totp = pyotp.TOTP(begun.json()["secret"])
    r = await env.http.post(
        "/api/staff/me/second-factor/confirm",
        json={"otp": totp.at(env.clock.now())},
        headers=bearer(token),
    )
    assert r.status_code == 200, r.text
    env.clock.advance(seconds=30)  # the confirming code is spent; the next step is fresh
    return totp, list(r.json()["recovery_codes"])


async def test_deactivating_a_mentor_profile_ends_its_login_everywhere(env: Env) -> None:
    boss = await _boss(env)
    mentor_id, _staff_id, mentor = await _mentor_login(env)
    child = await sign_up(env.http, "うさぎ")
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(child))
    cid = r.json()["consultation"]["id"]
    r = await env.http.post(
        f"/api/staff/consultations/{cid}/transcript", json=READ, headers=bearer(mentor)
    )
    assert r.status_code == 200
    async with env.ctx.db.write() as s:  # over: nothing upcoming stops the deactivation
        await s.execute(
            update(Consultation).where(Consultation.id == cid).values(status="closed")  # type: ignore[arg-type]
        )

    r = await env.http.patch(
        f"/api/staff/mentors/{mentor_id}", json={"active": False}, headers=bearer(boss)
    )
    assert r.status_code == 200, r.text
    me = await env.http.get("/api/me", headers=bearer(mentor))
    assert me.status_code == 401 and error_code(me) == "not_signed_in"
    for method, path in (
        ("POST", f"/api/staff/consultations/{cid}/transcript"),
        ("GET", f"/api/staff/consultations/{cid}/note"),
        ("GET", f"/api/staff/consultations/{cid}/history"),
        ("GET", "/api/staff/consultations"),
    ):
        body = READ if method == "POST" else None
        r = await env.http.request(method, path, json=body, headers=bearer(mentor))
        assert r.status_code == 401, (path, r.text)
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD)
    assert r.status_code == 401 and error_code(r) == "bad_credentials"
    # Revoked, not merely hidden: reactivating the profile does not bring the session back.
    r = await env.http.patch(
        f"/api/staff/mentors/{mentor_id}", json={"active": True}, headers=bearer(boss)
    )
    assert r.status_code == 200
    assert (await env.http.get("/api/me", headers=bearer(mentor))).status_code == 401
    assert (await _sign_in(env, "mentor9", MENTOR_PASSWORD)).status_code == 200
    assert ("mentor_deactivated", f"mentor:{mentor_id}") in await _audit(env)


async def test_a_session_of_a_stopped_mentor_profile_yields_no_principal(env: Env) -> None:
    """The principal lookup itself refuses, however the profile came to be stopped."""
    mentor_id, _staff_id, mentor = await _mentor_login(env)
    assert await principal_for_token(env.ctx, mentor) is not None
    async with env.ctx.db.write() as s:
        await s.execute(
            update(Mentor).where(Mentor.id == mentor_id).values(active=False)  # type: ignore[arg-type]
        )
    assert await principal_for_token(env.ctx, mentor) is None


async def test_deactivate_and_reactivate_a_staff_login(env: Env) -> None:
    boss = await _boss(env)
    _mentor_id, staff_id, mentor = await _mentor_login(env)
    listed = (await env.http.get("/api/staff/accounts", headers=bearer(boss))).json()["accounts"]
    row = next(a for a in listed if a["id"] == staff_id)
    assert row["role"] == "mentor" and row["mentor"]["display_name"] == "さくら"
    assert row["active"] is True and row["second_factor"] is False and row["locked"] is False
    assert (await env.http.get("/api/staff/accounts", headers=bearer(mentor))).status_code == 403

    r = await env.http.patch(
        f"/api/staff/accounts/{staff_id}", json={"active": False}, headers=bearer(boss)
    )
    assert r.status_code == 200 and r.json()["account"]["active"] is False
    assert (await env.http.get("/api/me", headers=bearer(mentor))).status_code == 401
    assert error_code(await _sign_in(env, "mentor9", MENTOR_PASSWORD)) == "bad_credentials"
    r = await env.http.patch(
        f"/api/staff/accounts/{staff_id}", json={"active": True}, headers=bearer(boss)
    )
    assert r.json()["account"]["active"] is True
    assert (await env.http.get("/api/me", headers=bearer(mentor))).status_code == 401
    assert (await _sign_in(env, "mentor9", MENTOR_PASSWORD)).status_code == 200

    boss_id = (await env.http.get("/api/me", headers=bearer(boss))).json()["account"]["id"]
    for path, method in (
        (f"/api/staff/accounts/{boss_id}", "PATCH"),
        (f"/api/staff/accounts/{boss_id}/password-reset", "POST"),
        (f"/api/staff/accounts/{boss_id}/second-factor", "DELETE"),
    ):
        body = {"active": False} if method == "PATCH" else None
        r = await env.http.request(method, path, json=body, headers=bearer(boss))
        assert r.status_code == 403 and error_code(r) == "not_allowed", path
    for bad in ({"active": "no"}, {}):
        r = await env.http.patch(f"/api/staff/accounts/{staff_id}", json=bad, headers=bearer(boss))
        assert r.status_code == 400 and error_code(r) == "invalid_input"
    r = await env.http.patch(
        "/api/staff/accounts/999", json={"active": False}, headers=bearer(boss)
    )
    assert r.status_code == 404
    actions = [a for a, _ in await _audit(env)]
    assert actions == ["staff_deactivated", "staff_reactivated"]


async def test_new_login_signs_in_once_with_a_one_time_password_then_chooses_its_own(
    env: Env,
) -> None:
    boss = await _boss(env)
    mentor_id = await add_mentor(env.ctx, "ひかり")
    r = await env.http.post(
        "/api/staff/accounts",
        json={"username": "hikari", "role": "mentor", "mentor_id": mentor_id},
        headers=bearer(boss),
    )
    assert r.status_code == 201, r.text
    created, once = r.json()["account"], r.json()["one_time_password"]
    assert created["display_name"] == "ひかり" and created["must_change_password"] is True
    assert len(once) >= 12
    for bad in (
        {"username": "hikari", "role": "mentor", "mentor_id": mentor_id},
        {"username": "x", "role": "mentor", "mentor_id": mentor_id},
        {"username": "Has Space", "role": "supervisor", "display_name": "本部"},
        {"username": "boss2", "role": "wizard"},
        {"username": "boss2", "role": "supervisor"},
        {"username": "boss2", "role": "mentor"},
        {"username": "boss2", "role": "mentor", "mentor_id": 999},
        {"username": "boss2", "role": "supervisor", "display_name": "本部", "mentor_id": 1},
    ):
        r = await env.http.post("/api/staff/accounts", json=bad, headers=bearer(boss))
        assert r.status_code in (400, 404, 409), bad
    assert (
        error_code(
            await env.http.post(
                "/api/staff/accounts",
                json={"username": "hikari", "role": "mentor", "mentor_id": mentor_id},
                headers=bearer(boss),
            )
        )
        == "username_taken"
    )

    r = await _sign_in(env, "hikari", once)
    assert r.status_code == 200 and r.json()["account"]["restricted"] == "password_change_required"
    token = r.json()["token"]
    me = await env.http.get("/api/me", headers=bearer(token))
    assert me.json()["account"]["restricted"] == "password_change_required"
    r = await env.http.get("/api/staff/consultations", headers=bearer(token))
    assert r.status_code == 403 and error_code(r) == "password_change_required"
    r = await env.http.post("/api/staff/me/second-factor", json={}, headers=bearer(token))
    assert error_code(r) == "password_change_required"

    change = "/api/staff/me/password"
    for new, code in (
        ("short-one", "weak_password"),
        ("password2026!", "weak_password"),  # a common password with decoration
        ("hikari-is-my-name", "weak_password"),  # contains the username
        ("x" * 300, "invalid_input"),  # too long: refused, never cut
        (once, "weak_password"),  # unchanged
    ):
        r = await env.http.put(
            change, json={"current_password": once, "new_password": new}, headers=bearer(token)
        )
        assert r.status_code == 400 and error_code(r) == code, new
        assert r.json()["error"]["field"] == "new_password"
    r = await env.http.put(
        change,
        json={"current_password": "wrong-password", "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert r.status_code == 401 and error_code(r) == "bad_credentials"
    r = await env.http.put(
        change, json={"current_password": once, "new_password": NEW_PASSWORD}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.json()["account"]["restricted"] is None
    assert (
        await env.http.get("/api/staff/consultations", headers=bearer(token))
    ).status_code == 200
    assert (await _sign_in(env, "hikari", once)).status_code == 401
    assert (await _sign_in(env, "hikari", NEW_PASSWORD)).status_code == 200
    assert [a for a, _ in await _audit(env)] == ["staff_created", "password_changed"]


async def test_changing_ones_password_ends_the_other_sessions(env: Env) -> None:
    _mentor_id, _staff_id, first = await _mentor_login(env)
    second = await staff_token(env.http, "mentor9", MENTOR_PASSWORD)
    r = await env.http.put(
        "/api/staff/me/password",
        json={"current_password": MENTOR_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(second),
    )
    assert r.status_code == 200
    assert (await env.http.get("/api/me", headers=bearer(first))).status_code == 401
    assert (await env.http.get("/api/me", headers=bearer(second))).status_code == 200


async def test_password_reset_shows_a_one_time_password_and_ends_sessions(env: Env) -> None:
    boss = await _boss(env)
    _mentor_id, staff_id, mentor = await _mentor_login(env)
    r = await env.http.post(f"/api/staff/accounts/{staff_id}/password-reset", headers=bearer(boss))
    assert r.status_code == 200 and r.json()["account"]["must_change_password"] is True
    once = r.json()["one_time_password"]
    assert (await env.http.get("/api/me", headers=bearer(mentor))).status_code == 401
    assert (await _sign_in(env, "mentor9", MENTOR_PASSWORD)).status_code == 401
    r = await _sign_in(env, "mentor9", once)
    assert r.json()["account"]["restricted"] == "password_change_required"
    assert ("staff_password_reset", f"staff:{staff_id}") in await _audit(env)


async def test_totp_enrolment_and_sign_in(env: Env) -> None:
    _mentor_id, staff_id, mentor = await _mentor_login(env)
    begun = await env.http.post("/api/staff/me/second-factor", json={}, headers=bearer(mentor))
    body = begun.json()
    assert body["uri"].startswith("otpauth://totp/Yorisoi:mentor9?secret=")
    assert body["secret"] in body["uri"]
    assert body["qr_svg"].startswith("data:image/svg+xml")
    totp = pyotp.TOTP(body["secret"])
    r = await env.http.post(
        "/api/staff/me/second-factor/confirm", json={"otp": "000000"}, headers=bearer(mentor)
    )
    assert error_code(r) == "bad_second_factor"
    r = await env.http.post(
        "/api/staff/me/second-factor/confirm",
        json={"otp": totp.at(env.clock.now())},
        headers=bearer(mentor),
    )
    assert r.status_code == 200
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    again = await env.http.post("/api/staff/me/second-factor", json={}, headers=bearer(mentor))
    assert again.status_code == 409 and error_code(again) == "second_factor_enrolled"
    async with env.ctx.db.read() as s:  # recovery codes are stored hashed only
        staff = await s.get(Staff, staff_id)
        assert staff is not None and staff.totp_secret == body["secret"]
    env.clock.advance(seconds=30)

    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD)
    assert r.status_code == 401 and error_code(r) == "second_factor_required"
    assert "token" not in r.json()
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp="123456")
    assert r.status_code == 401 and error_code(r) == "bad_second_factor"
    code = totp.at(env.clock.now())
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=code)
    assert r.status_code == 200 and r.json()["account"]["second_factor"] is True
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=code)  # the same code, same window
    assert r.status_code == 401 and error_code(r) == "bad_second_factor"
    env.clock.advance(seconds=30)
    assert (
        await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=totp.at(env.clock.now()))
    ).status_code == 200
    # a wrong password with a right code is still a wrong password
    env.clock.advance(seconds=30)
    r = await _sign_in(env, "mentor9", "not-the-password", otp=totp.at(env.clock.now()))
    assert error_code(r) == "bad_credentials"
    # a recovery code works once, typed however
    typed = codes[0].upper().replace("-", " ")
    assert (await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=typed)).status_code == 200
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=codes[0])
    assert error_code(r) == "bad_second_factor"
    actions = [a for a, _ in await _audit(env)]
    assert actions == ["second_factor_enrolled", "recovery_code_used"]


async def test_second_step_counts_against_the_lockout_and_a_supervisor_lifts_it(
    env: Env,
) -> None:
    boss = await _boss(env)
    _mentor_id, staff_id, mentor = await _mentor_login(env)
    totp, _codes = await _enrol(env, mentor)
    for _ in range(env.ctx.settings.login_max_failures_per_name_and_address):
        r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp="000000")
        assert error_code(r) == "bad_second_factor"
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=totp.at(env.clock.now()))
    assert r.status_code == 429 and error_code(r) == "rate_limited"
    listed = (await env.http.get("/api/staff/accounts", headers=bearer(boss))).json()["accounts"]
    assert next(a for a in listed if a["id"] == staff_id)["locked"] is True
    r = await env.http.delete(f"/api/staff/accounts/{staff_id}/lockout", headers=bearer(boss))
    assert r.status_code == 200 and r.json()["account"]["locked"] is False
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=totp.at(env.clock.now()))
    assert r.status_code == 200
    assert ("staff_lockout_lifted", f"staff:{staff_id}") in await _audit(env)
    # a password-only success does not clear the counter: an attacker who has the password
    # cannot reset the second step's allowance by leaving the code out
    env.clock.advance(seconds=30)
    for _ in range(env.ctx.settings.login_max_failures_per_name_and_address - 1):
        await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp="000000")
    assert error_code(await _sign_in(env, "mentor9", MENTOR_PASSWORD)) == ("second_factor_required")
    await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp="000000")
    r = await _sign_in(env, "mentor9", MENTOR_PASSWORD, otp=totp.at(env.clock.now()))
    assert error_code(r) == "rate_limited"


async def test_supervisor_resets_a_lost_second_factor(env: Env) -> None:
    boss = await _boss(env)
    _mentor_id, staff_id, mentor = await _mentor_login(env)
    await _enrol(env, mentor)
    r = await env.http.delete(f"/api/staff/accounts/{staff_id}/second-factor", headers=bearer(boss))
    assert r.status_code == 200 and r.json()["account"]["second_factor"] is False
    assert r.json()["account"]["recovery_codes_left"] == 0
    assert (await env.http.get("/api/me", headers=bearer(mentor))).status_code == 401
    assert (await _sign_in(env, "mentor9", MENTOR_PASSWORD)).status_code == 200


async def test_required_second_factor_restricts_a_new_login_until_it_enrols(env2fa: Env) -> None:
    env = env2fa
    await add_staff(env.ctx, "boss", BOSS_PASSWORD, role="supervisor")
    r = await _sign_in(env, "boss", BOSS_PASSWORD)
    assert r.status_code == 200
    assert r.json()["account"]["restricted"] == "second_factor_enrolment_required"
    boss = r.json()["token"]
    for path in ("/api/staff/accounts", "/api/staff/consultations", "/api/staff/mentors"):
        r = await env.http.get(path, headers=bearer(boss))
        assert r.status_code == 403 and error_code(r) == "second_factor_enrolment_required"
    totp, _codes = await _enrol(env, boss)
    assert (await env.http.get("/api/staff/accounts", headers=bearer(boss))).status_code == 200
    assert error_code(await _sign_in(env, "boss", BOSS_PASSWORD)) == "second_factor_required"
    r = await _sign_in(env, "boss", BOSS_PASSWORD, otp=totp.at(env.clock.now()))
    assert r.status_code == 200 and r.json()["account"]["restricted"] is None


async def test_demo_style_login_needs_no_second_factor_in_dev_mode(env: Env) -> None:
    _mentor_id, _staff_id, token = await _mentor_login(env)
    me = await env.http.get("/api/me", headers=bearer(token))
    assert me.json()["account"]["restricted"] is None
    assert (
        await env.http.get("/api/staff/consultations", headers=bearer(token))
    ).status_code == 200


async def test_operator_creates_the_first_supervisor(env2fa: Env) -> None:
    """scripts/create_staff.py: a deployment's first login, which then enrols and signs in."""
    env = env2fa
    _row, once = await create_account(
        env.ctx, OPERATOR, {"username": "honbu", "role": "supervisor", "display_name": "本部"}
    )
    r = await _sign_in(env, "honbu", once)
    assert r.json()["account"]["restricted"] == "password_change_required"
    token = r.json()["token"]
    r = await env.http.put(
        "/api/staff/me/password",
        json={"current_password": once, "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert r.json()["account"]["restricted"] == "second_factor_enrolment_required"
    await _enrol(env, token)
    assert (await env.http.get("/api/staff/accounts", headers=bearer(token))).status_code == 200
    assert (await _audit(env))[0] == ("staff_created", "staff:1")
