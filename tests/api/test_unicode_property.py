"""Arbitrary Unicode, lone surrogates and NUL included, through every place a person types.

The property: each answer is either "stored unchanged" (read back and compared) or a refusal
that names the field, never internal_error, busy_try_again or a 500. "Unchanged" means, per
field, exactly what the service promises to do with the text:

- nickname: NFKC-normalised, then surrounding whitespace removed (`str.strip`): the stored
  nickname is `normalize("NFKC", given).strip()`, and signing in with the text as given
  finds the same account;
- secret: only its hash is stored, so: signing in with exactly the given secret succeeds;
- chat text and mentor fields (display_name, profile_ja, profile_en): `given.strip()`;
- a mentor's note: exactly as given.

Strings are sent inside JSON with `\\uXXXX` escapes (json.dumps' default), as a browser does
when it cuts a long text in the middle of an emoji. "Given" is the string that JSON carries:
`received()` of the generated one, since two escaped halves of a surrogate pair are one
character in JSON.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.actions.accounts import nickname_key
from app.clock import ManualClock
from app.db.tables import Mentor, Message
from tests.conftest import Env, make_settings
from tests.helpers import add_mentor, add_staff, bearer, sign_up, staff_token
from tests.protocol.conftest import Live, Ws, live_server, ws_client
from tests.protocol.helpers import chat_pair

PROPERTY = settings(
    max_examples=60,
    deadline=None,  # a database round trip per example; timing is not the property
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# A third of the examples are any text at all, a third what people type, and a third mix in,
# at every position, the characters that break things (st.text alone would rarely pick a
# lone surrogate).
TRICKY = "\x00\t\n\r \u00a0\u3000\u200b\u2028\ufeff\ufffe\uffff\U0010ffff\U0001f600ｱ①ﬁ"
ANY_CHAR = st.characters(exclude_categories=())  # excludes nothing: surrogates too
HALF_EMOJI = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())


def texts(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    tricky = st.lists(
        st.one_of(ANY_CHAR, HALF_EMOJI, st.sampled_from(TRICKY)),
        min_size=min_size,
        max_size=max_size,
    ).map("".join)
    # assigned characters only (letters, marks, digits, symbols, spaces): what people type,
    # full-width and compatibility forms included, so NFKC has work to do
    typed = st.text(
        st.characters(categories=["L", "M", "N", "P", "S", "Zs"]),
        min_size=min_size,
        max_size=max_size,
    )
    return st.one_of(st.text(ANY_CHAR, min_size=min_size, max_size=max_size), typed, tricky)


TEXT = texts()
NEVER = {"internal_error", "busy_try_again"}


def received(text: str) -> str:
    """What the service receives for `text` sent inside JSON (a surrogate pair joins)."""
    return str(json.loads(json.dumps(text)))


def _body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()  # ensure_ascii: surrogates travel as \ud800 escapes


def _refusal(r: httpx.Response, fields: set[str], codes: set[str] | None = None) -> str:
    """The code of a refusal that names one of `fields`; fails on anything else."""
    assert r.status_code < 500, r.text
    error = r.json()["error"]
    assert error["code"] not in NEVER
    assert error["code"] in (codes or set()) | {"invalid_input"}, error
    assert error.get("field") in fields, error
    event(f"refused: {error['code']} {error['field']}")  # --hypothesis-show-statistics
    return str(error["code"])


@PROPERTY
@given(nickname=texts(max_size=24), secret=texts(min_size=6))
async def test_sign_up_and_sign_in(env: Env, nickname: str, secret: str) -> None:
    env.ctx.signups.limit = 10**6
    taken = getattr(env, "taken", set())
    env.taken = taken  # type: ignore[attr-defined]  # across examples: a name is taken once
    headers = {"Content-Type": "application/json"}
    r = await env.http.post(
        "/api/clients",
        content=_body(nickname=nickname, secret=secret, audience="child"),
        headers=headers,
    )
    env.http.cookies.clear()
    if r.status_code != 201:
        code = _refusal(
            r, {"nickname", "secret"}, {"nickname_taken", "secret_too_short", "secret_too_common"}
        )
        if code == "nickname_taken":
            assert nickname_key(received(nickname)) in taken
        return
    stored = r.json()["account"]["nickname"]
    assert stored == unicodedata.normalize("NFKC", received(nickname)).strip()
    taken.add(nickname_key(stored))
    r = await env.http.post(
        "/api/session/client", content=_body(nickname=nickname, secret=secret), headers=headers
    )
    env.http.cookies.clear()
    assert r.status_code == 200, r.text
    assert r.json()["account"]["nickname"] == stored
    event("stored")


@pytest.fixture
async def boss(env: Env) -> str:
    await add_staff(env.ctx, "boss", "boss-pass1", role="supervisor")
    return await staff_token(env.http, "boss", "boss-pass1")


@PROPERTY
@given(field=st.sampled_from(["display_name", "profile_ja", "profile_en"]), text=TEXT)
async def test_mentor_fields(env: Env, boss: str, field: str, text: str) -> None:
    mentor_id = await add_mentor(env.ctx, days=[])
    r = await env.http.patch(
        f"/api/staff/mentors/{mentor_id}",
        content=_body(**{field: text}),
        headers={"Content-Type": "application/json", **bearer(boss)},
    )
    if r.status_code != 200:
        _refusal(r, {field})
        return
    async with env.ctx.db.read() as s:
        mentor = await s.get(Mentor, mentor_id)
    assert mentor is not None and getattr(mentor, field) == received(text).strip()
    event("stored")


@pytest.fixture
async def note_url(env: Env) -> tuple[str, str]:
    """(a mentor's token, the note URL of one of their consultations)."""
    mentor_id = await add_mentor(env.ctx, "ノート")
    await add_staff(env.ctx, "noter", "noter-pass1", mentor_id=mentor_id)
    mentor = await staff_token(env.http, "noter", "noter-pass1")
    child = await sign_up(env.http, "ノートのこ")
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(child))
    assert r.status_code == 201, r.text
    return mentor, f"/api/staff/consultations/{r.json()['consultation']['id']}/note"


@PROPERTY
@given(text=TEXT)
async def test_mentor_notes(env: Env, note_url: tuple[str, str], text: str) -> None:
    mentor, url = note_url
    r = await env.http.put(
        url,
        content=_body(text=text),
        headers={"Content-Type": "application/json", **bearer(mentor)},
    )
    if r.status_code != 200:
        _refusal(r, {"text"})
        return
    read = await env.http.get(url, headers=bearer(mentor))
    assert read.json()["text"] == received(text)
    event("stored")


@pytest.fixture
async def chat(db_url: str, clock: ManualClock) -> AsyncIterator[tuple[Live, Ws, int]]:
    """A child's socket, joined to an open consultation, on a server without rate limits."""
    generous = make_settings(db_url, ws_messages_per_minute=100_000, ws_frames_per_minute=100_000)
    async with live_server(generous, clock) as live:
        pair = await chat_pair(live)
        async with ws_client(live, pair.child) as child:
            await child.send(type="join", consultation_id=pair.consultation_id)
            await child.expect("joined")
            yield live, child, pair.consultation_id


MSG_IDS = itertools.count()


@PROPERTY
@given(text=texts(max_size=60))
async def test_chat_send(chat: tuple[Live, Ws, int], text: str) -> None:
    live, child, cid = chat
    ref = f"p{next(MSG_IDS)}"
    frame = {"type": "send", "consultation_id": cid, "client_msg_id": ref, "text": text}
    await child.conn.send(json.dumps(frame))
    while (answer := await child.next())["type"] not in ("ack", "error"):
        pass
    if answer["type"] == "error":
        assert answer["code"] in {"invalid_input", "message_too_long"}, answer
        assert answer["field"] == "text" and answer["ref"] == ref
        event(f"refused: {answer['code']}")
        return
    async with live.ctx.db.read() as s:
        stored = (
            await s.execute(
                select(Message.text).where(
                    Message.consultation_id == cid, Message.seq == answer["seq"]
                )
            )
        ).scalar_one()
    assert stored == received(text).strip()
    event("stored")
