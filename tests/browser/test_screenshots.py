"""Every face at phone (390x844), iPad (1024x768) and Chromebook (1366x768) size, saved under
test-output/screenshots/ for a person to look at; each step also asserts what it shows, and
that nothing a person must reach (back, end, send) is cut off at the side."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMEBOOK, PHONE, TABLET, shot
from tests.browser.flows import chat_now, message, nickname, send, sign_up, staff_sign_in


def within_width(page: Any, locator: Any) -> None:
    """The element is visible and lies inside the viewport's width (not cut off at a side)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)


def header_in_one_row(page: Any) -> None:
    """Brand, language menu, help and quick exit share one row (on a phone too), none cut off."""
    brand = page.locator(".topbar .brand").bounding_box()
    for control in ("#help-open", "#quick-exit"):
        within_width(page, page.locator(control))
        box = page.locator(control).bounding_box()
        assert (
            brand
            and box
            and abs(brand["y"] + brand["height"] / 2 - box["y"] - box["height"] / 2) < 8
        ), (
            control,
            brand,
            box,
        )


@pytest.mark.parametrize("size", [PHONE, TABLET, CHROMEBOOK], ids=["phone", "ipad", "chromebook"])
def test_every_page_at_phone_tablet_and_chromebook_size(
    server: str, open_page: Any, size: dict[str, int]
) -> None:
    child = open_page(server + "/child/", size)
    expect(child.locator("#signup-form")).to_be_visible()
    shot(child, "child-welcome")
    header_in_one_row(child)
    child.locator("#help-open").click()
    expect(child.locator("#help-dialog")).to_be_visible()
    shot(child, "child-help")
    child.locator("#help-close").click()
    sign_up(child, nickname("aoi"))
    expect(child.locator(".mentor-card").first).to_be_visible()
    shot(child, "child-home")
    child.locator(".mentor-card").nth(1).locator(".card-actions button").last.click()
    expect(child.locator("#slot-list button.slot").first).to_be_visible()
    shot(child, "child-calendar")
    within_width(child, child.locator('[data-view="mentor"] .back'))
    child.locator('[data-view="mentor"] .back').click()
    chat = chat_now(child, "みどり")
    send(chat, "ねむれないんです")
    expect(chat.get_by_test_id("mentor-waiting")).to_be_visible()
    shot(child, "child-waiting-for-mentor")

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
    for button in chat.locator(".chat-actions button").all():
        within_width(child, button)
    within_width(child, chat.locator("form.composer button[type=submit]"))

    send(chat, "もう しにたい")
    expect(chat.get_by_test_id("help-card")).to_be_visible()
    expect(chat.locator("form.composer textarea")).to_be_enabled()
    within_width(child, chat.locator("form.composer button[type=submit]"))
    shot(child, "child-crisis-card")

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
    # In every language the header keeps to one row (English and Korean words are longer).
    for lang, help_text in (
        ("en", "Need help now?"),
        ("ko", "도움이 필요할 때"),
        ("zh", "需要帮助？"),
    ):
        parent.get_by_test_id("lang-menu").select_option(lang)
        expect(parent.locator("#help-open")).to_have_text(help_text)
        header_in_one_row(parent)
        shot(parent, f"parent-home-{lang}")
