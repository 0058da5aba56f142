"""Four languages on the client faces, remembered per device; mentors filtered by language."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import TABLET, shot
from tests.browser.flows import choose_language, mentor_card, nickname, sign_up, staff_sign_in

CHILD_MENTORS = ["さくら", "ひかり", "みどり", "はると", "まどか", "たかし", "りな", "そうた"]


def test_chinese_from_the_menu_is_remembered_and_mentors_filter_by_language(
    server: str, open_page: Any
) -> None:
    page = open_page(server + "/child/", TABLET)
    choose_language(page, "zh")
    expect(page.locator('[data-view="welcome"] h2')).to_have_text(
        "在这里，你可以慢慢地和一位亲切的大人聊天"
    )
    expect(page.locator("#help-open")).to_have_text("需要帮助？")
    expect(page).to_have_title("Yorisoi 聊天（儿童） | Yorisoi")
    # A device keeps its language.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("#lang-menu")).to_have_value("zh")
    expect(page.locator("#signup-form h3")).to_have_text("第一次来")
    sign_up(page, nickname("lan"))
    expect(page.locator("#mentors-h")).to_have_text("会听你说话的人")
    spoken = mentor_card(page, "みどり").get_by_test_id("languages")
    expect(spoken).to_contain_text("会说的语言")
    expect(spoken.locator(".lang-chip")).to_have_text(["日本語", "简体中文"])
    shot(page, "child-home-zh")

    # Everyone by default; a language shows only the mentors who speak it.
    cards = page.locator("#mentor-list .mentor-card .name")
    expect(page.locator("#lang-filter")).to_have_value("")
    expect(cards).to_have_text(CHILD_MENTORS)
    page.locator("#lang-filter").select_option("zh")
    expect(cards).to_have_text(["みどり", "りな"])
    page.locator("#lang-filter").select_option("ko")
    expect(cards).to_have_text(["まどか"])
    page.locator("#lang-filter").select_option("")
    expect(cards).to_have_text(CHILD_MENTORS)

    # Korean, then back to Japanese, from the same menu.
    choose_language(page, "ko")
    expect(page.locator("#mentors-h")).to_have_text("이야기를 들어 주는 사람")
    choose_language(page, "ja")
    expect(page.locator("#mentors-h")).to_contain_text("はなしを きいてくれる")

    # The staff consoles offer Japanese and English: a device left on Korean shows them in
    # English, and keeps Korean for the client faces.
    choose_language(page, "ko")
    page.goto(server + "/mentor/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#lang-toggle")).to_have_text("日本語")
    page.goto(server + "/child/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")


def test_headquarters_sets_a_mentors_languages_and_children_find_her_by_them(
    server: str, open_page: Any
) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    admin.get_by_role("button", name="編集: さくら").click()
    form = admin.get_by_test_id("mentor-form")
    boxes = form.get_by_test_id("mentor-languages")
    expect(boxes.get_by_label("日本語")).to_be_checked()
    expect(boxes.get_by_label("한국어")).not_to_be_checked()
    # None at all is refused before it is sent.
    boxes.get_by_label("日本語").uncheck()
    form.get_by_role("button", name="保存").click()
    expect(form.locator(".error")).to_have_text("話せることばを1つ以上選んでください。")
    boxes.get_by_label("日本語").check()
    boxes.get_by_label("한국어").check()
    form.get_by_role("button", name="保存").click()
    expect(admin.locator("#roster-notice")).to_contain_text("さくらさんを保存しました。")

    child = open_page(server + "/child/", TABLET)
    sign_up(child, nickname("mina"))
    child.locator("#lang-filter").select_option("ko")
    expect(child.locator("#mentor-list .mentor-card .name")).to_have_text(["さくら", "まどか"])
    expect(mentor_card(child, "さくら").locator(".lang-chip")).to_have_text(["日本語", "한국어"])
