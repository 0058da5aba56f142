"""The four faces load in a real Chromium (Debian's, driven by Playwright): right title and
language, every asset served locally, nothing fetched from another origin, no script errors."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect


def test_each_face_loads_in_chromium(server: str, open_page: Any) -> None:
    page = open_page(server + "/healthz")
    failures: list[str] = []
    foreign: list[str] = []
    origin = urlsplit(server).netloc

    def check(response: Any) -> None:
        # 304: the browser revalidated its cached copy (assets changed moments ago, as in a
        # fresh clone) - still served by us.
        if urlsplit(response.url).path.startswith("/assets/") and response.status not in (200, 304):
            failures.append(f"{response.status} {response.url}")

    def check_origin(request: Any) -> None:
        if urlsplit(request.url).netloc not in (origin, ""):
            foreign.append(request.url)

    page.on("response", check)
    page.on("request", check_origin)
    for path, words, ready in (
        ("/child/", "こども", "#signup-form"),
        ("/", "保護者", "#signup-form"),
        ("/mentor/", "メンター", "#signin-form"),
        ("/admin/", "本部", "#signin-form"),
    ):
        page.goto(server + path)
        assert words in page.title()
        assert page.locator("html").get_attribute("lang") == "ja"
        expect(page.locator(ready)).to_be_visible()
        # No inline scripts or handlers: the pages must run under a strict CSP.
        assert page.locator("script:not([src])").count() == 0
        assert page.locator("[onclick], [onload], [onsubmit], [style]").count() == 0
        # Every control has a name a screen reader can read.
        for control in page.locator("input:visible, select:visible, textarea:visible").all():
            expect(control).to_have_accessible_name(re.compile(r"\S"))
        for button in page.locator("button:visible").all():
            expect(button).to_have_accessible_name(re.compile(r"\S"))
    assert not failures, failures
    assert not foreign, foreign
