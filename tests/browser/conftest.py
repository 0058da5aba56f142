"""Browser fixtures: Debian's Chromium driven by Playwright (sync API), a real server per test.

Without /usr/bin/chromium the browser tests skip, unless REQUIRE_BROWSER=1 (CI), which
turns that into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT, running_server

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
# Inside service hours, so "chat now" is possible with the demo mentors.
CLOCK_START = "2026-12-01T16:00:00+09:00"
# Every face repaints (and rebuilds every row) this often during the whole browser suite, so
# that no flow can depend on not being repainted. BROWSER_REPAINT_MS=0 turns it off.
REPAINT_MS = os.environ.get("BROWSER_REPAINT_MS", "200")
SHOTS = ROOT / "test-output" / "screenshots"
TABLET = {"width": 1024, "height": 768}  # iPad
PHONE = {"width": 390, "height": 844}
CHROMEBOOK = {"width": 1366, "height": 768}
PASSWORD = "yorisoi-demo"


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A fresh server (fresh SQLite, demo data) whose clock starts at CLOCK_START."""
    with running_server(tmp_path, **browser_env()) as (base, _log):
        yield base


def browser_env(**overrides: str) -> dict[str, str]:
    """The environment of a server for browser tests: moved clock, forced repaints."""
    env = {"YORISOI_CLOCK_START": CLOCK_START}
    if REPAINT_MS not in ("", "0"):
        env["YORISOI_UI_REPAINT_MS"] = REPAINT_MS
    return {**env, **overrides}


class PageErrors(list[str]):
    """Uncaught page errors; a test fails if any page throws."""


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """open_page(url, viewport=TABLET) -> a page in its own browser context (own cookies)."""
    contexts: list[Any] = []
    errors = PageErrors()

    def make(url: str, viewport: dict[str, int] | None = None, *, worker: bool = False) -> Any:
        # The service worker is blocked unless a test is about it (test_installable.py): a
        # request it makes is invisible to page.route, which several tests use to hold answers.
        context = browser.new_context(
            viewport=viewport or TABLET,
            locale="ja-JP",
            service_workers="allow" if worker else "block",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def shot(page: Any, name: str) -> None:
    """Save a screenshot of what is on screen (and the full page) for a human to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or TABLET
    stem = f"{name}-{size['width']}x{size['height']}"
    page.screenshot(path=str(SHOTS / f"{stem}.png"))
    page.screenshot(path=str(SHOTS / f"{stem}-full.png"), full_page=True)
