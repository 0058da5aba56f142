"""/admin/ staff accounts: deactivating a login signs its open console out; a new login
chooses its own password; a mentor sets up two-factor sign-in and signs in with a code."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TABLET, shot
from tests.browser.flows import scroll_to, staff_sign_in


def account_row(admin: Any, username: str) -> Any:
    table = admin.get_by_test_id("staff-accounts")
    return table.locator("tr[data-staff]").filter(
        has=admin.locator(".username").get_by_text(username, exact=True)
    )


def test_deactivating_a_mentor_login_signs_its_console_out(server: str, open_page: Any) -> None:
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    expect(mentor.locator("#live")).to_have_attribute("data-state", "open")

    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    row = account_row(admin, "mentor1")
    expect(row).to_contain_text("さくら")
    expect(row).to_contain_text("有効")
    expect(row).to_contain_text("未登録")
    expect(
        account_row(admin, "honbu").get_by_role("button", name=re.compile("停止"))
    ).to_have_count(0)
    row.get_by_role("button", name="停止: mentor1").click()
    scroll_to(admin, "#staff-accounts")
    shot(admin, "admin-staff-accounts-confirm")
    row.get_by_role("button", name="本当に停止する").click()
    expect(row).to_contain_text("停止中")
    expect(admin.locator("#staffacc-notice")).to_contain_text("mentor1 を停止しました")

    # The mentor's console is signed out by the server at once (its socket is closed).
    expect(mentor.locator('[data-view="signin"]')).to_be_visible()
    mentor.locator("#username").fill("mentor1")
    mentor.locator("#password").fill(PASSWORD)
    mentor.locator("#signin-form button[type=submit]").click()
    expect(mentor.locator("#signin-form .error")).to_be_visible()
    expect(mentor.locator('[data-view="console"]')).to_be_hidden()

    # Reactivated, the login signs in again.
    row.get_by_role("button", name="再開: mentor1").click()
    expect(row).to_contain_text("有効")
    mentor.locator("#signin-form button[type=submit]").click()
    expect(mentor.locator('[data-view="console"]')).to_be_visible()


def test_new_login_and_reset_password_choose_their_own_password(
    server: str, open_page: Any
) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    admin.locator("#staffacc-add").click()
    admin.locator("#sa-username").fill("honbu2")
    admin.locator("#sa-role").select_option("supervisor")
    admin.locator("#sa-name").fill("本部 二人目")
    admin.get_by_role("button", name="作成して仮パスワードを発行").click()
    secret = admin.get_by_test_id("one-time-password")
    expect(secret).to_contain_text("honbu2 の仮パスワード")
    once = admin.locator("#staffacc-secret-value").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", once)
    row = account_row(admin, "honbu2")
    expect(row).to_contain_text("仮パスワード")
    admin.locator("#staffacc-secret-hide").click()
    expect(secret).to_be_hidden()
    expect(admin.locator("#staffacc-secret-value")).to_have_text("")

    second = open_page(server + "/admin/", TABLET)
    second.locator("#username").fill("honbu2")
    second.locator("#password").fill(once)
    second.locator("#signin-form button[type=submit]").click()
    security = second.locator('[data-view="security"]')
    expect(security).to_be_visible()
    expect(second.locator("#security-lead")).to_contain_text("仮パスワードでサインインしました")
    second.locator("#pw-current").fill(once)
    second.locator("#pw-new").fill("short")
    second.locator("#pw-repeat").fill("short")
    second.get_by_role("button", name="パスワードを変える").click()
    expect(second.locator("#password-form .error")).to_have_text(
        "新しいパスワードは12文字以上にしてください。"
    )
    second.locator("#pw-new").fill("password2026!")
    second.locator("#pw-repeat").fill("password2026!")
    second.get_by_role("button", name="パスワードを変える").click()
    expect(second.locator("#password-form .error")).to_contain_text("よく使われるもの")
    second.locator("#pw-current").fill(once)
    second.locator("#pw-new").fill("sora-ni-ukabu-kumo")
    second.locator("#pw-repeat").fill("sora-ni-ukabu-kumo")
    second.get_by_role("button", name="パスワードを変える").click()
    expect(second.locator('[data-view="console"]')).to_be_visible()

    # A reset ends that console's session and shows a new one-time password once.
    row.get_by_role("button", name="パスワード再発行: honbu2").click()
    row.get_by_role("button", name="本当に再発行する").click()
    expect(secret).to_contain_text("honbu2 の仮パスワード")
    expect(admin.locator("#staffacc-secret-value")).not_to_have_text(once)
    expect(second.locator('[data-view="signin"]')).to_be_visible()


def test_mentor_sets_up_two_factor_and_signs_in_with_a_code(server: str, open_page: Any) -> None:
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor2")
    mentor.locator("#security-open").click()
    mentor.locator("#enrol-start").click()
    expect(mentor.locator("#enrol-qr")).to_have_attribute("src", re.compile("^data:image/svg"))
    expect(mentor.locator("#enrol-uri")).to_contain_text("otpauth://totp/Yorisoi:mentor2")
    key = mentor.locator("#enrol-secret").inner_text().replace(" ", "")
    shot(mentor, "mentor-two-factor-enrolment")
    totp = pyotp.TOTP(key)

    def code() -> str:  # the server's clock is moved (YORISOI_CLOCK_START): use its time
        now = httpx.get(server + "/api/service", timeout=5).json()["now"]
        return totp.at(datetime.fromisoformat(now))

    mentor.locator("#enrol-code").fill(code())
    mentor.get_by_role("button", name="登録を完了する").click()
    codes = mentor.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    mentor.get_by_role("button", name="書き留めたので続ける").click()
    expect(mentor.get_by_test_id("recovery-codes").locator("li")).to_have_count(0)
    mentor.locator("#security-back").click()
    expect(mentor.locator('[data-view="console"]')).to_be_visible()
    mentor.locator("#sign-out").click()

    mentor.locator("#username").fill("mentor2")
    mentor.locator("#password").fill(PASSWORD)
    mentor.locator("#signin-form button[type=submit]").click()
    expect(mentor.locator("#otp-field")).to_be_visible()
    expect(mentor.locator("#signin-form .error")).to_contain_text("確認コード")
    mentor.locator("#otp").fill("000000")
    mentor.locator("#signin-form button[type=submit]").click()
    expect(mentor.locator("#signin-form .error")).to_contain_text("確認コードが違うか")
    mentor.locator("#otp").fill(recovery)
    mentor.locator("#signin-form button[type=submit]").click()
    expect(mentor.locator('[data-view="console"]')).to_be_visible()

    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    expect(account_row(admin, "mentor2")).to_contain_text("登録済み（残りコード 9）")
