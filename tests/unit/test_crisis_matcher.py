"""The crisis matcher (one Aho–Corasick pass per script) finds exactly what the scan it
replaced found: that scan, term by term on the old character-by-character fold, is kept
here as the oracle and compared over the folds' edge cases (widths, kana, case, spacing,
punctuation, word boundaries, exceptions) and pieces of the real word list."""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.safety.crisis import DEFAULT_WORDS, CrisisDetector, fold_english, fold_japanese


def old_fold_japanese(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in folded)
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "ZPSC")


def old_fold_english(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return re.sub(r"\s+", " ", folded)


def old_detect(detector: CrisisDetector, text: str) -> list[str]:
    """The scan the automaton replaced: per category, exceptions removed, then each term."""
    ja = old_fold_japanese(text)
    en = old_fold_english(text)
    found = []
    for category in detector.categories:
        haystack = ja
        for exception in category.exceptions:
            haystack = haystack.replace(exception, "")
        if any(term in haystack for term in category.japanese) or (
            category.english is not None and category.english.search(en)
        ):
            found.append(category.name)
    return found


DATA = json.loads(DEFAULT_WORDS.read_text(encoding="utf-8"))["categories"]
RAW_TERMS = sorted(
    {t for spec in DATA.values() for key in ("ja", "en", "except") for t in spec.get(key, [])}
)
DETECTOR = CrisisDetector.from_file()

# What the folds treat specially: widths, kana, case, spaces of every kind, punctuation,
# symbols, control and format characters, apostrophes, word characters at a term's edge.
EDGES = list(
    "ｼﾆﾀｲｶﾞﾊﾟｰｧァぁヶゖヵヴゔーｰ・･、。!！?？ 　\t\n\u00a0\u2009\u200b\u200d\ufeff"
    "’'`-_.,;:()[]「」…〜~ABCdefXYZａｂｃＡＢＣ０１２0129İıßẞΣσς死殺切家出"
    "\x00\x07\u0301\u3099\u309a\U0001f600"
)


def pieces_of(term: str) -> st.SearchStrategy[str]:
    """The term, a slice of it, or it in another script/width/case."""
    variants = [term, term.upper(), unicodedata.normalize("NFKC", term)]
    variants.append("".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in term))
    variants.append(" ".join(term))
    variants.append("・".join(term))
    return st.one_of(
        st.sampled_from(variants),
        st.integers(0, len(term)).flatmap(
            lambda a: st.integers(a, len(term)).map(lambda b: term[a:b])
        ),
    )


CHUNK = st.one_of(
    st.sampled_from(RAW_TERMS).flatmap(pieces_of),
    st.text(st.sampled_from(EDGES), max_size=4),
    st.text(max_size=3),
)
TEXTS = st.lists(CHUNK, max_size=8).map("".join)


@settings(max_examples=600)
@given(TEXTS)
def test_the_automaton_finds_what_the_scan_found(text: str) -> None:
    assert fold_japanese(text) == old_fold_japanese(text)
    assert fold_english(text) == old_fold_english(text)
    assert DETECTOR.detect(text) == old_detect(DETECTOR, text)


@settings(max_examples=300)
@given(st.text())
def test_any_text_at_all(text: str) -> None:
    assert fold_japanese(text) == old_fold_japanese(text)
    assert DETECTOR.detect(text) == old_detect(DETECTOR, text)


WORD_LISTS = st.fixed_dictionaries(
    {
        "ja": st.lists(st.text(st.sampled_from(EDGES + list("しにたいころすいえで")), max_size=4)),
        "en": st.lists(
            st.lists(st.sampled_from(list("ab '-_.é") + ["ab", "a b"]), max_size=4).map("".join)
        ),
        "except": st.lists(st.text(st.sampled_from(list("しにたいころす・ ")), max_size=3)),
    }
)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORD_LISTS, min_size=1, max_size=3), st.data())
def test_any_word_list(lists: list[dict[str, list[str]]], data: st.DataObject) -> None:
    """Odd lists too: overlapping terms, terms that fold to nothing, terms made of
    punctuation, exceptions that overlap terms, terms shared by two categories."""
    body = {"categories": {f"c{i}": spec for i, spec in enumerate(lists)}}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "words.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        detector = CrisisDetector.from_file(path)
    alphabet = st.sampled_from(EDGES + list("しにたいころすいえでシニタイab '-_.é"))
    text = data.draw(st.text(alphabet, max_size=24))
    assert detector.detect(text) == old_detect(detector, text)
