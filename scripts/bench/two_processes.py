"""Two processes on PostgreSQL: every consultation's client on one server process, its mentor
on another, so every message crosses processes (NOTIFY pointer, then a read-back)."""

from __future__ import annotations

from typing import Any

import relay
from load import Phase


def run(pairs: int, phases: list[Phase], workers: int) -> dict[str, Any]:
    return relay.service("postgres", pairs, phases, workers, processes=2)
