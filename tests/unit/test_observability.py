"""The operator's view settings (read once, checked at start) and the JSON log formatter."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from app.observability.logs import JsonFormatter
from app.settings import SettingsError, load_settings

BASE = {"YORISOI_DEV": "1"}


def test_defaults_scrape_from_loopback_only_in_text_logs() -> None:
    s = load_settings(BASE)
    assert s.metrics_allow == ("127.0.0.0/8", "::1/128")
    assert s.metrics_token == "" and s.metrics_dir is None and s.log_format == "text"


def test_metrics_settings_are_read_and_normalised(tmp_path: Path) -> None:
    s = load_settings(
        {
            **BASE,
            "YORISOI_METRICS_ALLOW": " 10.0.0.5, 192.168.1.7/24 ,::1,",
            "YORISOI_METRICS_TOKEN": "a-long-enough-token",
            "YORISOI_METRICS_DIR": str(tmp_path),
            "YORISOI_LOG_FORMAT": "JSON",
        }
    )
    assert s.metrics_allow == ("10.0.0.5/32", "192.168.1.0/24", "::1/128")
    assert s.metrics_token == "a-long-enough-token"
    assert s.metrics_dir == tmp_path and s.log_format == "json"
    assert load_settings({**BASE, "YORISOI_METRICS_ALLOW": "none"}).metrics_allow == ()


@pytest.mark.parametrize(
    ("key", "raw", "names"),
    [
        ("YORISOI_METRICS_ALLOW", "10.0.0.0/8,intranet", "'intranet'"),
        ("YORISOI_METRICS_ALLOW", "10.0.0.300", "'10.0.0.300'"),
        ("YORISOI_METRICS_TOKEN", "short", "at least 16"),
        ("YORISOI_METRICS_DIR", "/nonexistent/metrics", "not a writable directory"),
        ("YORISOI_LOG_FORMAT", "xml", "'xml'"),
    ],
)
def test_bad_values_stop_the_start(key: str, raw: str, names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings({**BASE, key: raw})


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    r = logging.LogRecord("yorisoi.test", logging.ERROR, __file__, 1, msg, args, None)
    r.__dict__.update(extra)
    return r


def test_a_json_line_has_time_level_logger_message_and_fields() -> None:
    line = JsonFormatter().format(record("batch of %d failed", 3, consultation_id=7))
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "yorisoi.test"
    assert entry["message"] == "batch of 3 failed" and entry["consultation_id"] == 7
    assert entry["time"].endswith("+00:00")
    assert "\n" not in line


def test_an_exception_is_logged_by_its_type_only() -> None:
    try:
        raise ValueError("INSERT ... ('a child wrote this')")
    except ValueError:
        r = record("unexpected")
        r.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(r))
    assert entry["exc_type"] == "ValueError"
    assert "child wrote" not in json.dumps(entry) and "Traceback" not in json.dumps(entry)


def test_the_access_log_becomes_fields() -> None:
    r = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "GET", "/healthz", "1.1", 200),
        None,
    )
    entry = json.loads(JsonFormatter().format(r))
    assert entry["message"] == "GET /healthz HTTP/1.1 200"
    assert (entry["client"], entry["method"], entry["path"], entry["status"]) == (
        "10.0.0.1:5000",
        "GET",
        "/healthz",
        200,
    )


def test_a_tally_flushed_into_a_histogram_equals_observing_each_value() -> None:
    from prometheus_client import CollectorRegistry, Histogram

    from app.observability.metrics import LATENCY, _Tally

    values = [0.0, 0.001, 0.0011, 0.004, 0.01, 0.3, 2.5, 9.0, 10.0, 11.0, 250.0]
    registry = CollectorRegistry()
    direct = Histogram("direct", "d", buckets=LATENCY, registry=registry)
    bulk = Histogram("bulk", "b", buckets=LATENCY, registry=registry)
    tally = _Tally(LATENCY)
    for v in values:
        direct.observe(v)
        tally.observe(v)
    tally.flush(bulk)
    tally.flush(bulk)  # a second flush adds nothing
    samples: dict[str, dict[tuple[str, str | None], float]] = {}
    for family in registry.collect():
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            samples.setdefault(family.name, {})[(s.name.split("_", 1)[1], s.labels.get("le"))] = (
                s.value
            )
    assert samples["bulk"] == samples["direct"]
    assert samples["bulk"][("count", None)] == len(values)
