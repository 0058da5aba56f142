"""Crisis alerts, help cards, shared directory entries, and the supervisor's alert list."""

from __future__ import annotations

from sqlalchemy import select

from app.db.tables import AuditLog, Message
from tests.helpers import bearer
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair, join_all, supervisor_token


async def test_crisis_words_alert_everyone_concerned_without_touching_the_message(
    live: Live,
) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    boss_token = await supervisor_token(live)
    async with (
        ws_client(live, pair.child) as child,
        ws_client(live, pair.mentor) as mentor,
        ws_client(live, boss_token) as boss,
    ):
        await join_all(cid, child, mentor)
        text = "もう シニタイ…"
        await child.send(type="send", consultation_id=cid, client_msg_id="c1", text=text)
        assert (await child.expect("ack"))["seq"] == 1
        delivered = await mentor.expect("message", seq=1)
        assert delivered["text"] == text  # never blocked, never altered
        alert = (await boss.expect("alert"))["alert"]
        assert (alert["consultation_id"], alert["category"]) == (cid, "suicide")
        assert "text" not in alert  # headquarters joins (with a reason) to read
        assert (await mentor.expect("at_risk"))["categories"] == ["suicide"]
        # the gentle card arrives before the ack (expect() keeps what it skipped in .seen)
        card = next(f for f in child.seen if f["type"] == "help_card")
        assert any(c["contact"].get("tel") == "0120-0-78310" for c in card["contacts"])
        # the same category again: no second alert until acknowledged
        await child.send(type="send", consultation_id=cid, client_msg_id="c2", text="死にたい")
        await child.expect("ack")
        assert [f for f in await boss.quiet() if f["type"] == "alert"] == []

        listed = await live.http.get("/api/staff/alerts", headers=bearer(boss_token))
        assert listed.status_code == 200, listed.text
        assert [a["id"] for a in listed.json()["alerts"]] == [alert["id"]]
        assert (
            await live.http.get("/api/staff/alerts", headers=bearer(pair.mentor))
        ).status_code == 403
        ack = await live.http.post(
            f"/api/staff/alerts/{alert['id']}/ack", headers=bearer(boss_token)
        )
        assert ack.status_code == 200
        assert (await live.http.get("/api/staff/alerts", headers=bearer(boss_token))).json()[
            "alerts"
        ] == []
        # after acknowledgement a new signal raises a new alert
        await child.send(
            type="send", consultation_id=cid, client_msg_id="c3", text="やっぱり死にたい"
        )
        assert (await boss.expect("alert"))["alert"]["id"] != alert["id"]
    async with live.ctx.db.read() as s:
        actions = [a.action for a in (await s.execute(select(AuditLog))).scalars()]
        stored = [
            m.text for m in (await s.execute(select(Message).order_by(Message.seq))).scalars()
        ]
    assert actions.count("crisis_alert") == 2 and "alert_acknowledged" in actions
    assert stored[0] == text
    consultations = (
        await live.http.get("/api/staff/consultations", headers=bearer(pair.mentor))
    ).json()["consultations"]
    assert consultations[0]["at_risk"] is True


async def test_mentor_shares_a_help_entry_as_a_card(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        for side in (child, mentor):
            await side.send(type="join", consultation_id=cid)
            await side.expect("joined")
        await mentor.send(
            type="share", consultation_id=cid, client_msg_id="s1", entry_id="saposute"
        )
        assert (await mentor.expect("ack"))["seq"] == 1
        message = await child.expect("message", seq=1)
        assert message["card"]["id"] == "saposute"
        assert message["card"]["name"]["ja"].startswith("地域若者")
        await mentor.send(type="share", consultation_id=cid, client_msg_id="s2", entry_id="nope")
        assert (await mentor.expect("error"))["code"] == "not_found"
        await child.send(type="share", consultation_id=cid, client_msg_id="s3", entry_id="saposute")
        assert (await child.expect("error"))["code"] == "not_allowed"
    # the card is still there when the child comes back later
    async with ws_client(live, pair.child) as later:
        await later.send(type="join", consultation_id=cid)
        await later.expect("joined")
        assert (await later.expect("message", seq=1))["card"]["id"] == "saposute"


async def test_help_directory_api(live: Live) -> None:
    everything = (await live.http.get("/api/help")).json()
    assert set(everything["categories"]) == {"emergency", "learn", "work", "live", "family"}
    found = (await live.http.get("/api/help", params={"q": "奨学金"})).json()["entries"]
    assert "jasso-scholarship" in [e["id"] for e in found]
    child = (await live.http.get("/api/help", params={"audience": "child"})).json()["entries"]
    assert all(e["audience"] in ("child", "both") for e in child)
    assert (await live.http.get("/api/help", params={"category": "magic"})).status_code == 400
    assert (await live.http.get("/api/help/childline")).json()["entry"]["contact"]["tel"]
    assert (await live.http.get("/api/help/nope")).status_code == 404
