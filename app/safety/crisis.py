"""Crisis-signal detection in Japanese and English. Pure: text in, categories out.

Japanese matching works on a folded form: NFKC (full/half width), casefold, katakana to
hiragana, and no spaces or punctuation, so "シ ニ タ イ", "ｼﾆﾀｲ" and "し・に・た・い" all match
"しにたい". Kanji and kana spellings are listed separately in the data file. English terms
match whole words. Known false positives are listed as exceptions and removed first.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORDS = Path(__file__).resolve().parents[1] / "data" / "crisis_words.json"


def _kata_to_hira(text: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def fold_japanese(text: str) -> str:
    folded = _kata_to_hira(unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "ZPSC")


def fold_english(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return re.sub(r"\s+", " ", folded)


@dataclass(frozen=True)
class Category:
    name: str
    japanese: tuple[str, ...]
    english: re.Pattern[str] | None
    exceptions: tuple[str, ...]


class CrisisDetector:
    def __init__(self, categories: list[Category]) -> None:
        self.categories = categories

    @classmethod
    def from_file(cls, path: Path = DEFAULT_WORDS) -> CrisisDetector:
        data = json.loads(path.read_text(encoding="utf-8"))
        categories = []
        for name, spec in data["categories"].items():
            english = [fold_english(t) for t in spec.get("en", []) if t.strip()]
            pattern = (
                re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, english)) + r")(?![\w])")
                if english
                else None
            )
            categories.append(
                Category(
                    name=name,
                    japanese=tuple(fold_japanese(t) for t in spec.get("ja", []) if t.strip()),
                    english=pattern,
                    exceptions=tuple(fold_japanese(t) for t in spec.get("except", []) if t.strip()),
                )
            )
        return cls(categories)

    def detect(self, text: str) -> list[str]:
        """The categories whose signals appear in text, in data-file order."""
        ja = fold_japanese(text)
        en = fold_english(text)
        found = []
        for category in self.categories:
            haystack = ja
            for exception in category.exceptions:
                haystack = haystack.replace(exception, "")
            if any(term in haystack for term in category.japanese) or (
                category.english is not None and category.english.search(en)
            ):
                found.append(category.name)
        return found
