"""The four faces load in a real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import running_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip(
            "/usr/bin/chromium missing (make test installs it as root; REQUIRE_BROWSER=1 fails)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_each_face_loads_in_chromium(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with running_server(tmp_path) as (base, _log):
        page = browser.new_page()
        for path, words in (
            ("/child/", "こども"),
            ("/", "保護者"),
            ("/mentor/", "メンター"),
            ("/admin/", "本部"),
        ):
            page.goto(base + path)
            assert words in page.title()
            assert page.locator("html").get_attribute("lang") == "ja"
        page.close()
