"""Every word a child can see is in a child's register: kanji only with furigana.

On the child face a kanji is written as ruby markup `{漢字|かんじ}` (rendered as <ruby> by
frontend/assets/i18n.js renderRich) or not at all. This check reads every source of child-face
words — the refusal catalog's child texts, the text tables the child page loads, the help
directory's easy wording, the mentor kinds' child labels, the demo profiles a child sees — and
fails on a bare kanji. tests/browser/test_child_register.py walks the rendered page as well.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.demo import MENTORS
from app.errors import CATALOG, LANGS, PLACEHOLDER
from app.safety.directory import DEFAULT_DIRECTORY
from app.web.shapes import KIND_FOR_CHILDREN, KIND_LABELS

ASSETS = Path(__file__).resolve().parents[2] / "frontend" / "assets"
RUBY_MARKUP = re.compile(r"\{([^|{}]+)\|([^{}]+)\}")
RUBY_HTML = re.compile(r"<ruby>.*?</ruby>", re.S)
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006]")
KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff ー・]+$")

# Words of the adult tables that the child page loads but never shows, each with why. A key
# here that the child face starts to show must get a child text instead.
NOT_ON_THE_CHILD_FACE = {
    "risk.suicide": "crisis categories: staff consoles only",
    "risk.self_harm": "crisis categories: staff consoles only",
    "risk.abuse": "crisis categories: staff consoles only",
    "risk.violence": "crisis categories: staff consoles only",
    "risk.runaway": "crisis categories: staff consoles only",
    "risk.sexual_harm": "crisis categories: staff consoles only",
    "chat.at_risk": "the mentor's crisis banner",
    "chat.at_risk_seen": "the mentor's crisis banner",
    "chat.leave_group": "a supervisor leaving a group talk",
    "chat.reassigned_away": "the mentor a consultation was handed away from",
    "chat.closed.reassigned": "the mentor a consultation was handed away from",
    "chat.closed.line_unfollowed": "the mentor, when a LINE client unfollows (the client is gone)",
    "chat.card.shared_by_me": "the mentor who shared a help card",
    "share.open": "the mentor's share dialog",
    "share.title": "the mentor's share dialog",
    "share.search": "the mentor's share dialog",
    "share.category": "the mentor's share dialog",
    "share.send": "the mentor's share dialog",
    "share.close": "the mentor's share dialog",
    "share.sent": "the mentor's share dialog",
    "share.for_child": "the mentor's share dialog",
    "share.for_parent": "the mentor's share dialog",
}


def bare_kanji(text: str) -> list[str]:
    """The kanji of a text that carry no furigana (and any ruby whose reading is not kana)."""
    wrong = [base for base, reading in RUBY_MARKUP.findall(text) if not KANA.match(reading)]
    rest = RUBY_HTML.sub("", RUBY_MARKUP.sub("", text))
    return wrong + KANJI.findall(rest)


def test_the_checker_sees_bare_kanji_and_lets_ruby_pass() -> None:
    assert bare_kanji("{今|いま}すぐ はなせる") == []
    assert bare_kanji("<ruby>本部<rt>ほんぶ</rt></ruby>の {人|ひと}") == []
    assert bare_kanji("この日は あいてない") == ["日"]
    assert bare_kanji("12月2日（水）") == ["月", "日", "水"]
    assert bare_kanji("{name}さん、{n}ばんめ") == []
    assert bare_kanji("{漢字|漢字}") == ["漢字"]


# -- the refusal catalog (app/errors.py) -------------------------------------------------


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


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_child_refusals_have_no_bare_kanji(code: str) -> None:
    text = CATALOG[code].child.ja
    assert bare_kanji(text) == [], (code, text)


# -- the text tables of the child page (frontend/assets/texts/*.js) ----------------------

TABLE = re.compile(r"^export const (\w+) = \{\n(.*?)^\};", re.S | re.M)
ENTRY = re.compile(
    r'(?:"([^"\n]+)"|([A-Za-z_$][\w$]*))\s*:\s*\{\s*ja:\s*"((?:[^"\\\n]|\\.)*)"', re.S
)
IMPORT = re.compile(r'import \{([^}]*)\} from "\./texts/(\w+)\.js"')


def text_tables() -> dict[str, dict[str, str]]:
    """Every exported table of frontend/assets/texts/: name -> {key: Japanese}."""
    tables: dict[str, dict[str, str]] = {}
    for path in sorted((ASSETS / "texts").glob("*.js")):
        for table in TABLE.finditer(path.read_text(encoding="utf-8")):
            tables[table.group(1)] = {
                e.group(1) or e.group(2): e.group(3) for e in ENTRY.finditer(table.group(2))
            }
    return tables


def child_face_texts() -> dict[str, str]:
    """What the child page shows for each key: the tables child.js loads, later ones
    overriding earlier ones (CLIENT_CHILD over CLIENT and so on), as i18n.js addTexts does."""
    source = (ASSETS / "child.js").read_text(encoding="utf-8")
    loaded = re.search(r"texts:\s*\[([^\]]*)\]", source)
    assert loaded is not None, "child.js no longer passes texts: [...] to startClientFace"
    tables = text_tables()
    merged: dict[str, str] = {}
    for name in (n.strip() for n in loaded.group(1).split(",") if n.strip()):
        assert name in tables, f"child.js loads {name}, which no text table exports"
        merged.update(tables[name])
    return merged


def test_the_table_parser_reads_the_tables() -> None:
    tables = text_tables()
    for name in ("CLIENT", "CLIENT_CHILD", "CHAT", "CHAT_CHILD", "HELP", "HELP_CHILD"):
        assert len(tables.get(name, {})) > 20, name
    texts = child_face_texts()
    assert texts["status.now"] == "{今|いま}すぐ{話|はな}せる"
    assert texts["help.close"] == "とじる"  # CLIENT_CHILD over CLIENT


def test_child_page_texts_have_no_bare_kanji() -> None:
    texts = child_face_texts()
    stale = sorted(set(NOT_ON_THE_CHILD_FACE) - set(texts))
    assert stale == [], f"no longer in the tables; drop from NOT_ON_THE_CHILD_FACE: {stale}"
    found = {
        key: text
        for key, text in texts.items()
        if key not in NOT_ON_THE_CHILD_FACE and bare_kanji(text)
    }
    assert found == {}, "child-face texts with kanji outside {漢字|かな} ruby"


# -- what the server sends the child face ------------------------------------------------


def child_visible_directory() -> list[tuple[str, str, str]]:
    data = json.loads(DEFAULT_DIRECTORY.read_text(encoding="utf-8"))
    shown = []
    for entry in data["entries"]:
        if entry["audience"] == "parent":
            continue
        contact = entry.get("contact", {})
        for field, text in (
            ("name", entry["name"]),
            ("description", entry["description"]),
            ("for_whom", entry["for_whom"]),
            ("contact.text", contact.get("text")),
            ("contact.note", contact.get("note")),
        ):
            if text is not None:  # helpentry.js shows "easy" on /child/, else the Japanese
                shown.append((entry["id"], field, text.get("easy", text["ja"])))
    return shown


def test_the_help_directory_a_child_sees_has_no_bare_kanji() -> None:
    shown = child_visible_directory()
    assert len(shown) > 40
    found = [(i, field, text) for i, field, text in shown if bare_kanji(text)]
    assert found == []


def test_every_kind_has_a_childs_label_and_explanation_without_kanji() -> None:
    assert set(KIND_FOR_CHILDREN) == set(KIND_LABELS)
    for kind, (label, about) in KIND_FOR_CHILDREN.items():
        for texts in (label, about):
            assert set(texts) == set(LANGS) and all(texts.values()), kind
        # kana only: a kind also fills <select> options and sentences, where ruby cannot go
        assert not KANJI.search(label["ja"] + about["ja"]), kind


def test_demo_profiles_a_child_sees_carry_furigana() -> None:
    for name, _kind, audience, _start, _end, profile_ja, _en in MENTORS:
        if audience != "parent":
            assert bare_kanji(profile_ja) == [], (name, profile_ja)


# Staff words a child does not know: the child face says who someone is in plain words
# ("はなしを きいてくれる ひと", "おてつだいの ひと").
STAFF_WORDS = ("メンター", "本部", "スーパーバイザー", "相談者")


def test_child_texts_use_no_staff_words() -> None:
    texts = {k: v for k, v in child_face_texts().items() if k not in NOT_ON_THE_CHILD_FACE}
    texts.update({f"refusal {c}": e.child.ja for c, e in CATALOG.items()})
    found = {key: text for key, text in texts.items() if any(w in text for w in STAFF_WORDS)}
    assert found == {}
