"""What a person does on the pages, as small steps the tests share."""

from __future__ import annotations

import itertools
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

_names = itertools.count(1)


def nickname(prefix: str = "hoshi") -> str:
    return f"{prefix}{next(_names)}"


def sign_up(page: Any, name: str, secret: str = "himitsu-123") -> None:
    """On /child/ or /: sign up with a nickname and a secret, land on the home view."""
    page.locator("#su-nickname").fill(name)
    page.locator("#su-secret").fill(secret)
    page.locator("#signup-form button[type=submit]").click()
    expect(page.locator('[data-view="home"]')).to_be_visible()
    expect(page.locator("#greeting")).to_contain_text(name)


def choose_language(page: Any, code: str) -> None:
    """On /child/ or /: pick a language (ja, en, zh, ko) from the header's menu."""
    page.locator("#lang-menu").select_option(code)
    expect(page.locator("html")).to_have_attribute("lang", {"zh": "zh-Hans"}.get(code, code))


def staff_sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator('[data-view="console"]')).to_be_visible()


def mentor_card(page: Any, name: str) -> Any:
    return page.locator(".mentor-card").filter(has=page.locator(".name", has_text=name))


def chat_now(page: Any, mentor: str) -> Any:
    """From the home view: talk now with a mentor; return the chat section."""
    mentor_card(page, mentor).locator(".card-actions button").first.click()
    chat = page.get_by_test_id("chat")
    expect(chat).to_be_visible(timeout=15_000)  # a busy machine: the take waits its turn
    return chat


def send(chat: Any, text: str) -> None:
    chat.locator("form.composer textarea").fill(text)
    chat.locator("form.composer button[type=submit]").click()


def message(chat: Any, text: str) -> Any:
    return chat.get_by_test_id("messages").locator("li.msg").filter(has_text=text)


def scroll_to(page: Any, selector: str) -> None:
    """Bring a section to the top of the screen (below the sticky bar) for a screenshot."""
    page.locator(selector).evaluate("el => el.scrollIntoView({block: 'start'})")


def freeze_mentor_list(page: Any, audience: str = "child") -> None:
    """From now on this page is shown the mentor list as it is now (a slow school network):
    a line can look free when the child taps, after someone else took it."""
    path = f"/api/mentors?audience={audience}"
    stale = page.evaluate("path => fetch(path).then((r) => r.text())", path)
    page.route(
        f"**{path}",
        lambda route: route.fulfill(status=200, content_type="application/json", body=stale),
    )


def through_repaints(page: Any, n: int = 3) -> None:
    """Let the page repaint itself n more times (forced repaints are counted on <body>).

    The predicate is a function: a bare expression would need eval, which the pages' CSP
    (script-src 'self') refuses as soon as Playwright has to poll."""
    seen = int(page.evaluate("() => Number(document.body.dataset.repaints || 0)"))
    page.wait_for_function(
        "n => Number(document.body.dataset.repaints || 0) >= n", arg=seen + n, timeout=10_000
    )
