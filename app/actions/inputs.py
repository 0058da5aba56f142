"""Parsing of user-supplied identifiers and dates: anything odd is invalid_input, never a 500."""

from __future__ import annotations

from datetime import date

from app.errors import Refusal

MAX_ID = 2**31 - 1  # fits an INTEGER column on every backend
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


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
