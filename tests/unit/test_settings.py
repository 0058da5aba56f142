from __future__ import annotations

from datetime import time

import pytest

from app.settings import SettingsError, load_settings

STRONG = "x" * 32


def test_defaults_in_dev_mode() -> None:
    s = load_settings({"YORISOI_DEV": "1"})
    assert (s.host, s.port, s.lines, s.max_bookings) == ("127.0.0.1", 8000, 4, 2)
    assert s.is_sqlite
    assert "http://127.0.0.1:8000" in s.origins


@pytest.mark.parametrize("secret", [None, "", "change-me", "secret"])
def test_missing_or_placeholder_secret_is_refused_outside_dev(secret: str | None) -> None:
    env = {} if secret is None else {"YORISOI_SECRET_KEY": secret}
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings(env)


def test_production_settings() -> None:
    s = load_settings(
        {
            "YORISOI_SECRET_KEY": STRONG,
            "DATABASE_URL": "postgresql://u@db:5432/yorisoi",
            "YORISOI_HOST": "0.0.0.0",  # noqa: S104
            "YORISOI_PORT": "9000",
            "YORISOI_LINES": "9",
            "YORISOI_ALLOWED_ORIGINS": "https://yorisoi.example.jp/",
        }
    )
    assert s.database_url == "postgresql+asyncpg://u@db:5432/yorisoi"
    assert s.port == 9000 and s.lines == 9
    assert s.origins == frozenset({"https://yorisoi.example.jp"})
    demo = load_settings({"YORISOI_DEV": "1", "YORISOI_CLOCK_START": "2026-12-01T21:29:00+09:00"})
    assert demo.clock_start is not None and demo.clock_start.utcoffset() is not None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("YORISOI_PORT", "eighty"),
        ("YORISOI_LINES", "0"),
        ("YORISOI_CLOCK_START", "2026-12-01T21:29:00"),
        ("YORISOI_CLOCK_START", "tomorrow"),
        ("DATABASE_URL", "mysql://x"),
        ("YORISOI_TIMEZONE", "Mars/Olympus"),
        ("YORISOI_LAST_START", "21:45"),
        ("YORISOI_DEV", "maybe"),
    ],
)
def test_bad_values_fail_fast(key: str, value: str) -> None:
    with pytest.raises(SettingsError):
        load_settings({"YORISOI_DEV": "1", key: value} if key != "YORISOI_DEV" else {key: value})


def test_ui_repaint_is_a_dev_knob_with_bounds() -> None:
    assert load_settings({"YORISOI_DEV": "1"}).ui_repaint_ms is None
    assert load_settings({"YORISOI_DEV": "1", "YORISOI_UI_REPAINT_MS": "200"}).ui_repaint_ms == 200
    with pytest.raises(SettingsError, match="YORISOI_UI_REPAINT_MS"):
        load_settings({"YORISOI_DEV": "1", "YORISOI_UI_REPAINT_MS": "5"})


def test_ui_poll_is_a_dev_knob_of_at_least_a_minute() -> None:
    assert load_settings({"YORISOI_DEV": "1"}).ui_poll_seconds == 60
    s = load_settings({"YORISOI_DEV": "1", "YORISOI_UI_POLL_SECONDS": "600"})
    assert s.ui_poll_seconds == 600
    with pytest.raises(SettingsError, match="YORISOI_UI_POLL_SECONDS"):
        load_settings({"YORISOI_DEV": "1", "YORISOI_UI_POLL_SECONDS": "15"})


def test_topics_file_must_exist() -> None:
    with pytest.raises(SettingsError, match="YORISOI_TOPICS"):
        load_settings({"YORISOI_DEV": "1", "YORISOI_TOPICS": "/nonexistent/topics.json"})


def test_hours_are_configurable() -> None:
    s = load_settings({"YORISOI_DEV": "1", "YORISOI_LAST_START": "21:00"})
    assert s.last_start == time(21)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("YORISOI_HASH_PROFILE", "fast"),
        ("YORISOI_CLOCK_START", "2026-12-01T21:29:00+09:00"),
        ("YORISOI_UI_REPAINT_MS", "200"),
        ("YORISOI_UI_POLL_SECONDS", "600"),
    ],
)
def test_demo_knobs_are_refused_outside_dev(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match="demos and tests"):
        load_settings({"YORISOI_SECRET_KEY": STRONG, key: value})


def test_staff_second_factor_defaults() -> None:
    dev = load_settings({"YORISOI_DEV": "1"})
    assert dev.staff_2fa is False and dev.mentor_2fa is True
    assert not dev.second_factor_required("supervisor") and not dev.second_factor_required("mentor")
    prod = load_settings({"YORISOI_SECRET_KEY": STRONG})
    assert prod.staff_2fa is True and prod.mentor_2fa is True
    assert prod.second_factor_required("supervisor") and prod.second_factor_required("mentor")


def test_mentor_second_factor_can_be_turned_off_but_supervisors_keep_it() -> None:
    s = load_settings({"YORISOI_SECRET_KEY": STRONG, "YORISOI_MENTOR_2FA": "0"})
    assert s.second_factor_required("supervisor") and not s.second_factor_required("mentor")
    demo = load_settings({"YORISOI_DEV": "1", "YORISOI_STAFF_2FA": "1"})
    assert demo.second_factor_required("supervisor") and demo.second_factor_required("mentor")


def test_staff_second_factor_cannot_be_switched_off_outside_dev() -> None:
    with pytest.raises(SettingsError, match="YORISOI_STAFF_2FA"):
        load_settings({"YORISOI_SECRET_KEY": STRONG, "YORISOI_STAFF_2FA": "0"})
    for key in ("YORISOI_STAFF_2FA", "YORISOI_MENTOR_2FA"):
        with pytest.raises(SettingsError, match=key):
            load_settings({"YORISOI_DEV": "1", key: "maybe"})


def test_mentor_grace_is_whole_minutes_from_one() -> None:
    assert load_settings({"YORISOI_DEV": "1"}).mentor_grace_minutes == 3
    one = {"YORISOI_DEV": "1", "YORISOI_MENTOR_GRACE_MINUTES": "1"}
    assert load_settings(one).mentor_grace_minutes == 1
    for bad in ("0", "1.5", "31", "three"):
        with pytest.raises(SettingsError, match="YORISOI_MENTOR_GRACE_MINUTES"):
            load_settings({"YORISOI_DEV": "1", "YORISOI_MENTOR_GRACE_MINUTES": bad})


def test_escalation_client_notice_has_a_gentle_default_and_can_be_none() -> None:
    default = load_settings({"YORISOI_DEV": "1"}).escalation_client_notice
    assert default and "ひとりじゃ ないよ" in default
    custom = {"YORISOI_DEV": "1", "YORISOI_ESCALATION_CLIENT_NOTICE": " だいじょうぶだよ。 "}
    assert load_settings(custom).escalation_client_notice == "だいじょうぶだよ。"
    for none in ("none", "NONE"):
        env = {"YORISOI_DEV": "1", "YORISOI_ESCALATION_CLIENT_NOTICE": none}
        assert load_settings(env).escalation_client_notice is None
    empty = {"YORISOI_DEV": "1", "YORISOI_ESCALATION_CLIENT_NOTICE": ""}
    assert load_settings(empty).escalation_client_notice == default
    with pytest.raises(SettingsError, match="YORISOI_ESCALATION_CLIENT_NOTICE"):
        load_settings({"YORISOI_DEV": "1", "YORISOI_ESCALATION_CLIENT_NOTICE": "あ" * 401})
