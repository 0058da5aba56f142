"""Headquarters joining as group talk, the audit log, and a mentor's private notes."""

from __future__ import annotations

from sqlalchemy import select

from app.db.tables import AuditLog
from tests.helpers import add_mentor, add_staff, bearer, sign_up, staff_token
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair, join_all, supervisor_token


async def _audit(live: Live) -> list[tuple[str, str, int | None]]:
    async with live.ctx.db.read() as s:
        rows = (await s.execute(select(AuditLog).order_by(AuditLog.id))).scalars()
        return [(a.actor_role, a.action, a.consultation_id) for a in rows]


async def test_mentor_calls_headquarters_who_joins_and_leaves(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    boss_token = await supervisor_token(live)
    async with (
        ws_client(live, pair.child) as child,
        ws_client(live, pair.mentor) as mentor,
        ws_client(live, boss_token) as boss,
    ):
        await join_all(cid, child, mentor)
        await child.send(type="call_supervisor", consultation_id=cid)
        assert (await child.expect("error"))["code"] == "not_allowed"
        await mentor.send(type="call_supervisor", consultation_id=cid)
        called = await boss.expect("supervisor_called")
        assert called["consultation_id"] == cid and called["mentor"]["display_name"] == "さくら"

        await boss.send(type="join", consultation_id=cid)  # reading needs a reason
        assert (await boss.expect("error"))["field"] == "reason"
        await boss.send(type="join", consultation_id=cid, reason="mentor asked for help")
        assert (await boss.expect("joined"))["you"] == {"role": "supervisor"}
        for side in (child, mentor):
            seen = await side.expect("presence", state="joined")
            assert seen["role"] == "supervisor"
        await boss.send(type="send", consultation_id=cid, client_msg_id="hq-1", text="本部です")
        for side in (child, mentor):
            msg = await side.expect("message", seq=1)
            assert msg["sender"]["role"] == "supervisor"
        await boss.send(type="end", consultation_id=cid)
        assert (await boss.expect("error"))["code"] == "not_allowed"
        await boss.send(type="leave", consultation_id=cid)
        assert (await child.expect("presence", state="left"))["role"] == "supervisor"
    log = await _audit(live)
    assert ("mentor", "supervisor_called", cid) in log
    assert ("supervisor", "supervisor_join", cid) in log
    assert ("supervisor", "supervisor_leave", cid) in log


async def test_transcript_read_needs_a_reason_and_is_audited(live: Live) -> None:
    pair = await chat_pair(live)
    await add_staff(live.ctx, "honbu", "honbu-pass", role="supervisor")
    boss = await staff_token(live.http, "honbu", "honbu-pass")
    url = f"/api/staff/consultations/{pair.consultation_id}/transcript"
    no_reason = await live.http.post(url, json={}, headers=bearer(boss))
    assert no_reason.status_code == 400
    assert not [a for a in await _audit(live) if a[1] == "transcript_read"]
    ok = await live.http.post(url, json={"reason": "safety review"}, headers=bearer(boss))
    assert ok.status_code == 200 and ok.json()["messages"] == []
    assert ("supervisor", "transcript_read", pair.consultation_id) in await _audit(live)


async def test_notes_and_history_with_the_same_client_only(live: Live) -> None:
    pair = await chat_pair(live)
    note_url = f"/api/staff/consultations/{pair.consultation_id}/note"
    assert (await live.http.get(note_url, headers=bearer(pair.mentor))).json()["text"] == ""
    saved = await live.http.put(
        note_url, json={"text": "学校の話。次は部活。"}, headers=bearer(pair.mentor)
    )
    assert saved.status_code == 200 and saved.json()["text"] == "学校の話。次は部活。"
    assert (
        await live.http.put(note_url, json={"text": 5}, headers=bearer(pair.mentor))
    ).status_code == 400
    # the client cannot read notes; another mentor cannot either
    assert (await live.http.get(note_url, headers=bearer(pair.child))).status_code == 403
    other_mentor = await add_mentor(live.ctx, "べつのひと")
    await add_staff(live.ctx, "other", "other-pass", mentor_id=other_mentor)
    other = await staff_token(live.http, "other", "other-pass")
    assert (await live.http.get(note_url, headers=bearer(other))).status_code == 404

    async with ws_client(live, pair.mentor) as mentor:
        await mentor.send(type="join", consultation_id=pair.consultation_id)
        await mentor.expect("joined")
        await mentor.send(type="end", consultation_id=pair.consultation_id)
        await mentor.expect("consultation", event="closed")
    # the same child comes back to the same mentor the next day
    live.ctx.clock.advance(days=1)  # type: ignore[attr-defined]
    again = await live.http.post(
        "/api/chat-now", json={"mentor_id": pair.mentor_id}, headers=bearer(pair.child)
    )
    assert again.status_code == 201
    new_id = again.json()["consultation"]["id"]
    # and visits the other mentor too, whose notes the first mentor must never see
    visit = await sign_up(live.http, "べつのこ")
    assert visit
    history = await live.http.get(
        f"/api/staff/consultations/{new_id}/history", headers=bearer(pair.mentor)
    )
    earlier = history.json()["earlier"]
    assert [e["id"] for e in earlier] == [pair.consultation_id]
    assert earlier[0]["note"]["text"] == "学校の話。次は部活。"
    assert (
        await live.http.get(f"/api/staff/consultations/{new_id}/history", headers=bearer(other))
    ).status_code == 404
