"""The consultation record and the two-person escalation, on the pages: the mentor fills the
record after ending a chat and the open-records count drops; the mentor raises an escalation,
headquarters confirms it on /admin/, the mentor sees it confirmed and the child is told gently."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET
from tests.browser.flows import chat_now, message, nickname, sign_up, staff_sign_in
from tests.browser.test_accessibility import Findings


def send(chat: Any, text: str) -> None:
    """Write in the chat's composer (the chat may hold other text boxes, e.g. a survey)."""
    chat.locator("form.composer textarea").fill(text)
    chat.locator("form.composer button[type=submit]").click()


def open_chat_with(page: Any, name: str) -> Any:
    row = page.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    row.get_by_role("button").first.click()
    return page.get_by_test_id("chat")


def test_mentor_fills_the_record_after_ending_and_the_count_drops(
    server: str, open_page: Any
) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("kiroku")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    count = mentor.get_by_test_id("open-records-count")
    expect(count).to_have_text("0件")
    mchat = open_chat_with(mentor, name)
    send(chat, "いえで いやな ことが あった")
    expect(message(mchat, "いえで いやな ことが あった")).to_have_count(1)
    mchat.get_by_role("button", name="相談を終える").click()
    mchat.get_by_role("button", name="はい、終える").click()
    expect(mchat.get_by_test_id("closed")).to_be_visible()

    # The record form opens by itself; the consultation waits in "記録が まだの 相談".
    form = mentor.get_by_test_id("record-form")
    expect(form).to_be_visible()
    expect(count).to_have_text("1件")
    expect(mentor.get_by_test_id("open-records").locator("li.citem")).to_contain_text(name)
    findings = Findings()
    findings.check(mentor, "mentor: the record form after ending")
    form.get_by_test_id("record-save").click()
    expect(form.get_by_test_id("record-error")).to_have_text("相談の内容を1つ以上選んでください。")
    form.get_by_label("家族").check()
    form.get_by_test_id("record-risk").get_by_label("低").check()
    form.get_by_test_id("record-referrals").get_by_label("支援窓口（一覧から選ぶ）").check()
    entry = form.get_by_test_id("record-help-entry")
    expect(entry).to_be_visible()
    entry.select_option(index=1)
    form.get_by_test_id("record-follow-up").get_by_label("必要").check()
    form.get_by_test_id("record-save").click()
    expect(form.get_by_test_id("record-status")).to_contain_text("記録を保存しました")
    expect(count).to_have_text("0件")
    expect(mentor.get_by_test_id("open-records")).to_contain_text(
        "記録が まだの 相談はありません。"
    )
    findings.assert_none_blocking()
    # the child's page carries nothing of it
    expect(chat).not_to_contain_text("家族")
    # headquarters' topic names follow the console's language switch
    mentor.locator("#lang-toggle").click()
    expect(form.get_by_test_id("record-topics")).to_contain_text("Family")
    expect(mentor.get_by_test_id("open-records")).to_contain_text("Nothing left to record.")


def test_escalation_confirmed_by_headquarters_reaches_the_mentor_live(
    server: str, open_page: Any
) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("tsunagu")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    mchat = open_chat_with(mentor, name)
    send(chat, "おやに たたかれる")
    expect(message(mchat, "おやに たたかれる")).to_have_count(1)

    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    board = admin.get_by_test_id("admin-escalations")
    expect(board).to_contain_text("確認待ちのエスカレーションはありません。")

    mchat.get_by_test_id("escalate").click()
    panel = mentor.get_by_test_id("escalation-panel")
    panel.get_by_label("連絡先").select_option("child_guidance")
    panel.get_by_label("理由").fill("保護者からの身体的虐待の訴え")
    panel.get_by_label("伝える内容").fill("ニックネーム、相談の日時、訴えの内容")
    findings = Findings()
    findings.check(mentor, "mentor: the escalation form")
    panel.get_by_test_id("escalation-submit").click()
    item = panel.get_by_test_id("escalations").locator("li")
    expect(item.get_by_test_id("esc-status")).to_have_text("本部の確認を待っています")

    # Pushed to headquarters at once; it stays until someone decides.
    row = board.locator("li.escalation-row")
    expect(row).to_contain_text("児童相談所")
    expect(row).to_contain_text("保護者からの身体的虐待の訴え")
    findings.check(admin, "admin: an escalation waiting, records and topics")
    row.get_by_test_id("escalation-note").fill("児童相談所へ連絡してください")
    row.get_by_test_id("escalation-confirm").click()
    expect(board).to_contain_text("確認待ちのエスカレーションはありません。")

    expect(item.get_by_test_id("esc-status")).to_have_text("確認されました")
    expect(item).to_contain_text("児童相談所へ連絡してください")
    expect(mchat.get_by_test_id("system-line").last).to_contain_text(
        "エスカレーションが確認されました"
    )
    # The child is told only the gentle notice, nothing of why or to whom.
    notice = chat.get_by_test_id("notice-line")
    expect(notice).to_contain_text("ひとりじゃ ないよ")
    expect(chat).not_to_contain_text("身体的虐待")
    expect(notice).not_to_contain_text("児童相談所")

    # The escalation is part of the consultation's record (read only there).
    mchat.get_by_role("button", name="相談を終える").click()
    mchat.get_by_role("button", name="はい、終える").click()
    in_record = mentor.get_by_test_id("record-form").get_by_test_id("record-escalations")
    expect(in_record).to_contain_text("児童相談所")
    expect(in_record.get_by_test_id("esc-status")).to_have_text("確認されました")
    findings.assert_none_blocking()
