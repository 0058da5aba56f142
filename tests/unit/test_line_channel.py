"""The LINE channel's pure parts: its settings, the webhook signature, easy help lines."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from app.actions.line import contact_line, refusal_text, text_message, webhook_signature_ok
from app.errors import Refusal
from app.settings import SettingsError, load_settings

BODY = b'{"destination":"U0","events":[]}'


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_the_channel_is_off_unless_both_secret_and_token_are_set() -> None:
    base = {"YORISOI_DEV": "1"}
    assert not load_settings(base).line_enabled
    assert not load_settings({**base, "YORISOI_LINE_CHANNEL_SECRET": "s"}).line_enabled
    assert not load_settings({**base, "YORISOI_LINE_CHANNEL_ACCESS_TOKEN": "t"}).line_enabled
    on = load_settings(
        {**base, "YORISOI_LINE_CHANNEL_SECRET": "s", "YORISOI_LINE_CHANNEL_ACCESS_TOKEN": "t"}
    )
    assert on.line_enabled and on.line_api_base == "https://api.line.me"
    moved = load_settings({**base, "YORISOI_LINE_API_BASE": "http://127.0.0.1:9/"})
    assert moved.line_api_base == "http://127.0.0.1:9"
    with pytest.raises(SettingsError):
        load_settings({**base, "YORISOI_LINE_API_BASE": "ftp://example"})


def test_the_signature_is_the_base64_hmac_of_the_raw_body() -> None:
    good = signature(BODY, "secret")
    assert webhook_signature_ok("secret", BODY, good)
    assert not webhook_signature_ok("secret", BODY + b" ", good)  # the raw bytes, exactly
    assert not webhook_signature_ok("other", BODY, good)
    assert not webhook_signature_ok("secret", BODY, None)
    assert not webhook_signature_ok("secret", BODY, "")
    assert not webhook_signature_ok("secret", BODY, "ｘ" * 44)  # not ASCII: no crash
    assert not webhook_signature_ok("", BODY, signature(BODY, ""))  # no secret: never


def test_help_lines_and_refusals_are_in_easy_words() -> None:
    entry = {"name": {"ja": "子供SOS", "easy": "{子供|こども}SOS"}, "contact": {"tel": "0120"}}
    assert contact_line(entry) == "子供（こども）SOS ☎ 0120"
    assert contact_line({"name": {"ja": "窓口"}, "contact": {}}) == "窓口"
    assert refusal_text(Refusal("not_found")) == "みつからなかったよ。"
    quick = text_message("x", [(str(i), f"a={i}") for i in range(20)])["quickReply"]["items"]
    assert len(quick) == 13  # LINE's limit
    assert text_message("あ" * 6000)["text"] == "あ" * 5000
