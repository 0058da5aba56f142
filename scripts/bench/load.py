"""The websocket load generator: real `websockets` clients on uvloop, in worker processes.

Each worker owns whole pairs (both sockets of a room/consultation), so the time from a send to
the peer's receipt is measured on one monotonic clock. The same code drives the bare relay
and the service; only the handshake differs (the service needs a token, `hello` and `join`).

Phases, run back to back on every worker from one shared wall-clock start:
- light: each socket sends after an exponential think time (rate = total / sockets);
- uniform: each socket sends after a think time drawn uniformly from `interval` seconds;
- sat:   each socket keeps `window` messages in flight; a peer's receipt releases the next.
`active` limits the sending sockets (per worker: its share); `heartbeat` > 0 makes every
socket, sending or not, send the protocol's `ping` frame that often (docs/protocol.md).
A message counts for a phase when it was sent inside it; receipts are awaited for `drain`
seconds after the phase ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import multiprocessing as mp
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvloop
from common import (
    cpu_seconds,
    machine_busy_seconds,
    percentile,
    postgres_cpu_seconds,
    raise_nofile,
    rss_bytes,
)
from noise import CpuMarks, loadavg, phase_load
from websockets.asyncio.client import ClientConnection, connect


@dataclass
class PairSpec:
    cid: int  # consultation id (service) or room number (bare)
    a_url: str
    b_url: str
    a_token: str | None = None
    b_token: str | None = None
    a_origin: str | None = None
    b_origin: str | None = None


@dataclass
class Phase:
    name: str
    kind: str  # "light" | "uniform" | "sat"
    duration: float
    rate_per_socket: float = 0.0
    window: int = 1
    active: int = 0  # how many sockets send (0: all); divided among the workers
    drain: float = 2.0
    interval: tuple[float, float] = (5.0, 10.0)  # uniform: think time bounds, seconds
    heartbeat: float = 0.0  # every socket sends `ping` this often (0: never)


@dataclass
class PhaseStats:
    start: float = 0.0
    end: float = 0.0
    sending: bool = False
    sent: int = 0
    received: int = 0  # peer receipts of messages sent in this phase
    in_window: int = 0  # peer receipts that happened inside the phase (throughput)
    latencies: list[float] = field(default_factory=list)  # ms
    ack_latencies: list[float] = field(default_factory=list)  # ms
    errors: dict[str, int] = field(default_factory=dict)


class Sock:
    __slots__ = ("ws", "role", "cid", "peer", "idx", "n", "inflight", "w")

    def __init__(self, ws: ClientConnection, role: str, cid: int, idx: int, w: Worker) -> None:
        self.ws = ws
        self.role = role
        self.cid = cid
        self.peer: Sock | None = None
        self.idx = idx
        self.n = 0
        self.inflight = 0
        self.w = w

    async def send_one(self) -> None:
        t = time.perf_counter_ns()
        self.n += 1
        self.inflight += 1
        phase = self.w.phase_of(t)  # as the receipt is counted: by the time it was sent
        if phase is not None:
            phase.sent += 1
        await self.ws.send(
            f'{{"type":"send","consultation_id":{self.cid},'
            f'"client_msg_id":"{t}-{self.idx}-{self.n}","text":"{t} bench message"}}'
        )


class Worker:
    def __init__(self, mode: str, pairs: list[PairSpec]) -> None:
        self.mode = mode
        self.pairs = pairs
        self.socks: list[Sock] = []
        self.phase: PhaseStats | None = None
        self.phases: list[PhaseStats] = []
        self.connect_failures = 0
        self.connect_timed_out = 0  # pairs not connected when the connect deadline passed
        self.half_open: list[Sock] = []  # a pair's first socket, when its second failed
        self.closed_early = 0
        self.stray_errors: dict[str, int] = {}
        self.pings = 0
        self.pongs = 0

    # -- connecting ---------------------------------------------------------------------
    async def _open(
        self, url: str, token: str | None, origin: str | None, cid: int, role: str, idx: int
    ) -> Sock:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        ws = await connect(
            url,
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            compression=None,
            ping_interval=None,
            open_timeout=60,
            max_size=2**20,
        )
        if self.mode == "service":
            hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if hello.get("type") != "hello":
                raise RuntimeError(f"expected hello, got {hello}")
            await ws.send(json.dumps({"type": "join", "consultation_id": cid}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("type") == "joined":
                    break
                if frame.get("type") == "error":
                    raise RuntimeError(f"join refused: {frame}")
        return Sock(ws, role, cid, idx, self)

    async def connect_all(self, concurrency: int, give_up_after: float) -> None:
        """Connect every pair, at most `concurrency` handshakes at a time; pairs still
        connecting after `give_up_after` seconds are given up (counted, not fatal): a slow server
        shows as fewer sockets, not as a crashed benchmark."""
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int, p: PairSpec) -> None:
            async with gate:
                a: Sock | None = None
                try:
                    a = await self._open(p.a_url, p.a_token, p.a_origin, p.cid, "client", 2 * i)
                    b = await self._open(p.b_url, p.b_token, p.b_origin, p.cid, "mentor", 2 * i + 1)
                except BaseException:
                    if a is not None:
                        self.half_open.append(a)
                    raise
                a.peer, b.peer = b, a
                self.socks += [a, b]

        tasks = [asyncio.create_task(one(i, p)) for i, p in enumerate(self.pairs)]
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=give_up_after)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self.connect_timed_out = len(pending)
        self.connect_failures = sum(1 for t in done if t.exception() is not None)

    # -- receiving ----------------------------------------------------------------------
    async def reader(self, sock: Sock) -> None:
        role = sock.role
        try:
            async for raw in sock.ws:
                now = time.perf_counter_ns()
                d = json.loads(raw)
                typ = d.get("type")
                if typ == "message":
                    if d["sender"]["role"] == role:
                        continue  # our own message echoed back
                    text = d["text"]
                elif typ == "send":  # the bare relay forwards our frame verbatim
                    text = d["text"]
                elif typ == "ack":
                    t = int(d["client_msg_id"].split("-", 1)[0])
                    ph = self.phase_of(t)
                    if ph is not None:
                        ph.ack_latencies.append((now - t) / 1e6)
                    continue
                elif typ == "pong":
                    self.pongs += 1
                    continue
                elif typ == "error":
                    code = str(d.get("code"))
                    ph = self.phase
                    target = ph.errors if ph is not None else self.stray_errors
                    target[code] = target.get(code, 0) + 1
                    continue
                else:
                    continue
                t = int(text.split(" ", 1)[0])
                ph = self.phase_of(t)
                if ph is not None:
                    ph.received += 1
                    ph.latencies.append((now - t) / 1e6)
                    if now < ph.end:
                        ph.in_window += 1
                sender = sock.peer
                if sender is not None:
                    sender.inflight -= 1
                    cur = self.phase
                    if (
                        cur is not None
                        and cur.sending
                        and self._sat_window
                        and time.perf_counter_ns() < cur.end
                    ):
                        while sender.inflight < self._sat_window:
                            await sender.send_one()
        except Exception:  # noqa: BLE001 - a dropped socket is counted
            self.closed_early += 1

    _sat_window = 0

    def phase_of(self, t: int) -> PhaseStats | None:
        for ph in self.phases:
            if ph.start <= t < ph.end:
                return ph
        return None

    # -- phases -------------------------------------------------------------------------
    async def _light_sender(self, sock: Sock, rate: float, end_ns: int) -> None:
        await self._send_until(
            sock, end_ns, random.random() / rate, lambda: random.expovariate(rate)
        )

    async def _uniform_sender(self, sock: Sock, lo: float, hi: float, end_ns: int) -> None:
        await self._send_until(sock, end_ns, random.uniform(0, hi), lambda: random.uniform(lo, hi))

    async def _send_until(
        self, sock: Sock, end_ns: int, first: float, think: Callable[[], float]
    ) -> None:
        """Send after each think time until the phase ends. A sender whose next send would
        fall after the end stops now instead of sleeping past it (a long exponential sleep
        kept the phase's gather waiting, and the next phase started late and short)."""
        wait = first
        while time.perf_counter_ns() + wait * 1e9 < end_ns:
            await asyncio.sleep(wait)
            if not await self._send(sock):
                return
            wait = think()

    async def _send(self, sock: Sock) -> bool:
        """Send one message; a socket the server closed stops sending (counted by the
        reader as closed early; the message counts as sent and not delivered)."""
        try:
            await sock.send_one()
        except Exception:  # noqa: BLE001 - ConnectionClosed and the like
            return False
        return True

    async def _heartbeat(self, sock: Sock, every: float, end_ns: int) -> None:
        await asyncio.sleep(random.uniform(0, every))
        while time.perf_counter_ns() < end_ns:
            with contextlib.suppress(Exception):
                await sock.ws.send('{"type":"ping"}')
            self.pings += 1
            await asyncio.sleep(every)

    async def run_phases(self, start_wall: float, phases: list[Phase]) -> None:
        offset_ns = time.perf_counter_ns() - time.time_ns()
        t = int(start_wall * 1e9) + offset_ns
        for ph in phases:
            stats = PhaseStats(start=t, end=t + int(ph.duration * 1e9))
            self.phases.append(stats)
            t = stats.end + int(ph.drain * 1e9)
        for ph, stats in zip(phases, self.phases, strict=True):
            await asyncio.sleep(max(0.0, (stats.start - time.perf_counter_ns()) / 1e9))
            self.phase = stats
            stats.sending = True
            for s in self.socks:
                s.inflight = 0
            senders = self.socks[: ph.active] if ph.active else self.socks
            beats = [
                asyncio.create_task(self._heartbeat(s, ph.heartbeat, int(stats.end)))
                for s in (self.socks if ph.heartbeat > 0 else ())
            ]
            if ph.kind in ("light", "uniform"):
                lo, hi = ph.interval
                tasks = [
                    asyncio.create_task(
                        self._light_sender(s, ph.rate_per_socket, int(stats.end))
                        if ph.kind == "light"
                        else self._uniform_sender(s, lo, hi, int(stats.end))
                    )
                    for s in senders
                ]
                await asyncio.gather(*tasks)
            else:
                self._sat_window = ph.window
                for s in senders:
                    for _ in range(ph.window):
                        await s.send_one()
                await asyncio.sleep(max(0.0, (stats.end - time.perf_counter_ns()) / 1e9))
                self._sat_window = 0
            stats.sending = False
            for b in beats:
                b.cancel()
            await asyncio.sleep(
                max(0.0, (stats.end + ph.drain * 1e9 - time.perf_counter_ns()) / 1e9)
            )
            self.phase = None

    async def close_all(self) -> None:
        async def close(s: Sock) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(s.ws.close(), 5)

        await asyncio.gather(*(close(s) for s in self.socks + self.half_open))


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The load generator's own pauses must not be measured as the server's latency: a worker
    holding 2,000 sockets spent 146-158 ms in full collections, three of them in one 10 s
    phase (gc.callbacks), which held every receipt in flight that long. What connecting
    built is frozen (never scanned again) and collection is off while the phases run."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def _worker_main(
    conn: Any, mode: str, pairs: list[PairSpec], concurrency: int, connect_timeout: float
) -> None:
    raise_nofile()
    w = Worker(mode, pairs)
    await w.connect_all(concurrency, connect_timeout)
    readers = [asyncio.create_task(w.reader(s)) for s in w.socks]
    conn.send(("ready", len(w.socks), w.connect_failures, w.connect_timed_out))
    loop = asyncio.get_running_loop()
    msg = await loop.run_in_executor(None, conn.recv)
    if msg[0] == "go":
        _, start_wall, phases = msg
        total = sum(p.duration + p.drain for p in phases) + 30
        with collector_paused(), contextlib.suppress(TimeoutError):
            await asyncio.wait_for(w.run_phases(start_wall, phases), total)
    result = [
        {
            "sent": s.sent,
            "received": s.received,
            "in_window": s.in_window,
            "latencies": s.latencies,
            "ack_latencies": s.ack_latencies,
            "errors": s.errors,
        }
        for s in w.phases
    ]
    await w.close_all()
    for r in readers:
        r.cancel()
    conn.send(("done", result, w.closed_early, w.stray_errors, (w.pings, w.pongs)))


def worker_entry(
    conn: Any, mode: str, pairs: list[PairSpec], concurrency: int, connect_timeout: float
) -> None:
    uvloop.run(_worker_main(conn, mode, pairs, concurrency, connect_timeout))


def run_load(
    mode: str,
    pairs: list[PairSpec],
    phases: list[Phase],
    server_pids: list[int],
    *,
    workers: int = 2,
    concurrency: int = 64,
    not_before: float | None = None,
    on_start: Callable[[float], None] | None = None,
    rss_pid: int | None = None,
    loadgen_pids: list[int] | None = None,
    connect_timeout: float = 120.0,
) -> dict[str, Any]:
    """Drive the pairs through the phases; return per-phase figures, server CPU included.

    not_before: wall-clock time the first phase may start at (the default: as soon as every
    socket is connected); on_start(start_wall) is called once the start is known; rss_pid:
    that process's RSS is read before connecting, once connected, and after the phases;
    loadgen_pids: other load-generating processes, counted in the load generator's CPU;
    connect_timeout: pairs not connected by then are given up and counted."""
    ctx = mp.get_context("spawn")
    chunks = [pairs[i::workers] for i in range(workers)]
    phases = [dataclasses.replace(p, active=-(-p.active // workers)) for p in phases]
    procs = []
    conns = []
    rss_before = rss_bytes(rss_pid) if rss_pid else 0
    connect_cpu = _cpu(server_pids, [])
    rss_connected = rss_after = 0
    for chunk in chunks:
        parent, child = ctx.Pipe()
        p = ctx.Process(
            target=worker_entry,
            args=(child, mode, chunk, concurrency, connect_timeout),
            daemon=True,
        )
        p.start()
        procs.append(p)
        conns.append(parent)
    try:
        t_connect = time.monotonic()
        sockets = failures = timed_out = 0
        for c in conns:
            if not c.poll(connect_timeout + 60):
                raise RuntimeError("load worker did not connect in time")
            _, n, f, late = c.recv()
            sockets += n
            failures += f
            timed_out += late
        connect_s = time.monotonic() - t_connect
        connect_cpu_after = _cpu(server_pids, [p.pid for p in procs if p.pid is not None])
        if rss_pid:
            rss_connected = rss_bytes(rss_pid)
        start = max(time.time() + 0.5, not_before or 0.0)
        if on_start is not None:
            on_start(start)
        for c in conns:
            c.send(("go", start, phases))
        pids = server_pids
        wpids = [p.pid for p in procs if p.pid is not None] + list(loadgen_pids or ())
        marks: list[tuple[CpuMarks, CpuMarks, tuple[float, float, float]]] = []
        t = start
        for ph in phases:
            time.sleep(max(0.0, t - time.time()))
            before = _cpu(pids, wpids)
            time.sleep(max(0.0, t + ph.duration - time.time()))
            after = _cpu(pids, wpids)
            marks.append((before, after, loadavg()))
            t += ph.duration + ph.drain
        if rss_pid:
            rss_after = rss_bytes(rss_pid)
        results = []
        closed_early = 0
        pings = pongs = 0
        stray: dict[str, int] = {}
        for c in conns:
            if not c.poll(max(60.0, t - time.time() + 60)):
                raise RuntimeError("load worker did not report")
            _, res, closed, errs, (pi, po) = c.recv()
            results.append(res)
            closed_early += closed
            pings += pi
            pongs += po
            for k, v in errs.items():
                stray[k] = stray.get(k, 0) + v
    finally:
        for p in procs:
            p.join(20)
            if p.is_alive():
                p.terminate()
                p.join(5)
    out: dict[str, Any] = {
        "sockets": sockets,
        "connect_failures": failures,
        "connect_timed_out_pairs": timed_out,
        "connect_seconds": round(connect_s, 2),
        # server CPU while connecting (handshake, session, hello, join), per socket
        "connect_server_cpu_ms_per_socket": round(
            (connect_cpu_after.server - connect_cpu.server) / max(sockets, 1) * 1000, 2
        ),
        "connect_other_cores": round(
            max(
                0.0,
                connect_cpu_after.machine
                - connect_cpu.machine
                - (connect_cpu_after.server - connect_cpu.server)
                - connect_cpu_after.loadgen
                - (connect_cpu_after.postgres - connect_cpu.postgres),
            )
            / max(connect_s, 0.001),
            2,
        ),
        "closed_early": closed_early,
        "stray_errors": stray,
        "pings_sent": pings,
        "pongs_received": pongs,
        "phases": {},
    }
    if rss_pid:
        out["rss_before_mib"] = round(rss_before / 2**20, 1)
        out["rss_connected_mib"] = round(rss_connected / 2**20, 1)
        out["rss_after_mib"] = round(rss_after / 2**20, 1)
        out["kib_per_socket"] = round((rss_connected - rss_before) / max(sockets, 1) / 1024, 1)
    for i, ph in enumerate(phases):
        lat = [x for r in results for x in r[i]["latencies"]]
        ack = [x for r in results for x in r[i]["ack_latencies"]]
        sent = sum(r[i]["sent"] for r in results)
        received = sum(r[i]["received"] for r in results)
        in_window = sum(r[i]["in_window"] for r in results)
        errors: dict[str, int] = {}
        for r in results:
            for k, v in r[i]["errors"].items():
                errors[k] = errors.get(k, 0) + v
        before, after, load = marks[i]
        server_cpu = after.server - before.server
        client_cpu = after.loadgen - before.loadgen
        pg_cpu = after.postgres - before.postgres
        busy = after.machine - before.machine
        out["phases"][ph.name] = {
            "kind": ph.kind,
            "senders": (ph.active * workers) if ph.active else sockets,
            "window": ph.window if ph.kind == "sat" else None,
            "seconds": ph.duration,
            "sockets": sockets,
            "sent": sent,
            "received": received,
            "lost": sent - received,
            "msgs_per_s": round(in_window / ph.duration, 1),
            "p50_ms": _r(percentile(lat, 50)),
            "p99_ms": _r(percentile(lat, 99)),
            "max_ms": _r(max(lat) if lat else None),
            "ack_p50_ms": _r(percentile(ack, 50)),
            "ack_p99_ms": _r(percentile(ack, 99)),
            "server_cpu_util": round(server_cpu / ph.duration, 2),
            "client_cpu_util": round(client_cpu / ph.duration, 2),
            "postgres_cpu_util": round(pg_cpu / ph.duration, 2),
            "machine_cpu_util": round(busy / ph.duration, 2),
            "server_cpu_us_per_msg": round(server_cpu / in_window * 1e6, 1) if in_window else None,
            "noise": {**phase_load(before, after, ph.duration), "loadavg_1m": load[0]},
            "errors": errors,
        }
    return out


def _cpu(pids: list[int], wpids: list[int]) -> CpuMarks:
    return CpuMarks(
        server=sum(cpu_seconds(x) for x in pids),
        loadgen=sum(cpu_seconds(x) for x in wpids),
        postgres=postgres_cpu_seconds(),
        machine=machine_busy_seconds(),
    )


def _r(x: float | None) -> float | None:
    return round(x, 2) if x is not None else None


def cpu_count() -> int:
    return os.cpu_count() or 1


# -- idle connections -------------------------------------------------------------------------
async def _idle_main(
    conn: Any, targets: list[tuple[str, str | None, str | None]], concurrency: int
) -> None:
    """Open every (url, token, origin) socket, wait for `hello` where there is one, hold."""
    raise_nofile()
    gate = asyncio.Semaphore(concurrency)
    socks: list[ClientConnection] = []
    failures = 0

    async def one(url: str, token: str | None, origin: str | None) -> None:
        nonlocal failures
        async with gate:
            try:
                ws = await connect(
                    url,
                    additional_headers={"Authorization": f"Bearer {token}"} if token else None,
                    origin=origin,  # type: ignore[arg-type]
                    compression=None,
                    ping_interval=None,
                    open_timeout=60,
                )
                if token:
                    await asyncio.wait_for(ws.recv(), 30)  # hello
                socks.append(ws)
            except Exception:  # noqa: BLE001 - counted
                failures += 1

    await asyncio.wait_for(asyncio.gather(*(one(*t) for t in targets)), 150)
    conn.send(("ready", len(socks), failures))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)

    async def close(ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)

    await asyncio.gather(*(close(ws) for ws in socks))
    conn.send(("closed",))


def idle_entry(
    conn: Any, targets: list[tuple[str, str | None, str | None]], concurrency: int
) -> None:
    uvloop.run(_idle_main(conn, targets, concurrency))


class IdleClients:
    """Worker processes holding idle sockets; `open()` returns (sockets, failures, seconds)."""

    def __init__(self, targets: list[tuple[str, str | None, str | None]], workers: int = 2) -> None:
        self.targets = targets
        self.workers = workers
        self.procs: list[Any] = []
        self.conns: list[Any] = []

    def open(self, concurrency: int = 64) -> tuple[int, int, float]:
        ctx = mp.get_context("spawn")
        t0 = time.monotonic()
        for i in range(self.workers):
            parent, child = ctx.Pipe()
            p = ctx.Process(
                target=idle_entry,
                args=(child, self.targets[i :: self.workers], concurrency),
                daemon=True,
            )
            p.start()
            self.procs.append(p)
            self.conns.append(parent)
        n = f = 0
        for c in self.conns:
            if not c.poll(180):
                raise RuntimeError("idle worker did not connect in time")
            _, a, b = c.recv()
            n += a
            f += b
        return n, f, time.monotonic() - t0

    def close(self) -> None:
        for c in self.conns:
            with contextlib.suppress(Exception):
                c.send(("close",))
        for c in self.conns:
            with contextlib.suppress(Exception):
                c.poll(30)
        for p in self.procs:
            p.join(20)
            if p.is_alive():
                p.terminate()
                p.join(5)
