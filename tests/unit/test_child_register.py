"""Every word a child can see is in a child's register: kanji only with furigana.

On the child face a kanji is written as ruby markup `{漢字|かんじ}` (rendered as <ruby> by
frontend/assets/i18n.js renderRich) or not at all. This check reads every source of child-face
words — the refusal catalog's child texts, the child text tables of the pages, the help
directory's child texts, the mentor kinds' child labels — and fails on a bare kanji. The
browser test tests/browser/test_child_register.py walks the rendered page as well.
"""

from __future__ import annotations

import re

import pytest

from app.errors import CATALOG, LANGS, PLACEHOLDER

RUBY_MARKUP = re.compile(r"\{[^|{}]+\|[^{}]+\}")
RUBY_HTML = re.compile(r"<ruby>.*?</ruby>", re.S)
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006]")
# Words a child may see that are not ours to rewrite, each with why.
ALLOWED: dict[str, str] = {}


def bare_kanji(text: str) -> list[str]:
    """The kanji of a text that carry no furigana."""
    rest = RUBY_HTML.sub("", RUBY_MARKUP.sub("", text))
    for word in ALLOWED:
        rest = rest.replace(word, "")
    return KANJI.findall(rest)


def test_the_checker_sees_bare_kanji_and_lets_ruby_pass() -> None:
    assert bare_kanji("{今|いま}すぐ はなせる") == []
    assert bare_kanji("<ruby>本部<rt>ほんぶ</rt></ruby>の {人|ひと}") == []
    assert bare_kanji("この日は あいてない") == ["日"]
    assert bare_kanji("12月2日（水）") == ["月", "日", "水"]
    assert bare_kanji("{name}さん、{n}ばんめ") == []


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_every_refusal_has_both_registers_in_every_language(code: str) -> None:
    entry = CATALOG[code]
    names = set(PLACEHOLDER.findall(entry.adult.ja))
    for register in (entry.adult, entry.child):
        for lang in LANGS:
            text = getattr(register, lang)
            assert text.strip(), (code, lang)
            # a placeholder the adult Japanese does not use may not be filled by the action
            assert set(PLACEHOLDER.findall(text)) <= names, (code, lang, text)
    assert entry.child.ja != entry.adult.ja or not KANJI.search(entry.adult.ja), code


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_child_refusals_have_no_bare_kanji(code: str) -> None:
    text = CATALOG[code].child.ja
    assert bare_kanji(text) == [], (code, text)
