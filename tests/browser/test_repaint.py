"""A repaint never undoes what a person is doing.

The browser suite runs with every face repainting (and rebuilding every row) every 200 ms
(YORISOI_UI_REPAINT_MS, see conftest.py). Here each two-step confirmation is opened, left
open through several forced repaints, and completed; focus, an open disclosure and a
refusal being read stay where they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, browser_env
from tests.browser.flows import (
    chat_now,
    freeze_mentor_list,
    mentor_card,
    nickname,
    sign_up,
    staff_sign_in,
    through_repaints,
)
from tests.servers import running_server

REPAINTS = 4


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Forced repaints here whatever BROWSER_REPAINT_MS says: they are what is tested."""
    with running_server(tmp_path, **browser_env(YORISOI_UI_REPAINT_MS="200")) as (base, _):
        yield base


def test_child_confirmations_survive_repaints(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/", PHONE)
    sign_up(page, nickname("repaint"))

    # "Book this?" stays asked while the calendar repaints, and booking works.
    mentor_card(page, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    page.locator("#day-list button").nth(1).click()
    page.locator('#slot-list button[data-start="2026-12-02T17:30:00+09:00"]').click()
    question = page.locator("#book-confirm")
    expect(question).to_be_visible()
    expect(page.locator("#book-yes")).to_be_focused()
    through_repaints(page, REPAINTS)
    expect(question).to_be_visible()
    expect(page.locator("#book-question")).to_contain_text("17:30")
    page.locator("#book-yes").click()
    expect(page.locator("#page-notice")).to_contain_text("よやく できたよ")

    # "Really cancel?" stays open, and focused, while the bookings list is rebuilt.
    booking = page.get_by_test_id("bookings").locator("li.booking")
    expect(booking).to_have_count(1)
    booking.get_by_role("button", name="とりけす").click()
    sure = booking.get_by_role("button", name="ほんとうに とりけす")
    expect(sure).to_be_focused()
    through_repaints(page, REPAINTS)
    expect(sure).to_be_visible()
    expect(sure).to_be_focused()
    # "Keep it" closes the question, and the closed state survives repaints too.
    booking.get_by_role("button", name="やめる").click()
    through_repaints(page, REPAINTS)
    expect(sure).to_be_hidden()
    booking.get_by_role("button", name="とりけす").click()
    through_repaints(page, REPAINTS)
    sure.click()
    expect(page.locator("#page-notice")).to_have_text("よやくを とりけしたよ。")
    expect(booking).to_have_count(0)

    # "Finish the chat?" in the chat stays open, then ends the chat.
    chat = chat_now(page, "さくら")
    expect(chat.get_by_test_id("connection")).to_contain_text("つながっているよ")
    chat.get_by_role("button", name="おわりにする").click()
    through_repaints(page, REPAINTS)
    chat.get_by_role("button", name="はい、おわる").click()
    expect(chat.get_by_test_id("closed")).to_be_visible()


def test_chat_now_refusal_stays_readable(server: str, open_page: Any) -> None:
    """A refusal under a mentor's card is still there after the list was rebuilt."""
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    admin.locator("#cap-lines").fill("1")
    admin.get_by_role("button", name="回線数を変更").click()
    expect(admin.locator("#cap-notice")).to_have_text("回線数を 1 にしました。")

    late = open_page(server + "/child/", PHONE)
    sign_up(late, nickname("late"))
    card = mentor_card(late, "ひかり")
    now = card.get_by_role("button", name=re.compile("いますぐ はなす"))
    expect(now).to_be_visible()
    freeze_mentor_list(late)  # the line looks free when the child taps
    early = open_page(server + "/child/", PHONE)
    sign_up(early, nickname("early"))
    chat_now(early, "さくら")

    now.click()
    refusal = card.locator(":scope > .error")
    expect(refusal).to_have_text(
        "いまは みんな ほかの ひとと はなしているよ。すこし まつか、よやくしてね。"
    )
    through_repaints(late, REPAINTS)
    expect(refusal).to_have_text(
        "いまは みんな ほかの ひとと はなしているよ。すこし まつか、よやくしてね。"
    )


def test_staff_confirmations_and_disclosures_survive_repaints(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    roster = admin.get_by_test_id("roster")

    # Deactivate: the question stays open through repaints of the roster, then applies.
    row = roster.locator("tbody tr").filter(has_text="たかし")
    row.get_by_role("button", name="停止: たかし").click()
    sure = row.get_by_role("button", name="本当に停止する")
    expect(sure).to_be_focused()
    through_repaints(admin, REPAINTS)
    expect(sure).to_be_visible()
    expect(sure).to_be_focused()
    sure.click()
    expect(admin.locator("#roster-notice")).to_have_text("たかしさんを停止しました。")
    expect(row.get_by_role("button", name="再開: たかし")).to_be_visible()

    # Remove a shift: same, and the refusal (a consultation inside) stays to be read.
    child = open_page(server + "/child/", PHONE)
    sign_up(child, nickname("shift"))
    chat_now(child, "さくら")
    shifts = admin.get_by_test_id("shifts")
    sakura = shifts.locator("tbody tr").filter(has_text="さくら")
    sakura.get_by_role("button", name=re.compile("^削除: さくら")).click()
    through_repaints(admin, REPAINTS)
    sakura.get_by_role("button", name="本当に削除する").click()
    refusal = sakura.locator(".error")
    expect(refusal).to_have_text("このシフトの中に予約や相談があるため、削除できません。")
    through_repaints(admin, REPAINTS)
    expect(refusal).to_have_text("このシフトの中に予約や相談があるため、削除できません。")

    # A chart's table, opened by the reader, stays open while statistics repaint.
    table = admin.get_by_test_id("c-day").locator("details.chart-table")
    table.locator("summary").click()
    expect(table).to_have_attribute("open", "")
    through_repaints(admin, REPAINTS)
    expect(table).to_have_attribute("open", "")


def test_what_is_typed_is_kept_when_a_slow_answer_arrives(server: str, open_page: Any) -> None:
    """Headquarters types a new line capacity before the page's own settings arrived."""
    admin = open_page(server + "/admin/", TABLET)
    held: list[Any] = []
    admin.route("**/api/staff/settings", lambda route: held.append(route))
    staff_sign_in(admin, "honbu")
    lines = admin.locator("#cap-lines")
    lines.fill("2")
    admin.wait_for_function("() => true")  # let the held request reach the route handler
    assert held, "the settings request was not held"
    for route in held:
        route.continue_()
    admin.unroute("**/api/staff/settings")
    expect(admin.locator("#cap-default")).to_contain_text("4")  # the answer arrived
    through_repaints(admin, REPAINTS)
    expect(lines).to_have_value("2")
    admin.get_by_role("button", name="回線数を変更").click()
    expect(admin.locator("#cap-notice")).to_have_text("回線数を 2 にしました。")


def press_through_repaints(page: Any, button: Any) -> None:
    """Press button, keep it pressed while the page repaints (rebuilding its row), release.

    A child's tap lasts ~100 ms; under a slow machine a click's down and up are as far apart.
    A row rebuilt in between would take the pressed button away and the click with it."""
    box = None
    for _ in range(20):  # a repaint may swap the row while it is scrolled to or measured
        try:
            button.scroll_into_view_if_needed(timeout=2_000)
            box = button.bounding_box(timeout=2_000)
        except PlaywrightError:  # "not attached to the DOM": the row was just rebuilt
            continue
        if box is not None:
            break
    assert box is not None, "the button is not on screen"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    through_repaints(page, 2)
    page.mouse.up()


def test_a_press_held_through_a_repaint_still_clicks(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("press")
    sign_up(child, name)
    # The child's mentor card: "talk now" pressed across a rebuild of the mentor list.
    press_through_repaints(
        child,
        mentor_card(child, "さくら").get_by_role("button", name=re.compile("いますぐ はなす")),
    )
    expect(child.get_by_test_id("connection")).to_contain_text("つながっているよ")

    # The mentor's console: "open" pressed across a rebuild of today's list.
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    row = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    press_through_repaints(mentor, row.get_by_role("button", name=re.compile("^開く")))
    expect(mentor.get_by_test_id("chat")).to_be_visible()
