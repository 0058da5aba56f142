"""Issue 12, items 7 and 8 in the browser: a mentor's cool-down after a crisis consultation,
and the parent-child link (a code, a booking for the child, the child cancelling it).

The clock starts on Tuesday 2026-12-01 16:00 JST and runs on; さくら (mentor1) serves
children, 15:00-22:00.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, browser_env, shot
from tests.browser.flows import chat_now, mentor_card, nickname, send, sign_up, staff_sign_in
from tests.servers import running_server


@pytest.fixture
def rest_server(tmp_path: Path) -> Iterator[str]:
    """A one-minute cool-down, so that the test can see it end on the running clock."""
    with running_server(tmp_path, **browser_env(YORISOI_COOLDOWN_MINUTES="1")) as (base, _):
        yield base


def chat_now_status(page: Any, mentor_id: int) -> tuple[int, str]:
    return tuple(  # type: ignore[return-value]
        page.evaluate(
            """(mentor) => fetch("/api/chat-now", {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-Yorisoi-Face": "child"},
                body: JSON.stringify({mentor_id: mentor}),
            }).then(async (r) => [r.status, ((await r.json()).error || {}).code || ""])""",
            mentor_id,
        )
    )


def test_cooldown_after_a_crisis_consultation(rest_server: str, open_page: Any) -> None:
    child = open_page(rest_server + "/child/", PHONE)
    name = nickname("sora")
    sign_up(child, name)
    sakura = int(mentor_card(child, "さくら").get_attribute("data-mentor"))
    chat = chat_now(child, "さくら")

    mentor = open_page(rest_server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    banner = mentor.get_by_test_id("rest-banner")
    expect(banner).to_be_hidden()
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(mchat.get_by_test_id("connection")).to_have_text("つながっています")

    send(chat, "もう しにたい")
    # Her rest is announced at once (from the consultation's end), calmly.
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"休憩中（〜\d\d:\d\d、あと\d+分）"))
    mchat.get_by_role("button", name="相談を終える").click()
    mchat.get_by_role("button", name="はい、終える").click()
    expect(mchat.get_by_test_id("closed")).to_be_visible()
    # Ended: one minute from now.
    expect(banner).to_contain_text("あと1分")
    shot(mentor, "mentor-rest-banner")

    # Another child cannot talk with her now: the card says why, chat-now is refused.
    other = open_page(rest_server + "/child/", PHONE)
    sign_up(other, nickname("umi"))
    card = mentor_card(other, "さくら")
    expect(card.get_by_role("button", name=re.compile("いますぐ"))).to_have_count(0)
    assert chat_now_status(other, sakura) == (409, "mentor_resting")

    # A minute later (the clock runs on) she can be reached again, and the banner is gone.
    expect(card.get_by_role("button", name=re.compile("いますぐ"))).to_have_count(1, timeout=90_000)
    expect(banner).to_be_hidden(timeout=20_000)
    assert chat_now_status(other, sakura)[0] == 201


def test_parent_links_books_for_the_child_and_the_child_cancels(
    server: str, open_page: Any
) -> None:
    child = open_page(server + "/child/", PHONE)
    kid = nickname("riko")
    sign_up(child, kid)
    links = child.get_by_test_id("links")
    # The child is told, in child words, what a grown-up can and cannot see.
    explain = links.get_by_test_id("link-explain")
    expect(explain).to_contain_text("よやくの")
    expect(explain).to_contain_text("はなした ことや、チャットに はいったか どうか")
    links.get_by_role("button", name="コードを つくる").click()
    code_el = links.get_by_test_id("link-code")
    expect(code_el).to_be_visible()
    code = code_el.get_attribute("data-code")
    assert code and re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code)
    shot(child, "child-link-code")

    parent = open_page(server + "/", PHONE)
    grown = nickname("haha")
    sign_up(parent, grown)
    plinks = parent.get_by_test_id("links")
    expect(plinks.get_by_test_id("link-explain")).to_contain_text("相談の内容")
    parent.locator("#link-code-input").fill(code.lower())
    plinks.get_by_role("button", name="つながる").click()
    expect(plinks.get_by_test_id("link-list")).to_contain_text(kid)
    expect(child.get_by_test_id("link-list")).to_contain_text(grown)

    # The parent books 12/2 16:00 with さくら for the child.
    form = parent.get_by_test_id("link-book")
    expect(form).to_be_visible()
    form.locator("#link-book-mentor").select_option(label="さくら")
    form.locator("#link-book-day").select_option("2026-12-02")
    slot = form.locator("#link-book-slot")
    expect(slot.locator('option[value="2026-12-02T16:00:00+09:00"]')).to_have_count(1)
    slot.select_option("2026-12-02T16:00:00+09:00")
    form.get_by_role("button", name="この時間で予約する").click()
    expect(plinks.get_by_test_id("link-bookings")).to_contain_text("16:00")
    shot(parent, "parent-link-booked")

    # It is the child's booking: in the child's list, and the child can cancel it.
    booking = child.get_by_test_id("bookings").locator("li.booking")
    expect(booking).to_contain_text("16:00〜16:30", timeout=20_000)
    expect(booking.get_by_test_id("booked-by-parent")).to_contain_text("おうちの")
    booking.get_by_role("button", name="とりけす").click()
    booking.get_by_role("button", name="ほんとうに とりけす").click()
    expect(child.get_by_test_id("bookings").locator("li.booking")).to_have_count(0)
    # The parent still sees only that they booked it for 16:00: nothing of what became of it.
    expect(plinks.get_by_test_id("link-bookings")).to_contain_text("16:00")
    expect(plinks.get_by_test_id("link-bookings")).not_to_contain_text("取り消")

    # The child unlinks; the parent's page no longer lists the child.
    row = child.get_by_test_id("link-list").locator("li.link-row")
    row.get_by_role("button", name="つながりを はずす").click()
    row.get_by_role("button", name="ほんとうに はずす").click()
    expect(child.get_by_test_id("link-list")).to_contain_text("まだ だれとも つながって いないよ")
    expect(plinks.get_by_test_id("link-list")).to_contain_text(
        "まだ、つながっているお子さんはいません", timeout=20_000
    )
    expect(form).to_be_hidden()
