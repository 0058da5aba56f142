"""Every page at tablet (1024x768) and phone (390x844) size, saved under
test-output/screenshots/ for a person to look at; each step also asserts what it shows."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import chat_now, message, nickname, send, sign_up, staff_sign_in


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
def test_every_page_at_tablet_and_phone_size(
    server: str, open_page: Any, size: dict[str, int]
) -> None:
    child = open_page(server + "/child/", size)
    expect(child.locator("#signup-form")).to_be_visible()
    shot(child, "child-welcome")
    sign_up(child, nickname("aoi"))
    expect(child.locator(".mentor-card").first).to_be_visible()
    shot(child, "child-home")
    child.locator(".mentor-card").nth(1).locator(".card-actions button").last.click()
    expect(child.locator("#slot-list button.slot").first).to_be_visible()
    shot(child, "child-calendar")
    child.locator('[data-view="mentor"] .back').click()
    chat = chat_now(child, "みどり")
    send(chat, "ねむれないんです")

    mentor = open_page(server + "/mentor/", size)
    shot(mentor, "mentor-signin")
    staff_sign_in(mentor, "mentor3")
    mentor.get_by_test_id("today").locator("li.citem").first.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(message(mchat, "ねむれないんです")).to_have_count(1)
    send(mchat, "そうなんだね。いつから ねむれないの？")
    expect(message(chat, "いつから")).to_have_count(1)
    shot(child, "child-chat")
    shot(mentor, "mentor-console")

    admin = open_page(server + "/admin/", size)
    shot(admin, "admin-signin")
    staff_sign_in(admin, "honbu")
    expect(admin.get_by_test_id("busy-now")).to_have_text("いま 1 / 4 回線が使用中")
    admin.get_by_test_id("open-consultations").get_by_role("button").first.click()
    admin.locator("#join-reason").fill("見守りのため")
    admin.get_by_test_id("join-form").get_by_role("button", name="入る").click()
    expect(message(admin.get_by_test_id("chat"), "ねむれないんです")).to_have_count(1)
    shot(admin, "admin-console")

    parent = open_page(server + "/", size)
    shot(parent, "parent-welcome")
    sign_up(parent, nickname("papa"))
    expect(parent.locator(".mentor-card").first).to_be_visible()
    shot(parent, "parent-home")
