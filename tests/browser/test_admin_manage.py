"""/admin/: statistics (charts, turned-away count, CSV), the line capacity control, and the
roster and shift editor, checked against what children see on /child/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, shot
from tests.browser.flows import (
    chat_now,
    freeze_mentor_list,
    mentor_card,
    nickname,
    scroll_to,
    sign_up,
    staff_sign_in,
)


def test_capacity_change_turned_away_count_charts_and_csv(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    busy = admin.get_by_test_id("busy-now")
    expect(busy).to_have_text("いま 0 / 4 回線が使用中")
    lines = admin.locator("#cap-lines")
    expect(lines).to_have_value("4")
    expect(admin.locator("#cap-default")).to_have_text("いま 4 回線（初期設定は 4 回線）")
    # Nonsense is explained before anything is sent.
    lines.fill("0")
    admin.get_by_role("button", name="回線数を変更").click()
    expect(admin.locator("#cap-error")).to_have_text("1以上の整数を入力してください。")
    # One line only: the line-use figure follows at once.
    lines.fill("1")
    admin.get_by_role("button", name="回線数を変更").click()
    expect(admin.locator("#cap-notice")).to_have_text("回線数を 1 にしました。")
    expect(busy).to_have_text("いま 0 / 1 回線が使用中")
    expect(admin.locator("#busy-meter span")).to_have_count(1)

    # Two children see the line free; one takes it, the other is turned away because every
    # line is busy (and told so in a child's words).
    second = open_page(server + "/child/", PHONE)
    sign_up(second, nickname("ni"))
    card = mentor_card(second, "ひかり")
    expect(card.get_by_role("button", name=re.compile("いますぐ はなす"))).to_be_visible()
    freeze_mentor_list(second)  # the line looks free when the child taps
    first = open_page(server + "/child/", PHONE)
    sign_up(first, nickname("ichi"))
    chat_now(first, "さくら")
    card.get_by_role("button", name=re.compile("いますぐ はなす")).click()
    expect(card.locator(":scope > .error")).to_contain_text(
        "いまは みんな ほかの ひとと はなしているよ。すこし まつか、よやくしてね。"
    )

    admin.locator("#refresh").click()
    expect(busy).to_have_text("いま 1 / 1 回線が使用中")

    # Statistics for today: the turned-away count and the charts, each with a table.
    admin.locator("#stats-form button[type=submit]").click()
    expect(admin.get_by_test_id("turned-away").locator("dd").first).to_have_text("1")
    expect(admin.get_by_test_id("total").locator("dd")).to_have_text("1")
    charts = admin.get_by_test_id("stats-charts").locator("figure.chart")
    expect(charts).to_have_count(6)
    slot_chart = admin.get_by_test_id("c-slot")
    expect(slot_chart.locator("svg[role=img] title").first).to_have_text(
        "時間帯ごとの相談の数とお断り"
    )
    expect(slot_chart.locator("rect.s-refused")).to_have_count(1)
    expect(slot_chart.locator("rect.s-walk_in")).to_have_count(1)
    refusals = admin.get_by_test_id("c-refusals")
    expect(refusals.locator("desc")).to_contain_text("回線がすべてふさがっていた 1")
    refusals.locator("details summary").click()
    expect(refusals.locator("table tbody tr").first).to_contain_text("回線がすべてふさがっていた")
    kinds = admin.get_by_test_id("c-kind")
    expect(kinds.locator("desc")).to_contain_text("公認心理師")
    scroll_to(admin, "#stats")
    shot(admin, "admin-stats")

    # The CSV export downloads with the same cookie.
    csv_link = admin.locator("#stats-csv")
    expect(csv_link).to_have_attribute("href", re.compile(r"/api/staff/stats\.csv\?from=.*&to="))
    with admin.expect_download() as info:
        csv_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("date,consultations,walk_in,booked,no_show")
    assert "2026-12-01,1,1,0,0" in text
    today_row = next(row for row in text.splitlines() if row.startswith("2026-12-01"))
    assert today_row.split(",")[7] == "1"  # refused_no_free_line

    # In English, one tap.
    admin.locator("#lang-toggle").click()
    expect(admin.get_by_test_id("turned-away").locator("dt")).to_have_text(
        "Turned away because every line was busy"
    )


def test_capacity_cannot_go_below_lines_in_use(server: str, open_page: Any) -> None:
    child = open_page(server + "/child/", PHONE)
    sign_up(child, nickname("san"))
    chat_now(child, "さくら")
    other = open_page(server + "/child/", PHONE)
    sign_up(other, nickname("yon"))
    chat_now(other, "ひかり")
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    expect(admin.get_by_test_id("busy-now")).to_have_text("いま 2 / 4 回線が使用中")
    admin.locator("#cap-lines").fill("1")
    admin.get_by_role("button", name="回線数を変更").click()
    expect(admin.locator("#cap-error")).to_have_text(
        "これからの時間で、2番の回線まで使われる予定です。それより少なくはできません。"
    )
    expect(admin.locator("#cap-lines")).to_have_value("4")
    scroll_to(admin, "#capacity-block")
    shot(admin, "admin-capacity")


def test_admin_creates_a_mentor_adds_a_shift_and_children_can_talk_now(
    server: str, open_page: Any
) -> None:
    admin = open_page(server + "/admin/", TABLET)
    staff_sign_in(admin, "honbu")
    roster = admin.get_by_test_id("roster")
    expect(roster.locator("tbody tr")).to_have_count(12)

    admin.get_by_role("button", name="メンターを追加").click()
    form = admin.get_by_test_id("mentor-form")
    expect(form.locator("h4")).to_have_text("新しいメンター")
    form.get_by_role("button", name="保存").click()
    expect(form.locator(".error")).to_have_text("表示名を入力してください。")
    form.get_by_label("表示名（相談者に見える名前）").fill("こはる")
    form.get_by_label("専門").select_option("student_mentor")
    form.get_by_label("対象").select_option("child")
    # furigana for the children's page, as the field's hint says
    expect(form.locator("#mf-profile-ja-hint")).to_contain_text("ふりがな")
    form.get_by_label("ひとこと紹介（日本語・400文字まで）").fill(
        "{大学生|だいがくせい}です。なんでも {話|はな}してね。"
    )
    form.get_by_label("ひとこと紹介（英語・400文字まで）").fill("A university student.")
    form.get_by_role("button", name="保存").click()
    expect(admin.locator("#roster-notice")).to_contain_text("こはるさんを追加しました。")
    expect(form).to_be_hidden()
    row = roster.locator("tbody tr").filter(has_text="こはる")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("大学生・大学院生")
    expect(row).to_contain_text("こども")

    # No shift yet: children see her, but not as free now.
    child = open_page(server + "/child/", PHONE)
    sign_up(child, nickname("roku"))
    expect(mentor_card(child, "こはる")).to_have_count(1)
    profile = mentor_card(child, "こはる").locator(".profile")
    expect(profile.locator("ruby")).to_have_count(2)  # 大学生 and 話, each with its reading
    expect(profile.locator("rt").first).to_have_text("だいがくせい")
    expect(mentor_card(child, "こはる").get_by_test_id("status")).not_to_have_text(
        re.compile("今.*すぐ")
    )

    # A shift today, 15:00–22:00 (the form offers service hours only).
    shifts = admin.get_by_test_id("shifts")
    shift_form = admin.get_by_test_id("shift-form")
    expect(shift_form.get_by_label("メンター")).to_have_value(re.compile(r"\d+"))
    expect(shift_form.get_by_label("メンター").locator("option:checked")).to_contain_text("こはる")
    shift_form.get_by_label("開始").select_option("15:00")
    shift_form.get_by_label("終了").select_option("22:00")
    shift_form.get_by_role("button", name="この日に追加").click()
    expect(admin.locator("#shift-notice")).to_contain_text("こはるさんのシフト 15:00〜22:00")
    expect(shifts.locator("tbody tr").filter(has_text="こはる")).to_contain_text("15:00〜22:00")
    # An overlapping one is refused, in words.
    shift_form.get_by_label("開始").select_option("17:00")
    shift_form.get_by_label("終了").select_option("18:00")
    shift_form.get_by_role("button", name="この日に追加").click()
    expect(shift_form.locator(".error")).to_have_text("このメンターの別のシフトと重なっています。")
    scroll_to(admin, "#shifts")
    shot(admin, "admin-shifts")

    # The child page shows her as free to talk now, and the chat opens.
    child.reload()
    status = mentor_card(child, "こはる").get_by_test_id("status")
    expect(status).to_have_text(re.compile("今.*すぐ.*話"))
    shot(child, "child-home-new-mentor")

    # Edit, then deactivate: she leaves the children's list.
    row.get_by_role("button", name="編集: こはる").click()
    form.get_by_label("表示名（相談者に見える名前）").fill("こはる先生")
    form.get_by_role("button", name="保存").click()
    expect(admin.locator("#roster-notice")).to_have_text("こはる先生さんを保存しました。")
    row = roster.locator("tbody tr").filter(has_text="こはる先生")
    row.get_by_role("button", name="停止: こはる先生").click()
    row.get_by_role("button", name="本当に停止する").click()
    expect(admin.locator("#roster-notice")).to_have_text("こはる先生さんを停止しました。")
    expect(row).to_contain_text("停止中")
    expect(row.get_by_role("button", name="再開: こはる先生")).to_be_visible()
    scroll_to(admin, "#roster")
    shot(admin, "admin-roster")
    child.reload()
    expect(child.locator(".mentor-card").first).to_be_visible()
    expect(mentor_card(child, "こはる")).to_have_count(0)

    # The shift with a consultation inside cannot be removed: さくら is talking now.
    chat_now(child, "さくら")
    admin.locator("#refresh").click()
    sakura = shifts.locator("tbody tr").filter(has_text="さくら")
    sakura.get_by_role("button", name=re.compile("^削除: さくら")).click()
    sakura.get_by_role("button", name="本当に削除する").click()
    expect(sakura.locator(".error")).to_have_text(
        "このシフトの中に予約や相談があるため、削除できません。"
    )


def test_admin_management_on_a_phone(server: str, open_page: Any) -> None:
    admin = open_page(server + "/admin/", PHONE)
    staff_sign_in(admin, "honbu")
    expect(admin.get_by_test_id("stats-charts").locator("figure.chart")).to_have_count(6)
    scroll_to(admin, "#stats")
    shot(admin, "admin-stats")
    scroll_to(admin, "#roster")
    shot(admin, "admin-roster")
    admin.get_by_role("button", name="メンターを追加").click()
    expect(admin.get_by_test_id("mentor-form")).to_be_visible()
    shot(admin, "admin-mentor-form")
