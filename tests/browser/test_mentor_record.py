"""The mentor's record of a client in the console: cancelled bookings folded away, the crisis
banner kept until headquarters acknowledges, earlier chats readable from the history list,
and headquarters' words (alert categories, kinds) in English after a language switch."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET
from tests.browser.flows import (
    chat_now,
    mentor_card,
    message,
    nickname,
    send,
    sign_up,
    staff_sign_in,
)

SLOT = '#slot-list button[data-start="2026-12-01T17:30:00+09:00"]'


def book_today_1730(page: Any) -> None:
    mentor_card(page, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    page.locator("#day-list button").nth(0).click()
    page.locator(SLOT).click()
    page.locator("#book-yes").click()
    expect(page.locator("#page-notice")).to_contain_text("よやく できたよ")


def test_a_cancelled_booking_is_folded_not_listed_twice(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    sign_up(child, nickname("fold"))
    book_today_1730(child)
    booking = child.get_by_test_id("bookings").locator("li.booking")
    booking.get_by_role("button", name="とりけす").click()
    booking.get_by_role("button", name="ほんとうに とりけす").click()
    expect(booking).to_have_count(0)
    book_today_1730(child)  # the same slot again

    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    today = mentor.get_by_test_id("today").locator("li.citem")
    expect(today).to_have_count(1)
    expect(today.get_by_test_id("state")).to_have_text("予約（開始前）")
    fold = mentor.get_by_test_id("cancelled-fold")
    expect(fold.locator("summary")).to_have_text("取り消された予約（1件）")
    fold.locator("summary").click()
    cancelled = fold.locator("li.citem")
    expect(cancelled.get_by_test_id("state")).to_have_text("取り消し")
    expect(cancelled.get_by_role("button")).to_have_count(0)


def test_crisis_banner_stays_until_headquarters_acknowledges(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("kiki")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    send(chat, "もう しにたい")
    expect(message(chat, "もう しにたい")).to_be_visible()

    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    row = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    row.get_by_role("button", name=re.compile("^開く")).click()
    banner = mentor.get_by_test_id("at-risk")
    expect(banner).to_contain_text("危機のサインがあります")
    expect(banner).to_contain_text("自殺")
    # A reload keeps it: the consultation still has an alert nobody acknowledged.
    mentor.reload()
    row.get_by_role("button", name=re.compile("^開く")).click()
    expect(banner).to_contain_text("危機のサインがあります")

    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    alert = admin.locator('#alert-list [data-kind="crisis"]')
    expect(alert).to_contain_text("自殺")
    # In English, the category is English too (it follows the switch, not the first paint).
    admin.locator("#lang-toggle").click()
    expect(alert).to_contain_text("suicide")
    admin.locator("#lang-toggle").click()
    alert.get_by_role("button", name="確認済みにする").click()
    expect(alert).to_have_count(0)

    expect(banner).to_contain_text("本部が確認しました")
    mentor.reload()
    row.get_by_role("button", name=re.compile("^開く")).click()
    expect(mentor.get_by_test_id("chat")).to_be_visible()
    expect(banner).to_have_count(0)


def test_history_lists_earlier_chats_readable(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("mata")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    today = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    today.get_by_role("button", name=re.compile("^開く")).click()
    send(chat, "ともだちと けんかした")
    expect(message(chat, "ともだちと けんかした")).to_be_visible()
    chat.get_by_role("button", name="おわりにする").click()
    chat.get_by_role("button", name="はい、おわる").click()
    expect(chat.get_by_test_id("closed")).to_be_visible()

    child.goto(server + "/child/")
    chat_now(child, "さくら")
    mentor.reload()
    current = today.filter(has=mentor.get_by_test_id("state").filter(has_text=re.compile("待")))
    current.first.get_by_role("button", name=re.compile("^開く")).click()
    earlier = mentor.get_by_test_id("history").get_by_test_id("past-transcript")
    expect(earlier).to_have_count(1)
    earlier.locator("summary").click()
    expect(earlier).to_contain_text("ともだちと けんかした")
    expect(earlier).to_contain_text(name)


def test_shift_form_names_kinds_in_english(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    options = admin.locator("#sf-mentor option")
    expect(options.filter(has_text="さくら")).to_have_text(re.compile("公認心理師"))
    admin.locator("#lang-toggle").click()
    expect(options.filter(has_text="さくら")).to_have_text(re.compile("[Pp]sycholog"))
