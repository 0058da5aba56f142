"""The operator's view on real `scripts/serve.py` processes: JSON log lines that never carry
what people typed, and one scrape that shows every process of a PostgreSQL deployment."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import _truncate
from tests.protocol.test_metrics import parse, value
from tests.protocol.test_two_processes import open_ws
from tests.servers import serve_process

CLOCK = "2026-12-01T16:00:00+09:00"
SECRET_TEXT = "ないしょのことば-xyzzy-4711"
NICKNAME = "めだつなまえ-plugh"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def talk(http: httpx.AsyncClient, base: str, texts: list[str]) -> None:
    """A child opens a chat-now consultation on `base` and sends `texts` (each acked)."""
    r = await http.post(
        f"{base}/api/clients",
        json={"nickname": NICKNAME, "secret": "secret-1", "audience": "child"},
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    mentors = (await http.get(f"{base}/api/mentors?audience=child")).json()["mentors"]
    free = [m["id"] for m in mentors if m["chat_now"]["possible"]]
    r = await http.post(f"{base}/api/chat-now", json={"mentor_id": free[0]}, headers=auth(token))
    assert r.status_code == 201, r.text
    cid = r.json()["consultation"]["id"]
    sock = await open_ws(base, token)
    try:
        await sock.send(type="join", consultation_id=cid)
        await sock.expect("joined")
        for i, text in enumerate(texts):
            await sock.send(type="send", consultation_id=cid, client_msg_id=f"t{i}", text=text)
            await sock.expect("ack", client_msg_id=f"t{i}")
    finally:
        await sock.conn.close()


async def test_json_logs_are_one_object_per_line_without_what_people_typed(
    tmp_path: Path,
) -> None:
    env = {"YORISOI_LOG_FORMAT": "json", "YORISOI_CLOCK_START": CLOCK}
    with serve_process(tmp_path, name="json", **env) as (base, log, proc):
        async with httpx.AsyncClient(timeout=20) as http:
            # a crisis word too: its alert is logged (consultation id and category only)
            await talk(http, base, [SECRET_TEXT, f"{SECRET_TEXT} しにたい"])
            assert (await http.get(f"{base}/metrics")).status_code == 200
        proc.terminate()
        proc.wait(timeout=20)
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]  # every one parses
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    loggers = {e["logger"] for e in entries}
    assert {"yorisoi", "uvicorn.access", "yorisoi.safety"} <= loggers
    access = next(e for e in entries if e["logger"] == "uvicorn.access")
    assert {"client", "method", "path", "status"} <= access.keys()
    crisis = next(e for e in entries if e["logger"] == "yorisoi.safety")
    assert crisis["level"] == "WARNING" and "suicide" in crisis["message"]
    text = log.read_text()
    assert SECRET_TEXT not in text and "xyzzy" not in text
    assert NICKNAME not in text and "plugh" not in text


@pytest.mark.postgres
async def test_a_scrape_of_one_process_counts_the_other_processes_too(
    pg_database: str, tmp_path: Path
) -> None:
    await _truncate(pg_database)
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {
        "DATABASE_URL": pg_database,
        "YORISOI_CLOCK_START": CLOCK,
        "YORISOI_METRICS_DIR": str(shared),
    }
    with serve_process(tmp_path, name="a", **env) as (a, _la, _pa):
        async with httpx.AsyncClient(timeout=20) as http:
            before = parse((await http.get(f"{a}/metrics")).text)
            with serve_process(tmp_path, "--no-seed", name="b", **env) as (b, _lb, proc_b):
                r = await http.post(
                    f"{b}/api/clients",
                    json={"nickname": "よそのこ", "secret": "secret-1", "audience": "child"},
                )
                token = r.json()["token"]
                sock = await open_ws(b, token)  # a socket on b only
                on_b = parse((await http.get(f"{a}/metrics")).text)
                assert value(on_b, "yorisoi_websockets_open", role="client") == 1
                await sock.conn.close()
                await talk(http, b, ["ひとつめ", "ふたつめ", "みっつめ"])  # stored by b
                after = parse((await http.get(f"{a}/metrics")).text)
                stored = "yorisoi_messages_stored_total"
                assert value(after, stored) - value(before, stored) == 3
                acks = "yorisoi_ack_seconds_count"  # b hands these over once a second
                for _ in range(100):
                    if value(after, acks) - value(before, acks) == 3:
                        break
                    await asyncio.sleep(0.05)
                    after = parse((await http.get(f"{a}/metrics")).text)
                assert value(after, acks) - value(before, acks) == 3
                assert value(after, "yorisoi_consultations_open") == 1  # a fact of the database
                assert value(after, "yorisoi_lines_in_use") == 1
                assert value(after, "yorisoi_scheduler_running") == 1  # exactly one leads
                proc_b.terminate()
                proc_b.wait(timeout=20)
            # b stopped: its totals stay, its sockets are gone
            gone = parse((await http.get(f"{a}/metrics")).text)
            assert value(gone, "yorisoi_messages_stored_total") == value(
                after, "yorisoi_messages_stored_total"
            )
            assert value(gone, "yorisoi_websockets_open", role="client") == 0
