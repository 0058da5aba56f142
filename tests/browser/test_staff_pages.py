"""The mentor (/mentor/) and headquarters (/admin/) consoles in a real Chromium."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import chat_now, nickname, sign_up, staff_sign_in


def test_mentor_signs_in_and_sees_the_console(server: str, open_page: Any) -> None:
    page = open_page(server + "/mentor/")
    expect(page).to_have_title(re.compile("メンター"))
    page.locator("#username").fill("mentor1")
    page.locator("#password").fill("not-the-password")
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#signin-form .error")).to_have_text(
        "ニックネームかあいことばがちがいます。"
    )
    staff_sign_in(page, "mentor1")
    expect(page.locator("#whoami")).to_have_text("さくら でサインイン中")
    expect(page.get_by_test_id("today")).to_contain_text("今日の相談はまだありません。")
    expect(page.get_by_test_id("upcoming")).to_contain_text("これからの予約はありません。")
    # Still signed in after a reload (the cookie), and a supervisor cannot use this page.
    page.reload()
    expect(page.locator('[data-view="console"]')).to_be_visible()
    page.locator("#sign-out").click()
    staff_sign_in_wrong = page.locator("#signin-form")
    expect(staff_sign_in_wrong).to_be_visible()
    page.locator("#username").fill("honbu")
    page.locator("#password").fill("yorisoi-demo")
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#signin-form .error")).to_contain_text("このページはメンター用です")


def test_admin_sees_line_use_change_after_a_child_chats_now(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/")
    expect(admin).to_have_title(re.compile("本部"))
    staff_sign_in(admin, "honbu")
    busy = admin.get_by_test_id("busy-now")
    expect(busy).to_have_text("いま 0 / 4 回線が使用中")
    expect(admin.get_by_test_id("open-consultations")).to_contain_text(
        "いま開いている相談はありません。"
    )
    expect(admin.locator("#slot-rows tr")).to_have_count(14)
    roster = admin.get_by_test_id("roster")
    expect(roster.locator("tbody tr")).to_have_count(12)
    expect(admin.locator("#capacity")).to_contain_text("15:00〜22:00")

    child = open_page(server + "/child/", PHONE)
    sign_up(child, nickname("umi"))
    chat_now(child, "はると")

    # The console refreshes by itself (socket events, periodic refresh); the button does it now.
    admin.locator("#refresh").click()
    expect(busy).to_have_text("いま 1 / 4 回線が使用中")
    row = admin.get_by_test_id("open-consultations").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("はると")
    expect(row).to_contain_text("今すぐ")
    expect(admin.locator('#slot-rows tr[data-start="2026-12-01T16:00:00+09:00"]')).to_contain_text(
        "1 / 4"
    )
    # Content is not shown unless the supervisor joins.
    expect(admin.get_by_test_id("chat")).to_have_count(0)
    shot(admin, "admin-line-use")


def test_staff_pages_on_phone_and_in_english(server: str, open_page: Any) -> None:
    page = open_page(server + "/admin/", PHONE)
    page.locator("#lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#signin-form h2")).to_have_text("Staff sign in")
    staff_sign_in(page, "honbu")
    expect(page.get_by_test_id("busy-now")).to_have_text("0 of 4 lines busy now")
    shot(page, "admin-console-en")
    mentor = open_page(server + "/mentor/", TABLET)
    shot(mentor, "mentor-signin")
