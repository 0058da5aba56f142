"""Only offer what can be taken: a client's own bookings and limit, in the views and refusals.

The availability view and the mentor list tell a signed-in client, before any confirm, the
slots and chat-now they cannot take because of themselves (client_busy, limit_reached), and
a refusal for those reasons names the bookings it is about (details.bookings).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Env
from tests.helpers import add_mentor, bearer, error_code, jst, sign_up


async def book(env: Env, token: str, mentor_id: int, start: str) -> Any:
    return await env.http.post(
        "/api/bookings", json={"mentor_id": mentor_id, "start": start}, headers=bearer(token)
    )


async def slots(env: Env, mentor: int, day: str, token: str | None = None) -> dict[str, Any]:
    headers = bearer(token) if token else {}
    r = await env.http.get(f"/api/mentors/{mentor}/availability?date={day}", headers=headers)
    assert r.status_code == 200, r.text
    return {s["start"][11:16]: s for s in r.json()["slots"]} | {"chat_now": r.json()["chat_now"]}


async def test_own_booking_marks_the_slot_with_every_mentor(env: Env) -> None:
    sakura = await add_mentor(env.ctx, "さくら")
    kaede = await add_mentor(env.ctx, "かえで")
    token = await sign_up(env.http, "りす")
    mine = (await book(env, token, sakura, "2026-12-02T16:00:00+09:00")).json()["consultation"]
    for mentor in (sakura, kaede):
        day = await slots(env, mentor, "2026-12-02", token)
        assert day["16:00"]["free"] is False and day["16:00"]["reason"] == "client_busy"
        assert day["16:00"]["booking_id"] == mine["id"]
        assert day["16:30"] == {**day["16:30"], "free": True, "reason": None}
        assert "booking_id" not in day["16:30"]
    # Anyone else (and nobody signed in) still sees the mentors' own state only.
    public = await slots(env, kaede, "2026-12-02")
    assert public["16:00"]["free"] is True and "booking_id" not in public["16:00"]
    assert (await slots(env, sakura, "2026-12-02"))["16:00"]["reason"] == "slot_taken"
    # The mentor list does not offer that time as a next free one either.
    listed = (await env.http.get("/api/mentors", headers=bearer(token))).json()["mentors"]
    nexts = {m["display_name"]: m["next_free_slots"] for m in listed}
    assert "2026-12-02T16:00:00+09:00" not in nexts["かえで"]


async def test_client_busy_refusal_names_the_booking(env: Env) -> None:
    sakura = await add_mentor(env.ctx, "さくら")
    kaede = await add_mentor(env.ctx, "かえで")
    token = await sign_up(env.http, "うさぎ")
    mine = (await book(env, token, sakura, "2026-12-02T16:00:00+09:00")).json()["consultation"]
    r = await book(env, token, kaede, "2026-12-02T16:00:00+09:00")
    assert r.status_code == 409 and error_code(r) == "client_busy"
    assert r.json()["error"]["details"]["bookings"] == [
        {
            "id": mine["id"],
            "mentor_id": sakura,
            "mentor_name": "さくら",
            "starts_at": "2026-12-02T16:00:00+09:00",
            "ends_at": "2026-12-02T16:30:00+09:00",
            "status": "booked",
        }
    ]


async def test_limit_reached_offers_no_slot_and_the_refusal_lists_the_bookings(env: Env) -> None:
    assert env.ctx.rules.max_bookings == 2
    mentor = await add_mentor(env.ctx)
    token = await sign_up(env.http, "しか")
    first = (await book(env, token, mentor, "2026-12-02T15:00:00+09:00")).json()["consultation"]
    assert (await slots(env, mentor, "2026-12-03", token))["15:00"]["free"] is True
    second = (await book(env, token, mentor, "2026-12-03T15:00:00+09:00")).json()["consultation"]
    day = await slots(env, mentor, "2026-12-04", token)
    assert {day[k]["reason"] for k in day if k != "chat_now"} == {"limit_reached"}
    today = await slots(env, mentor, "2026-12-01", token)
    assert today["15:00"]["reason"] == "in_the_past"  # a slot that cannot be had anyway keeps why
    assert today["17:00"]["reason"] == "limit_reached"
    # the limit concerns bookings: chat now is still possible
    assert today["chat_now"]["possible"] is True
    r = await book(env, token, mentor, "2026-12-04T15:00:00+09:00")
    assert r.status_code == 409 and error_code(r) == "limit_reached"
    details = r.json()["error"]["details"]
    assert details["max_bookings"] == 2
    assert [(b["id"], b["starts_at"]) for b in details["bookings"]] == [
        (first["id"], "2026-12-02T15:00:00+09:00"),
        (second["id"], "2026-12-03T15:00:00+09:00"),
    ]
    assert {b["mentor_name"] for b in details["bookings"]} == {"さくら"}


async def test_chat_now_before_own_booking_is_marked_and_refused_with_it(env: Env) -> None:
    sakura = await add_mentor(env.ctx, "さくら")
    kaede = await add_mentor(env.ctx, "かえで")
    token = await sign_up(env.http, "きりん")
    env.clock.set(jst(2026, 12, 1, 15, 0))
    mine = (await book(env, token, sakura, "2026-12-01T15:30:00+09:00")).json()["consultation"]
    env.clock.set(jst(2026, 12, 1, 15, 25))
    listed = (await env.http.get("/api/mentors", headers=bearer(token))).json()["mentors"]
    for m in listed:
        assert m["chat_now"] == {
            "possible": False,
            "reason": "client_busy",
            "until": None,
            "booking_id": mine["id"],
        }
    other = await sign_up(env.http, "ぞう")
    theirs = (await env.http.get("/api/mentors", headers=bearer(other))).json()["mentors"]
    assert {m["display_name"]: m["chat_now"]["possible"] for m in theirs} == {
        "さくら": False,  # busy with the 15:30 booking
        "かえで": True,
    }
    assert (await slots(env, kaede, "2026-12-01", token))["chat_now"]["reason"] == "client_busy"
    r = await env.http.post("/api/chat-now", json={"mentor_id": kaede}, headers=bearer(token))
    assert r.status_code == 409 and error_code(r) == "client_busy"
    (named,) = r.json()["error"]["details"]["bookings"]
    assert named["id"] == mine["id"] and named["mentor_name"] == "さくら"


async def test_chat_now_while_a_chat_is_open_names_it(env: Env) -> None:
    sakura = await add_mentor(env.ctx, "さくら")
    kaede = await add_mentor(env.ctx, "かえで")
    token = await sign_up(env.http, "ねこ")
    opened = await env.http.post("/api/chat-now", json={"mentor_id": sakura}, headers=bearer(token))
    cid = opened.json()["consultation"]["id"]
    state = (await slots(env, kaede, "2026-12-01", token))["chat_now"]
    assert state["reason"] == "client_busy" and state["booking_id"] == cid
    r = await env.http.post("/api/chat-now", json={"mentor_id": kaede}, headers=bearer(token))
    assert error_code(r) == "client_busy"
    assert [(b["id"], b["status"]) for b in r.json()["error"]["details"]["bookings"]] == [
        (cid, "open")
    ]


async def test_outside_hours_chat_now_is_marked_for_everyone(env: Env) -> None:
    await add_mentor(env.ctx)
    token = await sign_up(env.http, "ふくろう")
    for at in (jst(2026, 12, 1, 21, 30, 1), jst(2026, 12, 2, 14, 59)):
        env.clock.set(at)
        (m,) = (await env.http.get("/api/mentors", headers=bearer(token))).json()["mentors"]
        assert m["chat_now"]["possible"] is False and m["chat_now"]["reason"] == "outside_hours"


async def test_waiting_in_line_while_a_chat_is_open_names_it(env: Env) -> None:
    sakura = await add_mentor(env.ctx, "さくら")
    kaede = await add_mentor(env.ctx, "かえで")
    token = await sign_up(env.http, "いぬ")
    opened = await env.http.post("/api/chat-now", json={"mentor_id": sakura}, headers=bearer(token))
    cid = opened.json()["consultation"]["id"]
    r = await env.http.post("/api/queue", json={"mentor_id": kaede}, headers=bearer(token))
    assert r.status_code == 409 and error_code(r) == "client_busy"
    assert [b["id"] for b in r.json()["error"]["details"]["bookings"]] == [cid]
