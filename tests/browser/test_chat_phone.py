"""The chat on phones and tablets: "read" under your messages once the other side saw them,
the text box on screen with the keyboard up, no jump while reading older messages (a pill
instead), a crisis card that folds and never hides the text box, key hints only with keys."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import chat_now, message, nickname, send, sign_up, staff_sign_in

KEYBOARD_UP = {"width": 390, "height": 450}  # a phone with the on-screen keyboard showing


def open_mentor_chat(mentor: Any, child_name: str) -> Any:
    staff_sign_in(mentor, "mentor1")
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=child_name)
    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(mchat.get_by_test_id("connection")).to_have_text("つながっています")
    return mchat


def test_read_marks_reach_both_sides_and_survive_a_reload(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("yomu")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    send(chat, "きいて ほしい ことが ある")
    mine = message(chat, "きいて ほしい ことが ある")
    # Stored, but nobody has seen it yet.
    expect(mine.locator(".state")).to_have_text("とどいたよ")

    mentor = open_page(server + "/mentor/", TABLET)
    mchat = open_mentor_chat(mentor, name)
    expect(message(mchat, "きいて ほしい ことが ある")).to_have_count(1)
    # The mentor has the chat open and the message on screen: the child sees it was read.
    expect(mine.locator(".state")).to_have_text("よんだよ")
    expect(mine).to_have_class(re.compile(r"\bread\b"))

    send(mchat, "うん、きかせてね。")
    reply = message(mchat, "うん、きかせてね。")
    expect(message(chat, "うん、きかせてね。")).to_have_count(1)
    expect(reply.locator(".state")).to_have_text("既読")
    shot(child, "child-chat-read")

    # A reload (a new socket): the marks come back with the join.
    child.reload()
    chat = child.get_by_test_id("chat")
    expect(message(chat, "きいて ほしい ことが ある").locator(".state")).to_have_text("よんだよ")
    mentor.reload()
    mchat = mentor.get_by_test_id("chat")
    if not mchat.is_visible():  # the console may come back on its list: open the chat again
        mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name).get_by_role(
            "button"
        ).click()
    expect(message(mchat, "うん、きかせてね。").locator(".state")).to_have_text("既読")


def test_phone_chat_keeps_the_text_box_on_screen_and_does_not_jump(
    server: str, open_page: Any
) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("sumaho")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    box = chat.locator("form.composer textarea")
    expect(box).to_be_in_viewport(ratio=1)
    # The child face never shows a key hint; a device with a keyboard is told it elsewhere.
    expect(box).to_have_attribute("data-t-attr", "placeholder:chat.placeholder")

    mentor = open_page(server + "/mentor/", TABLET)
    mchat = open_mentor_chat(mentor, name)
    for i in range(1, 7):
        send(mchat, f"メッセージ {i}\nにぎょうめ\nさんぎょうめ")
        expect(message(chat, f"メッセージ {i}")).to_have_count(1)
    expect(box).to_be_in_viewport(ratio=1)

    # The keyboard comes up: the visual viewport shrinks, the text box stays above it.
    child.set_viewport_size(KEYBOARD_UP)
    box.focus()
    expect(box).to_be_in_viewport(ratio=1)
    expect(message(chat, "メッセージ 6")).to_be_in_viewport()
    shot(child, "child-chat-keyboard")

    # Reading older messages: a new one does not pull the list down; a pill says it came.
    messages = chat.get_by_test_id("messages")
    messages.evaluate("el => { el.scrollTop = 0; }")
    expect(message(chat, "メッセージ 1")).to_be_in_viewport()
    pill = chat.get_by_test_id("new-messages")
    expect(pill).to_be_hidden()
    send(mchat, "あたらしいの きた？")
    expect(pill).to_be_visible()
    expect(pill).to_have_text("あたらしい メッセージ")
    expect(message(chat, "メッセージ 1")).to_be_in_viewport()
    assert messages.evaluate("el => el.scrollTop") == 0
    expect(message(chat, "あたらしいの きた？")).not_to_be_in_viewport()
    pill.click()
    expect(message(chat, "あたらしいの きた？")).to_be_in_viewport()
    expect(pill).to_be_hidden()
    expect(box).to_be_in_viewport(ratio=1)


def test_the_crisis_card_folds_and_never_hides_the_text_box(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", KEYBOARD_UP)
    sign_up(child, nickname("mamoru"))
    chat = chat_now(child, "さくら")
    send(chat, "しにたい")
    card = chat.get_by_test_id("help-card")
    expect(card.locator('a[href="tel:0120078310"]')).to_have_count(1)
    expect(card).to_have_attribute("open", "")
    box = chat.locator("form.composer textarea")
    expect(box).to_be_in_viewport(ratio=1)
    shot(child, "child-chat-crisis-card")
    card.locator("summary").click()  # folded away: the conversation has the room again
    expect(card).not_to_have_attribute("open", "")
    expect(card.locator("summary")).to_be_in_viewport()
    expect(box).to_be_in_viewport(ratio=1)
    card.locator("summary").click()
    expect(card.locator('a[href="tel:0120078310"]')).to_be_visible()
    child.set_viewport_size(TABLET)  # the iPad: card open, text box still on screen
    expect(box).to_be_in_viewport(ratio=1)


def test_key_hints_only_where_there_is_a_keyboard(server: str, browser: Any) -> None:
    """A touch phone has no Ctrl+Enter: its text box does not mention it."""
    for touch, mentor in ((False, "みどり"), (True, "ゆうこ")):
        context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=touch)
        try:
            page = context.new_page()
            page.goto(server + "/")
            sign_up(page, nickname("yubi"))
            box = chat_now(page, mentor).locator("form.composer textarea")
            if touch:
                expect(box).to_have_attribute("placeholder", "メッセージを入力")
            else:
                expect(box).to_have_attribute("placeholder", re.compile(r"Ctrl\+Enter"))
        finally:
            context.close()
