"""Shared helpers for the benchmarks: servers as subprocesses, /proc readings, databases.

Everything binds 127.0.0.1. Every wait has a deadline; every server started here is stopped
here, by its own pid.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
RESULTS = ROOT / "bench-results"
TMP = RESULTS / "tmp"
PY = sys.executable
JST = ZoneInfo("Asia/Tokyo")
HOST = "127.0.0.1"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# Knobs every service run gets (see app/settings.py).
SERVICE_ENV = {
    "YORISOI_DEV": "1",
    "YORISOI_HASH_PROFILE": "fast",
    "YORISOI_WS_MESSAGES_PER_MINUTE": "100000",
    "YORISOI_WS_FRAMES_PER_MINUTE": "1000000",
    "YORISOI_WS_MAX_PER_ACCOUNT": "1000",
}


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds spent not idle, all cores together (from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLK_TCK


def postgres_cpu_seconds() -> float:
    """utime + stime of every PostgreSQL process on the machine (read-only look at /proc)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            total += cpu_seconds(int(entry))
        except OSError:
            continue
    return total


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def jst(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=JST)


# -- databases -------------------------------------------------------------------------------
@contextlib.contextmanager
def database(kind: str, label: str) -> Iterator[str]:
    """A throw-away database URL (sqlite file or PostgreSQL database), removed afterwards."""
    name = f"bench_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if kind == "sqlite":
        TMP.mkdir(parents=True, exist_ok=True)
        path = TMP / f"{name}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
        return
    psql(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        [
            "psql",
            "-h",
            HOST,
            "-U",
            "postgres",
            "-d",
            db,
            "-XAtq",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


def postgres_available() -> bool:
    try:
        psql("SELECT 1")
        return True
    except Exception:  # noqa: BLE001
        return False


# -- servers ---------------------------------------------------------------------------------
def http_get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(
                f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
            )
            data = s.recv(64)
        return int(data.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return None


def stalls(port: int) -> dict[str, Any]:
    """What the service's own /metrics says about its stops: event-loop lag samples and
    garbage-collector pauses, counted past each bound (a p99 of a few thousand messages is
    one or two such stops). Each value is None when /metrics cannot be read."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as r:  # noqa: S310 - our own server
            families = {f.name: f for f in text_string_to_metric_families(r.read().decode())}
    except OSError:
        return {"loop_lag": None, "gc_pause": None}

    def over(metric: str, bounds: tuple[float, ...]) -> dict[str, int]:
        """{bound: samples above it} from the cumulative buckets, summed over labels."""
        buckets: Counter[float] = Counter()
        family = families.get(metric)
        for sample in family.samples if family else ():
            if sample.name.endswith("_bucket"):
                buckets[float(sample.labels["le"])] += sample.value

        def at_most(b: float) -> float:  # the cumulative count of the largest bucket <= b
            return buckets[max((le for le in buckets if le <= b), default=0.0)]

        return {f">{b:g}s": int(buckets[math.inf] - at_most(b)) for b in bounds}

    return {
        "loop_lag": over("yorisoi_event_loop_lag_seconds", (0.025, 0.05, 0.1, 0.25)),
        "gc_pause": over("yorisoi_gc_pause_seconds", (0.01, 0.025, 0.05, 0.1)),
    }


def stalls_between(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """The stalls counted by `after` and not yet by `before` (None: all of them)."""
    if before is None:
        return after
    out: dict[str, Any] = {}
    for kind, counts in after.items():
        was = before.get(kind)
        out[kind] = (
            None
            if counts is None or was is None
            else {bound: n - was.get(bound, 0) for bound, n in counts.items()}
        )
    return out


class Server:
    """A server subprocess (the service via scripts/serve.py, or the bare relay)."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        TMP.mkdir(parents=True, exist_ok=True)
        self.log_path = TMP / f"{name}-{port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            if http_get_status(self.port, path) == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready in {timeout}s; see {self.log_path}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def start_service(
    db_url: str,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    name: str = "service",
) -> Server:
    port = port or free_port()
    full = {**os.environ, **SERVICE_ENV, "YORISOI_PORT": str(port), "DATABASE_URL": db_url}
    full.pop("YORISOI_SECRET_KEY", None)  # tokens are seeded with the dev secret
    full.update(env or {})
    server = Server(name, [PY, str(ROOT / "scripts" / "serve.py"), "--no-seed"], full, port)
    try:
        server.wait_ready()
    except Exception:
        server.stop()
        raise
    return server


def start_bare(port: int | None = None) -> Server:
    port = port or free_port()
    env = {**os.environ, "BARE_PORT": str(port)}
    server = Server("bare", [PY, str(BENCH / "bare_relay.py")], env, port)
    try:
        server.wait_ready("/healthz")
    except Exception:
        server.stop()
        raise
    return server


# -- the machine -----------------------------------------------------------------------------
def machine() -> dict[str, object]:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    versions = {}
    for dist in (
        "starlette",
        "uvicorn",
        "websockets",
        "uvloop",
        "httptools",
        "sqlalchemy",
        "asyncpg",
        "aiosqlite",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    import sqlite3

    versions["sqlite"] = sqlite3.sqlite_version
    with contextlib.suppress(Exception):
        versions["postgresql"] = psql("SHOW server_version")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "versions": versions,
    }
