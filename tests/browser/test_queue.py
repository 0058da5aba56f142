"""The waiting line on the faces: with one line, a child refused "talk now" waits in line and
sees their place and an estimate; a second child waits behind; when the first leaves, the
second's place changes on screen; when the line frees, the second's chat opens by itself
with the first message written while waiting; headquarters sees the line live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, browser_env, shot
from tests.browser.flows import (
    chat_now,
    mentor_card,
    message,
    nickname,
    sign_up,
    staff_sign_in,
    through_repaints,
)
from tests.servers import running_server


def test_waiting_line_position_first_message_leave_and_offer(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    expect(admin.locator("#cap-default")).to_have_text("いま 4 回線（初期設定は 4 回線）")
    admin.locator("#cap-lines").fill("1")
    admin.get_by_role("button", name="回線数を変更").click()
    expect(admin.locator("#cap-notice")).to_have_text("回線数を 1 にしました。")
    expect(admin.get_by_test_id("busy-now")).to_have_text("いま 0 / 1 回線が使用中")
    hq_line = admin.get_by_test_id("admin-queue")
    expect(hq_line.get_by_test_id("queue-count")).to_have_text("待っている人 0 人・案内中 0 人")

    # B's list is as it was before A took the only line (a slow network): B taps "talk now"
    # and is refused because every line is busy; the refusal offers the waiting line.
    b = open_page(server + "/child/", PHONE)
    b_name = nickname("bee")
    sign_up(b, b_name)
    card = mentor_card(b, "ひかり")
    expect(card.get_by_role("button", name=re.compile("いますぐ はなす"))).to_be_visible()
    stale = b.evaluate("fetch('/api/mentors?audience=child').then((r) => r.text())")
    b.route(
        "**/api/mentors?audience=child",
        lambda route: route.fulfill(status=200, content_type="application/json", body=stale),
    )
    a = open_page(server + "/child/", PHONE)
    sign_up(a, nickname("ei"))
    a_chat = chat_now(a, "さくら")
    card.get_by_role("button", name=re.compile("いますぐ はなす")).click()
    # the refusal in a child's words (no "回線")
    expect(card.locator(".error").first).to_contain_text("みんな ほかの")
    offer = card.get_by_test_id("wait-offer")
    offer.get_by_role("button", name=re.compile("じゅんばんを まつ")).click()
    expect(offer.locator(".wait-choose")).to_be_visible()
    expect(offer.locator("[data-wait=mentor]")).to_have_text("ひかりさんを まつ")
    through_repaints(b)  # the open choice survives repaints
    expect(offer.locator(".wait-choose")).to_be_visible()
    # for the screenshot; one step in the page (a repaint may swap the card between the
    # resolve and the stability wait of scroll_into_view_if_needed)
    card.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    shot(b, "child-queue-choose")
    offer.get_by_role("button", name="はなせる ひとなら だれでも").click()

    b_panel = b.get_by_test_id("queue")
    expect(b_panel).to_be_visible()
    expect(b_panel.get_by_test_id("queue-position")).to_have_text("あなたは 1ばんめ")
    expect(b_panel.get_by_test_id("queue-estimate")).to_have_text(re.compile(r"あと やく \d+ぷん"))
    expect(b_panel.get_by_test_id("queue-for")).to_have_text(
        "はなせる ひとを まっているよ（だれでも）"
    )
    # Offers are gone while waiting.
    expect(b.get_by_test_id("wait-offer")).to_have_count(0)

    # The first-message box is an input: forced repaints never take its words, nor the caret.
    box = b_panel.locator("textarea")
    box.click()
    box.press_sequentially("まってるね")
    expect(b_panel.get_by_test_id("queue-saved")).to_have_text(
        "とっておいたよ。はなしが はじまったら とどくよ。"
    )
    through_repaints(b)
    expect(box).to_have_value("まってるね")
    expect(box).to_be_focused()
    assert box.evaluate("el => el.selectionStart") == len("まってるね")
    shot(b, "child-queue-waiting")

    # C sees the line full (no refusal needed) and, from さくら's page, waits for her.
    c = open_page(server + "/child/", TABLET)
    sign_up(c, nickname("shii"))
    expect(mentor_card(c, "さくら").get_by_test_id("wait-offer")).to_be_visible()
    mentor_card(c, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    c_offer = c.locator("#now-queue").get_by_test_id("wait-offer")
    c_offer.get_by_role("button", name=re.compile("じゅんばんを まつ")).click()
    c_offer.get_by_role("button", name="さくらさんを まつ").click()
    expect(c.locator('[data-view="home"]')).to_be_visible()
    c_panel = c.get_by_test_id("queue")
    expect(c_panel.get_by_test_id("queue-position")).to_have_text("あなたは 2ばんめ")
    expect(c_panel.get_by_test_id("queue-for")).to_have_text("さくらさんを まっているよ")
    c_panel.locator("textarea").fill("さくらさん、まってたよ")
    expect(c_panel.get_by_test_id("queue-saved")).to_have_text(
        "とっておいたよ。はなしが はじまったら とどくよ。"
    )
    shot(c, "child-queue-second")
    # A reload finds the place again, with the words written so far.
    c.reload()
    expect(c_panel.get_by_test_id("queue-position")).to_have_text("あなたは 2ばんめ")
    expect(c_panel.locator("textarea")).to_have_value("さくらさん、まってたよ")
    expect(c_panel.get_by_test_id("queue-saved")).to_have_text(
        "とっておいたよ。はなしが はじまったら とどくよ。"
    )

    # Headquarters sees both, in order, live.
    rows = hq_line.locator("#queue-admin-rows tr[data-entry]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(b_name)
    expect(rows.nth(0)).to_contain_text("誰でも")
    expect(rows.nth(1)).to_contain_text("さくらさん")
    expect(rows.nth(1).get_by_test_id("queue-state")).to_have_text("待っています")
    expect(hq_line.get_by_test_id("queue-count")).to_have_text("待っている人 2 人・案内中 0 人")
    admin.locator("#queue-admin").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(admin, "admin-queue")

    # B leaves (two steps); C moves up on screen.
    b_panel.get_by_role("button", name="やめる", exact=True).click()
    through_repaints(b)  # the open confirmation survives repaints
    b_panel.get_by_role("button", name="ほんとうに やめる").click()
    expect(b_panel.get_by_test_id("queue-end")).to_have_text("ならぶのを やめたよ。")
    b_panel.scroll_into_view_if_needed()
    shot(b, "child-queue-left")
    expect(c_panel.get_by_test_id("queue-position")).to_have_text("あなたは 1ばんめ")
    expect(rows).to_have_count(1)

    # A finishes: the line goes to C, whose chat opens by itself with the first message.
    a_chat.get_by_role("button", name="おわりにする").click()
    a_chat.get_by_role("button", name="はい、おわる").click()
    c_chat = c.get_by_test_id("chat")
    expect(c_chat).to_be_visible()
    expect(c_chat.locator(".chat-title")).to_have_text("さくらさんと はなす")
    expect(message(c_chat, "さくらさん、まってたよ")).to_have_count(1)
    expect(rows).to_have_count(0, timeout=5_000)
    expect(hq_line.locator("#queue-admin-rows")).to_contain_text("いま順番待ちの人はいません。")
    shot(c, "child-queue-offered")


@pytest.fixture
def cutoff_server(tmp_path: Path) -> Iterator[str]:
    """Half a minute before the 21:30 cutoff of "talk now" (the clock runs on from there)."""
    with running_server(
        tmp_path, **browser_env(YORISOI_CLOCK_START="2026-12-01T21:29:30+09:00")
    ) as (base, _):
        yield base


def test_the_line_closes_at_the_cutoff_with_the_next_opening(
    cutoff_server: str, open_page: Any
) -> None:
    a = open_page(cutoff_server + "/child/", PHONE)
    sign_up(a, nickname("late"))
    chat_now(a, "さくら")
    b = open_page(cutoff_server + "/child/", PHONE)
    sign_up(b, nickname("later"))
    # さくら is talking with someone: the card offers to wait for her.
    offer = mentor_card(b, "さくら").get_by_test_id("wait-offer")
    offer.get_by_role("button", name=re.compile("じゅんばんを まつ")).click()
    offer.get_by_role("button", name="さくらさんを まつ").click()
    panel = b.get_by_test_id("queue")
    expect(panel.get_by_test_id("queue-position")).to_have_text("あなたは 1ばんめ")
    # At 21:30:01 the line closes, and the child is told when it opens again.
    end = panel.get_by_test_id("queue-end")
    expect(end).to_have_text(
        "きょうの うけつけは おわったよ。つぎは 12がつ2にち（すいようび） 15:00 から はなせるよ。"
        "よやくも できるよ。",
        timeout=45_000,
    )
    expect(panel.get_by_test_id("queue-position")).to_be_hidden()
    panel.scroll_into_view_if_needed()
    shot(b, "child-queue-closed")
    panel.get_by_role("button", name="とじる").click()
    expect(panel).to_be_hidden()
