"""axe-core on every face and on the states a person meets there: no critical or serious
violation anywhere (the rest are printed, for a person to read).

axe-core comes bundled with axe-playwright-python (no CDN). It is injected through the
DevTools protocol, which the pages' strict CSP does not govern."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, browser_env
from tests.browser.flows import (
    chat_now,
    mentor_card,
    message,
    nickname,
    send,
    sign_up,
    staff_sign_in,
)
from tests.servers import running_server

BLOCKING = ("critical", "serious")
# label-content-name-mismatch is still "experimental" in axe-core, so off by default; a speech
# user says what they see ("きょう 12/2"), so the accessible name must contain it.
OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}
_axe = Axe()


class Findings:
    """Violations per state: blocking ones fail the test at its end (so that one run reports
    every state), the others are printed."""

    def __init__(self) -> None:
        self.blocking: list[str] = []

    def check(self, page: Any, state: str) -> None:
        # One <h1> per page, in every state (axe only asks for at least one).
        expect(page.locator("h1")).to_have_count(1)
        results = _axe.run(page, options=OPTIONS)
        for v in results.response["violations"]:
            targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
            line = (
                f"[{state}] {v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['help']} — {targets}"
            )
            print(line)
            if v["impact"] in BLOCKING:
                self.blocking.append(line)

    def assert_none_blocking(self) -> None:
        assert not self.blocking, "axe found critical or serious violations:\n" + "\n".join(
            self.blocking
        )


@pytest.fixture
def findings() -> Findings:
    return Findings()


def test_client_and_staff_faces_through_a_consultation(
    server: str, open_page: Any, findings: Findings
) -> None:
    child = open_page(server + "/child/", PHONE)
    expect(child.locator("#signup-form")).to_be_visible()
    findings.check(child, "child welcome")
    name = nickname("akari")
    sign_up(child, name)
    expect(child.locator(".mentor-card").first).to_be_visible()
    findings.check(child, "child mentor list")

    child.locator("#help-open").click()
    expect(child.locator("#help-dialog")).to_be_visible()
    findings.check(child, "child help dialog")
    child.locator("#dir-open-help").click()
    expect(child.get_by_test_id("help-directory").locator("a.tel").first).to_be_visible()
    findings.check(child, "child help directory")
    child.locator('[data-view="helpdir"] .back').click()

    mentor_card(child, "さくら").get_by_role("button", name=re.compile("じかんを えらぶ")).click()
    expect(child.locator("#slot-list button.slot").first).to_be_visible()
    findings.check(child, "child calendar")
    child.locator("#slot-list button.slot:enabled").first.click()
    expect(child.locator("#book-confirm")).to_be_visible()
    findings.check(child, "child calendar, confirm")
    child.locator('[data-view="mentor"] .back').click()

    chat = chat_now(child, "さくら")
    expect(chat.get_by_test_id("mentor-waiting")).to_be_visible()
    send(chat, "さくらさん いますか？")
    findings.check(child, "child chat, waiting for the mentor")

    mentor = open_page(server + "/mentor/", TABLET)
    expect(mentor.locator("#signin-form")).to_be_visible()
    findings.check(mentor, "mentor sign-in")
    staff_sign_in(mentor, "mentor1")
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(message(mchat, "さくらさん いますか？")).to_have_count(1)
    send(mchat, "いるよ。どうしたの？")
    expect(message(chat, "どうしたの")).to_have_count(1)
    findings.check(child, "child chat")
    # A screen reader hears the new message alone, with who wrote it; the log itself is not a
    # live region (it would be read again whole); the connection state is a status.
    expect(chat.get_by_test_id("announce")).to_have_attribute("aria-live", "polite")
    expect(chat.get_by_test_id("announce")).to_have_text("さくら: いるよ。どうしたの？")
    expect(chat.get_by_test_id("messages")).not_to_have_attribute("aria-live", re.compile("."))
    expect(chat.get_by_test_id("connection")).to_have_attribute("role", "status")
    expect(mchat.get_by_test_id("announce")).to_have_text(f"{name}: さくらさん いますか？")
    findings.check(mentor, "mentor console, consultation open")

    send(chat, "もう しにたい")
    expect(chat.get_by_test_id("help-card")).to_be_visible()
    expect(mchat.get_by_test_id("announce").locator("p").last).to_have_text(
        f"{name}: もう しにたい"
    )
    expect(mchat.get_by_test_id("at-risk")).to_be_visible()
    findings.check(child, "child chat, crisis card")
    findings.check(mentor, "mentor console, crisis signal")

    admin = open_page(server + "/admin/", TABLET)
    expect(admin.locator("#signin-form")).to_be_visible()
    findings.check(admin, "admin sign-in")
    staff_sign_in(admin, "honbu")
    expect(admin.locator("#alert-list li.crisis").first).to_be_visible()
    expect(admin.get_by_test_id("busy-now")).to_have_text("いま 1 / 4 回線が使用中")
    findings.check(admin, "admin board, crisis alert")

    parent = open_page(server + "/", PHONE)
    expect(parent.locator("#signup-form")).to_be_visible()
    findings.check(parent, "parent welcome")
    sign_up(parent, nickname("mama"))
    expect(parent.locator(".mentor-card").first).to_be_visible()
    findings.check(parent, "parent mentor list")
    parent.locator("#help-open").click()
    expect(parent.locator("#help-dialog")).to_be_visible()
    findings.check(parent, "parent help dialog")
    parent.locator("#dir-open-help").click()
    expect(parent.get_by_test_id("help-directory").locator("a.tel").first).to_be_visible()
    findings.check(parent, "parent help directory")
    parent.locator('[data-view="helpdir"] .back').click()
    parent.get_by_test_id("lang-menu").select_option("ko")
    expect(parent.locator("html")).to_have_attribute("lang", "ko")
    expect(parent.locator(".mentor-card").first).to_be_visible()
    findings.check(parent, "parent mentor list, Korean")
    findings.assert_none_blocking()


@pytest.fixture
def one_line_server(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path, **browser_env(YORISOI_LINES="1")) as (base, _log):
        yield base


def test_waiting_line(one_line_server: str, open_page: Any, findings: Findings) -> None:
    first = open_page(one_line_server + "/child/", PHONE)
    sign_up(first, nickname("ichi"))
    chat_now(first, "さくら")

    child = open_page(one_line_server + "/child/", PHONE)
    sign_up(child, nickname("ni"))
    offer = mentor_card(child, "ひかり").get_by_test_id("wait-offer")
    expect(offer).to_be_visible()
    findings.check(child, "child mentor list, every line busy")
    offer.get_by_role("button", name=re.compile("じゅんばんを まつ")).click()
    expect(offer.locator(".wait-choose")).to_be_visible()
    findings.check(child, "child waiting-line choice")
    offer.get_by_role("button", name="はなせる ひとなら だれでも").click()
    panel = child.get_by_test_id("queue")
    expect(panel.get_by_test_id("queue-position")).to_have_text("あなたは 1ばんめ")
    panel.locator("textarea").fill("まってるね")
    expect(panel.get_by_test_id("queue-saved")).to_be_visible()
    findings.check(child, "child waiting in line")

    admin = open_page(one_line_server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    expect(admin.locator("#queue-admin-rows tr[data-entry]")).to_have_count(1)
    findings.check(admin, "admin board, waiting line")
    findings.assert_none_blocking()
