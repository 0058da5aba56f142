"""A booked consultation with a moved server clock: the child books the 16:30 slot a few
seconds before it starts; the scheduler opens it and both sides see it open, live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, browser_env, shot
from tests.browser.flows import mentor_card, message, nickname, send, sign_up, staff_sign_in
from tests.servers import running_server

SLOT = "2026-12-01T16:30:00+09:00"


@pytest.fixture
def late_server(tmp_path: Path) -> Iterator[str]:
    with running_server(
        tmp_path, **browser_env(YORISOI_CLOCK_START="2026-12-01T16:29:40+09:00")
    ) as (base, _):
        yield base


def test_booked_slot_is_opened_by_the_scheduler_for_both_sides(
    late_server: str, open_page: Any
) -> None:
    child = open_page(late_server + "/child/", PHONE)
    name = nickname("hana")
    sign_up(child, name)
    mentor_card(child, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    child.locator(f'#slot-list button[data-start="{SLOT}"]').click()
    child.locator("#book-yes").click()
    booking = child.get_by_test_id("bookings").locator("li.booking")
    expect(booking).to_contain_text("16:30〜17:00")
    expect(booking).to_contain_text("よやくしたよ")

    mentor = open_page(late_server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    expect(item.get_by_test_id("state")).to_have_text("予約（開始前）")

    # At 16:30 the scheduler opens it: the child's home and the mentor's list change by themselves.
    expect(child.locator("#page-notice")).to_have_text(
        "よやくの じかんに なったよ。チャットに はいれるよ。", timeout=40_000
    )
    expect(booking).to_contain_text("いま はなしているよ")
    expect(item.get_by_test_id("state")).to_have_text("待っています", timeout=20_000)
    shot(child, "child-home-opened")

    booking.get_by_role("button", name="チャットに はいる").click()
    chat = child.get_by_test_id("chat")
    expect(chat.locator("form.composer textarea")).to_be_enabled()
    expect(chat).to_contain_text("17:00 まで はなせるよ")
    send(chat, "よやくした じかんに きたよ")

    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(message(mchat, "よやくした じかんに きたよ")).to_have_count(1)
    expect(mchat.locator("form.composer textarea")).to_be_enabled()
