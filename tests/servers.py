"""A real uvicorn, started the way `make run` starts it, for protocol and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_process(
    workdir: Path, *args: str, name: str = "serve", **env_overrides: str
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """Run scripts/serve.py on a free port (its own SQLite file unless DATABASE_URL is
    given); yield (base URL, log file, process) once /healthz answers."""
    port = free_port()
    log = workdir / f"{name}.log"
    env = {
        **os.environ,
        "YORISOI_DEV": "1",
        "YORISOI_PORT": str(port),
        "DATABASE_URL": f"sqlite:///{workdir}/demo.db",
        "YORISOI_HASH_PROFILE": "fast",
        **env_overrides,
    }
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "scripts/serve.py", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield base, log, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)


@contextmanager
def running_server(workdir: Path, **env_overrides: str) -> Iterator[tuple[str, Path]]:
    """scripts/serve.py as `make run` starts it; yield (base URL, log)."""
    with serve_process(workdir, **env_overrides) as (base, log, _proc):
        yield base, log
