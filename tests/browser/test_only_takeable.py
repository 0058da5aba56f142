"""Only offer what can be taken, and a forgotten secret that is not a dead end (issue 11).

The child's own bookings mark the calendar before any confirm (a slot at the time of one,
every slot once the limit is reached, "talk now" while one is about to start), a refusal
names the booking it is about, and each leads to that booking. The clock starts on Tuesday
2026-12-01 16:00 JST; さくら and みどり work 15:00–22:00; the booking limit is 2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import browser_env
from tests.browser.flows import freeze_mentor_list, mentor_card, nickname, sign_up
from tests.browser.test_accessibility import Findings
from tests.servers import running_server

TOMORROW_16 = "2026-12-02T16:00:00+09:00"


def mentor_id(page: Any, name: str) -> int:
    return int(mentor_card(page, name).get_attribute("data-mentor"))


def book_by_api(page: Any, mentor: int, start: str, face: str = "child") -> None:
    """Book as this page's signed-in client (another tab of the same child, say)."""
    status = page.evaluate(
        """([mentor, start, face]) => fetch("/api/bookings", {
            method: "POST",
            headers: {"Content-Type": "application/json", "X-Yorisoi-Face": face},
            body: JSON.stringify({mentor_id: mentor, start}),
        }).then((r) => r.status)""",
        [mentor, start, face],
    )
    assert status == 201


def open_calendar(page: Any, mentor: str, day: str, choose: str = "じかんを えらぶ") -> Any:
    mentor_card(page, mentor).get_by_role("button", name=re.compile(choose)).click()
    expect(page.locator("#mentor-name")).to_have_text(mentor)
    page.locator(f'#day-list button[data-day="{day}"]').click()
    return page.locator("#slot-list")


def test_own_booking_and_limit_are_marked_before_any_confirm(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/")
    sign_up(page, nickname("kuma"))
    book_by_api(page, mentor_id(page, "さくら"), TOMORROW_16)

    # Another mentor at the same time: not offered, and the child is told why.
    slots = open_calendar(page, "みどり", "2026-12-02")
    mine = slots.locator(f'button[data-start="{TOMORROW_16}"]')
    expect(mine).to_be_disabled()
    expect(mine).to_contain_text("もう よやくが あるよ")
    free = slots.locator('button[data-start="2026-12-02T16:30:00+09:00"]')
    expect(free).to_be_enabled()
    expect(page.get_by_test_id("limit")).to_be_hidden()
    # Its day is marked in the day chips (the day after is not).
    expect(page.locator('#day-list button[data-day="2026-12-02"]')).to_contain_text("よやく あり")
    expect(page.locator('#day-list button[data-day="2026-12-03"]')).not_to_contain_text("よやく")

    # A second booking through the calendar; then no third one is offered anywhere.
    free.click()
    page.locator("#book-yes").click()
    expect(page.locator("#page-notice")).to_contain_text("よやく できたよ")
    slots = open_calendar(page, "みどり", "2026-12-03")
    limit = page.get_by_test_id("limit")
    expect(limit).to_be_visible()
    expect(limit).to_contain_text("よやくは 2つまで だよ")
    expect(limit.locator("li")).to_have_count(2)
    expect(limit).to_contain_text("12/2 16:00 さくらさんとの よやく")
    expect(limit).to_contain_text("12/2 16:30 みどりさんとの よやく")
    expect(slots.locator("button.slot:enabled")).to_have_count(0)
    expect(slots.locator('button[data-start="2026-12-03T17:00:00+09:00"]')).to_contain_text(
        "よやくは 2つまで"
    )
    axe = Findings()
    axe.check(page, "calendar at the booking limit")
    axe.assert_none_blocking()

    # Cancelling one from there (two steps) offers the slots again.
    row = limit.locator("li").filter(has_text="みどり")
    row.get_by_role("button", name="とりけす").click()
    row.get_by_role("button", name="ほんとうに とりけす").click()
    expect(limit).to_be_hidden()
    expect(slots.locator('button[data-start="2026-12-03T17:00:00+09:00"]')).to_be_enabled()


def test_a_refusal_names_the_booking_and_leads_to_it(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/")
    sign_up(page, nickname("usagi"))
    sakura = mentor_id(page, "さくら")
    midori = mentor_id(page, "みどり")
    # みどり's calendar as it was before the booking (a slow school network): 16:00 looks free.
    path = f"/api/mentors/{midori}/availability?date=2026-12-02"
    stale = page.evaluate("path => fetch(path).then((r) => r.text())", path)
    assert json.loads(stale)["slots"][2]["free"] is True
    page.route(
        f"**{path}",
        lambda route: route.fulfill(status=200, content_type="application/json", body=stale),
    )
    book_by_api(page, sakura, TOMORROW_16)

    slots = open_calendar(page, "みどり", "2026-12-02")
    slots.locator(f'button[data-start="{TOMORROW_16}"]').click()
    page.locator("#book-yes").click()
    error = page.locator("#book-error")
    expect(error).to_contain_text("12/2 16:00 の さくらさんとの よやくと かさなっているよ。")
    error.get_by_role("button", name="よやくを みる").click()

    expect(page.locator('[data-view="home"]')).to_be_visible()
    row = page.get_by_test_id("bookings").locator("li.booking")
    expect(row).to_have_class(re.compile("pointed"))
    expect(row.get_by_role("button", name="とりけす")).to_be_focused()
    axe = Findings()
    axe.check(page, "home, led to the booking")
    axe.assert_none_blocking()


def test_talk_now_before_own_booking_points_to_it(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/")
    sign_up(page, nickname("risu"))
    expect(
        mentor_card(page, "みどり").get_by_role("button", name=re.compile("いますぐ"))
    ).to_be_visible()
    book_by_api(page, mentor_id(page, "さくら"), "2026-12-01T16:30:00+09:00")

    # The walk-in would run into the child's own 16:30 booking: not offered with anyone.
    why = page.get_by_test_id("now-why")
    expect(why).to_contain_text("12/1 16:30 から さくらさんとの よやくが あるから")
    axe = Findings()
    axe.check(page, "home, talk-now closed by an own booking")
    expect(page.locator(".mentor-card .card-actions button", has_text="いますぐ")).to_have_count(0)
    # The mentor page says the same, with the way to the booking.
    mentor_card(page, "みどり").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    expect(page.locator("#now-text")).to_contain_text("さくらさんとの よやくが あるから")
    expect(page.locator("#now-button")).to_be_hidden()
    page.locator("#now-text").get_by_role("button", name="よやくを みる").click()
    row = page.get_by_test_id("bookings").locator("li.booking")
    expect(row).to_have_class(re.compile("pointed"))
    axe.assert_none_blocking()


def test_before_opening_time_talk_now_is_explained_once(tmp_path: Path, open_page: Any) -> None:
    with running_server(
        tmp_path, **browser_env(YORISOI_CLOCK_START="2026-12-01T14:30:00+09:00")
    ) as (base, _):
        page = open_page(base + "/child/")
        sign_up(page, nickname("asa"))
        why = page.get_by_test_id("now-why")
        expect(why).to_contain_text("いまは はなせない じかんだよ")
        expect(why).to_contain_text("15:00〜21:30")
        expect(
            page.locator(".mentor-card .card-actions button", has_text="いますぐ")
        ).to_have_count(0)


def test_a_forgotten_secret_leads_to_a_new_start(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/")
    page.locator("#tab-back").click()
    forgot = page.get_by_test_id("forgot")
    forgot.locator("summary").click()
    expect(forgot).to_contain_text("おしえて あげられないんだ")
    expect(forgot).to_contain_text("その ひとの なまえを さがして")
    axe = Findings()
    axe.check(page, "sign-in, forgotten secret open")
    axe.assert_none_blocking()
    forgot.get_by_role("button", name="でんわの ばんごうを みる").click()
    expect(page.locator("#help-dialog")).to_be_visible()
    page.locator("#help-close").click()
    forgot.get_by_role("button", name="あたらしい ニックネームで はじめる").click()
    expect(page.locator("#signup-form")).to_be_visible()
    expect(page.locator("#signin-form")).to_be_hidden()
    expect(page.locator("#su-nickname")).to_be_focused()
    sign_up(page, nickname("atarashii"))

    grown_up = open_page(server + "/")
    grown_up.locator("#tab-back").click()
    grown_up.get_by_test_id("forgot").locator("summary").click()
    expect(grown_up.get_by_test_id("forgot")).to_contain_text("新しいニックネームで")
    grown_up.get_by_role("button", name="新しいニックネームではじめる").click()
    expect(grown_up.locator("#signup-form")).to_be_visible()


def test_the_parent_page_says_it_in_grown_up_words(server: str, open_page: Any) -> None:
    page = open_page(server + "/")
    sign_up(page, nickname("oya"))
    book_by_api(page, mentor_id(page, "ゆうこ"), TOMORROW_16, face="parent")
    slots = open_calendar(page, "えみ", "2026-12-02", choose="時間を選んで予約")
    expect(page.locator('#day-list button[data-day="2026-12-02"]')).to_contain_text("予約あり")
    mine = slots.locator(f'button[data-start="{TOMORROW_16}"]')
    expect(mine).to_be_disabled()
    expect(mine).to_contain_text("ご予約あり")


def test_a_talk_now_refusal_on_a_card_names_the_booking(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/")
    sign_up(page, nickname("hato"))
    freeze_mentor_list(page)  # a slow school network: the card still offers talk-now
    book_by_api(page, mentor_id(page, "さくら"), "2026-12-01T16:30:00+09:00")
    card = mentor_card(page, "みどり")
    card.get_by_role("button", name=re.compile("いますぐ")).click()
    error = card.locator("[data-row-error]")
    expect(error).to_contain_text("12/1 16:30 の さくらさんとの よやくと かさなっているよ。")
    # Still there after the card is repainted, with the way to the booking.
    error.get_by_role("button", name="よやくを みる").click()
    row = page.get_by_test_id("bookings").locator("li.booking")
    expect(row).to_have_class(re.compile("pointed"))
    expect(row.get_by_role("button", name="とりけす")).to_be_focused()
