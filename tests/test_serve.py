"""`make run`'s entry point on a real uvicorn: migrate, seed, print accounts, serve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.serve import log_config
from tests.servers import running_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with running_server(tmp_path, YORISOI_CLOCK_START="2026-12-01T21:29:00+09:00") as running:
        yield running


def test_make_run_serves_seeded_demo(server: tuple[str, Path]) -> None:
    base, log = server
    printed = log.read_text()
    assert "honbu" in printed and "mentor1" in printed and "yorisoi-demo" in printed
    health = httpx.get(f"{base}/healthz").json()
    assert health["status"] == "ok" and health["database"] == "sqlite"
    assert health["now"].startswith("2026-12-01T21:29")  # YORISOI_CLOCK_START, Tokyo time
    mentors = httpx.get(f"{base}/api/mentors").json()["mentors"]
    kinds = {m["kind"]["id"] for m in mentors}
    assert len(kinds) == 7
    assert {m["audience"] for m in mentors} == {"child", "parent", "both"}
    assert any(m["chat_now"]["possible"] for m in mentors)  # 21:29 is inside hours
    for path in ("/", "/child/", "/mentor/", "/admin/"):
        page = httpx.get(base + path)
        assert page.status_code == 200 and 'lang="ja"' in page.text
    login = httpx.post(
        f"{base}/api/session/staff", json={"username": "honbu", "password": "yorisoi-demo"}
    )
    assert login.status_code == 200 and login.json()["account"]["role"] == "supervisor"
    # a control character in a page path names no file, and the log stays one line per entry
    for path in ("/assets/%00", "/child/a%0D%0AERROR:%20forged"):
        assert httpx.get(base + path).status_code == 404, path
    assert not any(line.startswith("ERROR: forged") for line in log.read_text().splitlines())
    assert "\r" not in log.read_text()


def test_serve_logs_escape_control_characters() -> None:
    config = log_config()
    assert all(h["filters"] == ["escape"] for h in config["handlers"].values())
    assert config["filters"]["escape"]["()"] == "app.web.logs.EscapeControlChars"
