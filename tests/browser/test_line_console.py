"""The mentor console with a LINE child: the consultation carries a small LINE mark, the
mentor's replies reach the child's LINE (a local stand-in for the LINE API), and a reply LINE
refuses is shown to the mentor as not delivered."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import TABLET, browser_env, shot
from tests.browser.flows import message, send, staff_sign_in
from tests.line_standin import (
    SECRET,
    TOKEN,
    event,
    line_standin_thread,
    postback_event,
    sign,
    text_event,
    webhook_body,
)
from tests.servers import running_server

CHILD = "U" + "4" * 32


def test_a_line_child_in_the_mentor_console(tmp_path: Any, open_page: Any) -> None:
    with (
        line_standin_thread() as standin,
        running_server(
            tmp_path,
            **browser_env(
                YORISOI_LINE_CHANNEL_SECRET=SECRET,
                YORISOI_LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                YORISOI_LINE_API_BASE=standin.base,
            ),
        ) as (server, _log),
    ):

        def post(*events: dict[str, Any]) -> None:
            body = webhook_body(*events)
            r = httpx.post(
                f"{server}/line/webhook", content=body, headers={"X-Line-Signature": sign(body)}
            )
            assert r.status_code == 200, r.text

        post(event("follow", CHILD))
        standin.wait_text_sync("ニックネーム")
        post(text_event(CHILD, "らいんのこ"))
        standin.wait_text_sync("こども？")
        post(postback_event(CHILD, "a=aud&v=child"))
        standin.wait_text_sync("なにを する？")
        mentors = httpx.get(f"{server}/api/mentors", params={"audience": "child"}).json()
        sakura = next(m for m in mentors["mentors"] if m["display_name"] == "さくら")
        post(postback_event(CHILD, f"a=now&m={sakura['id']}"))
        standin.wait_text_sync("そうだんが はじまったよ")
        post(text_event(CHILD, "らいんから こんにちは"))

        mentor = open_page(server + "/mentor/", TABLET)
        staff_sign_in(mentor, "mentor1")
        item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text="らいんのこ")
        expect(item).to_have_count(1)
        expect(item.get_by_test_id("line")).to_have_text("LINE")
        item.get_by_role("button").first.click()
        mchat = mentor.get_by_test_id("chat")
        expect(mchat.get_by_test_id("connection")).to_have_text("つながっています")
        expect(message(mchat, "らいんから こんにちは")).to_have_count(1)
        standin.wait_text_sync("さくらさんが きたよ")

        send(mchat, "こんにちは、きかせてね")
        assert standin.wait_text_sync("きかせてね") == "さくら：こんにちは、きかせてね"
        # LINE refuses the next one (400): the mentor sees it was not delivered
        standin.next_statuses = [400]
        send(mchat, "とどかない はずの ことば")
        refused = message(mchat, "とどかない はずの ことば")
        expect(refused).to_have_class("msg mine role-mentor undelivered")
        expect(refused.locator(".state")).to_have_text("LINEに届いていません")
        shot(mentor, "mentor-line-chat")
        # after a reload the mark is still there (read back from the server)
        mentor.reload()
        item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text="らいんのこ")
        item.get_by_role("button").first.click()
        mchat = mentor.get_by_test_id("chat")
        again = message(mchat, "とどかない はずの ことば")
        expect(again.locator(".state")).to_have_text("LINEに届いていません")
        expect(message(mchat, "きかせてね")).not_to_have_class("msg mine role-mentor undelivered")

        # headquarters is told, in the alert list
        hq = open_page(server + "/admin/", TABLET)
        staff_sign_in(hq, "honbu")
        row = hq.locator("tr").filter(has_text="らいんのこ")
        expect(row.get_by_test_id("line")).to_have_text("LINE")
        alert = hq.locator('#alert-list [data-kind="line_undelivered"]')
        expect(alert).to_have_count(1)
        expect(alert).to_contain_text("LINE に とどいていない メッセージが あります")

        # the child blocks the account mid-chat: the mentor's chat says so, in plain words
        post(event("unfollow", CHILD))
        expect(mchat).to_contain_text("相談者が LINE の友だちを解除しました。")
        shot(mentor, "mentor-line-unfollowed")
