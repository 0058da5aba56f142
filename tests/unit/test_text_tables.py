"""Every text table is complete in every language its pages offer.

The client faces (/child/, /) speak Japanese, English, Simplified Chinese and Korean, so
every table they load (every table under frontend/assets/texts/ except the staff ones) has
all four in every entry; a child override (CLIENT_CHILD, CHAT_CHILD, HELP_CHILD,
SURVEY_CHILD) only re-words keys its base table (or COMMON) has. The staff consoles offer
Japanese and English only, so the STAFF and REPORT tables need those two. The server's data
shown to clients (mentor kinds, topics, the help directory and its crisis contacts) carries
the four languages too.

The tables are plain object literals; a small tokenizer reads them (no JavaScript engine).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.web.shapes import KIND_LABELS, kind

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ROOT / "frontend" / "assets" / "texts"
DATA = ROOT / "app" / "data"
LANGS = ("ja", "en", "zh", "ko")
STAFF_LANGS = ("ja", "en")
STAFF_TABLES = {"STAFF", "REPORT"}  # REPORT: the municipal report page in /admin/
# Child overrides re-word a base table for /child/ (LINKS_CHILD is not one: the child's side
# of the parent link, a table of its own).
OVERRIDES = {
    "CLIENT_CHILD": "CLIENT",
    "CHAT_CHILD": "CHAT",
    "HELP_CHILD": "HELP",
    "SURVEY_CHILD": "SURVEY",
}

_TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/"""  # skipped
    r"""|(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
    r"""|(?P<name>[A-Za-z_$][\w$]*)|(?P<num>\d+)|(?P<punct>[{}:,;=\[\]])""",
    re.S,
)


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise ValueError(f"unexpected {source[pos : pos + 30]!r}")
        pos = m.end()
        if m.lastgroup:
            out.append((m.lastgroup, m.group(m.lastgroup)))
    return out


def _string(literal: str) -> str:
    if literal.startswith("'"):
        literal = '"' + literal[1:-1].replace('\\"', '"').replace('"', '\\"') + '"'
    return str(json.loads(literal))


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.tokens[self.i]
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def peek(self) -> str:
        return self.tokens[self.i][1]

    def value(self) -> Any:
        kind_, text = self.take()
        if kind_ == "str":
            return _string(text)
        if kind_ == "num":
            return int(text)
        if text == "{":
            obj: dict[str, Any] = {}
            while self.peek() != "}":
                key_kind, key = self.take()
                obj[_string(key) if key_kind == "str" else key] = (self.take(":"), self.value())[1]
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            return obj
        raise ValueError(f"unexpected {text!r}")


def read_tables(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The exported `const NAME = {...}` tables of one texts file."""
    tokens = _tokens(path.read_text(encoding="utf-8"))
    tables = {}
    for i, tok in enumerate(tokens[:-3]):
        if tok[1] == "export" and tokens[i + 1][1] == "const" and tokens[i + 3][1] == "=":
            reader = _Reader(tokens)
            reader.i = i + 4
            tables[tokens[i + 2][1]] = reader.value()
    return tables


def all_tables() -> dict[str, dict[str, dict[str, str]]]:
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for path in sorted(TEXTS.glob("*.js")):
        found = read_tables(path)
        assert found, f"{path.name} exports no table"
        assert not set(found) & set(tables), f"{path.name} repeats a table name"
        tables.update(found)
    return tables


TABLES = all_tables()
PLACEHOLDER = re.compile(r"\{(\w+)\}")  # {name}; ruby is {漢字|かな}


def test_the_parser_reads_every_table() -> None:
    assert {"CLIENT", "CLIENT_CHILD", "CHAT", "CHAT_CHILD", "HELP", "HELP_CHILD", "COMMON"} <= set(
        TABLES
    )
    assert TABLES["CLIENT"]["brand"]["ja"] == "よりそいチャット"
    assert all(len(table) > 0 for table in TABLES.values())


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_entry_has_every_language(name: str) -> None:
    langs = STAFF_LANGS if name in STAFF_TABLES else LANGS
    missing = [
        f"{key}: {lang}"
        for key, entry in TABLES[name].items()
        for lang in langs
        if not isinstance(entry.get(lang), str) or not entry[lang].strip()
    ]
    assert not missing, f"{name} lacks {missing}"
    unknown = {lang for entry in TABLES[name].values() for lang in entry} - set(LANGS)
    assert not unknown, f"{name} has unknown languages {unknown}"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_language_fills_the_same_placeholders(name: str) -> None:
    wrong = []
    for key, entry in TABLES[name].items():
        want = set(PLACEHOLDER.findall(entry["ja"]))
        for lang, text in entry.items():
            if set(PLACEHOLDER.findall(text)) != want:
                wrong.append(f"{key}: {lang}")
    assert not wrong, f"{name}: placeholders differ from Japanese in {wrong}"


@pytest.mark.parametrize(("child", "base"), sorted(OVERRIDES.items()))
def test_child_overrides_only_reword_existing_keys(child: str, base: str) -> None:
    known = set(TABLES[base]) | set(TABLES["COMMON"])  # every face loads COMMON too
    assert set(TABLES[child]) <= known, set(TABLES[child]) - known


def _localized(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every object with a Japanese text in a JSON tree, with where it sits."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("ja"), str):
            found.append((where, node))
        for key, value in node.items():
            if not key.startswith("_"):
                found += _localized(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            label = value.get("id", i) if isinstance(value, dict) else i
            found += _localized(value, f"{where}/{label}")
    return found


@pytest.mark.parametrize("filename", ["topics.json", "help_directory.json"])
def test_server_data_shown_to_clients_has_every_language(filename: str) -> None:
    data = json.loads((DATA / filename).read_text(encoding="utf-8"))
    texts = _localized(data)
    assert texts
    missing = [
        f"{where}: {lang}"
        for where, text in texts
        for lang in LANGS
        if not isinstance(text.get(lang), str) or not text[lang].strip()
    ]
    assert not missing, missing


def test_mentor_kinds_have_every_language() -> None:
    for kind_id in KIND_LABELS:
        label = kind(kind_id)["label"]
        assert all(isinstance(label.get(lang), str) and label[lang] for lang in LANGS), label
