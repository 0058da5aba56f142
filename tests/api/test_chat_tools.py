"""The mentor's chat tools: a handover asked of the client from the chat (now, or as a
follow-up booking) and headquarters' canned replies. Both databases."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from app.actions import Principal
from app.actions.accounts import principal_for_token
from app.actions.chat import close_consultation, do_join, do_send
from app.db.tables import AuditLog, Consultation, Handover, HandoverRequest, LineHold
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, jst, sign_up, staff_token


async def _principal(env: Env, token: str) -> Principal:
    p = await principal_for_token(env.ctx, token)
    assert p is not None
    return p


async def _mentor_login(env: Env, name: str, mentor_id: int) -> str:
    await add_staff(env.ctx, name, f"{name}-pass", mentor_id=mentor_id)
    return await staff_token(env.http, name, f"{name}-pass")


async def _boss(env: Env) -> str:
    await add_staff(env.ctx, "honbu", "honbu-pass", role="supervisor")
    return await staff_token(env.http, "honbu", "honbu-pass")


async def _chat(env: Env) -> dict[str, object]:
    """A child talking with さくら (a student mentor, joined); えみ (psychologist) is free."""
    sakura = await add_mentor(env.ctx, "さくら", kind="student_mentor")
    emi = await add_mentor(env.ctx, "えみ", kind="psychologist")
    child = await sign_up(env.http, "まつこ")
    r = await env.http.post("/api/chat-now", json={"mentor_id": sakura}, headers=bearer(child))
    assert r.status_code == 201, r.text
    cid = int(r.json()["consultation"]["id"])
    mentor = await _mentor_login(env, "sakura", sakura)
    await do_join(env.ctx, await _principal(env, mentor), cid)
    kid = await _principal(env, child)
    await do_send(env.ctx, kid, await do_join(env.ctx, kid, cid), "a", "ねむれないの")
    return {"sakura": sakura, "emi": emi, "child": child, "mentor": mentor, "cid": cid}


async def _ask(env: Env, w: dict[str, object], **body: object) -> object:
    return await env.http.post(
        f"/api/staff/consultations/{w['cid']}/handover-requests",
        json={"mentor_id": w["emi"], "mode": "now", "note": "眠れない件、専門家へ", **body},
        headers=bearer(str(w["mentor"])),
    )


async def test_handover_now_is_asked_and_only_the_yes_moves_it(env: Env) -> None:
    w = await _chat(env)
    cid = w["cid"]
    r = await _ask(env, w)
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    req = r.json()  # type: ignore[attr-defined]
    assert req["state"] == "pending" and req["note"] == "眠れない件、専門家へ"
    assert req["mentor"]["display_name"] == "えみ"
    # a second one while the first waits
    again = await _ask(env, w)
    assert again.status_code == 409 and error_code(again) == "handover_request_pending"  # type: ignore[attr-defined,arg-type]
    # the child sees the question without the note; nothing has changed yet
    seen = await env.http.get(
        f"/api/consultations/{cid}/handover-requests", headers=bearer(str(w["child"]))
    )
    assert seen.status_code == 200
    (q,) = seen.json()["requests"]
    assert q["id"] == req["id"] and "note" not in q and "from_mentor" not in q
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, cid)
        assert c is not None and c.mentor_id == w["sakura"]
        before = {
            (h.tick, h.line_no)
            for h in (
                await s.execute(select(LineHold).where(col(LineHold.consultation_id) == cid))
            ).scalars()
        }
    # only this consultation's client answers
    other = await sign_up(env.http, "ほかのこ")
    url = f"/api/consultations/{cid}/handover-requests/{req['id']}"
    r = await env.http.post(url, json={"accept": True}, headers=bearer(other))
    assert r.status_code == 404
    r = await env.http.post(url, json={"accept": True}, headers=bearer(str(w["mentor"])))
    assert r.status_code == 403 and error_code(r) == "not_allowed"
    r = await env.http.post(url, json={"accept": "yes"}, headers=bearer(str(w["child"])))
    assert r.status_code == 400 and error_code(r) == "invalid_input"
    r = await env.http.post(url, json={"accept": True})
    assert r.status_code == 401
    env.clock.set(jst(2026, 12, 1, 16, 5))
    r = await env.http.post(url, json={"accept": True}, headers=bearer(str(w["child"])))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, cid)
        assert c is not None and c.mentor_id == w["emi"] and c.last_seq == 1  # same stream
        after = {
            (h.tick, h.line_no)
            for h in (
                await s.execute(select(LineHold).where(col(LineHold.consultation_id) == cid))
            ).scalars()
        }
        assert after == before  # the same line
        h = (await s.execute(select(Handover))).scalar_one()
        assert (h.reason, h.from_joined, h.note) == (
            "mentor_handover",
            True,
            "眠れない件、専門家へ",
        )
        actions = [
            a.action
            for a in (await s.execute(select(AuditLog).order_by(col(AuditLog.id)))).scalars()
        ]
        assert "handover_requested" in actions and "handover_accepted" in actions
    # the new mentor sees the consultation with the note
    emi = await _mentor_login(env, "emi", int(w["emi"]))  # type: ignore[call-overload]
    rows = (await env.http.get("/api/staff/consultations", headers=bearer(emi))).json()
    (row,) = rows["consultations"]
    assert row["id"] == cid and row["handover"]["reason"] == "mentor_handover"
    assert row["handover"]["note"] == "眠れない件、専門家へ"
    # answered: a second answer is refused
    r = await env.http.post(url, json={"accept": False}, headers=bearer(str(w["child"])))
    assert r.status_code == 409 and error_code(r) == "handover_request_closed"
    # next time the child sees both mentors under "前に話した人"
    await do_join(env.ctx, await _principal(env, emi), cid)
    await close_consultation(env.ctx, int(cid), reason="ended_by_mentor")  # type: ignore[call-overload]
    mine = (await env.http.get("/api/my-mentors", headers=bearer(str(w["child"])))).json()
    assert [m["display_name"] for m in mine["mentors"]] == ["えみ", "さくら"]


async def test_declined_changes_nothing_and_the_request_ends_with_the_chat(env: Env) -> None:
    w = await _chat(env)
    cid = w["cid"]
    req = (await _ask(env, w)).json()  # type: ignore[attr-defined]
    url = f"/api/consultations/{cid}/handover-requests/{req['id']}"
    r = await env.http.post(url, json={"accept": False}, headers=bearer(str(w["child"])))
    assert r.status_code == 200 and r.json()["state"] == "declined"
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, cid)
        assert c is not None and c.mentor_id == w["sakura"]
        assert (await s.execute(select(Handover))).first() is None
        declined = (
            await s.execute(select(AuditLog).where(col(AuditLog.action) == "handover_declined"))
        ).scalar_one()
        assert declined.actor_role == "child"
    # the mentor may ask again; the chat ends before the answer: it expires
    second = (await _ask(env, w)).json()  # type: ignore[attr-defined]
    await close_consultation(env.ctx, int(cid), reason="ended_by_mentor")  # type: ignore[call-overload]
    async with env.ctx.db.read() as s:
        r2 = await s.get(HandoverRequest, second["id"])
        assert r2 is not None and r2.state == "expired"
    r = await env.http.post(
        f"/api/consultations/{cid}/handover-requests/{second['id']}",
        json={"accept": True},
        headers=bearer(str(w["child"])),
    )
    assert r.status_code == 409 and error_code(r) == "handover_request_closed"
    staff_view = await env.http.get(
        f"/api/staff/consultations/{cid}/handover-requests", headers=bearer(str(w["mentor"]))
    )
    assert [x["state"] for x in staff_view.json()["requests"]] == ["expired", "declined"]
    assert staff_view.json()["requests"][1]["note"] == "眠れない件、専門家へ"


async def test_only_the_consultations_mentor_asks(env: Env) -> None:
    w = await _chat(env)
    emi = await _mentor_login(env, "emi", int(w["emi"]))  # type: ignore[call-overload]
    boss = await _boss(env)
    body = {"mentor_id": w["emi"], "mode": "now", "note": "x"}
    url = f"/api/staff/consultations/{w['cid']}/handover-requests"
    r = await env.http.post(url, json=body, headers=bearer(emi))
    assert r.status_code == 404
    r = await env.http.post(url, json=body, headers=bearer(boss))
    assert r.status_code == 403
    r = await env.http.post(url, json=body, headers=bearer(str(w["child"])))
    assert r.status_code == 403
    r = await env.http.post(url, json={**body, "note": " "}, headers=bearer(str(w["mentor"])))
    assert r.status_code == 400 and r.json()["error"]["field"] == "note"
    r = await env.http.post(url, json={**body, "mode": "later"}, headers=bearer(str(w["mentor"])))
    assert r.status_code == 400 and r.json()["error"]["field"] == "mode"
    r = await env.http.post(
        url, json={**body, "mentor_id": w["sakura"]}, headers=bearer(str(w["mentor"]))
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "mentor_id"
    # a busy mentor is refused at once, with the reassignment's code
    other = await sign_up(env.http, "ほかのこ")
    await env.http.post("/api/chat-now", json={"mentor_id": w["emi"]}, headers=bearer(other))
    r = await env.http.post(url, json=body, headers=bearer(str(w["mentor"])))
    assert r.status_code == 409 and error_code(r) == "mentor_busy"
    # the mentor can see who could take it now
    r = await env.http.get(
        f"/api/staff/consultations/{w['cid']}/alternatives", headers=bearer(str(w["mentor"]))
    )
    assert r.status_code == 200 and r.json()["mentors"] == []
    r = await env.http.get(f"/api/staff/consultations/{w['cid']}/alternatives", headers=bearer(emi))
    assert r.status_code == 404


async def test_follow_up_booking_on_yes_respects_the_booking_rules(env: Env) -> None:
    w = await _chat(env)
    cid = w["cid"]
    url = f"/api/staff/consultations/{cid}/handover-requests"
    body = {"mentor_id": w["emi"], "mode": "booking", "note": "来週火曜に心理師へ"}
    r = await env.http.post(
        url, json={**body, "start": "2026-12-08T17:15:00+09:00"}, headers=bearer(str(w["mentor"]))
    )
    assert r.status_code == 409 and error_code(r) == "invalid_slot"
    r = await env.http.post(
        url, json={**body, "start": "2026-12-30T17:00:00+09:00"}, headers=bearer(str(w["mentor"]))
    )
    assert r.status_code == 409 and error_code(r) == "too_far_ahead"
    r = await env.http.post(url, json=body, headers=bearer(str(w["mentor"])))
    assert r.status_code == 400 and r.json()["error"]["field"] == "start"
    r = await env.http.post(
        url, json={**body, "start": "2026-12-08T17:00:00+09:00"}, headers=bearer(str(w["mentor"]))
    )
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["mode"] == "booking" and req["starts_at"] == "2026-12-08T17:00:00+09:00"
    # meanwhile the child fills their bookings: the yes is refused with the booking rule,
    # and the request still waits
    for day in (3, 4):
        made = await env.http.post(
            "/api/bookings",
            json={"mentor_id": w["sakura"], "start": f"2026-12-0{day}T17:00:00+09:00"},
            headers=bearer(str(w["child"])),
        )
        assert made.status_code == 201, made.text
    answer = f"/api/consultations/{cid}/handover-requests/{req['id']}"
    r = await env.http.post(answer, json={"accept": True}, headers=bearer(str(w["child"])))
    assert r.status_code == 409 and error_code(r) == "limit_reached"
    async with env.ctx.db.read() as s:
        again = await s.get(HandoverRequest, req["id"])
        assert again is not None and again.state == "pending" and again.booking_id is None
    mine = (await env.http.get("/api/bookings", headers=bearer(str(w["child"])))).json()
    cancel = next(c for c in mine["consultations"] if c["status"] == "booked")
    r = await env.http.delete(f"/api/bookings/{cancel['id']}", headers=bearer(str(w["child"])))
    assert r.status_code == 200, r.text
    r = await env.http.post(answer, json={"accept": True}, headers=bearer(str(w["child"])))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted" and r.json()["booking_id"]
    mine = (await env.http.get("/api/bookings", headers=bearer(str(w["child"])))).json()
    booked = [c for c in mine["consultations"] if c["id"] == r.json()["booking_id"]]
    assert booked and booked[0]["mentor"]["display_name"] == "えみ"
    assert booked[0]["starts_at"] == "2026-12-08T17:00:00+09:00"
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, cid)
        assert c is not None and c.mentor_id == w["sakura"]  # the chat itself stays


async def test_canned_replies_library(env: Env) -> None:
    boss = await _boss(env)
    sakura = await add_mentor(env.ctx, "さくら")
    mentor = await _mentor_login(env, "sakura", sakura)
    child = await sign_up(env.http, "まつこ")
    url = "/api/staff/canned-replies"
    reply = {
        "audience": "child",
        "language": "ja",
        "category": "wait",
        "title": "まってね",
        "text": "すこし かんがえる じかんを ください。",
    }
    assert (await env.http.get(url)).status_code == 401
    assert (await env.http.get(url, headers=bearer(child))).status_code == 403
    r = await env.http.post(url, json=reply, headers=bearer(mentor))
    assert r.status_code == 403 and error_code(r) == "not_allowed"
    r = await env.http.post(url, json=reply, headers=bearer(boss))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    for field, bad in (
        ("audience", "adult"),
        ("language", "fr"),
        ("category", "joke"),
        ("title", ""),
        ("text", "x" * 1001),
    ):
        r = await env.http.post(url, json={**reply, field: bad}, headers=bearer(boss))
        assert r.status_code == 400 and r.json()["error"]["field"] == field
    both = {**reply, "audience": "both", "title": "おまち", "category": "greeting"}
    assert (await env.http.post(url, json=both, headers=bearer(boss))).status_code == 201
    parent = {**reply, "audience": "parent", "title": "お待ちください"}
    assert (await env.http.post(url, json=parent, headers=bearer(boss))).status_code == 201
    english = {**reply, "language": "en", "title": "Wait"}
    assert (await env.http.post(url, json=english, headers=bearer(boss))).status_code == 201
    # the mentor reads the replies for a child in Japanese: child + both, greeting first
    r = await env.http.get(
        url, params={"audience": "child", "language": "ja"}, headers=bearer(mentor)
    )
    assert r.status_code == 200
    assert [x["title"] for x in r.json()["replies"]] == ["おまち", "まってね"]
    assert (
        await env.http.get(url, params={"language": "fr"}, headers=bearer(mentor))
    ).status_code == 400
    # only headquarters changes them
    r = await env.http.patch(
        f"{url}/{rid}", json={"text": "ちょっと まってね"}, headers=bearer(mentor)
    )
    assert r.status_code == 403
    r = await env.http.patch(
        f"{url}/{rid}", json={"text": "ちょっと まってね"}, headers=bearer(boss)
    )
    assert r.status_code == 200 and r.json()["text"] == "ちょっと まってね"
    assert r.json()["title"] == "まってね"
    r = await env.http.patch(f"{url}/{rid}", json={}, headers=bearer(boss))
    assert r.status_code == 400
    assert (await env.http.delete(f"{url}/{rid}", headers=bearer(mentor))).status_code == 403
    assert (await env.http.delete(f"{url}/{rid}", headers=bearer(boss))).status_code == 200
    assert (await env.http.delete(f"{url}/{rid}", headers=bearer(boss))).status_code == 404
    async with env.ctx.db.read() as s:
        done = [
            a.action
            for a in (
                await s.execute(select(AuditLog).where(col(AuditLog.action).like("canned_reply%")))
            ).scalars()
        ]
    assert done.count("canned_reply_created") == 4
    assert "canned_reply_changed" in done and "canned_reply_deleted" in done


async def test_a_request_ends_when_headquarters_hands_the_chat_elsewhere(env: Env) -> None:
    w = await _chat(env)
    cid = w["cid"]
    hikari = await add_mentor(env.ctx, "ひかり")
    req = (await _ask(env, w)).json()  # type: ignore[attr-defined]
    boss = await _boss(env)
    r = await env.http.post(
        f"/api/staff/consultations/{cid}/reassign",
        json={"mentor_id": hikari, "note": "本部判断"},
        headers=bearer(boss),
    )
    assert r.status_code == 200, r.text
    r = await env.http.post(
        f"/api/consultations/{cid}/handover-requests/{req['id']}",
        json={"accept": True},
        headers=bearer(str(w["child"])),
    )
    assert r.status_code == 409 and error_code(r) == "handover_request_closed"
    async with env.ctx.db.read() as s:
        c = await s.get(Consultation, cid)
        assert c is not None and c.mentor_id == hikari
        gone = await s.get(HandoverRequest, req["id"])
        assert gone is not None and gone.state == "expired"
