"""GET /metrics on a live server: what moves when people talk, what is read from the
database, and who may ask (docs/operations.md, "Metrics and logs")."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlmodel import col

from app.clock import ManualClock
from app.db.tables import LineHold, QueueEntry
from app.rules.capacity import current_tick
from tests.conftest import make_settings
from tests.helpers import bearer, sign_up
from tests.protocol.conftest import Live, live_server, ws_client
from tests.protocol.helpers import chat_pair, join_all

TOKEN = "metrics-token-0123456789"


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(
    live: Live, **headers: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = await live.http.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(r.text)


async def until(live: Live, check: Any, tries: int = 100) -> dict[Any, float]:
    """Scrape until `check(samples)` holds (the server acts on its own time)."""
    for _ in range(tries):
        samples = await scrape(live)
        if check(samples):
            return samples
        await asyncio.sleep(0.05)
    raise AssertionError("the metrics never showed it")


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_scrape_shows_messages_acks_sockets_lines_and_the_waiting_line(
    db_url: str, clock: ManualClock
) -> None:
    async with live_server(make_settings(db_url, lines=1), clock) as live:
        pair = await chat_pair(live)  # chat-now: the one line is taken
        before = await scrape(live)
        async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
            during = await scrape(live)
            assert value(during, "yorisoi_websockets_open", role="client") == (
                value(before, "yorisoi_websockets_open", role="client") + 1
            )
            assert value(during, "yorisoi_websockets_open", role="mentor") == (
                value(before, "yorisoi_websockets_open", role="mentor") + 1
            )
            await join_all(pair.consultation_id, child, mentor)
            for i in range(3):
                await child.send(
                    type="send",
                    consultation_id=pair.consultation_id,
                    client_msg_id=f"c{i}",
                    text="こんにちは",
                )
                await child.expect("ack", client_msg_id=f"c{i}")
            await mentor.send(
                type="send", consultation_id=pair.consultation_id, client_msg_id="m0", text="はい"
            )
            await mentor.expect("ack", client_msg_id="m0")
            waiter = await sign_up(live.http, "まつひと")
            r = await live.http.post("/api/queue", json={}, headers=bearer(waiter))
            assert r.status_code == 201, r.text
            after = await scrape(live)
        for name in ("yorisoi_messages_stored_total", "yorisoi_ack_seconds_count"):
            assert value(after, name) - value(before, name) == 4, name
        assert (
            value(after, "yorisoi_message_batch_size_sum")
            - value(before, "yorisoi_message_batch_size_sum")
            == 4
        )
        assert value(after, "yorisoi_message_batch_seconds_count") > value(
            before, "yorisoi_message_batch_seconds_count"
        )
        assert value(after, "yorisoi_db_pool_wait_seconds_count") > value(
            before, "yorisoi_db_pool_wait_seconds_count"
        )
        # The loop's lateness is sampled all along (20 a second), whatever the load.
        assert value(after, "yorisoi_event_loop_lag_seconds_count") > value(
            before, "yorisoi_event_loop_lag_seconds_count"
        )
        async with live.ctx.db.read() as s:
            held = await s.scalar(
                select(func.count())
                .select_from(LineHold)
                .where(col(LineHold.tick) == current_tick(live.ctx.now()))
            )
            waiting = await s.scalar(
                select(func.count())
                .select_from(QueueEntry)
                .where(col(QueueEntry.state) == "waiting")
            )
        assert value(after, "yorisoi_database_up") == 1
        assert value(after, "yorisoi_lines_capacity") == 1
        assert value(after, "yorisoi_lines_in_use") == held == 1
        assert value(after, "yorisoi_waiting_line_length") == waiting == 1
        assert value(after, "yorisoi_consultations_open") == 1
        # the sockets closed (the server notices on its own time): the gauge goes back
        gauge = ("yorisoi_websockets_open", (("role", "client"),))
        await until(live, lambda now: now.get(gauge, 0.0) == before.get(gauge, 0.0))


def refused(r: httpx.Response) -> None:
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "not_found"


async def test_only_allowed_addresses_or_the_token_may_scrape(clock: ManualClock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.db.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/yorisoi.db"
    await upgrade(url)
    # The default: loopback only; a request a proxy forwarded is not admitted by address
    # unless that proxy is trusted (its address says nothing about who asked).
    async with live_server(make_settings(url), clock) as live:
        assert (await live.http.get("/metrics")).status_code == 200
        refused(await live.http.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}))
        # no token configured: an Authorization header changes nothing
        assert (await live.http.get("/metrics", headers=bearer(TOKEN))).status_code == 200
    # Another network only, and a token: loopback is refused, the token works, a wrong
    # token is refused (whatever the address).
    settings = make_settings(url, metrics_allow=("10.0.0.0/8",), metrics_token=TOKEN)
    async with live_server(settings, clock) as live:
        refused(await live.http.get("/metrics"))
        refused(await live.http.get("/metrics", headers=bearer(TOKEN[:-1] + "x")))
        assert (await live.http.get("/metrics", headers=bearer(TOKEN))).status_code == 200
        assert (await live.http.head("/metrics", headers=bearer(TOKEN))).status_code == 200
    # Behind a trusted proxy: the forwarded address is the one checked.
    settings = make_settings(url, metrics_allow=("10.0.0.0/8",), trusted_proxies=("127.0.0.1",))
    async with live_server(settings, clock) as live:
        ok = await live.http.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
        assert ok.status_code == 200
        refused(await live.http.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}))
        refused(await live.http.get("/metrics"))  # the proxy itself is not on the list
    # Nobody by address: the token only.
    settings = make_settings(url, metrics_allow=(), metrics_token=TOKEN)
    async with live_server(settings, clock) as live:
        refused(await live.http.get("/metrics"))
        assert (await live.http.get("/metrics", headers=bearer(TOKEN))).status_code == 200
