"""What a child sees on /child/ carries furigana: no kanji outside <ruby>, state by state.

The unit test tests/unit/test_child_register.py reads the sources of the words; this one reads
the rendered page — text nodes and the labels a screen reader speaks — so words that arrive
from the server (kinds, profiles, the help directory, the crisis card, refusals) or are put
together in the page (dates, speaker labels) are held to the same rule.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import TABLET
from tests.browser.flows import (
    chat_now,
    mentor_card,
    message,
    nickname,
    send,
    sign_up,
    staff_sign_in,
)

# Where a kanji on /child/ is right, each with why.
ALLOWED = {
    "#lang-menu": "each language's own name (日本語, 中文), as language menus write them",
    ".lang-chip": "the languages a mentor speaks, each in its own name, as in the menu",
    "li.msg .text": "what people write in a chat is theirs, not ours to rewrite",
    '[data-testid="announce"]': "the same words, read out to a screen reader as they arrive",
}

# Every rendered text node and every spoken label (aria-label, title, placeholder, alt) that
# holds a kanji outside <ruby>, with where it is. Elements not rendered (a hidden view) are
# skipped; visually hidden text is read out, so it counts.
WALK = """
(allowed) => {
  const kanji = /[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u3005\\u3006]/;
  const skip = ["ruby", "script", "style", "template", ...allowed].join(",");
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(e.id ? `#${e.id}` : e.className ? `${e.tagName.toLowerCase()}.${String(e.className).split(" ")[0]}` : e.tagName.toLowerCase());
    }
    return parts.join(" > ");
  };
  const shown = (el) => el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || !shown(el)) continue;
    if (kanji.test(node.data)) found.push(`${where(el)}: ${node.data.trim()}`);
  }
  for (const el of document.body.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    if (el.closest(skip) || !shown(el)) continue;
    for (const attr of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(attr);
      if (value && kanji.test(value)) found.push(`${where(el)} [${attr}]: ${value}`);
    }
  }
  return found;
}
"""


def bare_kanji(page: Any) -> list[str]:
    found: list[str] = page.evaluate(WALK, list(ALLOWED))
    return found


def test_child_face_has_no_kanji_without_furigana(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/", TABLET)
    expect(page.locator('[data-view="welcome"] h2')).not_to_be_empty()
    expect(page.locator('[data-view="welcome"] .hours-text')).not_to_be_empty()
    assert bare_kanji(page) == [], "welcome"

    page.locator("#help-open").click()
    expect(page.locator("#help-dialog")).to_be_visible()
    assert bare_kanji(page) == [], "help dialog"
    page.keyboard.press("Escape")
    expect(page.locator("#help-dialog")).not_to_be_visible()

    page.locator("#dir-open-welcome").click()
    expect(page.get_by_test_id("help-directory").locator("li.dir-entry").first).to_be_visible()
    assert bare_kanji(page) == [], "help directory"
    page.locator('[data-view="helpdir"] button.back').click()
    expect(page.locator('[data-view="welcome"]')).to_be_visible()

    # A refusal from the server, in a child's words (it used to be the adult text).
    page.locator("#tab-back").click()
    page.locator("#si-nickname").fill("だれでもない")
    page.locator("#si-secret").fill("himitsu-123")
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#signin-form .error")).to_contain_text("ちがうみたい")
    assert bare_kanji(page) == [], "a refusal"
    page.locator("#tab-new").click()

    sign_up(page, nickname("kana"))
    card = mentor_card(page, "ひかり")  # a profile with kanji: furigana on /child/
    expect(card.locator(".profile ruby").first).to_be_visible()
    expect(mentor_card(page, "さくら").locator(".kind")).to_have_text("こころの せんもんか")
    expect(mentor_card(page, "さくら").locator(".kind-about")).to_contain_text("きいてくれる")
    assert bare_kanji(page) == [], "home: mentor list"

    page.locator("#topic-list button").nth(1).click()  # the first is "ぜんぶ"
    expect(page.locator("#topic-fits li").first).to_be_visible()
    assert bare_kanji(page) == [], "home: a topic chosen"

    mentor_card(page, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    expect(page.locator("#mentor-name")).to_have_text("さくら")
    page.locator("#day-list button").nth(1).click()
    expect(page.locator("#slots-h")).to_contain_text("12がつ2にち（すいようび）")
    expect(page.locator("#slot-list button.slot").first).to_be_visible()
    assert bare_kanji(page) == [], "calendar"
    page.locator('[data-view="mentor"] button.back').click()
    expect(page.locator('[data-view="home"]')).to_be_visible()

    chat = chat_now(page, "さくら")
    send(chat, "もう しにたい")
    expect(message(chat, "もう しにたい")).to_be_visible()
    card = chat.get_by_test_id("help-card")
    expect(card).to_be_visible()
    expect(card.locator("ruby").first).to_be_visible()  # 児童相談所 with its reading
    assert bare_kanji(page) == [], "chat with the crisis card"


def test_booking_a_mentor_who_ends_the_chat_and_coming_back(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", TABLET)
    name = nickname("hon")
    sign_up(child, name)
    mentor_card(child, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    child.locator("#day-list button").nth(1).click()
    child.locator('#slot-list button[data-start="2026-12-02T17:30:00+09:00"]').click()
    expect(child.locator("#book-question")).to_contain_text("12がつ2にち（すいようび） 17:30")
    assert bare_kanji(child) == [], "booking question"
    child.locator("#book-yes").click()
    expect(child.get_by_test_id("bookings").locator("li.booking")).to_have_count(1)
    assert bare_kanji(child) == [], "home with a booking"

    chat = chat_now(child, "さくら")
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    send(mchat, "こんにちは。ゆっくり聞かせてね。")
    expect(message(chat, "ゆっくり聞かせてね")).to_be_visible()
    assert bare_kanji(child) == [], "chat with the mentor"

    mchat.get_by_role("button", name="相談を終える").click()
    mchat.get_by_role("button", name="はい、終える").click()
    closed = chat.get_by_test_id("closed")
    expect(closed).to_contain_text("はなしを きいてくれた ひとが おわりにしたよ。")
    assert bare_kanji(child) == [], "closed by the mentor"
    chat.get_by_role("button", name="もどる").click()
    expect(child.get_by_test_id("again")).to_contain_text("さくら")
    assert bare_kanji(child) == [], "home: talk again"


def test_when_the_server_cannot_be_reached_the_child_is_told_kindly(
    server: str, open_page: Any
) -> None:
    """What happened and what to do, blaming nobody's internet (it said インターネットを確かめて)."""
    page = open_page(server + "/child/", TABLET)
    expect(page.locator('[data-view="welcome"]')).to_be_visible()
    page.route("**/api/clients", lambda route: route.abort())
    page.locator("#su-nickname").fill(nickname("nami"))
    page.locator("#su-secret").fill("himitsu-123")
    page.locator("#signup-form button[type=submit]").click()
    error = page.locator("#signup-form .error")
    expect(error).to_contain_text("とどかなかったよ")
    expect(error).to_contain_text("もういちど おしてね")
    expect(error).not_to_contain_text("インターネット")
    assert bare_kanji(page) == [], "a network failure"


BRACES = """
() => {
  const markup = /\\{[^{}|]+\\|[^{}]+\\}/;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (markup.test(node.data)) found.push(node.data.trim());
  }
  return found;
}
"""


def test_grown_ups_never_see_ruby_markup(server: str, open_page: Any) -> None:
    """The same words reach the parent page as plain text: 学校, never {学校|がっこう}."""
    page = open_page(server + "/", TABLET)
    sign_up(page, nickname("oya"))
    card = mentor_card(page, "ひかり")  # her profile carries furigana markup for /child/
    expect(card.locator(".profile")).to_contain_text("学校や 家族の こと")
    expect(card.locator(".profile ruby")).to_have_count(0)
    expect(card.locator(".kind")).to_have_text("公認心理師・臨床心理士")
    page.locator("#dir-open-home").click()
    expect(page.get_by_test_id("help-directory").locator("li.dir-entry").first).to_be_visible()
    expect(page.get_by_test_id("help-directory")).to_contain_text("児童相談所")
    assert page.evaluate(BRACES) == []
