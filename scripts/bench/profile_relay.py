"""Profile the service under the relay load with py-spy (not part of `make bench`).

    .venv/bin/python scripts/bench/profile_relay.py [sqlite|postgres|postgres2] [pairs] [msgs_per_s|sat]

`sat` profiles the saturation phase as relay.py runs it (400 sockets, one message each in
flight) instead of a light load of msgs_per_s.

postgres2: two processes on PostgreSQL, each pair's client on one and its mentor on the
other (as two_processes.py), the first process profiled. Writes
bench-results/profile-<db>.txt (collapsed stacks) and prints the top frames by inclusive and
by self time. Needs py-spy (pip install py-spy) and ptrace rights (root).
"""

from __future__ import annotations

import asyncio
import collections
import shutil
import subprocess
import sys

from common import RESULTS, database, raise_nofile, start_service
from load import Phase, run_load
from relay import CLOCK
from seed import seed
from two_processes import specs_across


def summarize(path: str, top: int = 30) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if not count.isdigit():
                continue  # a line py-spy cut short
            n = int(count)
            total += n
            frames = stack.split(";")
            for fr in set(frames):
                inclusive[fr] += n
            own[frames[-1]] += n
    out = [f"samples: {total}", "", "inclusive:"]
    out += [f"{100 * n / total:5.1f}%  {fr}" for fr, n in inclusive.most_common(top)]
    out += ["", "self:"]
    out += [f"{100 * n / total:5.1f}%  {fr}" for fr, n in own.most_common(top)]
    return "\n".join(out)


def main() -> None:
    raise_nofile()
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    db_kind, processes = ("postgres", 2) if kind == "postgres2" else (kind, 1)
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    mode = sys.argv[3] if len(sys.argv) > 3 else "300"
    spy = shutil.which("py-spy") or str(RESULTS.parent / ".venv" / "bin" / "py-spy")
    out = RESULTS / f"profile-{kind}.txt"
    with database(db_kind, "profile") as url:
        seeded = asyncio.run(
            seed(
                url, now=CLOCK, mentors=pairs, mentor_sessions=True, clients=pairs, open_pairs=pairs
            )
        )
        env = {"YORISOI_CLOCK_START": CLOCK.isoformat(), "YORISOI_LINES": "500"}
        servers = [start_service(url, env=env, name=f"profile-{i}") for i in range(processes)]
        server = servers[0]
        try:
            specs = specs_across(seeded, servers)  # one server: every pair on it
            holder: dict[str, subprocess.Popen[bytes]] = {}

            def attach(_start: float) -> None:
                """Once every socket is connected: the profile is the steady load only."""
                holder["spy"] = subprocess.Popen(
                    [spy, "record", "--pid", str(server.pid), "--duration", "10"]
                    + ["--rate", "200", "--format", "raw", "--output", str(out)]
                    + ["--nonblocking", "--gil"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )

            if mode == "sat":
                phase = Phase("sat", "sat", 10, window=1, active=min(400, 2 * pairs), drain=2)
            else:
                phase = Phase(
                    "sat", "light", 10, rate_per_socket=float(mode) / (2 * pairs), drain=2
                )
            phases = [phase]
            pids = [s.pid for s in servers]
            result = run_load("service", specs, phases, pids, workers=1, on_start=attach)
            holder["spy"].wait(60)
        finally:
            for s in servers:
                s.stop()
    print(result["phases"]["sat"], result.get("closed_early"), result.get("stray_errors"))
    print(summarize(str(out)))


if __name__ == "__main__":
    main()
