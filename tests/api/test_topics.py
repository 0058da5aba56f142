"""GET /api/topics: what a child or a parent can say it is about, and who fits, with why."""

from __future__ import annotations

from tests.conftest import Env


async def test_topics_in_the_childs_words(env: Env) -> None:
    r = await env.http.get("/api/topics?audience=child")
    assert r.status_code == 200
    body = r.json()
    assert body["audience"] == "child"
    school = next(t for t in body["topics"] if t["id"] == "school_friends")
    assert school["label"] == {
        "ja": "{学校|がっこう}・ともだち",
        "en": "School and friends",
        "zh": "学校和朋友",
        "ko": "학교와 친구",
    }
    teacher = next(k for k in school["kinds"] if k["id"] == "former_teacher")
    assert teacher["label"] == {
        "ja": "元教員",
        "en": "Former teacher",
        "zh": "前教师",
        "ko": "전직 교사",
    }
    assert teacher["why"]["ja"].startswith("{学校|がっこう}の ことを")
    assert teacher["why"]["en"]


async def test_topics_in_the_parents_words(env: Env) -> None:
    body = (await env.http.get("/api/topics?audience=parent")).json()
    money = next(t for t in body["topics"] if t["id"] == "money")
    assert money["label"]["ja"] == "お金・生活のこと"
    assert [k["id"] for k in money["kinds"]] == ["financial_planner", "social_worker"]
    assert "ファイナンシャルプランナー" in money["kinds"][0]["why"]["ja"]


async def test_topics_need_a_known_audience(env: Env) -> None:
    for query in ("", "?audience=", "?audience=mentor"):
        r = await env.http.get(f"/api/topics{query}")
        assert r.status_code == 400, query
        assert r.json()["error"] == {
            **r.json()["error"],
            "code": "invalid_input",
            "field": "audience",
        }


async def test_service_names_the_console_poll_interval(env: Env) -> None:
    assert (await env.http.get("/api/service")).json()["poll_seconds"] == 60
