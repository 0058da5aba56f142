"""End to end over the real /ws socket: a child chats now, a mentor answers, the child
reloads mid-conversation and sees everything exactly once, the mentor ends it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import chat_now, message, nickname, send, sign_up, staff_sign_in


def test_child_and_mentor_chat_reload_and_end(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("mirai")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    expect(chat.get_by_test_id("connection")).to_have_text("つながっているよ")
    expect(chat).to_contain_text("まで はなせるよ")

    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    expect(item).to_have_count(1)
    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(mchat.get_by_test_id("connection")).to_have_text("つながっています")
    expect(mchat).to_contain_text(f"{name}さん（こども）")

    send(chat, "こんにちは。がっこうで こまってる")
    mine = message(chat, "こんにちは。がっこうで こまってる")
    # The mentor has the chat open: the message is stored, then seen (docs/protocol.md).
    expect(mine).to_have_class("msg mine role-client read")
    expect(mine.locator(".state")).to_have_text("よんだよ")
    expect(message(mchat, "こんにちは。がっこうで こまってる")).to_have_count(1)
    # The client's waiting/in-progress state reaches the mentor's list.
    mentor.locator("#refresh").click()
    expect(item.get_by_test_id("state")).to_have_text("相談中")

    send(mchat, "こんにちは。ゆっくり聞かせてね。")
    expect(message(chat, "ゆっくり聞かせてね")).to_have_count(1)
    # Each side sees who wrote what: mine on the right, the other person's with their name.
    expect(message(chat, "ゆっくり聞かせてね")).to_have_class(re.compile(r"\btheirs\b"))
    expect(message(chat, "ゆっくり聞かせてね").locator(".who")).to_have_text("さくら")
    expect(message(mchat, "ゆっくり聞かせてね")).to_have_class(re.compile(r"\bmine\b"))
    expect(message(mchat, "がっこうで こまってる")).to_have_class(re.compile(r"\btheirs\b"))
    expect(message(mchat, "がっこうで こまってる").locator(".who")).to_have_text(name)
    send(chat, "ともだちと けんかした")
    expect(message(mchat, "ともだちと けんかした")).to_have_count(1)

    # Mentor's note beside the chat.
    mentor.locator("#note-text").fill("学校・友人関係。次回フォロー。")
    mentor.locator("#note-save").click()
    expect(mentor.locator("#note-status")).to_contain_text("保存しました")
    shot(child, "child-chat")
    shot(mentor, "mentor-chat")

    # Reload in the middle: straight back into the chat, every message exactly once, in order.
    child.reload()
    chat = child.get_by_test_id("chat")
    expect(chat).to_be_visible()
    texts = chat.get_by_test_id("messages").locator("li.msg .text")
    expect(texts).to_have_text(
        [
            "こんにちは。がっこうで こまってる",
            "こんにちは。ゆっくり聞かせてね。",
            "ともだちと けんかした",
        ]
    )
    send(chat, "また はなせる？")
    expect(message(mchat, "また はなせる？")).to_have_count(1)
    expect(texts).to_have_count(4)

    # The mentor ends it; both sides see the closed state and cannot send any more.
    mchat.get_by_role("button", name="相談を終える").click()
    mchat.get_by_role("button", name="はい、終える").click()
    expect(mchat.get_by_test_id("closed")).to_contain_text("この相談は終わりました。")
    expect(chat.get_by_test_id("closed")).to_contain_text("きょうの おはなしは おわりました")
    expect(chat.locator("form.composer textarea")).to_be_hidden()
    expect(texts).to_have_count(4)
    shot(child, "child-chat-closed")

    # Back home: さくら is now under "talk again"; talk with her once more.
    chat.get_by_role("button", name="もどる").click()
    again = child.get_by_test_id("again")
    expect(again).to_contain_text("さくら")
    again.get_by_role("button", name="この ひとと また はなす: さくら").click()
    expect(child.locator("#mentor-name")).to_have_text("さくら")
    child.locator("#now-button").click()
    chat = child.get_by_test_id("chat")
    expect(chat.get_by_test_id("connection")).to_have_text("つながっているよ")
    expect(chat.get_by_test_id("messages").locator("li.msg")).to_have_count(0)

    # The mentor opens the new one and sees the earlier consultation and her note beside it.
    mentor.locator("#refresh").click()
    items = mentor.get_by_test_id("today").locator("li.citem")
    expect(items).to_have_count(2)
    items.filter(has_not_text="終了").get_by_role("button").click()
    history = mentor.get_by_test_id("history")
    expect(history).to_contain_text("学校・友人関係。次回フォロー。")
    expect(mentor.locator("#note-text")).to_have_value("")
    shot(mentor, "mentor-chat-history")


def test_mentor_calls_headquarters_who_joins_as_group_talk(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    expect(admin.locator("#live")).to_have_text("リアルタイム更新: 接続中")

    child = open_page(server + "/child/", PHONE)
    name = nickname("nagi")
    sign_up(child, name)
    chat = chat_now(child, "はると")
    send(chat, "きいてほしいことがある")

    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor5")
    mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name).get_by_role(
        "button"
    ).click()
    mchat = mentor.get_by_test_id("chat")
    expect(message(mchat, "きいてほしいことがある")).to_have_count(1)
    mchat.get_by_role("button", name="本部を呼ぶ").click()
    expect(mchat).to_contain_text("本部に連絡しました。")

    alert = admin.locator("#alert-list li")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("はるとさんが本部を呼んでいます")
    alert.get_by_role("button", name="グループトークに入る").click()
    # The join is recorded with a reason; a call from the mentor fills it in.
    expect(admin.locator("#join-reason")).to_have_value("メンターからの呼び出し")
    admin.get_by_test_id("join-form").get_by_role("button", name="入る").click()
    group = admin.get_by_test_id("chat")
    expect(group.get_by_test_id("connection")).to_have_text("つながっています")
    # Joining shows the conversation so far, once.
    expect(message(group, "きいてほしいことがある")).to_have_count(1)
    expect(chat).to_contain_text("おてつだいの ひと")
    send(group, "本部です。いっしょに聞いていますね。")
    from_hq = message(chat, "いっしょに聞いていますね")
    expect(from_hq).to_have_count(1)
    expect(from_hq).to_have_class(re.compile(r"\brole-supervisor\b"))
    # to a child, headquarters is "おてつだいの ひと", not a staff title (issue 11)
    expect(from_hq.locator(".who")).to_have_text("おてつだいの ひと")
    expect(message(mchat, "いっしょに聞いていますね")).to_have_count(1)
    shot(admin, "admin-group-talk")

    # A crisis word: the child gets the emergency contacts beside the chat (which goes on),
    # the mentor sees the signal, headquarters gets an alert it can acknowledge.
    send(chat, "いえに かえりたくない。なぐられる")
    card = chat.get_by_test_id("help-card")
    expect(card.locator('a[href="tel:0120078310"]')).to_contain_text("0120-0-78310")
    expect(chat.locator("form.composer textarea")).to_be_enabled()
    expect(mchat.get_by_test_id("at-risk")).to_contain_text("危機のサイン")
    crisis = admin.locator("#alert-list li.crisis")
    expect(crisis).to_have_count(2)  # running away and abuse
    expect(crisis.filter(has_text="家出")).to_contain_text("はるとさんの相談")
    expect(crisis.filter(has_text="虐待")).to_contain_text("はるとさんの相談")
    shot(child, "child-chat-help-card")
    shot(admin, "admin-crisis-alert")
    crisis.filter(has_text="家出").get_by_role("button", name="確認済みにする").click()
    expect(crisis).to_have_count(1)

    group.get_by_role("button", name="グループトークから抜ける").click()
    expect(admin.get_by_test_id("chat")).to_have_count(0)
    expect(chat.locator("li.presence").last).to_contain_text("はなれたよ")


def test_connection_drop_is_visible_and_resumes_without_loss_or_doubles(
    server: str, open_page: Any
) -> None:
    child = open_page(server + "/child/", PHONE)
    sign_up(child, nickname("yuki"))
    chat = chat_now(child, "たかし")
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor9")
    mentor.get_by_test_id("today").locator("li.citem").first.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    send(chat, "ひとつめ")
    expect(message(mchat, "ひとつめ")).to_have_count(1)

    child.context.set_offline(True)
    expect(chat.get_by_test_id("connection")).to_contain_text("つなぎなおしている")
    send(mchat, "オフラインのあいだのメッセージ")
    send(chat, "オフラインで かいた")
    expect(message(chat, "オフラインで かいた")).to_have_class(re.compile(r"\bpending\b"))
    shot(child, "child-chat-reconnecting")

    child.context.set_offline(False)
    expect(chat.get_by_test_id("connection")).to_have_text("つながっているよ")
    expect(message(chat, "オフラインで かいた")).to_have_class(re.compile(r"\bsent\b"))
    expect(chat.get_by_test_id("messages").locator("li.msg .text")).to_have_text(
        ["ひとつめ", "オフラインのあいだのメッセージ", "オフラインで かいた"]
    )
    expect(mchat.get_by_test_id("messages").locator("li.msg .text")).to_have_text(
        ["ひとつめ", "オフラインのあいだのメッセージ", "オフラインで かいた"]
    )
