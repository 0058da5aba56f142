"""Mentors list the languages they chat in; clients filter the mentor list by language."""

from __future__ import annotations

from typing import Any

from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, staff_token


async def _boss(env: Env) -> str:
    await add_staff(env.ctx, "boss", "boss-pass1", role="supervisor")
    return await staff_token(env.http, "boss", "boss-pass1")


def _names(mentors: list[dict[str, Any]]) -> list[str]:
    return [m["display_name"] for m in mentors]


async def test_headquarters_sets_languages_and_clients_filter_by_them(env: Env) -> None:
    boss = await _boss(env)
    await add_mentor(env.ctx, "さくら")  # Japanese only, the default
    body = {"display_name": "リン", "kind": "psychologist", "audience": "both"}
    r = await env.http.post(
        "/api/staff/mentors", json={**body, "languages": ["zh", "ja"]}, headers=bearer(boss)
    )
    assert r.status_code == 201
    lin = r.json()["mentor"]
    assert lin["languages"] == ["ja", "zh"]  # the usual order, whatever order was sent
    r = await env.http.post(
        "/api/staff/mentors", json={**body, "display_name": "ミナ"}, headers=bearer(boss)
    )
    mina = r.json()["mentor"]
    assert mina["languages"] == ["ja"]  # none given: Japanese
    r = await env.http.patch(
        f"/api/staff/mentors/{mina['id']}", json={"languages": ["ko", "en"]}, headers=bearer(boss)
    )
    assert r.status_code == 200 and r.json()["mentor"]["languages"] == ["en", "ko"]

    everyone = (await env.http.get("/api/mentors")).json()["mentors"]
    assert {m["display_name"]: m["languages"] for m in everyone} == {
        "さくら": ["ja"],
        "リン": ["ja", "zh"],
        "ミナ": ["en", "ko"],
    }
    assert _names((await env.http.get("/api/mentors?language=zh")).json()["mentors"]) == ["リン"]
    assert _names((await env.http.get("/api/mentors?language=ja")).json()["mentors"]) == [
        "さくら",
        "リン",
    ]
    assert _names((await env.http.get("/api/mentors?language=ko")).json()["mentors"]) == ["ミナ"]
    assert len((await env.http.get("/api/mentors?language=")).json()["mentors"]) == 3
    detail = (await env.http.get(f"/api/mentors/{lin['id']}")).json()["mentor"]
    assert detail["languages"] == ["ja", "zh"]
    roster = (await env.http.get("/api/staff/mentors", headers=bearer(boss))).json()["mentors"]
    assert {m["display_name"]: m["languages"] for m in roster}["ミナ"] == ["en", "ko"]

    r = await env.http.get("/api/mentors?language=fr")
    assert r.status_code == 400 and error_code(r) == "invalid_input"
    assert r.json()["error"]["field"] == "language"


async def test_languages_must_be_known_codes_at_least_one_each_once(env: Env) -> None:
    boss = await _boss(env)
    mentor_id = await add_mentor(env.ctx, "さくら")
    for bad in ([], ["fr"], ["ja", "ja"], "ja,en", ["JA"], [None], [["ja"]], None, {"ja": 1}):
        r = await env.http.patch(
            f"/api/staff/mentors/{mentor_id}", json={"languages": bad}, headers=bearer(boss)
        )
        assert r.status_code == 400, bad
        assert error_code(r) == "invalid_input" and r.json()["error"]["field"] == "languages", bad
    r = await env.http.post(
        "/api/staff/mentors",
        json={"display_name": "x", "kind": "nurse", "audience": "both", "languages": ["xx"]},
        headers=bearer(boss),
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "languages"
    # nothing changed
    shown = (await env.http.get(f"/api/mentors/{mentor_id}")).json()["mentor"]
    assert shown["languages"] == ["ja"]


async def test_kinds_are_labelled_in_four_languages(env: Env) -> None:
    await add_mentor(env.ctx, "さくら", kind="nurse")
    mentor = (await env.http.get("/api/mentors")).json()["mentors"][0]
    assert set(mentor["kind"]["label"]) >= {"ja", "en", "zh", "ko"}
