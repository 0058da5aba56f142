"""A family tablet: the parent page's session never opens the child page, and the child
page's quick exit signs out on the server, so reopening /child/ asks who is there."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.flows import nickname, sign_up


def test_a_parent_signed_in_on_the_parent_page_is_not_signed_in_on_the_child_page(
    server: str, open_page: Any
) -> None:
    parent = open_page(server + "/")
    mama = nickname("hanamama")
    sign_up(parent, mama)
    child = parent.context.new_page()  # the same browser: the same cookies
    child.goto(server + "/child/")
    expect(child.locator('[data-view="welcome"]')).to_be_visible()
    expect(child.locator('[data-view="home"]')).to_be_hidden()
    expect(child.locator("body")).not_to_contain_text(mama)
    # Signing the child in does not sign the parent out (nor in as the child).
    hana = nickname("hana")
    sign_up(child, hana)
    parent.reload()
    expect(parent.locator("#greeting")).to_contain_text(mama)


def test_quick_exit_signs_the_child_out(server: str, open_page: Any) -> None:
    page = open_page(server + "/child/")
    sign_up(page, nickname("sora"))
    with page.expect_request(re.compile(r"/api/session/end")):
        page.locator("#quick-exit").click()
    expect(page).to_have_url(re.compile(r"/assets/weather\.html$"))
    page.goto(server + "/child/")
    expect(page.locator('[data-view="welcome"]')).to_be_visible()
    expect(page.locator("#signup-form")).to_be_visible()
