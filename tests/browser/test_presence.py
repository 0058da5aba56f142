"""The child sees whom they are waiting for until the mentor joins; then the waiting note
gives way to the chat (forced repaints every 200 ms do not bring it back)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import (
    chat_now,
    message,
    nickname,
    send,
    sign_up,
    staff_sign_in,
    through_repaints,
)


def test_child_waits_for_the_mentor_until_they_join(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("matsu")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    waiting = chat.get_by_test_id("mentor-waiting")
    expect(waiting).to_be_visible()
    expect(waiting).to_contain_text(re.compile(r"さくらさんを まっているよ（\d+分"))
    expect(waiting).to_contain_text("3分ふん たっても こないときは")
    send(chat, "さくらさん いますか？")  # writing while waiting is fine: it is stored
    shot(child, "child-waiting-for-mentor")

    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    expect(item.get_by_test_id("waited")).to_contain_text(f"{name}さんが")
    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(message(mchat, "さくらさん いますか？")).to_have_count(1)

    # The mentor joined: the child's waiting note is gone, and stays gone across repaints.
    expect(waiting).to_be_hidden()
    through_repaints(child)
    expect(waiting).to_be_hidden()
    send(mchat, "いるよ。まっててくれて ありがとう")
    expect(message(chat, "まっててくれて ありがとう")).to_have_count(1)
