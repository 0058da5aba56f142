"""The consultation record over HTTP, on both databases: who may read and write it, what it
accepts, the open-records list, audited corrections, the taxonomy headquarters keeps, and that
no client endpoint carries any of it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from app.actions.chat import do_end, do_join
from app.actions.escalation import do_raise
from app.db.tables import AuditLog
from app.web.contract_api import document
from tests.actions.test_events import walk_in
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token

SECRET_REASON = "ZZ-escalation-reason"
SECRET_TOPIC = "ZZ-topic-label"
SECRET_SHARED = "ZZ-what-is-shared"


async def topics(env: Env, token: str) -> dict[str, int]:
    r = await env.http.get("/api/staff/record-topics", headers=bearer(token))
    assert r.status_code == 200, r.text
    return {t["key"]: t["id"] for t in r.json()["topics"]}


async def closed_answered(env: Env) -> tuple[Any, Any, int, str, str]:
    """A walk-in the mentor joined and ended: (child, mentor, id, mentor token, boss token)."""
    child, mentor, cid, _mentor_id = await walk_in(env)
    access = await do_join(env.ctx, mentor, cid)
    await do_end(env.ctx, mentor, access)
    await add_staff(env.ctx, "boss", "boss-password-1", role="supervisor")
    boss = await staff_token(env.http, "boss", "boss-password-1")
    mentor_token = await staff_token(env.http, "m1", "mentor-password-1")
    return child, mentor, cid, mentor_token, boss


def record_body(ids: dict[str, int], **changes: Any) -> dict[str, Any]:
    return {
        "topics": [ids["family"], ids["abuse_violence"]],
        "risk": "high",
        "referrals": ["child_guidance"],
        "follow_up": True,
        **changes,
    }


async def test_the_mentor_fills_the_record_and_the_open_list_empties(env: Env) -> None:
    _child, _mentor, cid, mentor, boss = await closed_answered(env)
    url = f"/api/staff/consultations/{cid}/record"
    opened = (await env.http.get("/api/staff/records/open", headers=bearer(mentor))).json()
    assert opened["count"] == 1 and opened["consultations"][0]["consultation_id"] == cid
    r = await env.http.get(url, headers=bearer(mentor))
    assert r.json() == {"consultation_id": cid, "needed": True, "record": None, "escalations": []}
    ids = await topics(env, mentor)
    assert len(ids) == 9 and "other" in ids
    r = await env.http.put(url, json=record_body(ids), headers=bearer(mentor))
    assert r.status_code == 200, r.text
    record = r.json()["record"]
    assert [t["key"] for t in record["topics"]] == ["family", "abuse_violence"]
    assert record["risk"] == "high" and record["referrals"] == ["child_guidance"]
    assert record["follow_up"] is True and record["corrected"] is False
    opened = (await env.http.get("/api/staff/records/open", headers=bearer(mentor))).json()
    assert opened == {"count": 0, "consultations": []}
    # a supervisor sees it and corrects it; the correction is audited with who and what
    assert (await env.http.get(url, headers=bearer(boss))).json()["record"] == record
    r = await env.http.put(
        url,
        json=record_body(ids, risk="urgent", topics=[ids["family"]], referrals=["189", "police"]),
        headers=bearer(boss),
    )
    assert r.status_code == 200, r.text
    corrected = r.json()["record"]
    assert corrected["risk"] == "urgent" and corrected["referrals"] == ["police", "189"]
    assert corrected["corrected"] is True and corrected["updated_by"] == "boss"
    assert [t["key"] for t in corrected["topics"]] == ["family"]
    async with env.ctx.db.read() as s:
        rows = (
            (
                await s.execute(
                    select(AuditLog)
                    .where(
                        col(AuditLog.consultation_id) == cid, col(AuditLog.action).like("record%")
                    )
                    .order_by(col(AuditLog.id))
                )
            )
            .scalars()
            .all()
        )
    assert [(a.action, a.actor_role) for a in rows] == [
        ("record_written", "mentor"),
        ("record_corrected", "supervisor"),
    ]
    assert "risk high -> urgent" in (rows[1].reason or "") and rows[1].at is not None


async def test_only_its_mentor_or_a_supervisor(env: Env) -> None:
    _child, _mentor, cid, mentor, _boss = await closed_answered(env)
    ids = await topics(env, mentor)
    url = f"/api/staff/consultations/{cid}/record"
    child = await sign_up(env.http, "ほかのこ")
    for method in ("GET", "PUT"):
        r = await env.http.request(method, url, json=record_body(ids), headers=bearer(child))
        assert r.status_code == 403 and error_code(r) == "not_allowed", r.text
    other_id = await add_mentor(env.ctx, "ほかのメンター")
    await add_staff(env.ctx, "m2", "mentor-password-2", mentor_id=other_id)
    other = await staff_token(env.http, "m2", "mentor-password-2")
    for method in ("GET", "PUT"):
        r = await env.http.request(method, url, json=record_body(ids), headers=bearer(other))
        assert r.status_code == 404 and error_code(r) == "not_found", r.text
    r = await env.http.get("/api/staff/records/open", headers=bearer(child))
    assert r.status_code == 403
    assert (await env.http.get("/api/staff/records/open", headers=bearer(other))).json()[
        "count"
    ] == 0
    # only headquarters changes the taxonomy
    r = await env.http.post(
        "/api/staff/record-topics", json={"label_ja": "x", "label_en": "x"}, headers=bearer(mentor)
    )
    assert r.status_code == 403


async def test_what_a_record_accepts(env: Env) -> None:
    _child, _mentor, cid, mentor, _boss = await closed_answered(env)
    ids = await topics(env, mentor)
    url = f"/api/staff/consultations/{cid}/record"
    help_id = env.ctx.directory.search(query="", category=None, audience=None)[0]["id"]
    for changes, field in (
        ({"topics": []}, "topics"),
        ({"topics": [ids["family"], ids["family"]]}, "topics"),
        ({"topics": [99999]}, "topics"),
        ({"topics": ["family"]}, "topics"),
        ({"risk": "medium"}, "risk"),
        ({"risk": None}, "risk"),
        ({"referrals": []}, "referrals"),
        ({"referrals": ["none", "police"]}, "referrals"),
        ({"referrals": ["friend"]}, "referrals"),
        ({"referrals": ["help_directory"]}, "help_entry_id"),
        ({"referrals": ["help_directory"], "help_entry_id": "no-such-entry"}, "help_entry_id"),
        ({"referrals": ["police"], "help_entry_id": help_id}, "help_entry_id"),
        ({"follow_up": "yes"}, "follow_up"),
    ):
        r = await env.http.put(url, json=record_body(ids, **changes), headers=bearer(mentor))
        assert r.status_code == 400, (changes, r.text)
        assert r.json()["error"]["field"] == field, (changes, r.text)
    r = await env.http.put(
        url,
        json=record_body(ids, referrals=["help_directory", "school"], help_entry_id=help_id),
        headers=bearer(mentor),
    )
    assert r.status_code == 200, r.text
    assert r.json()["record"]["referrals"] == ["school", "help_directory"]
    assert r.json()["record"]["help_entry_id"] == help_id


async def test_unanswered_and_open_consultations_need_no_record(env: Env) -> None:
    child, mentor_p, cid, _mentor_id = await walk_in(env)
    mentor = await staff_token(env.http, "m1", "mentor-password-1")
    ids = await topics(env, mentor)
    url = f"/api/staff/consultations/{cid}/record"
    r = await env.http.put(url, json=record_body(ids), headers=bearer(mentor))
    assert r.status_code == 409 and error_code(r) == "record_not_needed"
    # the client ends it before the mentor came: unanswered, never listed
    access = await do_join(env.ctx, child, cid)
    await do_end(env.ctx, child, access)
    opened = (await env.http.get("/api/staff/records/open", headers=bearer(mentor))).json()
    assert opened["count"] == 0
    assert (await env.http.get(url, headers=bearer(mentor))).json()["needed"] is False
    r = await env.http.put(url, json=record_body(ids), headers=bearer(mentor))
    assert r.status_code == 409 and error_code(r) == "record_not_needed"
    del mentor_p


async def test_headquarters_adds_renames_and_retires_topics(env: Env) -> None:
    _child, _mentor, cid, mentor, boss = await closed_answered(env)
    r = await env.http.post(
        "/api/staff/record-topics",
        json={"label_ja": "ネット・SNS", "label_en": "Online and social media"},
        headers=bearer(boss),
    )
    assert r.status_code == 201, r.text
    net = r.json()["topic"]
    assert net["label"] == {"ja": "ネット・SNS", "en": "Online and social media"}
    ids = await topics(env, mentor)
    url = f"/api/staff/consultations/{cid}/record"
    r = await env.http.put(url, json=record_body(ids, topics=[net["id"]]), headers=bearer(mentor))
    assert r.status_code == 200, r.text
    r = await env.http.patch(
        f"/api/staff/record-topics/{net['id']}",
        json={"label_ja": "ネット", "retired": True},
        headers=bearer(boss),
    )
    assert r.json()["topic"]["retired"] is True and r.json()["topic"]["label"]["ja"] == "ネット"
    # the record keeps its (renamed, retired) topic; it can be kept but not chosen anew
    kept = (await env.http.get(url, headers=bearer(mentor))).json()["record"]["topics"]
    assert [(t["label"]["ja"], t["retired"]) for t in kept] == [("ネット", True)]
    r = await env.http.put(
        url, json=record_body(ids, topics=[net["id"], ids["other"]]), headers=bearer(mentor)
    )
    assert r.status_code == 200, r.text
    for bad, field in (({"label_ja": ""}, "label_ja"), ({"retired": "yes"}, "retired")):
        r = await env.http.patch(
            f"/api/staff/record-topics/{net['id']}", json=bad, headers=bearer(boss)
        )
        assert r.status_code == 400 and r.json()["error"]["field"] == field
    r = await env.http.patch("/api/staff/record-topics/99999", json={}, headers=bearer(boss))
    assert r.status_code == 404
    async with env.ctx.db.read() as s:
        actions = (
            (
                await s.execute(
                    select(AuditLog.action).where(col(AuditLog.action).like("record_topic%"))
                )
            )
            .scalars()
            .all()
        )
    assert sorted(actions) == ["record_topic_added", "record_topic_changed"]


async def test_no_client_endpoint_carries_the_record_or_escalation(env: Env) -> None:
    _child, mentor_p, cid, mentor_id = await walk_in(env)
    await do_join(env.ctx, mentor_p, cid)
    await do_raise(
        env.ctx,
        mentor_p,
        cid,
        {"destination": "police", "reason": SECRET_REASON, "shared": SECRET_SHARED},
    )
    access = await do_join(env.ctx, mentor_p, cid)
    await do_end(env.ctx, mentor_p, access)
    await add_staff(env.ctx, "boss", "boss-password-1", role="supervisor")
    boss = await staff_token(env.http, "boss", "boss-password-1")
    mentor = await staff_token(env.http, "m1", "mentor-password-1")
    r = await env.http.post(
        "/api/staff/record-topics",
        json={"label_ja": SECRET_TOPIC, "label_en": SECRET_TOPIC},
        headers=bearer(boss),
    )
    topic_id = r.json()["topic"]["id"]
    ids = await topics(env, mentor)
    r = await env.http.put(
        f"/api/staff/consultations/{cid}/record",
        json=record_body(ids, topics=[topic_id], risk="urgent"),
        headers=bearer(mentor),
    )
    assert r.status_code == 200
    # the child's own token on every GET a client may call
    other = await sign_up(env.http, "べつのこ")
    r = await env.http.post(
        "/api/session/client", json={"nickname": "こぐま", "secret": "himitsu123"}
    )
    assert r.status_code == 200, r.text
    own = str(r.json()["token"])
    env.http.cookies.clear()
    doc = document(env.app.routes, env.ctx.settings.cookie_prefix)
    checked = 0
    for token in (own, other):
        for path, ops in doc["paths"].items():
            if "get" not in ops or path.startswith("/api/staff") or path.endswith(".json"):
                continue
            url = (
                path.replace("{consultation_id}", str(cid))
                .replace("{mentor_id}", str(mentor_id))
                .replace("{booking_id}", str(cid))
            )
            if "{" in url:
                continue
            r = await env.http.get(url, headers=bearer(token))
            env.http.cookies.clear()
            for secret in (SECRET_REASON, SECRET_TOPIC, SECRET_SHARED, "escalat"):
                assert secret not in r.text, (url, secret)
            checked += 1
    assert checked > 5


async def test_a_high_risk_record_starts_the_mentors_rest(env: Env) -> None:
    _child, _mentor, cid, mentor, _boss = await closed_answered(env)
    url = f"/api/staff/consultations/{cid}/record"
    rest = (await env.http.get("/api/staff/me/rest", headers=bearer(mentor))).json()
    assert rest["resting_until"] is None
    ids = await topics(env, mentor)
    r = await env.http.put(url, json=record_body(ids, risk="low"), headers=bearer(mentor))
    assert r.status_code == 200
    rest = (await env.http.get("/api/staff/me/rest", headers=bearer(mentor))).json()
    assert rest["resting_until"] is None  # a low risk asks for no rest
    r = await env.http.put(url, json=record_body(ids, risk="urgent"), headers=bearer(mentor))
    assert r.status_code == 200
    rest = (await env.http.get("/api/staff/me/rest", headers=bearer(mentor))).json()
    assert rest["reason"] == "risk_urgent" and rest["resting_until"] is not None
