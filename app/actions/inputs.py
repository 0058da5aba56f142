"""Parsing of user-supplied JSON, identifiers and dates: anything odd is invalid_input, never a 500.

`parse_json` is the one boundary every JSON document from outside passes (HTTP bodies through
`app.web.auth.read_json`, websocket frames); URLs pass `app.web.inputs.UrlBoundary`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import orjson

from app.errors import Refusal

MAX_ID = 2**31 - 1  # fits an INTEGER column on every backend
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def path_id(raw: str, field: str) -> int:
    """A positive database id from a URL path segment: ASCII digits only."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        raise Refusal("invalid_input", field=field)
    return check_id(int(raw), field)


def check_id(value: object, field: str) -> int:
    """A positive database id from JSON: an integer (not a bool, not a string)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise Refusal("invalid_input", field=field)
    return value


def check_day(value: object, field: str = "date") -> date:
    """A YYYY-MM-DD day within a sane range (far dates would only waste work)."""
    if not isinstance(value, str) or len(value) != 10:
        raise Refusal("invalid_input", field=field)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Refusal("invalid_input", field=field) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Refusal("invalid_input", field=field)
    return day


# -- the boundary for JSON from outside (HTTP bodies, websocket frames) ---------------------

MAX_JSON_DEPTH = 8  # our deepest body is 2 levels; json.loads itself recurses ~1000 deep
# What no database column can hold: lone surrogates (no UTF-8 encoding exists; a browser
# sends one when it cuts a long text in the middle of an emoji) and NUL (PostgreSQL text
# refuses it). Everything else is left to each field's own check.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def storable(text: str) -> bool:
    """True when every backend can store this string unchanged."""
    return _UNSTORABLE.search(text) is None


def check_storable(text: object, field: str) -> object:
    """A string that the database can store, or Refusal(invalid_input); non-strings pass."""
    if isinstance(text, str) and not storable(text):
        raise Refusal("invalid_input", field=field)
    return text


def nesting_depth(raw: str) -> int:
    """How deep the brackets of a JSON document go, without parsing it (so without the
    recursion json.loads would do). Brackets inside strings are skipped."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", raw)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(raw: str | bytes, *, field: str) -> Any:
    """Parse JSON from outside: every string storable, nesting at most MAX_JSON_DEPTH deep.

    Anything else is Refusal(invalid_input): `field` names the document (body, frame) when
    it cannot be parsed or is too deep, otherwise the top-level field that holds the bad
    string.
    """
    data = load_json(raw, field=field)
    check_json(data, field=field)
    return data


def load_json(raw: str | bytes, *, field: str) -> Any:
    """The parsing half of parse_json (nesting checked first); the caller must then run
    check_json on the result."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise Refusal("invalid_input", field=field) from None
    # Deeper than MAX_JSON_DEPTH needs more opening brackets than that: most documents are
    # cleared by counting them, without the scan.
    if text.count("{") + text.count("[") > MAX_JSON_DEPTH and nesting_depth(text) > MAX_JSON_DEPTH:
        raise Refusal("invalid_input", field=field)
    if _LONG_DIGITS.search(text) is None:  # orjson reads an integer past 64 bits as a float
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # not plain JSON to orjson (NaN, lone surrogates, ...)
    try:
        data = json.loads(text)  # ...which json reads, so the answer stays what it was
    except (ValueError, RecursionError):
        raise Refusal("invalid_input", field=field) from None
    return data


def field_label(key: str, default: str) -> str:
    """The name to report for a field from outside: the key itself when it looks like one of
    ours, otherwise the document's name (an error never echoes arbitrary text back)."""
    return key if _FIELD_NAME.fullmatch(key) else default


def check_json(data: Any, *, field: str) -> None:
    """Walk parsed JSON once: depth and strings (keys too), naming the top-level field."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not storable(key):
                raise Refusal("invalid_input", field=field)
            _walk(value, field_label(key, field), 2)
    else:
        _walk(data, field, 1)


def _walk(value: Any, field: str, depth: int) -> None:
    if isinstance(value, str):
        if not storable(value):
            raise Refusal("invalid_input", field=field)
    elif isinstance(value, dict | list):
        if depth > MAX_JSON_DEPTH:
            raise Refusal("invalid_input", field=field)
        if isinstance(value, dict):
            for key, item in value.items():
                if not storable(key):
                    raise Refusal("invalid_input", field=field)
                _walk(item, field, depth + 1)
        else:
            for item in value:
                _walk(item, field, depth + 1)
