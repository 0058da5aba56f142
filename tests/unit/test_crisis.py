"""Crisis signals: true positives across scripts and widths, and known false positives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.safety.crisis import CrisisDetector
from app.safety.directory import HelpDirectory

DETECT = CrisisDetector.from_file()


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("もう死にたい", "suicide"),
        ("しにたい", "suicide"),
        ("シニタイ", "suicide"),
        ("ｼﾆﾀｲ", "suicide"),  # half-width katakana
        ("し に た い", "suicide"),  # spaced out
        ("し・に・た・い…", "suicide"),
        ("消えてしまいたい", "suicide"),
        ("I want to die", "suicide"),
        ("I'm going to KILL MYSELF", "suicide"),
        ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", "suicide"),  # full-width latin
        ("リスカしちゃった", "self_harm"),
        ("きのう手首を切った", "self_harm"),
        ("I cut myself again", "self_harm"),
        ("お父さんにたたかれた", "abuse"),
        ("ごはんをもらえない", "abuse"),
        ("mom hits me", "abuse"),
        ("あいつをころしたい", "violence"),
        ("家出したい", "runaway"),
        ("いえにかえりたくない", "runaway"),
        ("I want to run away from home", "runaway"),
        ("知らない人にからだをさわられた", "sexual_harm"),
        ("he wants nude photos", "sexual_harm"),
    ],
)
def test_true_positives(text: str, category: str) -> None:
    assert category in DETECT.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "死ぬほど笑った",
        "こころすっきりした",
        "たすけられた、ありがとう",
        "みつけられた!",
        "家で勉強した",
        "いえでべんきょうしてる",
        "個性的な服が好き",
        "理性的に考えよう",
        "ころすけのまんがを読んだ",
        "ボールをけられた",
        "the gun has begun",
        "my skillset",
        "I could die laughing at this dye",  # "die" alone is not a signal
        "今日はたのしかった",
    ],
)
def test_false_positives(text: str) -> None:
    assert DETECT.detect(text) == []


def test_several_categories_at_once() -> None:
    assert DETECT.detect("たたかれたし、もう死にたい") == ["suicide", "abuse"]


def test_staff_can_extend_the_list(tmp_path: Path) -> None:
    data = json.loads(Path("app/data/crisis_words.json").read_text(encoding="utf-8"))
    data["categories"]["suicide"]["ja"].append("つらすぎてむり")
    path = tmp_path / "words.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert CrisisDetector.from_file(path).detect("ツラスギテムリ") == ["suicide"]


def test_help_directory_covers_every_group() -> None:
    directory = HelpDirectory.from_file()
    assert set(directory.categories) == {"emergency", "learn", "work", "live", "family"}
    for group in directory.categories:
        assert directory.search(category=group), group
    for entry in directory.entries:
        for key in ("name", "description", "for_whom"):
            assert entry[key]["ja"] and entry[key]["en"], entry["id"]
        if entry["audience"] in ("child", "both"):  # /child/ shows the easy wording
            assert entry["description"]["easy"] and entry["for_whom"]["easy"], entry["id"]
    assert any(e["contact"].get("tel") == "0120-0-78310" for e in directory.emergency())
    assert [e["id"] for e in directory.search(query="サポステ")] == ["saposute"]
    assert [e["id"] for e in directory.search(query="scholarship")] == [
        "high-school-tuition-support",
        "jasso-scholarship",
    ]
    assert all(e["audience"] != "parent" for e in directory.search(audience="child"))
