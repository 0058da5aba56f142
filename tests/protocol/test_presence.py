"""A booked mentor who never comes, over real sockets and a moved clock: headquarters is told
at the grace, the child takes another mentor on the same line, the new mentor reads the whole
transcript, seqs go on without a gap, and a replaced mentor can neither write nor read."""

from __future__ import annotations

from app.actions.lifecycle import sweep
from app.clock import ManualClock
from tests.helpers import add_mentor, add_staff, bearer, jst, sign_up, staff_token
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import supervisor_token


async def test_absent_mentor_alert_switch_and_full_transcript(
    live: Live, clock: ManualClock
) -> None:
    midori = await add_mentor(live.ctx, "みどり", kind="nurse")
    emi = await add_mentor(live.ctx, "えみ", kind="nurse")
    await add_staff(live.ctx, "midori", "midori-pass", mentor_id=midori)
    await add_staff(live.ctx, "emi", "emi-pass", mentor_id=emi)
    boss = await supervisor_token(live)
    child_token = await sign_up(live.http, "まつこ")
    r = await live.http.post(
        "/api/bookings",
        json={"mentor_id": midori, "start": "2026-12-01T16:30:00+09:00"},
        headers=bearer(child_token),
    )
    cid = r.json()["consultation"]["id"]
    async with ws_client(live, boss) as hq, ws_client(live, child_token) as child:
        await child.send(type="join", consultation_id=cid)
        await child.expect("joined")
        clock.set(jst(2026, 12, 1, 16, 30))
        await sweep(live.ctx)
        opened = await child.expect("consultation", event="opened")
        assert opened["mentor_joined_at"] is None and opened["grace_minutes"] == 3
        for i, text in enumerate(["みどりさん いますか？", "まだかな"]):
            await child.send(type="send", consultation_id=cid, client_msg_id=f"c{i}", text=text)
            assert (await child.expect("ack"))["seq"] == i + 1
        clock.set(jst(2026, 12, 1, 16, 32, 59))
        assert (await sweep(live.ctx))["absent"] == 0
        clock.set(jst(2026, 12, 1, 16, 33))
        assert (await sweep(live.ctx))["absent"] == 1
        alert = await hq.expect("mentor_absent")
        assert alert["alert"]["consultation_id"] == cid
        assert alert["alert"]["mentor"]["display_name"] == "みどり"
        assert alert["waited_minutes"] == 3
        offered = await child.expect("consultation", event="mentor_absent")
        assert offered["mentor_absent"] is True
        # a reload sees the offer again in the joined frame
        await child.send(type="join", consultation_id=cid, last_seq=2)
        assert (await child.expect("joined"))["consultation"]["mentor_absent"] is True

        options = await live.http.get(
            f"/api/consultations/{cid}/alternatives", headers=bearer(child_token)
        )
        assert [m["display_name"] for m in options.json()["mentors"]] == ["えみ"]
        r = await live.http.post(
            f"/api/consultations/{cid}/switch", json={"mentor_id": emi}, headers=bearer(child_token)
        )
        assert r.status_code == 200, r.text
        told = await child.expect("consultation", event="reassigned")
        assert told["mentor"]["display_name"] == "えみ" and told["reason"] == "client_switch"
        assert (await hq.expect("alert_acknowledged"))["alert_id"] == alert["alert"]["id"]

        emi_token = await staff_token(live.http, "emi", "emi-pass")
        async with ws_client(live, emi_token) as new_mentor:
            await new_mentor.send(type="join", consultation_id=cid)
            joined = await new_mentor.expect("joined")
            assert joined["consultation"]["mentor"]["display_name"] == "えみ"
            first = await new_mentor.expect("message")
            second = await new_mentor.expect("message")
            assert [first["seq"], second["seq"]] == [1, 2]
            assert [first["text"], second["text"]] == ["みどりさん いますか？", "まだかな"]
            here = await child.expect("consultation", event="mentor_joined")
            assert here["mentor_joined_at"] == "2026-12-01T16:33:00+09:00"
            await new_mentor.send(
                type="send", consultation_id=cid, client_msg_id="m1", text="えみです。まってたね"
            )
            assert (await new_mentor.expect("ack"))["seq"] == 3
            assert (await child.expect("message"))["seq"] == 3

        # the mentor who never came cannot get in now
        midori_token = await staff_token(live.http, "midori", "midori-pass")
        async with ws_client(live, midori_token) as old:
            await old.send(type="join", consultation_id=cid)
            assert (await old.expect("error"))["code"] == "not_found"


async def test_a_reassigned_mentor_socket_stops_reading_and_writing(
    live: Live, clock: ManualClock
) -> None:
    sakura = await add_mentor(live.ctx, "さくら")
    kei = await add_mentor(live.ctx, "けい")
    await add_staff(live.ctx, "sakura", "sakura-pass", mentor_id=sakura)
    boss = await supervisor_token(live)
    child_token = await sign_up(live.http, "うさぎ")
    r = await live.http.post(
        "/api/chat-now", json={"mentor_id": sakura}, headers=bearer(child_token)
    )
    cid = r.json()["consultation"]["id"]
    sakura_token = await staff_token(live.http, "sakura", "sakura-pass")
    async with ws_client(live, sakura_token) as old, ws_client(live, child_token) as child:
        for side in (old, child):
            await side.send(type="join", consultation_id=cid)
            await side.expect("joined")
        await child.send(type="send", consultation_id=cid, client_msg_id="a", text="こんにちは")
        await old.expect("message")
        r = await live.http.post(
            f"/api/staff/consultations/{cid}/reassign",
            json={"mentor_id": kei, "note": "さくらさんは急用"},
            headers=bearer(boss),
        )
        assert r.status_code == 200 and r.json()["reason"] == "headquarters"
        moved = await old.expect("consultation", event="reassigned")
        assert moved["mentor"]["display_name"] == "けい"
        await child.expect("consultation", event="reassigned")
        await old.send(type="send", consultation_id=cid, client_msg_id="x", text="まだいるよ")
        assert (await old.expect("error"))["code"] == "not_joined"
        await child.send(type="send", consultation_id=cid, client_msg_id="b", text="だれ？")
        assert (await child.expect("ack"))["seq"] == 2
        assert all(f.get("type") != "message" for f in await old.quiet())  # reads no more


async def test_after_a_handover_the_childs_words_reach_the_new_mentor_not_the_old(
    live: Live, clock: ManualClock
) -> None:
    """The child's socket joined before the handover: its next message is a badge on the new
    mentor's console, and crisis words in it put the new mentor on alert, not the old one."""
    sakura = await add_mentor(live.ctx, "さくら")
    kei = await add_mentor(live.ctx, "けい")
    await add_staff(live.ctx, "sakura", "sakura-pass", mentor_id=sakura)
    await add_staff(live.ctx, "kei", "kei-pass", mentor_id=kei)
    boss = await supervisor_token(live)
    child_token = await sign_up(live.http, "うさぎ")
    r = await live.http.post(
        "/api/chat-now", json={"mentor_id": sakura}, headers=bearer(child_token)
    )
    cid = r.json()["consultation"]["id"]
    sakura_token = await staff_token(live.http, "sakura", "sakura-pass")
    kei_token = await staff_token(live.http, "kei", "kei-pass")
    async with (
        ws_client(live, sakura_token) as old_desk,
        ws_client(live, kei_token) as new_desk,
        ws_client(live, child_token) as child,
    ):
        await child.send(type="join", consultation_id=cid)
        await child.expect("joined")
        r = await live.http.post(
            f"/api/staff/consultations/{cid}/reassign",
            json={"mentor_id": kei, "note": "さくらさんは急用"},
            headers=bearer(boss),
        )
        assert r.status_code == 200, r.text
        await child.expect("consultation", event="reassigned")
        await old_desk.expect("consultation", event="reassigned")
        await child.send(type="send", consultation_id=cid, client_msg_id="a", text="しにたい")
        assert (await child.expect("ack"))["seq"] == 1
        badge = await new_desk.expect("activity", consultation_id=cid)
        assert badge["seq"] == 1
        assert (await new_desk.expect("at_risk"))["consultation_id"] == cid
        heard = [f["type"] for f in await old_desk.quiet()]
        assert "activity" not in heard and "at_risk" not in heard
