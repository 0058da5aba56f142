"""The parent-child link: codes, linking, unlinking, booking for the child, and privacy.

A linked parent sees that a booking they made exists and its time, and nothing else of the
child's consultations: the last test walks every GET endpoint of the OpenAPI document with
the parent's session and the child's ids and finds nothing of the child's there.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from app.actions import links
from app.db.tables import ClientLink, Consultation, LinkCode, MentorNote, Message
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token

CODE = re.compile(r"^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$")


async def make_code(env: Env, child: str) -> str:
    r = await env.http.post("/api/link-codes", headers=bearer(child))
    assert r.status_code == 201, r.text
    assert r.json()["expires_at"] == "2026-12-01T16:30:00+09:00"
    code = r.json()["code"]
    assert CODE.match(code)
    return str(code)


async def link(env: Env, parent: str, code: str) -> Any:
    return await env.http.post("/api/links", json={"code": code}, headers=bearer(parent))


async def linked(
    env: Env, child_name: str = "りす", parent_name: str = "おかあさん"
) -> tuple[str, str, int]:
    child = await sign_up(env.http, child_name)
    parent = await sign_up(env.http, parent_name, audience="parent")
    r = await link(env, parent, await make_code(env, child))
    assert r.status_code == 201, r.text
    return child, parent, r.json()["link"]["id"]


async def test_a_code_links_once_and_either_side_lists_and_unlinks(env: Env) -> None:
    child = await sign_up(env.http, "りす")
    parent = await sign_up(env.http, "おかあさん", audience="parent")
    code = await make_code(env, child)
    async with env.ctx.db.read() as s:
        stored = (await s.execute(LinkCode.__table__.select())).all()  # type: ignore[attr-defined]
    assert code not in json.dumps([list(map(str, row)) for row in stored])  # kept hashed only
    # Typed loosely (lower case, a dash, spaces) it still works.
    r = await link(env, parent, f" {code[:4].lower()}-{code[4:]} ")
    assert r.status_code == 201, r.text
    assert r.json()["link"] == {**r.json()["link"], "nickname": "りす", "role": "child"}
    link_id = r.json()["link"]["id"]
    # Single use: a second parent cannot use it, nor the same one again.
    other = await sign_up(env.http, "おとうさん", audience="parent")
    assert error_code(await link(env, other, code)) == "link_code_invalid"
    mine = (await env.http.get("/api/links", headers=bearer(child))).json()["links"]
    assert [(x["id"], x["nickname"], x["role"]) for x in mine] == [
        (link_id, "おかあさん", "parent")
    ]
    theirs = (await env.http.get("/api/links", headers=bearer(parent))).json()["links"]
    assert [(x["id"], x["nickname"], x["role"]) for x in theirs] == [(link_id, "りす", "child")]
    assert (await env.http.get("/api/links", headers=bearer(other))).json()["links"] == []
    # Someone else cannot remove it; the child can.
    assert (
        await env.http.delete(f"/api/links/{link_id}", headers=bearer(other))
    ).status_code == 404
    assert (
        await env.http.delete(f"/api/links/{link_id}", headers=bearer(child))
    ).status_code == 200
    assert (await env.http.get("/api/links", headers=bearer(parent))).json()["links"] == []
    # The parent side can unlink too.
    _, parent2, link2 = await linked(env, "しか", "ははおや")
    assert (
        await env.http.delete(f"/api/links/{link2}", headers=bearer(parent2))
    ).status_code == 200


async def test_codes_expire_are_replaced_and_only_children_make_them(env: Env) -> None:
    child = await sign_up(env.http, "りす")
    parent = await sign_up(env.http, "おかあさん", audience="parent")
    first = await make_code(env, child)
    second = await make_code(env, child)
    assert error_code(await link(env, parent, first)) == "link_code_invalid"  # replaced
    env.clock.advance(minutes=30)
    assert error_code(await link(env, parent, second)) == "link_code_invalid"  # expired
    r = await env.http.post("/api/link-codes", headers=bearer(parent))
    assert r.status_code == 403 and error_code(r) == "not_allowed"
    # A child cannot enter a code, nor link to themselves.
    env.clock.advance(minutes=1)
    fresh = (await env.http.post("/api/link-codes", headers=bearer(child))).json()["code"]
    assert error_code(await link(env, child, fresh)) == "not_allowed"
    for bad in ("", "ABC", "ABCDEFGHI", "ABCDEFG0", 12345678, None):
        r = await link(env, parent, bad)  # type: ignore[arg-type]
        assert r.status_code == 400 and r.json()["error"]["field"] == "code", bad
    # Linked already: refused, and the code stays unused for nobody else to take.
    assert (await link(env, parent, fresh)).status_code == 201
    again = (await env.http.post("/api/link-codes", headers=bearer(child))).json()["code"]
    assert error_code(await link(env, parent, again)) == "already_linked"


async def test_guessing_codes_is_throttled_per_parent(env: Env) -> None:
    parent = await sign_up(env.http, "おかあさん", audience="parent")
    for _ in range(links.TRIES_PER_ACCOUNT):
        assert error_code(await link(env, parent, "ABCDEFGH")) == "link_code_invalid"
    r = await link(env, parent, "ABCDEFGH")
    assert r.status_code == 429 and error_code(r) == "rate_limited"
    env.clock.advance(seconds=links.TRY_WINDOW + 1)
    assert error_code(await link(env, parent, "ABCDEFGH")) == "link_code_invalid"


async def test_a_linked_parent_books_for_the_child_and_sees_only_the_time(env: Env) -> None:
    mentor = await add_mentor(env.ctx, "さくら", audience="child")
    parent_only = await add_mentor(env.ctx, "もみじ", audience="parent")
    child, parent, link_id = await linked(env)
    r = await env.http.post(
        f"/api/links/{link_id}/bookings",
        json={"mentor_id": mentor, "start": "2026-12-02T16:00:00+09:00"},
        headers=bearer(parent),
    )
    assert r.status_code == 201, r.text
    made = {"starts_at": "2026-12-02T16:00:00+09:00", "ends_at": "2026-12-02T16:30:00+09:00"}
    assert r.json() == {"booking": made}
    # It is the child's: in the child's list, not the parent's.
    own = (await env.http.get("/api/bookings", headers=bearer(child))).json()["consultations"]
    assert [c["starts_at"] for c in own] == ["2026-12-02T16:00:00+09:00"]
    assert own[0]["booked_by_parent"] is True  # the child is told who booked it, not which parent
    assert (await env.http.get("/api/bookings", headers=bearer(parent))).json()[
        "consultations"
    ] == []
    listed = (await env.http.get(f"/api/links/{link_id}/bookings", headers=bearer(parent))).json()
    assert listed == {"bookings": [made]}
    # A mentor for parents only does not serve the child.
    r = await env.http.post(
        f"/api/links/{link_id}/bookings",
        json={"mentor_id": parent_only, "start": "2026-12-02T17:00:00+09:00"},
        headers=bearer(parent),
    )
    assert error_code(r) == "not_found"
    # The child's limits apply, and the refusal does not name the child's bookings.
    child_own = await env.http.post(
        "/api/bookings",
        json={"mentor_id": mentor, "start": "2026-12-03T18:00:00+09:00"},
        headers=bearer(child),
    )
    assert child_own.status_code == 201
    assert "booked_by_parent" not in child_own.json()["consultation"]
    r = await env.http.post(
        f"/api/links/{link_id}/bookings",
        json={"mentor_id": mentor, "start": "2026-12-04T16:00:00+09:00"},
        headers=bearer(parent),
    )
    assert r.status_code == 409 and error_code(r) == "limit_reached"
    assert "details" not in r.json()["error"] and "12-03" not in r.text
    # The child cancels it; the parent's list does not change (no status is shown).
    booking_id = own[0]["id"]
    r = await env.http.delete(f"/api/bookings/{booking_id}", headers=bearer(child))
    assert r.status_code == 200, r.text
    again = (await env.http.get(f"/api/links/{link_id}/bookings", headers=bearer(parent))).json()
    assert again == {"bookings": [made]}
    # Unlinked: nothing more to see or book.
    await env.http.delete(f"/api/links/{link_id}", headers=bearer(child))
    r = await env.http.get(f"/api/links/{link_id}/bookings", headers=bearer(parent))
    assert r.status_code == 404
    r = await env.http.post(
        f"/api/links/{link_id}/bookings",
        json={"mentor_id": mentor, "start": "2026-12-05T16:00:00+09:00"},
        headers=bearer(parent),
    )
    assert r.status_code == 404


async def test_only_the_linked_parent_books_or_lists(env: Env) -> None:
    mentor = await add_mentor(env.ctx, "さくら", audience="child")
    child, _parent, link_id = await linked(env)
    stranger = await sign_up(env.http, "よそのひと", audience="parent")
    body = {"mentor_id": mentor, "start": "2026-12-02T16:00:00+09:00"}
    for token, code in ((stranger, "not_found"), (child, "not_allowed")):
        r = await env.http.post(f"/api/links/{link_id}/bookings", json=body, headers=bearer(token))
        assert error_code(r) == code
        r = await env.http.get(f"/api/links/{link_id}/bookings", headers=bearer(token))
        assert error_code(r) == code
    r = await env.http.post(f"/api/links/{link_id}/bookings", json=body)
    assert r.status_code == 401


def _fill(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


async def test_no_get_endpoint_gives_a_linked_parent_the_childs_consultations(env: Env) -> None:
    """Every GET in the OpenAPI document, with the parent's session and the child's ids."""
    mentor = await add_mentor(env.ctx, "さくら", audience="child")
    await add_staff(env.ctx, "sakura", "password-sakura-1", mentor_id=mentor)
    staff = await staff_token(env.http, "sakura", "password-sakura-1")
    child, parent, link_id = await linked(env)
    secret_words = "ないしょのはなし-7319"
    # The child talks now; the mentor writes a note; the child books on their own too.
    talk = (
        await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(child))
    ).json()["consultation"]
    async with env.ctx.db.write() as s:
        held = await s.get(Consultation, talk["id"])
        assert held is not None
        s.add(
            Message(
                consultation_id=talk["id"],
                seq=1,
                sender_role="client",
                sender_id=held.client_id,
                sender_name="りす",
                client_msg_id="m-1",
                text=secret_words,
                created_at=env.ctx.now(),
            )
        )
        held.last_seq = 1
        child_id = held.client_id
    r = await env.http.put(
        f"/api/staff/consultations/{talk['id']}/note",
        json={"text": "mentor-note-5521"},
        headers=bearer(staff),
    )
    assert r.status_code == 200, r.text
    own = await env.http.post(
        "/api/bookings",
        json={"mentor_id": mentor, "start": "2026-12-03T18:00:00+09:00"},
        headers=bearer(child),
    )
    assert own.status_code == 201
    made = await env.http.post(
        f"/api/links/{link_id}/bookings",
        json={"mentor_id": mentor, "start": "2026-12-02T16:00:00+09:00"},
        headers=bearer(parent),
    )
    assert made.status_code == 201
    # What became of the parent's booking: missed (no-show), marked at risk.
    child_list = (await env.http.get("/api/bookings", headers=bearer(child))).json()
    by_time = {c["starts_at"]: c["id"] for c in child_list["consultations"]}
    parent_booked = by_time["2026-12-02T16:00:00+09:00"]
    async with env.ctx.db.write() as s:
        await s.execute(
            update(Consultation)
            .where(col(Consultation.id) == parent_booked)
            .values(status="no_show", at_risk=True)
        )
    async with env.ctx.db.read() as s:
        note = (await s.execute(MentorNote.__table__.select())).all()  # type: ignore[attr-defined]
    assert note  # the note exists, so not finding it below means something
    ids = {
        "consultation_id": talk["id"],
        "booking_id": parent_booked,
        "link_id": link_id,
        "mentor_id": mentor,
        "client_id": child_id,
        "alert_id": 1,
        "entry_id": "emergency",
    }
    doc = (await env.http.get("/api/openapi.json")).json()
    forbidden = [
        secret_words,
        "mentor-note-5521",
        "no_show",
        "2026-12-03T18:00",  # the child's own booking
        '"at_risk"',
    ]
    walked = 0
    for path, item in doc["paths"].items():
        if "get" not in item or path in ("/api/openapi.json", "/api/ws-schema.json"):
            continue
        params = {
            p["name"]: "2026-12-02" if p["name"] == "date" else "1"
            for p in item["get"].get("parameters", [])
            if p.get("in") == "query" and p.get("required")
        }
        for each in ({}, {"consultation_id": parent_booked, "booking_id": talk["id"]}):
            url = _fill(path, {**ids, **each})
            r = await env.http.get(url, params=params, headers=bearer(parent))
            walked += 1
            for word in forbidden:
                assert word not in r.text, (url, word, r.text[:300])
            if "{consultation_id}" in path or "{booking_id}" in path:
                assert r.status_code in (401, 403, 404), (url, r.status_code, r.text[:300])
            if path == "/api/links/{link_id}/bookings":
                assert r.json() == {
                    "bookings": [
                        {
                            "starts_at": "2026-12-02T16:00:00+09:00",
                            "ends_at": "2026-12-02T16:30:00+09:00",
                        }
                    ]
                }
            if path == "/api/bookings":
                assert r.json()["consultations"] == []
    assert walked > 20
    # The same walk with the child's own session does find the child's own things: the walk
    # reaches where they are.
    seen = ""
    for path, item in doc["paths"].items():
        if "get" in item and "{" not in path and path.startswith("/api/") and "staff" not in path:
            seen += (await env.http.get(path, headers=bearer(child))).text
    assert "2026-12-03T18:00" in seen


async def test_deleting_either_account_removes_the_link(env: Env) -> None:
    mentor = await add_mentor(env.ctx, "さくら", audience="child")
    child, parent, link_id = await linked(env)
    r = await env.http.post(
        f"/api/links/{link_id}/bookings",
        json={"mentor_id": mentor, "start": "2026-12-02T16:00:00+09:00"},
        headers=bearer(parent),
    )
    assert r.status_code == 201
    await make_code(env, child)  # an unused code, too
    r = await env.http.request(
        "DELETE", "/api/me", json={"secret": "himitsu123"}, headers=bearer(parent)
    )
    assert r.status_code == 200, r.text
    assert (await env.http.get("/api/links", headers=bearer(child))).json()["links"] == []
    async with env.ctx.db.read() as s:
        made = (await s.execute(select(Consultation))).scalars().one()
    assert made.status == "booked" and made.booked_by_id is None  # still the child's
    r = await env.http.request(
        "DELETE", "/api/me", json={"secret": "himitsu123"}, headers=bearer(child)
    )
    assert r.status_code == 200, r.text
    async with env.ctx.db.read() as s:
        assert (await s.execute(select(LinkCode))).all() == []
        assert (await s.execute(select(ClientLink))).all() == []
