""" "Who should I talk to?": what a consultation is about -> the mentor kinds that fit, and why.

The rules are a data file headquarters can edit (app/data/topics.json, or the file named by
YORISOI_TOPICS), read once at start and checked strictly, so a typo stops the service with a
message naming the topic instead of showing a child a broken picker:
- every topic has a unique id, is shown to child, parent or both, and names at least one
  kind, each a known mentor kind, at most once;
- every label and every reason exists for both audiences and in Japanese and English;
  Simplified Chinese and Korean are optional (the pages fall back to English), checked alike;
- the child's Japanese is readable by a child: every kanji sits in a furigana group
  `{漢字|かんじ}` whose reading is kana.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TOPICS = Path(__file__).resolve().parents[1] / "data" / "topics.json"
AUDIENCES = ("child", "parent")
LANGS = ("ja", "en")
OPTIONAL_LANGS = ("zh", "ko")
MAX_TEXT = 200
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_RUBY = re.compile(r"\{([^{}|]+)\|([^{}|]+)\}")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005]")
_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\u30fc\s]+$")


class TopicsError(ValueError):
    """The topics file is unusable; the service refuses to start."""


@dataclass(frozen=True)
class KindFit:
    kind: str
    why: dict[str, dict[str, str]]  # audience -> lang -> one line


@dataclass(frozen=True)
class Topic:
    id: str
    audiences: tuple[str, ...]
    label: dict[str, dict[str, str]]  # audience -> lang -> text
    kinds: tuple[KindFit, ...]


@dataclass(frozen=True)
class TopicGuide:
    topics: tuple[Topic, ...]

    @classmethod
    def from_file(cls, path: Path, kinds: Iterable[str]) -> TopicGuide:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TopicsError(f"topics file {path}: {exc}") from None
        return cls.parse(data, kinds)

    @classmethod
    def parse(cls, data: object, kinds: Iterable[str]) -> TopicGuide:
        known = set(kinds)
        if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
            raise TopicsError('the topics file must be an object with a "topics" list')
        if not data["topics"]:
            raise TopicsError("the topics list is empty")
        topics: list[Topic] = []
        seen: set[str] = set()
        for index, raw in enumerate(data["topics"]):
            topic = _topic(raw, index, known)
            if topic.id in seen:
                raise TopicsError(f"topic {topic.id!r} appears twice")
            seen.add(topic.id)
            topics.append(topic)
        return cls(tuple(topics))

    def for_audience(self, audience: str) -> list[Topic]:
        return [t for t in self.topics if audience in t.audiences]


def _topic(raw: object, index: int, known: set[str]) -> Topic:
    if not isinstance(raw, dict):
        raise TopicsError(f"topic #{index + 1} is not an object")
    topic_id = raw.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        raise TopicsError(f"topic #{index + 1}: id must be lower-case letters, digits, _")
    where = f"topic {topic_id!r}"
    audiences = raw.get("audiences", list(AUDIENCES))
    if (
        not isinstance(audiences, list)
        or not audiences
        or any(a not in AUDIENCES for a in audiences)
        or len(set(audiences)) != len(audiences)
    ):
        raise TopicsError(f"{where}: audiences must be a non-empty list of child, parent")
    label = _wording(raw.get("label"), f"{where} label")
    fits = raw.get("kinds")
    if not isinstance(fits, list) or not fits:
        raise TopicsError(f"{where}: kinds must be a non-empty list")
    kinds: list[KindFit] = []
    for fit in fits:
        if not isinstance(fit, dict) or fit.get("kind") not in known:
            shown = fit.get("kind") if isinstance(fit, dict) else fit
            raise TopicsError(f"{where}: unknown mentor kind {shown!r}")
        kind = str(fit["kind"])
        if any(k.kind == kind for k in kinds):
            raise TopicsError(f"{where}: kind {kind!r} appears twice")
        kinds.append(KindFit(kind, _wording(fit.get("why"), f"{where} why {kind}")))
    return Topic(topic_id, tuple(audiences), label, tuple(kinds))


def _wording(raw: object, where: str) -> dict[str, dict[str, str]]:
    """{child: {ja, en, zh?, ko?}, parent: {...}}, every text present (zh and ko may be
    left out); the child's Japanese with furigana over every kanji."""
    if not isinstance(raw, dict):
        raise TopicsError(f"{where}: needs child and parent wording")
    out: dict[str, dict[str, str]] = {}
    for audience in AUDIENCES:
        texts = raw.get(audience)
        if not isinstance(texts, dict):
            raise TopicsError(f"{where}: missing {audience} wording")
        out[audience] = {}
        for lang in LANGS + OPTIONAL_LANGS:
            text = texts.get(lang)
            if lang in OPTIONAL_LANGS and text is None:
                continue
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
                raise TopicsError(f"{where}: {audience} {lang} must be 1-{MAX_TEXT} characters")
            out[audience][lang] = text
    check_furigana(out["child"]["ja"], where)
    return out


def check_furigana(text: str, where: str = "text") -> None:
    """Every kanji inside a {漢字|かんじ} group with a kana reading; no stray braces."""
    for base, reading in _RUBY.findall(text):
        if not _KANA.match(reading):
            raise TopicsError(f"{where}: the reading of {base!r} must be kana, got {reading!r}")
    rest = _RUBY.sub("", text)
    if any(ch in rest for ch in "{}|"):
        raise TopicsError(f"{where}: a furigana group is broken in {text!r}")
    bare = _KANJI.search(rest)
    if bare is not None:
        raise TopicsError(
            f"{where}: the child's text needs furigana for {bare.group()!r} ({{漢字|かんじ}})"
        )
