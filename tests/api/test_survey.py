"""The post-chat survey over HTTP, on both databases: only the consultation's own client, only
once, feel_before only while open and the rest only after close, the 200-character comment,
invalid values named by field, and that the stored row knows nothing of who answered."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.actions.accounts import principal_for_token
from app.actions.booking import do_chat_now
from app.actions.chat import do_end, do_join
from app.db.tables import Survey
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token


async def chat(env: Env, *, join: bool = True) -> tuple[str, str, int]:
    """A child talking now with a mentor: (child token, mentor token, consultation id)."""
    mentor_id = await add_mentor(env.ctx, "さくら", kind="nurse")
    await add_staff(env.ctx, "m1", "mentor-password-1", mentor_id=mentor_id)
    child_token = await sign_up(env.http, "こぐま")
    mentor_token = await staff_token(env.http, "m1", "mentor-password-1")
    child = await principal_for_token(env.ctx, child_token)
    assert child is not None
    c = await do_chat_now(env.ctx, child, mentor_id=mentor_id)
    assert c.id is not None
    if join:
        mentor = await principal_for_token(env.ctx, mentor_token)
        assert mentor is not None
        await do_join(env.ctx, mentor, c.id)
    return child_token, mentor_token, c.id


async def end(env: Env, token: str, cid: int) -> None:
    who = await principal_for_token(env.ctx, token)
    assert who is not None
    await do_end(env.ctx, who, await do_join(env.ctx, who, cid))


async def test_before_while_open_then_the_survey_once_after_close(env: Env) -> None:
    child, _mentor, cid = await chat(env)
    url = f"/api/consultations/{cid}/survey"
    r = await env.http.get(url, headers=bearer(child))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "consultation_id": cid,
        "state": "none",
        "feel_before": None,
        "can_feel_before": True,
        "can_answer": False,
        "help": False,
    }
    # not yet: the chat is still open
    r = await env.http.post(url, json={"feel_after": 4}, headers=bearer(child))
    assert r.status_code == 409 and error_code(r) == "survey_unavailable", r.text
    r = await env.http.post(f"{url}/before", json={"feel_before": 2}, headers=bearer(child))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "before" and r.json()["feel_before"] == 2
    assert r.json()["can_feel_before"] is False
    r = await env.http.post(f"{url}/before", json={"feel_before": 3}, headers=bearer(child))
    assert r.status_code == 409 and error_code(r) == "survey_done", r.text
    await end(env, child, cid)
    # feel_before only while open
    assert (await env.http.get(url, headers=bearer(child))).json()["can_answer"] is True
    body = {"feel_after": 4, "again": "maybe", "comment": "  はなせて よかった  "}
    r = await env.http.post(url, json=body, headers=bearer(child))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "answered" and r.json()["can_answer"] is False
    r = await env.http.post(url, json=body, headers=bearer(child))
    assert r.status_code == 409 and error_code(r) == "survey_done", r.text
    r = await env.http.post(url, json={"skip": True}, headers=bearer(child))
    assert r.status_code == 409 and error_code(r) == "survey_done", r.text
    async with env.ctx.db.read() as s:
        row = (await s.execute(select(Survey))).scalar_one()
    assert (row.feel_before, row.feel_after, row.again, row.comment) == (
        2,
        4,
        "maybe",
        "はなせて よかった",
    )
    assert (row.audience, row.mentor_kind, row.day) == ("child", "nurse", date(2026, 12, 1))
    # the row carries no client and no instant
    assert {c.name for c in Survey.__table__.columns} == {  # type: ignore[attr-defined]
        "id",
        "consultation_id",
        "audience",
        "mentor_kind",
        "day",
        "state",
        "feel_before",
        "feel_after",
        "again",
        "comment",
    }


async def test_feel_before_after_close_is_refused_and_skip_is_once(env: Env) -> None:
    child, _mentor, cid = await chat(env)
    url = f"/api/consultations/{cid}/survey"
    await end(env, child, cid)
    r = await env.http.post(f"{url}/before", json={"feel_before": 3}, headers=bearer(child))
    assert r.status_code == 409 and error_code(r) == "survey_unavailable", r.text
    r = await env.http.post(url, json={"skip": True}, headers=bearer(child))
    assert r.status_code == 200 and r.json()["state"] == "skipped", r.text
    r = await env.http.post(url, json={"feel_after": 5}, headers=bearer(child))
    assert r.status_code == 409 and error_code(r) == "survey_done", r.text


async def test_an_unanswered_chat_offers_no_survey(env: Env) -> None:
    child, _mentor, cid = await chat(env, join=False)
    await end(env, child, cid)
    url = f"/api/consultations/{cid}/survey"
    assert (await env.http.get(url, headers=bearer(child))).json()["can_answer"] is False
    r = await env.http.post(url, json={"feel_after": 5}, headers=bearer(child))
    assert r.status_code == 409 and error_code(r) == "survey_unavailable", r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"feel_after": 0}, "feel_after"),
        ({"feel_after": 6}, "feel_after"),
        ({"feel_after": "5"}, "feel_after"),
        ({"feel_after": True}, "feel_after"),
        ({"feel_after": 3.0}, "feel_after"),
        ({"again": "sometimes"}, "again"),
        ({"again": 1}, "again"),
        ({"comment": "あ" * 201}, "comment"),
        ({"comment": ["x"]}, "comment"),
        ({"skip": "yes"}, "skip"),
        ({}, "feel_after"),
        ({"feel_after": None, "again": None, "comment": "   "}, "feel_after"),
    ],
)
async def test_invalid_values_name_their_field(
    env: Env, body: dict[str, object], field: str
) -> None:
    child, _mentor, cid = await chat(env)
    await end(env, child, cid)
    r = await env.http.post(f"/api/consultations/{cid}/survey", json=body, headers=bearer(child))
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "invalid_input"
    assert r.json()["error"]["field"] == field


async def test_the_200_character_comment_is_accepted(env: Env) -> None:
    child, _mentor, cid = await chat(env)
    await end(env, child, cid)
    r = await env.http.post(
        f"/api/consultations/{cid}/survey", json={"comment": "あ" * 200}, headers=bearer(child)
    )
    assert r.status_code == 200, r.text
    r = await env.http.post(
        f"/api/consultations/{cid}/survey/before", json={"feel_before": 9}, headers=bearer(child)
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "feel_before"


async def test_a_mentor_or_another_client_can_neither_submit_nor_read(env: Env) -> None:
    child, mentor, cid = await chat(env)
    url = f"/api/consultations/{cid}/survey"
    other = await sign_up(env.http, "ほかのこ")
    await add_staff(env.ctx, "boss", "boss-password-1", role="supervisor")
    boss = await staff_token(env.http, "boss", "boss-password-1")
    r = await env.http.post(f"{url}/before", json={"feel_before": 1}, headers=bearer(other))
    assert r.status_code == 404 and error_code(r) == "not_found", r.text
    await end(env, child, cid)
    for token, status, code in (
        (other, 404, "not_found"),
        (mentor, 403, "not_allowed"),
        (boss, 403, "not_allowed"),
    ):
        r = await env.http.get(url, headers=bearer(token))
        assert r.status_code == status and error_code(r) == code, r.text
        r = await env.http.post(url, json={"feel_after": 1}, headers=bearer(token))
        assert r.status_code == status and error_code(r) == code, r.text
    assert (await env.http.post(url, json={"feel_after": 1})).status_code == 401
    async with env.ctx.db.read() as s:
        assert (await s.execute(select(Survey))).first() is None
    # the child still can
    r = await env.http.post(url, json={"feel_after": 1}, headers=bearer(child))
    assert r.status_code == 200, r.text


async def test_the_child_reads_refusals_in_child_words(env: Env) -> None:
    child, _mentor, cid = await chat(env)
    r = await env.http.post(
        f"/api/consultations/{cid}/survey", json={"feel_after": 3}, headers=bearer(child)
    )
    assert r.status_code == 409
    assert r.json()["error"]["message"]["ja"] == "この しつもんには いまは こたえられないよ。"


async def test_leaving_erases_the_comment_and_keeps_the_anonymous_answers(env: Env) -> None:
    child, _mentor, cid = await chat(env)
    await end(env, child, cid)
    r = await env.http.post(
        f"/api/consultations/{cid}/survey",
        json={"feel_after": 2, "again": "no", "comment": "ZZ-my-own-words"},
        headers=bearer(child),
    )
    assert r.status_code == 200, r.text
    r = await env.http.request(
        "DELETE", "/api/me", json={"secret": "himitsu123"}, headers=bearer(child)
    )
    assert r.status_code == 200, r.text
    async with env.ctx.db.read() as s:
        row = (await s.execute(select(Survey))).scalar_one()
    assert (row.state, row.feel_after, row.again, row.comment) == ("answered", 2, "no", None)


async def test_crisis_words_in_the_comment_offer_help_on_the_spot(env: Env) -> None:
    child, _mentor, cid = await chat(env)
    await end(env, child, cid)
    r = await env.http.post(
        f"/api/consultations/{cid}/survey",
        json={"feel_after": 1, "comment": "もう しにたい"},
        headers=bearer(child),
    )
    assert r.status_code == 200, r.text
    assert r.json()["help"] is True and r.json()["state"] == "answered"
    # an ordinary comment does not, and nothing of it is kept beyond the survey row
    child2, _m, cid2 = await chat_again(env)
    await end(env, child2, cid2)
    r = await env.http.post(
        f"/api/consultations/{cid2}/survey", json={"comment": "ありがとう"}, headers=bearer(child2)
    )
    assert r.json()["help"] is False


async def chat_again(env: Env) -> tuple[str, str, int]:
    """A second child with a second mentor (the first pair already had their chat)."""
    mentor_id = await add_mentor(env.ctx, "もも", kind="psychologist")
    await add_staff(env.ctx, "m2", "mentor-password-2", mentor_id=mentor_id)
    child_token = await sign_up(env.http, "こりす")
    mentor_token = await staff_token(env.http, "m2", "mentor-password-2")
    child = await principal_for_token(env.ctx, child_token)
    mentor = await principal_for_token(env.ctx, mentor_token)
    assert child is not None and mentor is not None
    c = await do_chat_now(env.ctx, child, mentor_id=mentor_id)
    assert c.id is not None
    await do_join(env.ctx, mentor, c.id)
    return child_token, mentor_token, c.id
