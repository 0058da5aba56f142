"""The post-chat survey and the municipal report in a real browser: the child tells how they
feel as the chat opens (skippable, beside a usable text box), ends the chat and answers the
survey in child words through repaints; headquarters opens the report for a range, sees the
figures, and the print layout is an A4 report without the console chrome."""

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
from tests.browser.test_accessibility import Findings

KANJI = re.compile(r"[\u4e00-\u9fff]")


def mentor_joins(open_page: Any, server: str, name: str) -> Any:
    mentor = open_page(server + "/mentor/", TABLET)
    staff_sign_in(mentor, "mentor1")
    item = mentor.get_by_test_id("today").locator("li.citem").filter(has_text=name)
    item.get_by_role("button").click()
    mchat = mentor.get_by_test_id("chat")
    expect(mchat.get_by_test_id("connection")).to_have_text("つながっています")
    return mchat


def test_the_child_answers_the_survey_in_child_words(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    name = nickname("sora")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    before = chat.get_by_test_id("survey-before")
    expect(before).to_be_visible()
    expect(before).to_contain_text("いまの きもちは？")
    expect(before).to_contain_text("こたえなくても はなせるよ")
    axe = Findings()
    axe.check(child, "the opening question")
    # never in the way: the text box works while the question is there
    expect(chat.locator("form.composer textarea")).to_be_enabled()
    through_repaints(child)
    before.get_by_text("すこし つらい").click()
    expect(before.locator("input[value='2']")).to_be_checked()
    through_repaints(child)
    expect(before.locator("input[value='2']")).to_be_checked()  # a repaint keeps the choice
    before.get_by_role("button", name="おくる").click()
    expect(before).to_contain_text("おしえてくれて ありがとう。")

    mchat = mentor_joins(open_page, server, name)
    send(chat, "きいて ほしい")
    expect(message(mchat, "きいて ほしい")).to_have_count(1)
    # the mentor's screen shows nothing of the survey
    expect(mchat.get_by_test_id("survey")).to_have_count(0)
    expect(mchat.get_by_test_id("survey-before")).to_have_count(0)

    chat.get_by_role("button", name="おわりにする").click()
    chat.get_by_role("button", name="はい、おわる").click()
    expect(chat.get_by_test_id("closed")).to_contain_text("きょうの おはなしは おわりました")
    survey = chat.get_by_test_id("survey")
    expect(survey).to_be_visible()
    expect(survey.get_by_role("heading")).to_have_text("さいごに しつもん")
    expect(survey).to_contain_text("なまえは のこらないよ")
    expect(survey).to_contain_text("また はなしたい？")
    # every visible word in the child's register: no kanji outside ruby
    words = survey.evaluate(
        "el => { const c = el.cloneNode(true); c.querySelectorAll('ruby').forEach((r) => r.remove());"
        " return c.textContent; }"
    )
    assert not KANJI.search(words), words
    # five faces, each a radio with a visible label and a big tap target
    faces = survey.get_by_test_id("survey-feel").locator("label")
    expect(faces).to_have_count(5)
    box = faces.first.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    axe.check(child, "the post-chat survey")
    survey.get_by_role("radio", name="すこし いい").check()
    survey.get_by_role("radio", name="はなしたい").check()
    comment = survey.get_by_label("ひとこと（かかなくても いいよ）")
    comment.fill("はなせて よかった")
    expect(survey.get_by_test_id("survey-left")).to_have_text("あと 191もじ")
    through_repaints(child)
    expect(comment).to_have_value("はなせて よかった")  # repaints keep a half-written comment
    expect(survey.get_by_role("radio", name="すこし いい")).to_be_checked()
    shot(child, "child-survey")
    survey.get_by_role("button", name="おくる").click()
    expect(survey.get_by_test_id("survey-thanks")).to_have_text("こたえて くれて ありがとう。")
    through_repaints(child)
    expect(survey.get_by_test_id("survey-thanks")).to_be_visible()
    expect(survey.get_by_test_id("survey-help")).to_be_hidden()  # "すこし いい": no need
    expect(survey.locator("form")).to_be_hidden()
    # the server has it once: another answer is refused
    status = child.evaluate(
        "id => fetch(`/api/consultations/${id}/survey`, {headers: {'X-Yorisoi-Face': 'child'}})"
        ".then((r) => r.json())",
        int(survey.get_attribute("aria-labelledby").split("-")[-1]),
    )
    assert status["state"] == "answered" and status["can_answer"] is False, status
    axe.assert_none_blocking()


def test_the_opening_question_can_be_skipped(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    sign_up(child, nickname("kumo"))
    chat = chat_now(child, "さくら")
    before = chat.get_by_test_id("survey-before")
    expect(before).to_be_visible()
    before.get_by_role("button", name="こたえない").click()
    expect(before).to_be_hidden()
    expect(chat.locator("form.composer textarea")).to_be_focused()
    through_repaints(child)
    expect(before).to_be_hidden()


def answered_survey(open_page: Any, server: str, feel: str) -> Any:
    child = open_page(server + "/child/", PHONE)
    name = nickname("umi")
    sign_up(child, name)
    chat = chat_now(child, "さくら")
    chat.get_by_test_id("survey-before").get_by_role("button", name="こたえない").click()
    mchat = mentor_joins(open_page, server, name)
    mchat.get_by_role("button", name="相談を終える").click()
    mchat.get_by_role("button", name="はい、終える").click()
    survey = chat.get_by_test_id("survey")
    survey.get_by_role("radio", name=feel).check()
    survey.get_by_role("button", name="おくる").click()
    expect(survey.get_by_test_id("survey-thanks")).to_be_visible()
    return child


def test_a_hard_answer_shows_the_phone_numbers_there(server: str, open_page: Any) -> None:
    child = answered_survey(open_page, server, "とても つらい")
    survey = child.get_by_test_id("survey")
    help_box = survey.get_by_test_id("survey-help")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("でんわでも はなせるよ")
    help_box.get_by_role("button", name="こまったときの でんわ").click()
    expect(child.locator("#help-dialog")).to_be_visible()


def test_the_supervisor_opens_the_report_and_prints_it(server: str, open_page: Any) -> None:
    for feel in ("とても いい", "すこし いい", "とても いい"):
        answered_survey(open_page, server, feel)
    boss = open_page(server + "/admin/", TABLET)
    staff_sign_in(boss, "honbu")
    boss.get_by_test_id("report-link").click()  # from the console's navigation
    expect(boss).to_have_url(re.compile(r"/admin/report\.html$"))
    report = boss.get_by_test_id("report")
    expect(report.get_by_test_id("report-range")).to_have_text("2026-12-01 〜 2026-12-01（1日間）")
    boss.locator("#report-from").fill("2026-11-01")
    boss.locator("#report-to").fill("2026-12-01")
    boss.locator("#report-form button[type=submit]").click()
    expect(report.get_by_test_id("report-range")).to_have_text("2026-11-01 〜 2026-12-01（31日間）")
    overview = report.get_by_test_id("report-overview")

    def cell(figure: str, group: str) -> Any:
        return overview.locator(f"tr[data-figure='{figure}'] td[data-group='{group}']")

    expect(cell("consultations", "all")).to_have_text("3")
    expect(cell("consultations", "child")).to_have_text("3")
    expect(cell("consultations", "parent")).to_have_text("0")
    expect(cell("walk_in", "all")).to_have_text("3")
    expect(cell("under_10", "all")).to_have_text("3")
    expect(cell("survey_answered", "all")).to_have_text("3")
    kinds = report.get_by_test_id("report-kinds")
    expect(
        kinds.locator("tr[data-kind='psychologist'] td[data-figure='consultations']")
    ).to_have_text("3")
    expect(kinds.locator("tr[data-kind='nurse'] td[data-figure='consultations']")).to_have_text("0")
    months = report.get_by_test_id("report-months")
    expect(months.locator("tr[data-month='2026-12'] td[data-figure='consultations']")).to_have_text(
        "3"
    )
    expect(months.locator("tr[data-month='2026-11'] td[data-figure='consultations']")).to_have_text(
        "0"
    )
    charts = report.get_by_test_id("report-charts")
    expect(charts.locator("#r-feel-after svg title").first).to_have_text(
        "アンケート：終わったあとの気持ち"
    )
    expect(charts.locator("#r-feel-after svg desc").first).to_contain_text("とてもよい 2")
    expect(report.get_by_test_id("report-suppressed")).to_have_count(0)
    through_repaints(boss)
    expect(cell("consultations", "all")).to_have_text("3")
    csv = boss.locator("#report-csv")
    expect(csv).to_have_attribute("href", "/api/staff/report.csv?from=2026-11-01&to=2026-12-01")
    shot(boss, "admin-report")
    axe = Findings()
    axe.check(boss, "the report page")
    axe.assert_none_blocking()

    # printed: A4, only the report
    boss.emulate_media(media="print")
    expect(boss.locator("header.topbar")).to_be_hidden()
    expect(boss.locator("#report-form")).to_be_hidden()
    expect(report).to_be_visible()
    expect(overview).to_be_visible()
    expect(report.locator("details.chart-table").first).to_be_hidden()
    boss.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    shot(boss, "admin-report-print")
    # nothing runs off the sheet: every table fits A4's width
    assert boss.evaluate("() => document.documentElement.scrollWidth") <= 794
    pdf = boss.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    # A4 portrait in points (595 x 842): the page size the print CSS asks for
    assert re.search(rb"/MediaBox \[0 0 59[45]\.?\d* 84[12]\.?\d*\]", pdf), pdf[:2000]
    width = boss.evaluate("() => document.querySelector('#report').getBoundingClientRect().width")
    assert width > 500
    boss.emulate_media(media="screen")
    expect(boss.locator("header.topbar")).to_be_visible()
