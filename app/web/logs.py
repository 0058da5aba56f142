"""Log lines that input cannot forge: controls in anything logged appear escaped."""

from __future__ import annotations

import logging
import re

# What must not reach a log line raw: controls (CR/LF forge lines), Unicode line and
# paragraph separators, and lone surrogates (the log stream cannot encode them).
_LOG_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def escape_for_log(text: str) -> str:
    """CR, LF and other controls as visible escapes (\\x0d), so no input can forge a line."""
    return _LOG_UNSAFE.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class EscapeControlChars(logging.Filter):
    """A handler filter: every message and string argument leaves with its controls escaped.

    Arguments are escaped one by one (not the formatted message) because uvicorn's access
    formatter unpacks record.args itself.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = escape_for_log(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_escape_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _escape_arg(v) for k, v in record.args.items()}
        return True


def _escape_arg(value: object) -> object:
    if isinstance(value, int | float) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    escaped = escape_for_log(text)
    return value if escaped == text else escaped
