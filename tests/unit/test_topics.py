"""The "who should I talk to?" file: the shipped one is valid, and every broken rule stops the
service at start with a message naming the topic."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.db.tables import MENTOR_KINDS
from app.safety.topics import TopicGuide, TopicsError, check_furigana
from app.settings import DATA


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "topics.json").read_text(encoding="utf-8"))
    return data


def test_the_shipped_file_is_valid_and_covers_the_usual_worries() -> None:
    guide = TopicGuide.parse(shipped(), MENTOR_KINDS)
    ids = {t.id for t in guide.topics}
    assert {"school_friends", "family", "body_health", "feelings", "money"} <= ids
    assert {"future_work", "pregnancy_childcare"} <= ids
    used = {fit.kind for t in guide.topics for fit in t.kinds}
    assert used == set(MENTOR_KINDS)  # every kind of mentor can be found by some topic
    for topic in guide.topics:
        for fit in topic.kinds:
            assert set(fit.why) == {"child", "parent"}
            assert all(fit.why[a]["ja"] and fit.why[a]["en"] for a in ("child", "parent"))


def test_for_audience_keeps_the_file_order_and_drops_other_audiences() -> None:
    data = shipped()
    data["topics"][0]["audiences"] = ["parent"]
    guide = TopicGuide.parse(data, MENTOR_KINDS)
    child = [t.id for t in guide.for_audience("child")]
    parent = [t.id for t in guide.for_audience("parent")]
    assert parent[0] == data["topics"][0]["id"] and data["topics"][0]["id"] not in child
    assert child == parent[1:]


def broken(change) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(shipped())
    change(data)
    return data


def _set(path: list[object], value: object):  # type: ignore[no-untyped-def]
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop(path: list[object]):  # type: ignore[no-untyped-def]
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(["topics", 0, "kinds", 0, "kind"], "wizard"), "unknown mentor kind 'wizard'"),
        (_set(["topics", 1, "id"], "school_friends"), "appears twice"),
        (_set(["topics", 0, "id"], "School Friends"), "id must be"),
        (_set(["topics", 0, "audiences"], ["pupil"]), "audiences"),
        (_set(["topics", 0, "audiences"], []), "audiences"),
        (_set(["topics", 0, "kinds"], []), "kinds must be a non-empty list"),
        (_drop(["topics", 0, "label", "parent"]), "missing parent wording"),
        (_drop(["topics", 0, "kinds", 0, "why", "child", "en"]), "child en"),
        (_set(["topics", 0, "kinds", 0, "why", "parent", "ja"], "  "), "parent ja"),
        (_set(["topics", 0, "label", "child", "ja"], "学校のこと"), "furigana for '学'"),
        (_set(["topics", 0, "kinds", 1, "why", "child", "ja"], "{学校|school}"), "must be kana"),
        (_set(["topics", 0, "kinds", 1, "why", "child", "ja"], "{学校|がっこう"), "broken"),
        (_set(["topics"], []), "empty"),
        (_drop(["topics"]), '"topics" list'),
    ],
)
def test_a_broken_file_names_what_is_wrong(change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TopicsError, match=message.replace("(", r"\(").replace("{", r"\{")):
        TopicGuide.parse(broken(change), MENTOR_KINDS)


def test_a_repeated_kind_in_one_topic_is_refused() -> None:
    def twice(data: dict[str, Any]) -> None:
        data["topics"][0]["kinds"].append(copy.deepcopy(data["topics"][0]["kinds"][0]))

    with pytest.raises(TopicsError, match="appears twice"):
        TopicGuide.parse(broken(twice), MENTOR_KINDS)


def test_furigana_rules() -> None:
    check_furigana("{学校|がっこう}の ことを きいてね。")
    check_furigana("ぜんぶ ひらがな、カタカナ、ABC 123")
    check_furigana("{先生|せんせい}だった {人|ひと}")
    for bad in ("先生", "{先生|せんせい}と 友だち", "{先生|}", "{先生|センセイ} 人"):
        with pytest.raises(TopicsError):
            check_furigana(bad)


def test_unreadable_file_is_a_topics_error(tmp_path: Path) -> None:
    path = tmp_path / "topics.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(TopicsError, match="topics file"):
        TopicGuide.from_file(path, MENTOR_KINDS)
    with pytest.raises(TopicsError):
        TopicGuide.from_file(tmp_path / "missing.json", MENTOR_KINDS)
