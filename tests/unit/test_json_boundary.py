"""The frame path parses with orjson and falls back to json for what orjson will not read:
whatever the text, the answer (the value, or the refusal) is the one json.loads gives."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.actions.inputs import MAX_JSON_DEPTH, load_json, nesting_depth
from app.errors import Refusal
from app.web.ws.endpoint import _dump


def reference(text: str) -> Any:
    """load_json as it was: the nesting scan, then json.loads."""
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise Refusal("invalid_input", field="frame")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Refusal("invalid_input", field="frame") from None


def outcome(fn: Any, text: str) -> Any:
    try:
        return ("value", _normal(fn(text)))
    except Refusal as refusal:
        return ("refused", refusal.code, refusal.field)


def _normal(value: Any) -> Any:
    """NaN != NaN: compare it by name; floats by value and sign."""
    if isinstance(value, float):
        return ("nan",) if math.isnan(value) else (value, math.copysign(1, value))
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return (type(value).__name__, value)


def json_values(floats: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.none() | st.booleans() | st.integers(-(2**70), 2**70) | floats | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=12,
    )


JSON_VALUES = json_values(st.floats(allow_nan=False))
# What events hold: no infinite or NaN floats (json wrote them as Infinity/NaN, which no
# browser's JSON.parse reads; orjson writes null).
EVENT_VALUES = json_values(st.floats(allow_nan=False, allow_infinity=False))
PIECES = st.sampled_from(
    list('{}[]",:0123456789.eE+- \t\n\r\\/u')
    + ["NaN", "Infinity", "-Infinity", "true", "null"]
    + ["\\ud800", "\\udc00", "\\u0000", "\ufeff", "\x00", "\x1f", "\ud800", "1e400", "[" * 9]
)


@settings(max_examples=400)
@given(JSON_VALUES, st.sampled_from([None, 0, 2]))
def test_documents_read_as_json_reads_them(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=indent == 0)
    assert outcome(load_json_frame, text) == outcome(reference, text)


@settings(max_examples=600)
@given(st.lists(PIECES | st.text(max_size=2), max_size=20).map("".join))
def test_broken_documents_refused_as_before(text: str) -> None:
    assert outcome(load_json_frame, text) == outcome(reference, text)


def load_json_frame(text: str) -> Any:
    return load_json(text, field="frame")


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1])
def test_depth_limit(depth: int) -> None:
    text = "[" * depth + "]" * depth
    assert outcome(load_json_frame, text) == outcome(reference, text)


@settings(max_examples=300)
@given(st.dictionaries(st.text(), EVENT_VALUES, max_size=4))
def test_frames_encode_as_json_did(event: dict[str, Any]) -> None:
    """Outgoing: the same compact, non-escaping JSON text (keys starting with _ stay here)."""
    body = {k: v for k, v in event.items() if not k.startswith("_")}
    try:
        expected = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return
    assert json.loads(_dump(dict(event))) == json.loads(expected)
