"""Reserved consultations opened, warned, closed and marked no-show by the scheduler's sweep,
with a moved clock; both sides are told on their open connections."""

from __future__ import annotations

import contextlib

from app.actions.lifecycle import sweep
from app.clock import ManualClock
from tests.helpers import add_mentor, add_staff, bearer, jst, sign_up, staff_token
from tests.protocol.conftest import Live, ws_client


async def _booking(
    live: Live, start: str = "2026-12-01T17:00:00+09:00"
) -> tuple[int, str, str, int]:
    mentor_id = await add_mentor(live.ctx, "みどり", kind="nurse")
    await add_staff(live.ctx, "midori", "midori-pass", mentor_id=mentor_id)
    child = await sign_up(live.http, "よやくのこ")
    mentor = await staff_token(live.http, "midori", "midori-pass")
    r = await live.http.post(
        "/api/bookings", json={"mentor_id": mentor_id, "start": start}, headers=bearer(child)
    )
    assert r.status_code == 201
    return r.json()["consultation"]["id"], child, mentor, mentor_id


async def test_reservation_opens_warns_and_closes(live: Live, clock: ManualClock) -> None:
    cid, child_token, mentor_token, _ = await _booking(live)
    async with ws_client(live, child_token) as child, ws_client(live, mentor_token) as console:
        await child.send(type="join", consultation_id=cid)
        joined = await child.expect("joined")
        assert joined["consultation"]["status"] == "booked"  # the waiting screen
        await child.send(type="send", consultation_id=cid, client_msg_id="early", text="まだ?")
        assert (await child.expect("error"))["code"] == "not_open_yet"

        clock.set(jst(2026, 12, 1, 16, 59, 59))
        assert (await sweep(live.ctx))["opened"] == 0
        clock.set(jst(2026, 12, 1, 17, 0, 0))
        assert (await sweep(live.ctx))["opened"] == 1
        opened = await child.expect("consultation", event="opened")
        assert opened["status"] == "open"
        # the mentor's console hears it without having joined
        assert (await console.expect("consultation", event="opened"))["consultation_id"] == cid
        assert not any((await sweep(live.ctx)).values())  # nothing left to do

        await child.send(type="send", consultation_id=cid, client_msg_id="hi", text="きたよ")
        assert (await child.expect("ack"))["seq"] == 1
        # the child was waiting when it opened: never a no-show (written before the child
        # was told it opened)
        clock.set(jst(2026, 12, 1, 17, 15))
        assert (await sweep(live.ctx))["no_show"] == 0

        clock.set(jst(2026, 12, 1, 17, 25))
        assert (await sweep(live.ctx))["warned"] == 1
        warning = await child.expect("consultation", event="warning")
        assert warning["ends_at"] == "2026-12-01T17:30:00+09:00"
        clock.set(jst(2026, 12, 1, 17, 30))
        assert (await sweep(live.ctx))["closed"] == 1
        closed = await child.expect("consultation", event="closed")
        assert closed["reason"] == "time_up"
        await child.send(type="send", consultation_id=cid, client_msg_id="late", text="あと少し")
        assert (await child.expect("error"))["code"] == "consultation_closed"
        assert not any((await sweep(live.ctx)).values())


async def test_everyone_waiting_at_a_burst_is_told_and_marked_present_in_one_write(
    live: Live, clock: ManualClock
) -> None:
    """Every child and mentor waiting in their chat when 17:00 opens it hears `opened`; the
    children are present from then on (never a no-show) and hear that their mentor is here;
    the children's marks were one write, and the mentors' another, not one per socket."""
    bookings = []
    for i in range(3):
        mentor_id = await add_mentor(live.ctx, f"せんせい{i}", kind="nurse")
        await add_staff(live.ctx, f"sensei{i}", "mentor-pass", mentor_id=mentor_id)
        mentor = await staff_token(live.http, f"sensei{i}", "mentor-pass")
        child = await sign_up(live.http, f"まつこ{i}")
        r = await live.http.post(
            "/api/bookings",
            json={"mentor_id": mentor_id, "start": "2026-12-01T17:00:00+09:00"},
            headers=bearer(child),
        )
        assert r.status_code == 201
        bookings.append((r.json()["consultation"]["id"], child, mentor))
    async with contextlib.AsyncExitStack() as stack:
        sides = []
        for cid, child_token, mentor_token in bookings:
            child = await stack.enter_async_context(ws_client(live, child_token))
            mentor = await stack.enter_async_context(ws_client(live, mentor_token))
            for side in (child, mentor):
                await side.send(type="join", consultation_id=cid)
                assert (await side.expect("joined"))["consultation"]["status"] == "booked"
            sides.append((cid, child, mentor))
        clock.set(jst(2026, 12, 1, 17, 0))
        assert (await sweep(live.ctx))["opened"] == 3
        for cid, child, mentor in sides:
            for side in (child, mentor):
                opened = await side.expect("consultation", event="opened", consultation_id=cid)
                assert opened["status"] == "open"
            here = await child.expect("consultation", event="mentor_joined", consultation_id=cid)
            assert here["mentor_joined_at"] == "2026-12-01T17:00:00+09:00"
        assert live.ctx.clients_present is not None and live.ctx.clients_present.calls == 1
        assert live.ctx.mentors_present is not None and live.ctx.mentors_present.calls == 1
        clock.set(jst(2026, 12, 1, 17, 15))
        assert (await sweep(live.ctx))["no_show"] == 0
        clock.set(jst(2026, 12, 1, 17, 30))  # the slot ends for all three in one transaction
        assert (await sweep(live.ctx))["closed"] == 3
        for cid, child, mentor in sides:
            for side in (child, mentor):
                closed = await side.expect("consultation", event="closed", consultation_id=cid)
                assert closed["reason"] == "time_up" and closed["status"] == "closed"
    assert not any((await sweep(live.ctx)).values())


async def test_no_show_frees_the_line(live: Live, clock: ManualClock) -> None:
    cid, _child, mentor_token, mentor_id = await _booking(live)
    async with ws_client(live, mentor_token) as console:
        clock.set(jst(2026, 12, 1, 17, 0))
        await sweep(live.ctx)
        await console.expect("consultation", event="opened")
        clock.set(jst(2026, 12, 1, 17, 9, 59))
        assert (await sweep(live.ctx))["no_show"] == 0
        clock.set(jst(2026, 12, 1, 17, 10))
        assert (await sweep(live.ctx))["no_show"] == 1
        event = await console.expect("consultation", event="no_show")
        assert event["status"] == "no_show" and event["consultation_id"] == cid
    walk_in = await sign_up(live.http, "いまから")
    r = await live.http.post(
        "/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(walk_in)
    )
    assert r.status_code == 201  # the mentor and the line were freed at once


async def test_a_client_who_joined_is_not_a_no_show(live: Live, clock: ManualClock) -> None:
    cid, child_token, _mentor, _ = await _booking(live)
    clock.set(jst(2026, 12, 1, 17, 2))
    await sweep(live.ctx)
    async with ws_client(live, child_token) as child:
        await child.send(type="join", consultation_id=cid)
        await child.expect("joined")
    clock.set(jst(2026, 12, 1, 17, 20))
    assert (await sweep(live.ctx))["no_show"] == 0


async def test_catch_up_after_downtime(live: Live, clock: ManualClock) -> None:
    """A scheduler that was down opens late rather than never, and closes what is overdue."""
    late_cid, _c1, _m1, _ = await _booking(live)
    other_mentor = await add_mentor(live.ctx, "はると")
    child2 = await sign_up(live.http, "ふたりめ")
    r = await live.http.post(
        "/api/bookings",
        json={"mentor_id": other_mentor, "start": "2026-12-01T16:30:00+09:00"},
        headers=bearer(child2),
    )
    missed_cid = r.json()["consultation"]["id"]
    clock.set(jst(2026, 12, 1, 17, 12))  # down from 16:00 to 17:12
    result = await sweep(live.ctx)
    assert {k: n for k, n in result.items() if n} == {"closed": 1, "opened": 1}
    mine = (await live.http.get("/api/bookings", headers=bearer(child2))).json()["consultations"]
    assert all(c["id"] != missed_cid for c in mine)  # 16:30–17:00 passed: closed, not opened
    # the late-opened one gets its full ten minutes before being called a no-show
    clock.set(jst(2026, 12, 1, 17, 21))
    assert (await sweep(live.ctx))["no_show"] == 0
    clock.set(jst(2026, 12, 1, 17, 22))
    assert (await sweep(live.ctx))["no_show"] == 1
    assert late_cid


async def test_late_catch_up_still_records_a_no_show(live: Live, clock: ManualClock) -> None:
    cid, child_token, _mentor, _ = await _booking(live)
    clock.set(jst(2026, 12, 1, 17, 25))
    await sweep(live.ctx)  # opened late, at 17:25
    clock.set(jst(2026, 12, 1, 17, 31))  # the scheduler was down again until after the end
    assert (await sweep(live.ctx))["closed"] == 1
    mine = (await live.http.get("/api/my-mentors", headers=bearer(child_token))).json()
    assert mine["mentors"] == []  # a no-show is not "talked to before"
    assert cid
