"""A refusal speaks to whoever asked: a child's words for the child face or a child account,
the adult words for everyone else, in Japanese, English, Chinese and Korean alike."""

from __future__ import annotations

from typing import Any

import httpx

from app.errors import CATALOG, LANGS, Refusal
from tests.conftest import Env
from tests.helpers import add_mentor, bearer, jst, sign_up

CHILD_FACE = {"X-Yorisoi-Face": "child"}
PARENT_FACE = {"X-Yorisoi-Face": "parent"}


def texts(code: str, register: str, **params: Any) -> dict[str, str]:
    return Refusal(code, **params).message(register)  # type: ignore[arg-type]


def error(r: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = r.json()["error"]
    assert set(body["message"]) == set(LANGS) and all(body["message"].values())
    return body


async def test_the_child_face_is_answered_in_a_childs_words(env: Env) -> None:
    r = await env.http.get("/api/bookings", headers=CHILD_FACE)
    assert r.status_code == 401
    assert error(r)["message"] == texts("not_signed_in", "child")
    r = await env.http.get("/api/bookings", headers=PARENT_FACE)
    assert error(r)["message"] == texts("not_signed_in", "adult")
    r = await env.http.get("/api/bookings")  # a script: no face, no account
    assert error(r)["message"] == texts("not_signed_in", "adult")


async def test_outside_hours_on_the_child_face_is_the_kana_text(env: Env) -> None:
    """At 21:30:03 the child saw the adult text although a kana one existed (issue 11)."""
    mentor = await add_mentor(env.ctx, audience="both")
    child = await sign_up(env.http, "よるの こ")
    parent = await sign_up(env.http, "おや", audience="parent")
    env.clock.set(jst(2026, 12, 1, 21, 30, 3))
    r = await env.http.post(
        "/api/chat-now", json={"mentor_id": mentor}, headers={**bearer(child), **CHILD_FACE}
    )
    body = error(r)
    assert (body["code"], r.status_code) == ("outside_hours", 409)
    hours = {"open_time": "15:00", "last_start": "21:30", "close_time": "22:00"}
    assert body["message"] == texts("outside_hours", "child", **hours)
    assert body["details"] == hours  # code, field and details do not depend on the register
    assert "受付時間外" not in body["message"]["ja"] and "21:30" in body["message"]["ja"]
    r = await env.http.post(
        "/api/chat-now", json={"mentor_id": mentor}, headers={**bearer(parent), **PARENT_FACE}
    )
    assert error(r)["message"] == texts("outside_hours", "adult", **hours)


async def test_a_child_account_gets_a_childs_words_without_a_face(env: Env) -> None:
    child = await sign_up(env.http, "こぎつね")
    await sign_up(env.http, "だれか")
    r = await env.http.post(
        "/api/clients",
        json={"nickname": "だれか", "secret": "himitsu123", "audience": "child"},
        headers=CHILD_FACE,
    )
    assert error(r)["message"]["ja"] == CATALOG["nickname_taken"].child.ja
    r = await env.http.delete("/api/bookings/99999", headers=bearer(child))
    assert error(r)["code"] == "not_found"
    assert error(r)["message"] == texts("not_found", "child")


async def test_middleware_refusals_follow_the_face_too(env: Env) -> None:
    r = await env.http.post(
        "/api/bookings", json={}, headers={"Origin": "https://evil.example", **CHILD_FACE}
    )
    assert error(r)["code"] == "cross_site"
    assert error(r)["message"] == texts("cross_site", "child")
    r = await env.http.post(
        "/api/bookings", json={}, headers={"Origin": "https://evil.example", **PARENT_FACE}
    )
    assert error(r)["message"] == texts("cross_site", "adult")
