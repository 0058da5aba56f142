"""Headquarters hands work to another mentor from /admin/: an open consultation from the
board (the child is told who came and why, the new mentor reads everything and the note, the
old mentor's chat says it moved; the child closing the chat shows as away), and a booking
from "予約を移す", reached from the roster's refusal to stop a mentor who still has it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import (
    chat_now,
    mentor_card,
    message,
    nickname,
    scroll_to,
    send,
    sign_up,
    staff_sign_in,
    through_repaints,
)


def choose(form: Any, mentor: str) -> None:
    """Pick the new mentor in the reassign form, once the free mentors are listed."""
    option = form.locator("#reassign-mentor option", has_text=mentor)
    expect(option).to_have_count(1)
    form.locator("#reassign-mentor").select_option(option.get_attribute("value"))


NOTE = "さくらさんは体調不良のため。学校のことで悩んでいます。"


def test_headquarters_reassigns_an_open_consultation(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("kuma")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    old = open_page(server + "/mentor/", TABLET)
    staff_sign_in(old, "mentor1")
    old.get_by_test_id("today").locator("li.citem").filter(has_text=name).get_by_role(
        "button"
    ).click()
    ochat = old.get_by_test_id("chat")
    send(chat, "がっこうに いきたくない")
    expect(message(ochat, "がっこうに いきたくない")).to_have_count(1)
    send(ochat, "おしえてくれて ありがとう")
    expect(message(chat, "おしえてくれて ありがとう")).to_have_count(1)

    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    row = admin.get_by_test_id("open-consultations").locator("tr").filter(has_text=name)
    expect(row.get_by_test_id("board-state")).to_have_text("相談中")
    row.get_by_role("button", name=re.compile("担当を替える")).click()
    form = admin.get_by_test_id("reassign-form")
    expect(form).to_contain_text("さくらさん → ほかのメンター")
    choose(form, "ひかり")
    form.locator("#reassign-note").fill(NOTE)
    shot(admin, "admin-reassign-form")
    form.get_by_role("button", name="この人に替える").click()
    expect(form).to_have_count(0)
    expect(row.locator("td").first).to_have_text("ひかり")
    expect(row.get_by_test_id("board-state")).to_have_text("メンター待ち")

    # The child is told who came and why, in a child's words; the line stays open.
    expect(chat).to_contain_text(
        "おてつだいの ひとが きめて、ひかりさんに かわったよ。かいた ことばは そのまま のこっているよ。"
    )
    expect(chat.locator("form.composer textarea")).to_be_enabled()
    expect(chat.locator("h2.chat-title")).to_have_text("ひかりさんと はなす")
    shot(child, "child-handed-over")
    # The old mentor's chat says where it went and takes no more writing.
    expect(ochat).to_contain_text("この相談はひかりさんに引き継がれました。")
    expect(ochat.locator("form.composer textarea")).to_be_disabled()

    new = open_page(server + "/mentor/", TABLET)
    staff_sign_in(new, "mentor2")
    item = new.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    item.get_by_role("button").click()
    nchat = new.get_by_test_id("chat")
    expect(message(nchat, "がっこうに いきたくない")).to_have_count(1)
    earlier = message(nchat, "おしえてくれて ありがとう")
    expect(earlier).to_have_count(1)
    # written by the mentor before: theirs, under their name, not "わたし"
    expect(earlier).to_have_class(re.compile(r"\btheirs\b"))
    expect(earlier.locator(".who")).to_have_text("さくら")
    handover = new.get_by_test_id("handover")
    expect(handover).to_contain_text("本部がさくらさんからあなたに引き継ぎました。")
    expect(handover.get_by_test_id("handover-note")).to_have_text(NOTE)
    shot(new, "mentor-handed-over")
    send(nchat, "ひかりです。つづきを きかせてね")
    expect(message(chat, "ひかりです。つづきを きかせてね")).to_have_count(1)
    expect(row.get_by_test_id("board-state")).to_have_text("相談中")

    # The child closes the chat: headquarters and the new mentor see them away, pushed.
    child.close()
    expect(row.get_by_test_id("board-state")).to_have_text("相談者が離れています（0分）")
    expect(item.get_by_test_id("client-away")).to_have_text("相談者が離れています（0分）")
    scroll_to(admin, "#open-h")
    shot(admin, "admin-client-away")


def test_moving_bookings_lets_a_mentor_be_stopped(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("risu")
    sign_up(child, name)
    mentor_card(child, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    child.locator('#slot-list button[data-start="2026-12-01T18:00:00+09:00"]').click()
    child.locator("#book-yes").click()
    booking = child.get_by_test_id("bookings").locator("li.booking")
    expect(booking).to_contain_text("18:00〜18:30")

    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    roster = admin.locator("#roster-rows tr").filter(has=admin.locator("th", has_text="さくら"))
    roster.get_by_role("button", name="停止: さくら").click()
    roster.get_by_role("button", name="本当に停止する").click()
    refusal = roster.locator("[data-row-error]")
    expect(refusal).to_contain_text("「予約を移す」でほかのメンターに移してから停止してください")
    # The refusal leads straight to "予約を移す" for this mentor (and survives repaints).
    through_repaints(admin)
    go = roster.get_by_test_id("move-first")
    expect(go).to_have_text("予約を移す")
    scroll_to(admin, "#roster")
    shot(admin, "admin-roster-refusal")
    admin.set_viewport_size(PHONE)
    go.evaluate("el => el.scrollIntoView({block: 'center'})")
    shot(admin, "admin-roster-refusal")
    admin.set_viewport_size(TABLET)
    go.click()
    moving = admin.get_by_test_id("move-bookings")
    expect(moving).to_be_in_viewport()
    expect(admin.locator("#move-mentor")).to_be_focused()
    expect(admin.locator("#move-mentor option:checked")).to_have_text("さくら")
    moved = moving.locator("#move-rows li.row").filter(has_text=name)
    expect(moved).to_contain_text("18:00〜18:30")
    shot(admin, "admin-move-bookings")

    moved.get_by_role("button", name="担当を替える").click()
    form = admin.get_by_test_id("reassign-form")
    choose(form, "ひかり")
    form.locator("#reassign-note").fill("さくらさんは今月お休みです")
    admin.set_viewport_size(PHONE)
    form.evaluate("el => el.scrollIntoView({block: 'center'})")
    shot(admin, "admin-move-form")
    admin.set_viewport_size(TABLET)
    form.get_by_role("button", name="この人に替える").click()
    expect(form).to_have_count(0)
    expect(moving.locator("#move-rows li.empty")).to_have_text("これからの予約や相談はありません。")
    # The child's booking now names the new mentor, at the same time.
    expect(booking).to_contain_text("ひかり")
    expect(booking).to_contain_text("18:00〜18:30")

    roster.get_by_role("button", name="停止: さくら").click()
    roster.get_by_role("button", name="本当に停止する").click()
    expect(admin.locator("#roster-notice")).to_have_text("さくらさんを停止しました。")
    expect(roster.get_by_test_id("move-first")).to_have_count(0)
    expect(refusal).to_be_hidden()
