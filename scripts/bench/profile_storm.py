"""Profile the service under the booking storm with py-spy (not part of `make bench`).

    .venv/bin/python scripts/bench/profile_storm.py [sqlite|postgres] [requests]

Writes bench-results/profile-storm-<db>.txt (collapsed stacks) and prints the storm's figures
and the top frames by inclusive and by self time. Needs py-spy and ptrace rights (root).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import booking_storm
from common import RESULTS
from profile_relay import summarize


def main() -> None:
    db_kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    spy = shutil.which("py-spy") or str(RESULTS.parent / ".venv" / "bin" / "py-spy")
    out = RESULTS / f"profile-storm-{db_kind}.txt"
    holder: dict[str, subprocess.Popen[bytes]] = {}

    def attach(pid: int) -> None:  # called once the server is up, before the storm
        holder["spy"] = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw"]
            + ["--output", str(out), "--nonblocking", "--gil"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def detach() -> None:  # after the storm, before the server stops
        spy_proc = holder["spy"]
        spy_proc.send_signal(2)
        spy_proc.wait(60)

    result = booking_storm.run(db_kind, n, before_storm=attach, after_storm=detach)
    print({k: v for k, v in result.items() if k != "server_log_tail"})
    print(summarize(str(out)))


if __name__ == "__main__":
    main()
