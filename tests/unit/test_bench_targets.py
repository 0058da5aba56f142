"""The benchmark harness's own arithmetic: the machine's other load during a phase, the
baseline's spread, and the issue's targets judged on a results file (scripts/bench)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "bench"))

from booking_storm import combine  # noqa: E402
from noise import CpuMarks, phase_load, spread, verdict  # noqa: E402
from targets import bare_reference, evaluate  # noqa: E402


def test_other_load_is_the_machine_minus_our_processes() -> None:
    before = CpuMarks(server=10.0, loadgen=5.0, postgres=1.0, machine=100.0)
    after = CpuMarks(server=14.0, loadgen=6.0, postgres=2.0, machine=116.0)
    load = phase_load(before, after, 8.0)
    assert load == {
        "server_cores": 0.5,
        "loadgen_cores": 0.12,  # 1 s / 8 s, rounded
        "postgres_cores": 0.12,
        "machine_cores": 2.0,
        "other_cores": 1.25,
    }


def test_other_load_never_goes_below_zero() -> None:
    # The readings are not taken at the same instant: ours may exceed the machine's total.
    before = CpuMarks(server=0.0, loadgen=0.0, postgres=0.0, machine=0.0)
    after = CpuMarks(server=1.1, loadgen=0.0, postgres=0.0, machine=1.0)
    assert phase_load(before, after, 1.0)["other_cores"] == 0.0
    with pytest.raises(ValueError):
        phase_load(before, after, 0.0)


def test_spread_is_range_over_mean() -> None:
    assert spread([90.0, 110.0]) == 0.2
    assert spread([5.0]) is None
    assert spread([]) is None
    assert spread([0.0, 0.0]) is None


def test_verdict_on_one_sided_targets() -> None:
    assert verdict(0.3, at_least=0.25) is True
    assert verdict(0.2, at_least=0.25) is False
    assert verdict(4.0, at_most=4) is True
    assert verdict(4.1, at_most=4) is False
    assert verdict(None, at_most=4) is None


def _relay(msgs: float, cpu: float, p99: float = 5.0, lost: int = 0) -> dict[str, Any]:
    return {
        "phases": {
            "saturation": {"msgs_per_s": msgs, "server_cpu_us_per_msg": cpu},
            "light": {"p99_ms": p99, "lost": lost},
        }
    }


def test_bare_reference_is_the_mean_of_before_and_after() -> None:
    b = {"relay_bare": _relay(10_000, 20), "relay_bare_after": _relay(8_000, 30)}
    assert bare_reference(b) == {"msgs_per_s": 9_000, "cpu_us_per_msg": 25}
    assert bare_reference({"relay_bare": _relay(10_000, 20)}) == {
        "msgs_per_s": 10_000,
        "cpu_us_per_msg": 20,
    }


def test_relay_targets_are_ratios_against_the_same_run_bare_relay() -> None:
    b = {
        "relay_bare": _relay(10_000, 20),
        "relay_bare_after": _relay(10_000, 20),
        "relay_sqlite": _relay(3_000, 70, p99=12.0),
        "relay_postgres": _relay(2_000, 90, p99=25.0, lost=3),
    }
    rows = {name: (measured, ok) for name, measured, ok in evaluate(b)}
    assert rows["relay saturation ≥ 0.25× bare (SQLite)"] == ("0.30×", True)
    assert rows["server CPU/msg ≤ 4× bare (SQLite)"] == ("3.50×", True)
    assert rows["light load p99 ≤ 20 ms, all delivered (SQLite)"] == (
        "p99 12.0 ms, all delivered",
        True,
    )
    assert rows["relay saturation ≥ 0.25× bare (PostgreSQL)"] == ("0.20×", False)
    assert rows["server CPU/msg ≤ 4× bare (PostgreSQL)"] == ("4.50×", False)
    # p99 misses and 3 messages were not delivered: missed either way
    assert rows["light load p99 ≤ 20 ms, all delivered (PostgreSQL)"][1] is False


def test_a_small_socket_run_is_shown_but_not_judged() -> None:
    tenk: dict[str, Any] = {
        "sockets": 1_000,
        "attempted": 1_000,
        "connect_failures": 0,
        "connect_timed_out_pairs": 0,
        "connect_seconds": 12.0,
        "closed_early": 0,
        "kib_per_socket": 28.0,
        "offered_msgs_per_s": 100.0,
        "phases": {"light": {"p99_ms": 10.0, "lost": 0}},
    }
    rows = {name: ok for name, _measured, ok in evaluate({"tenk_sqlite": tenk})}
    assert rows["10,000 authenticated, joined sockets in one process"] is None
    assert rows["… at ≤ 30 KiB each"] is True
    full = {**tenk, "sockets": 9_990, "attempted": 10_000, "connect_timed_out_pairs": 5}
    rows = {name: ok for name, _measured, ok in evaluate({"tenk_sqlite": full})}
    assert rows["10,000 authenticated, joined sockets in one process"] is False


def test_realistic_row_needs_every_guarantee() -> None:
    def http(p99: float, http_500: int = 0) -> dict[str, Any]:
        return {"requests": 100, "p99_ms": p99, "http_500": http_500}

    real = {
        "phases": {"chat": {"p99_ms": 9.0, "lost": 0}},
        "booking": http(30.0),
        "chat_now": http(60.0, http_500=1),
        "burst": {"told": 100, "reservations": 100, "lateness_p99_ms": 400.0},
        "overbooked_ticks": 0,
        "overbooked_ticks_by_consultation": 0,
    }
    rows = {name: ok for name, _measured, ok in evaluate({"real_postgres": real})}
    assert rows["realistic: send→peer p99 ≤ 15 ms, all delivered (PostgreSQL)"] is True
    assert rows["realistic: booking p99 ≤ 50 ms (PostgreSQL)"] is True
    assert rows["realistic: chat-now p99 ≤ 50 ms (PostgreSQL)"] is False
    assert rows["realistic: 17:00 burst all told, p99 ≤ 1 s (PostgreSQL)"] is True
    assert rows["realistic: 0 overbooked, 0 × 500 (PostgreSQL)"] is False


def test_the_storm_reports_its_median_round_and_every_rounds_faults() -> None:
    def storm(rate: float, over: int = 0, http_500: int = 0) -> dict[str, Any]:
        return {
            "req_per_s": rate,
            "server_cpu_ms_per_req": round(1000 / rate, 2),
            "p99_ms": 1000.0,
            "overbooked_ticks": over,
            "overbooked_ticks_by_consultation": 0,
            "mentor_double_booked": 0,
            "http_500": http_500,
        }

    got = combine([storm(950.0), storm(450.0, over=1), storm(880.0, http_500=2)])
    assert got["req_per_s"] == 880.0 and got["server_cpu_ms_per_req"] == 1.14
    assert [r["req_per_s"] for r in got["rounds"]] == [950.0, 450.0, 880.0]
    # a fault in any round shows, even when that round is not the median
    assert got["overbooked_ticks"] == 1 and got["http_500"] == 2
    rows = {name: (measured, ok) for name, measured, ok in evaluate({"storm_postgres": got})}
    assert rows["booking storm ≥ 1,000 req/s (PostgreSQL)"] == (
        "880.0 req/s (median of 3 rounds: 950.0 / 450.0 / 880.0)",
        False,
    )
    assert rows["booking storm: 0 overbooked, 0 × 500 (PostgreSQL)"][1] is False
