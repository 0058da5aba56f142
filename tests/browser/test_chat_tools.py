"""The mentor's chat tools in the browser: handing the child to another free mentor from the
chat (the child is asked and says yes; the new mentor's console shows it with the note), and
the canned-reply picker, which fills the text box without sending anything."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import chat_now, message, nickname, send, sign_up, staff_sign_in

NOTE = "ねむれない件。こころの専門家に相談してほしいので、ひかりさんへ。"


def open_chat(mentor: Any, name: str) -> Any:
    mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name).get_by_role(
        "button"
    ).click()
    return mentor.get_by_test_id("chat")


def test_mentor_hands_over_and_the_child_says_yes(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("usagi")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    old = open_page(server + "/mentor/", TABLET)
    staff_sign_in(old, "mentor1")
    ochat = open_chat(old, name)
    send(chat, "よる ねむれないの")
    expect(message(ochat, "よる ねむれないの")).to_have_count(1)

    old.get_by_test_id("handover-open").click()
    panel = old.get_by_test_id("handover-panel")
    expect(panel).to_be_visible()
    option = panel.locator("#ho-now-mentor option", has_text="ひかり")
    expect(option).to_have_count(1)
    panel.locator("#ho-now-mentor").select_option(option.get_attribute("value"))
    panel.get_by_test_id("handover-send").click()
    expect(panel.get_by_role("alert")).to_have_text("引き継ぎメモを書いてください。")
    panel.get_by_test_id("handover-note-input").fill(NOTE)
    shot(old, "mentor-handover-form")
    panel.get_by_test_id("handover-send").click()
    status = old.get_by_test_id("handover-status")
    expect(status).to_have_text("ひかりさんに代わってよいか、相談者に聞いています…")

    # The child is asked in a child's words; nothing has changed yet.
    ask = chat.get_by_test_id("handover-ask")
    expect(ask).to_contain_text("ひかりさんに かわっても いい？")
    expect(ask).not_to_contain_text(NOTE)  # the note is for staff only
    expect(chat.locator("h2.chat-title")).to_have_text("さくらさんと はなす")
    shot(child, "child-handover-question")
    ask.get_by_test_id("handover-yes").click()
    expect(ask).to_be_hidden()
    expect(chat).to_contain_text("ひかりさんに かわったよ。まえの ひとが ひかりさんに たのんだよ。")
    expect(chat.locator("h2.chat-title")).to_have_text("ひかりさんと はなす")
    expect(chat.locator("form.composer textarea")).to_be_enabled()

    # The old mentor is told; their chat takes no more writing.
    expect(status).to_have_text("相談者が「はい」と答え、ひかりさんに引き継ぎました。")
    expect(ochat).to_contain_text("この相談はひかりさんに引き継がれました。")
    expect(ochat.locator("form.composer textarea")).to_be_disabled()

    # The new mentor's console: the consultation, the transcript and the note.
    new = open_page(server + "/mentor/", TABLET)
    staff_sign_in(new, "mentor2")
    nchat = open_chat(new, name)
    expect(message(nchat, "よる ねむれないの")).to_have_count(1)
    handover = new.get_by_test_id("handover")
    expect(handover).to_contain_text("さくらさんから引き継ぎました（相談者が了承しました）。")
    expect(handover.get_by_test_id("handover-note")).to_have_text(NOTE)
    shot(new, "mentor-handed-over-by-mentor")
    send(nchat, "ひかりです。よろしくね")
    expect(message(chat, "ひかりです。よろしくね")).to_have_count(1)


def test_canned_reply_fills_the_composer_without_sending(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("neko")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    mchat = open_chat(mentor, name)
    box = mchat.locator("form.composer textarea")

    mentor.get_by_test_id("canned-open").click()
    panel = mentor.get_by_test_id("canned-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("こども向けと共通の定型文")
    items = panel.get_by_test_id("canned-list").locator("li.canned-item")
    expect(items.filter(has_text="すこし まってね")).to_have_count(1)
    expect(items.filter(has_text="少々お待ちください")).to_have_count(0)  # for parents
    expect(items.filter(has_text="A moment, please")).to_have_count(0)  # English
    shot(mentor, "mentor-canned-picker")
    items.filter(has_text="すこし まってね").get_by_role("button").click()
    expect(panel).to_be_hidden()
    expect(box).to_have_value("すこし かんがえる じかんを ください。すぐに おへんじ するね。")
    expect(box).to_be_focused()
    # edited before sending; nothing was sent by inserting
    box.press("End")
    box.type(" ゆっくりで いいよ")
    expect(mchat.get_by_test_id("messages").locator("li.msg")).to_have_count(0)
    expect(chat.get_by_test_id("messages").locator("li.msg")).to_have_count(0)

    # The keyboard: "/" at the start of an empty box opens the list; Enter inserts the first
    # match of the search.
    box.fill("")
    box.press("/")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("canned-search")).to_be_focused()
    panel.get_by_test_id("canned-search").fill("おわり")
    expect(items).to_have_count(1)
    panel.get_by_test_id("canned-search").press("Enter")
    expect(box).to_have_value(re.compile(r"^きょうは はなして くれて ありがとう。"))
    expect(box).to_be_focused()
    expect(mchat.get_by_test_id("messages").locator("li.msg")).to_have_count(0)
    # Alt+/ with text already there inserts at the caret
    box.press("End")
    box.press("Alt+/")
    expect(panel).to_be_visible()
    panel.get_by_test_id("canned-search").press("Escape")
    expect(panel).to_be_hidden()
    expect(box).to_be_focused()
    mchat.locator("form.composer button[type=submit]").click()
    expect(message(chat, "きょうは はなして くれて ありがとう。")).to_have_count(1)


def test_headquarters_manages_canned_replies(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    section = admin.get_by_test_id("canned-admin")
    rows = section.get_by_test_id("canned-rows").locator("li.canned-row")
    expect(rows.filter(has_text="すこし まってね")).to_have_count(1)
    form = section.get_by_test_id("canned-form")
    form.locator("#cf-audience").select_option("child")
    form.locator("#cf-category").select_option("referral")
    form.locator("#cf-title").fill("がっこうの せんせい")
    form.locator("#cf-text").fill("がっこうの せんせいにも はなして みる？")
    form.get_by_role("button", name="追加する").click()
    expect(section.get_by_role("status")).to_contain_text("「がっこうの せんせい」を追加しました。")
    row = rows.filter(has_text="がっこうの せんせい")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="編集: がっこうの せんせい").click()
    expect(form.locator("#cf-title")).to_have_value("がっこうの せんせい")
    form.locator("#cf-text").fill("がっこうの せんせいにも そうだん してみる？")
    form.get_by_role("button", name="保存する").click()
    expect(row).to_contain_text("がっこうの せんせいにも そうだん してみる？")
    row.get_by_role("button", name="削除: がっこうの せんせい").click()
    row.get_by_role("button", name="本当に削除する").click()
    expect(row).to_have_count(0)


def test_mentor_proposes_a_follow_up_booking_and_the_child_books_it(
    server: str, open_page: Any
) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("kitsune")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    open_chat(mentor, name)
    mentor.get_by_test_id("handover-open").click()
    panel = mentor.get_by_test_id("handover-panel")
    panel.get_by_text("次回の予約を入れる").click()
    option = panel.locator("#ho-book-mentor option", has_text="ひかり")
    expect(option).to_have_count(1)
    panel.locator("#ho-book-mentor").select_option(option.get_attribute("value"))
    panel.locator("#ho-day").select_option("2026-12-02")
    slot = panel.get_by_test_id("handover-slot").locator(
        'option[value="2026-12-02T17:00:00+09:00"]'
    )
    expect(slot).to_have_count(1)
    panel.get_by_test_id("handover-slot").select_option("2026-12-02T17:00:00+09:00")
    panel.get_by_test_id("handover-note-input").fill("あしたも はなしたいとのこと。ひかりさんへ。")
    panel.get_by_test_id("handover-send").click()
    status = mentor.get_by_test_id("handover-status")
    expect(status).to_contain_text("ひかりさんとの予約を入れてよいか、相談者に聞いています…")

    ask = chat.get_by_test_id("handover-ask")
    expect(ask).to_contain_text(
        "12がつ2にち（すいようび） 17:00に ひかりさんと はなす よやくを しても いい？"
    )
    ask.get_by_test_id("handover-yes").click()
    expect(chat).to_contain_text("よやく したよ：12がつ2にち（すいようび） 17:00 ひかりさん")
    # the chat itself goes on with さくら
    expect(chat.locator("h2.chat-title")).to_have_text("さくらさんと はなす")
    expect(status).to_contain_text("相談者が「はい」と答え、")
    expect(status).to_contain_text("ひかりさんとの予約が入りました。")
    # the booking is in the child's list
    chat.get_by_role("button", name="もどる").click()
    booking = child.get_by_test_id("bookings").locator("li.booking").filter(has_text="ひかり")
    expect(booking).to_contain_text("17:00〜17:30")
