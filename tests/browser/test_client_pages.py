"""The child (/child/) and parent (/) faces in a real Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, browser_env, shot
from tests.browser.flows import choose_language, mentor_card, nickname, sign_up
from tests.servers import running_server

CHILD_MENTORS = ["さくら", "ひかり", "みどり", "はると", "まどか", "たかし", "りな", "そうた"]
PARENT_ONLY = ["あおい", "ゆうこ", "けんじ", "えみ"]


def test_child_signs_up_books_a_slot_and_cancels_it(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    welcome = page.locator('[data-view="welcome"]')
    expect(welcome).to_contain_text("ほんとうの なまえは いらないよ")
    expect(page.locator("#help-open")).to_be_visible()
    expect(page.locator("#quick-exit")).to_be_visible()

    # An empty secret is explained in words, and nothing is sent.
    page.locator("#su-nickname").fill("sora")
    page.locator("#signup-form button[type=submit]").click()
    expect(page.locator("#signup-form .error")).to_have_text(
        "あいことばは 6もじ いじょうに してね。「123456」みたいな かんたんな ことばは つかえないよ。"
    )

    name = nickname("sora")
    sign_up(page, name)

    cards = page.locator(".mentor-card")
    expect(cards).to_have_count(len(CHILD_MENTORS))
    for mentor in CHILD_MENTORS:
        expect(mentor_card(page, mentor)).to_be_visible()
    # 16:00 on a Tuesday: さくら works 15–22 and is free, そうた starts at 18:00.
    expect(mentor_card(page, "さくら").get_by_test_id("status")).to_have_text(
        re.compile("今.*すぐ.*話")
    )
    expect(mentor_card(page, "そうた").get_by_test_id("status")).to_have_text(
        re.compile("予約.*できる")
    )
    expect(page.get_by_test_id("bookings")).to_contain_text("いまは よやくは ないよ。")

    # Pick a time from the calendar: tomorrow at 17:30 with さくら.
    mentor_card(page, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    expect(page.locator("#mentor-name")).to_have_text("さくら")
    days = page.locator("#day-list button")
    expect(days).to_have_count(15)
    days.nth(1).click()
    expect(page.locator("#slots-h")).to_contain_text("12がつ2にち（すいようび）")
    slots = page.locator("#slot-list button.slot")
    expect(slots).to_have_count(14)
    page.locator('#slot-list button[data-start="2026-12-02T17:30:00+09:00"]').click()
    expect(page.locator("#book-question")).to_contain_text("17:30")
    page.locator("#book-yes").click()

    expect(page.locator('[data-view="home"]')).to_be_visible()
    expect(page.locator("#page-notice")).to_contain_text("よやく できたよ")
    booking = page.get_by_test_id("bookings").locator("li.booking")
    expect(booking).to_have_count(1)
    expect(booking).to_contain_text("12がつ2にち（すいようび） 17:30〜18:00")
    expect(booking).to_contain_text("さくら")

    # The slot is no longer free in the calendar.
    mentor_card(page, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    page.locator("#day-list button").nth(1).click()
    expect(
        page.locator('#slot-list button[data-start="2026-12-02T17:30:00+09:00"]')
    ).to_be_disabled()
    page.locator('[data-view="mentor"] .back').click()

    # Cancel it (two steps, so a slip of the finger does not cancel).
    booking.get_by_role("button", name="とりけす").click()
    booking.get_by_role("button", name="ほんとうに とりけす").click()
    expect(page.locator("#page-notice")).to_have_text("よやくを とりけしたよ。")
    expect(page.get_by_test_id("bookings").locator("li.booking")).to_have_count(0)

    # Signing in again with the nickname and the secret brings the same person back.
    page.locator("#sign-out").click()
    expect(welcome).to_be_visible()
    page.locator("#tab-back").click()
    page.locator("#si-nickname").fill(name)
    page.locator("#si-secret").fill("wrong-secret")
    page.locator("#signin-form button[type=submit]").click()
    # A refusal from the server, in the child's words on /child/ (issue 11).
    expect(page.locator("#signin-form .error")).to_have_text(
        "ニックネームか あいことばが ちがうみたい。もういちど いれてみてね。"
    )
    page.locator("#si-secret").fill("himitsu-123")
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#greeting")).to_contain_text(name)


def test_help_dialog_and_quick_exit(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/", PHONE)
    page.locator("#help-open").click()
    dialog = page.locator("#help-dialog")
    expect(dialog).to_be_visible()
    for number, href in (
        ("0120-0-78310", "tel:0120078310"),
        ("189", "tel:189"),
        ("0120-783-556", "tel:0120783556"),
    ):
        expect(dialog.locator(f'a[href="{href}"]')).to_contain_text(number)
    shot(page, "child-help")
    page.locator("#help-close").click()
    expect(dialog).to_be_hidden()

    page.locator("#quick-exit").click()
    expect(page).to_have_url(re.compile(r"/assets/weather\.html$"))
    expect(page.locator("h1")).to_have_text("きょうの天気")
    # replace(): Back does not return to the chat service.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"/child/"))


def test_parent_page_lists_parent_mentors_in_adult_language(server: str, open_page: Any) -> None:
    page = open_page(server + "/", PHONE)
    expect(page).to_have_title(re.compile("保護者"))
    expect(page.locator('[data-view="welcome"]')).to_contain_text(
        "本名やメールアドレスは要りません"
    )
    shot(page, "parent-welcome")
    sign_up(page, nickname("mama"))
    expect(page.locator(".mentor-card").first).to_be_visible()
    for mentor in PARENT_ONLY:
        expect(mentor_card(page, mentor)).to_be_visible()
    for mentor in ("さくら", "はると", "たかし"):  # children only
        expect(mentor_card(page, mentor)).to_have_count(0)
    expect(page.locator(".hours-text").last).to_contain_text("21:30")
    shot(page, "parent-home")


def test_english_from_the_menu_and_remembered(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/", TABLET)
    choose_language(page, "en")
    expect(page.locator("#help-open")).to_have_text("Need help?")
    expect(page.locator('[data-view="welcome"] h2')).to_have_text(
        "Here you can talk with a kind grown-up"
    )
    # Each language is named in its own language.
    expect(page.locator("#lang-menu option")).to_have_text(
        ["日本語", "English", "简体中文", "한국어"]
    )
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    sign_up(page, nickname("kai"))
    expect(page.locator("#mentors-h")).to_have_text("People who will listen")
    expect(mentor_card(page, "さくら")).to_contain_text("Feelings expert")  # child words
    expect(mentor_card(page, "さくら")).to_contain_text("I listen, slowly, to anything.")
    expect(mentor_card(page, "さくら").get_by_test_id("status")).to_have_text("Can talk now")
    shot(page, "child-home-en")
    choose_language(page, "ja")
    expect(page.locator("#mentors-h")).to_have_text("はなしを きいてくれる ひと")


def test_after_the_2130_cutoff_chat_now_is_explained_and_booking_still_works(
    tmp_path: Path, open_page: Any
) -> None:
    with running_server(
        tmp_path, **browser_env(YORISOI_CLOCK_START="2026-12-01T21:31:00+09:00")
    ) as (base, _):
        page = open_page(base + "/child/", PHONE)
        sign_up(page, nickname("tsuki"))
        card = mentor_card(page, "さくら")
        expect(card.get_by_test_id("status")).to_have_text(re.compile("今日.*はおわり"))
        expect(card.get_by_role("button", name=re.compile("いますぐ"))).to_have_count(0)
        card.get_by_role("button", name=re.compile("じかんを えらぶ")).click()
        expect(page.locator("#now-text")).to_contain_text("15:00〜21:30")
        expect(page.locator("#now-button")).to_be_hidden()
        # Tomorrow is offered first, and its slots can be booked.
        expect(page.locator("#slots-h")).to_contain_text("12がつ2にち（すいようび）")
        expect(page.locator("#slot-list button.slot.free").first).to_be_enabled()
        shot(page, "child-after-cutoff")
