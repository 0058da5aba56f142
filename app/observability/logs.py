"""YORISOI_LOG_FORMAT=json: one JSON object per line, for log collectors.

`{"time": "<ISO instant, UTC>", "level": "INFO", "logger": "yorisoi.jobs", "message": "...",
...fields}`. Fields are whatever a call passes with `extra=` (never text a person typed), and
for uvicorn's access log the request's client, method, path, HTTP version and status. An
exception is reported by its type only (`exc_type`), never with its message or traceback: a
database error carries the SQL parameters, i.e. perhaps a child's words. The control-character
filter (app/web/logs.py) still runs first, and JSON escapes whatever is left, so no line can be
forged either way.
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from typing import Any

# LogRecord's own attributes: everything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn: the same message with ANSI colours
}
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            args = record.args
            if len(args) == len(_ACCESS_FIELDS):
                entry["message"] = "{} {} HTTP/{} {}".format(*args[1:])
                entry.update(zip(_ACCESS_FIELDS, args, strict=True))
            else:
                entry["message"] = record.getMessage()
        else:
            entry["message"] = record.getMessage()
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def uvicorn_log_config(base: dict[str, Any], log_format: str) -> dict[str, Any]:
    """uvicorn's logging config with controls escaped, and in JSON when asked."""
    config = copy.deepcopy(base)
    config["filters"] = {"escape": {"()": "app.web.logs.EscapeControlChars"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["escape"]
    if log_format == "json":
        config["formatters"] = {"json": {"()": "app.observability.logs.JsonFormatter"}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    return config


def root_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter("%(levelname)s:     %(name)s %(message)s")
