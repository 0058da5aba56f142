"""What a careful reviewer would try. Each attempt gets a clear refusal and changes nothing."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.db.tables import AuthSession, Client, Consultation, Message
from tests.helpers import add_mentor, bearer, error_code, sign_up
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair


async def _counts(live: Live) -> tuple[int, ...]:
    counts = []
    async with live.ctx.db.read() as s:
        for model in (Client, Consultation, Message, AuthSession):
            counts.append(
                int((await s.execute(select(func.count()).select_from(model))).scalar_one())
            )
    return tuple(counts)


async def test_security_headers_on_every_page(live: Live) -> None:
    for path in ("/", "/child/", "/mentor/", "/admin/", "/api/mentors", "/healthz", "/nope"):
        r = await live.http.get(path)
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-content-type-options"] == "nosniff"
    assert (await live.http.get("/api/mentors")).headers["cache-control"] == "no-store"


async def test_cross_site_form_post_and_websocket(live: Live) -> None:
    pair = await chat_pair(live)
    before = await _counts(live)
    form = await live.http.post(
        "/api/chat-now",
        content="mentor_id=1",
        headers={
            "Origin": "https://evil.example",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"yorisoi_session={pair.child}",
        },
    )
    assert form.status_code == 403 and error_code(form) == "cross_site"
    with pytest.raises(InvalidStatus):
        async with connect(
            live.ws_url,
            additional_headers={"Cookie": f"yorisoi_session={pair.child}"},
            origin="https://evil.example",  # type: ignore[arg-type]
        ):
            pass
    assert await _counts(live) == before


async def test_another_users_ids(live: Live) -> None:
    pair = await chat_pair(live)
    intruder = await sign_up(live.http, "よそもの")
    mentor2 = await add_mentor(live.ctx, "べつ")
    booked = await live.http.post(
        "/api/bookings",
        json={"mentor_id": mentor2, "start": "2026-12-02T15:00:00+09:00"},
        headers=bearer(pair.child),
    )
    booking_id = booked.json()["consultation"]["id"]
    before = await _counts(live)
    r = await live.http.delete(f"/api/bookings/{booking_id}", headers=bearer(intruder))
    assert r.status_code == 404
    mine = (await live.http.get("/api/bookings", headers=bearer(intruder))).json()
    assert mine["consultations"] == []
    for path in (
        f"/api/staff/consultations/{pair.consultation_id}/note",
        f"/api/staff/consultations/{pair.consultation_id}/history",
        "/api/staff/consultations",
        "/api/staff/alerts",
    ):
        assert (await live.http.get(path, headers=bearer(intruder))).status_code == 403, path
    async with ws_client(live, intruder) as ws:
        await ws.send(type="join", consultation_id=pair.consultation_id)
        assert (await ws.expect("error"))["code"] == "not_found"
    assert await _counts(live) == before


async def test_oversized_and_malformed_input(live: Live) -> None:
    before = await _counts(live)
    huge = "x" * 1_000_000
    for body in (
        {"nickname": "big", "secret": huge, "audience": "child"},  # a 1 MB password
        {"nickname": huge, "secret": "kirin-42", "audience": "child"},
    ):
        r = await live.http.post("/api/clients", json=body)
        assert r.status_code == 400 and error_code(r) == "invalid_input"
    r = await live.http.post("/api/session/client", json={"nickname": "big", "secret": huge})
    assert r.status_code == 400
    for raw in (b"\xff\xfe", b'{"nickname": ', b"null", b"1e999999"):
        r = await live.http.post(
            "/api/clients", content=raw, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, raw
    assert await _counts(live) == before


async def test_brute_force_and_session_reuse(live: Live) -> None:
    token = await sign_up(live.http, "かぎ", secret="right-secret")
    codes = []
    for i in range(8):
        r = await live.http.post(
            "/api/session/client", json={"nickname": "かぎ", "secret": f"guess-{i}"}
        )
        codes.append(r.status_code if r.status_code == 401 else r.json()["error"]["code"])
    # Each guess waits longer (0, 0, 1, 2, 4, 8 s on the test clock); a 16 s wait is refused.
    assert codes == [401] * 6 + ["secret_wait"] * 2
    assert live.ctx.clock.slept == [1, 2, 4, 8]  # type: ignore[attr-defined]
    await live.http.delete("/api/session", headers=bearer(token))
    assert (await live.http.get("/api/me", headers=bearer(token))).status_code == 401
    r = await live.http.post("/api/chat-now", json={"mentor_id": 1}, headers=bearer(token))
    assert r.status_code == 401


async def test_no_message_text_or_token_in_the_logs(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    # Production logging (scripts/serve.py): INFO for the service, WARNING for libraries
    # (driver DEBUG output would include SQL parameters). Our own loggers even at DEBUG.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="yorisoi")
    pair = await chat_pair(live)
    secret_words = "ぜったいひみつの話"
    async with ws_client(live, pair.child) as child:
        await child.send(type="join", consultation_id=pair.consultation_id)
        await child.expect("joined")
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="x", text=secret_words
        )
        await child.expect("ack")
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="y", text="死にたい"
        )
        await child.expect("ack")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert secret_words not in logged and "死にたい" not in logged
    assert pair.child not in logged and pair.mentor not in logged
