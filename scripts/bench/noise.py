"""How noisy a run was: the machine's other load during a phase, the baseline's drift, and
the evaluation of the issue's targets. Pure functions (unit-tested), plus /proc readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CpuMarks:
    """CPU seconds at one instant: ours (server, load generator, PostgreSQL) and the machine."""

    server: float
    loadgen: float
    postgres: float
    machine: float  # every core's non-idle time (/proc/stat)


def phase_load(before: CpuMarks, after: CpuMarks, seconds: float) -> dict[str, float]:
    """Cores used over a phase by each party; `other` = the machine minus server, load
    generator and PostgreSQL (other helpers, the kernel's own work on their behalf), never
    below 0 (the readings are not taken at the same instant)."""
    if seconds <= 0:
        raise ValueError("a phase lasts a positive time")
    server = max(0.0, after.server - before.server) / seconds
    loadgen = max(0.0, after.loadgen - before.loadgen) / seconds
    postgres = max(0.0, after.postgres - before.postgres) / seconds
    machine = max(0.0, after.machine - before.machine) / seconds
    other = max(0.0, machine - server - loadgen - postgres)
    return {
        "server_cores": round(server, 2),
        "loadgen_cores": round(loadgen, 2),
        "postgres_cores": round(postgres, 2),
        "machine_cores": round(machine, 2),
        "other_cores": round(other, 2),
    }


def spread(values: Sequence[float]) -> float | None:
    """(max − min) / mean of repeated measurements of the same thing; None if fewer than 2."""
    vals = [v for v in values if v is not None]
    if len(vals) < 2:
        return None
    mean = sum(vals) / len(vals)
    if mean == 0:
        return None
    return round((max(vals) - min(vals)) / mean, 3)


def loadavg() -> tuple[float, float, float]:
    with open("/proc/loadavg") as f:
        a, b, c = f.read().split()[:3]
    return float(a), float(b), float(c)


def verdict(
    value: float | None, *, at_least: float | None = None, at_most: float | None = None
) -> bool | None:
    """Met (True), missed (False) or not measured (None) for a one-sided target."""
    if value is None:
        return None
    if at_least is not None and value < at_least:
        return False
    return not (at_most is not None and value > at_most)
