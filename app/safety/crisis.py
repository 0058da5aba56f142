"""Crisis-signal detection in Japanese and English. Pure: text in, categories out.

Japanese matching works on a folded form: NFKC (full/half width), casefold, katakana to
hiragana, and no spaces or punctuation, so "シ ニ タ イ", "ｼﾆﾀｲ" and "し・に・た・い" all match
"しにたい". Kanji and kana spellings are listed separately in the data file. English terms
match whole words. Known false positives are listed as exceptions and removed first.

Every client message passes here, so the terms of all categories are matched in one pass:
one Aho–Corasick automaton per script, built once when the word list is loaded (the list
is read at start-up and does not change while the process runs). The result is the same as
scanning for each term in turn (tests/unit/test_crisis_matcher.py keeps that scan as the
oracle).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

DEFAULT_WORDS = Path(__file__).resolve().parents[1] / "data" / "crisis_words.json"
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w")  # the same word characters the whole-word patterns look at
_FOLD_CACHE_LIMIT = 65_536  # distinct characters remembered (text can hold any of 1.1 M)


class _FoldTable(dict[int, int | None]):
    """str.translate table for the Japanese fold, filled in as characters are met: katakana
    to hiragana, spaces/punctuation/symbols/control characters (categories Z, P, S, C)
    dropped, everything else kept."""

    def __missing__(self, code: int) -> int | None:
        if 0x30A1 <= code <= 0x30F6:  # ァ..ヶ
            value: int | None = code - 0x60
        elif unicodedata.category(chr(code))[0] in "ZPSC":
            value = None
        else:
            value = code  # kept as it is
        if len(self) < _FOLD_CACHE_LIMIT:
            self[code] = value
        return value


_FOLD = _FoldTable()


def fold_japanese(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)


def fold_english(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return _SPACES.sub(" ", folded)


@dataclass(frozen=True)
class Category:
    name: str
    japanese: tuple[str, ...]
    english: re.Pattern[str] | None
    exceptions: tuple[str, ...]
    english_terms: tuple[str, ...] = ()


def _automaton(terms: dict[str, set[int]]) -> ahocorasick.Automaton | None:
    """term -> the indexes of the categories listing it; None when there are no terms."""
    if not terms:
        return None
    automaton = ahocorasick.Automaton()
    for term, owners in terms.items():
        automaton.add_word(term, (len(term), frozenset(owners)))
    automaton.make_automaton()
    return automaton


class CrisisDetector:
    def __init__(self, categories: list[Category]) -> None:
        self.categories = categories
        ja: dict[str, set[int]] = {}
        en: dict[str, set[int]] = {}
        # An empty term is in every text ("" in s); an automaton cannot hold one.
        self._ja_always = frozenset(i for i, c in enumerate(categories) if "" in c.japanese)
        # Categories whose English must be matched by their own pattern (an empty term).
        self._en_by_pattern = frozenset(
            i for i, c in enumerate(categories) if c.english is not None and "" in c.english_terms
        )
        for i, category in enumerate(categories):
            for term in category.japanese:
                if term:
                    ja.setdefault(term, set()).add(i)
            if category.english is not None and i not in self._en_by_pattern:
                for term in category.english_terms:
                    en.setdefault(term, set()).add(i)
        self._ja = _automaton(ja)
        self._en = _automaton(en)
        self._with_exceptions = tuple(
            (i, c.exceptions) for i, c in enumerate(categories) if c.exceptions
        )

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
                    english_terms=tuple(english),
                )
            )
        return cls(categories)

    def detect(self, text: str) -> list[str]:
        """The categories whose signals appear in text, in data-file order."""
        ja = fold_japanese(text)
        en = fold_english(text)
        hits: set[int] = set(self._ja_always)
        # A category whose exception occurs in the text is matched on its own haystack (the
        # text with its exceptions removed, in order, as the data file lists them).
        own: dict[int, str] = {}
        for i, exceptions in self._with_exceptions:
            if any(exception in ja for exception in exceptions):
                haystack = ja
                for exception in exceptions:
                    haystack = haystack.replace(exception, "")
                own[i] = haystack
        if self._ja is not None and ja:
            for _end, (_length, owners) in self._ja.iter(ja):
                hits.update(i for i in owners if i not in own)
        for i, haystack in own.items():
            if any(term in haystack for term in self.categories[i].japanese):
                hits.add(i)
        if self._en is not None and en:
            for end, (length, owners) in self._en.iter(en):
                if owners <= hits:
                    continue
                start = end - length + 1
                if start > 0 and _WORD.match(en, start - 1):
                    continue
                if end + 1 < len(en) and _WORD.match(en, end + 1):
                    continue
                hits.update(owners)
        for i in self._en_by_pattern:
            pattern = self.categories[i].english
            if pattern is not None and pattern.search(en):
                hits.add(i)
        return [c.name for i, c in enumerate(self.categories) if i in hits]
