"""The installable web app in Chromium: the service worker keeps the child face's shell, the
help dialog and the help directory for use with no network; a booking goes into the
tablet's calendar as a neutral event; a booking about to start is announced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser_env
from tests.browser.flows import mentor_card, nickname, sign_up
from tests.servers import running_server


def test_offline_the_shell_help_and_directory_still_open(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/", PHONE, worker=True)
    assert page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.active.state)") in (
        "activating",
        "activated",
    )
    expect(page.locator('link[rel="manifest"]')).to_have_attribute("href", "/child/manifest.json")
    page.context.set_offline(True)
    page.reload()
    expect(page.locator('[data-view="welcome"]')).to_be_visible()
    page.locator("#help-open").click()
    dialog = page.locator("#help-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("0120-0-78310")
    page.locator("#dir-open-help").click()
    listing = page.get_by_test_id("help-directory").locator("li.dir-entry")
    expect(listing.filter(has_text="チャイルドライン")).to_have_count(1)
    # Back online, the page is live again (the copy was only a fallback).
    page.context.set_offline(False)
    page.goto(page.url.split("#")[0])
    expect(page.locator('[data-view="welcome"]')).to_be_visible()
    expect(page.locator("#page-error")).to_be_hidden()


@pytest.fixture
def soon_server(tmp_path: Path) -> Iterator[str]:
    """Nine minutes before the 16:30 slot: booking it puts it inside the reminder window."""
    with running_server(
        tmp_path, **browser_env(YORISOI_CLOCK_START="2026-12-01T16:21:00+09:00")
    ) as (base, _):
        yield base


def test_a_booking_goes_into_the_calendar_and_is_announced(
    soon_server: str, open_page: Any
) -> None:
    page = open_page(soon_server + "/child/", PHONE)
    sign_up(page, nickname("koyomi"))
    mentor_card(page, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    page.locator('#slot-list button[data-start="2026-12-01T16:30:00+09:00"]').click()
    page.locator("#book-yes").click()
    booking = page.get_by_test_id("bookings").locator("li.booking")
    expect(booking).to_contain_text("16:30〜17:00")
    expect(page.locator("#page-notice")).to_contain_text(
        "もうすぐ 16:30から さくらさんと はなせるよ"
    )
    link = booking.get_by_role("link", name="カレンダーに いれる")
    with page.expect_download() as download:
        link.click()
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert "SUMMARY:よてい" in ics and "DTSTART:20261201T073000Z" in ics
    assert "さくら" not in ics
