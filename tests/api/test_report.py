"""The municipal report against a seeded month, on both databases: every figure of November 2026
(consultations by mode, unanswered, no-shows, turned away, duration bands, topics, risk,
handovers, escalations by destination, survey results, waiting-line times) in total, by
audience and by mentor kind, in JSON and in CSV; who may ask; what the CSV never holds."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.actions.records import _seed_topics
from app.db.tables import (
    Client,
    Consultation,
    ConsultationRecord,
    ConsultationRecordTopic,
    Escalation,
    Handover,
    QueueEntry,
    RecordTopic,
    RefusalEvent,
    Survey,
)
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, jst, sign_up, staff_token

NOV = "2026-11-01/2026-11-30"


async def seed(env: Env) -> dict[str, int]:
    ctx = env.ctx
    now = ctx.now()
    psy = await add_mentor(ctx, "さくら", kind="psychologist", days=[])
    stu = await add_mentor(ctx, "たいが", kind="student_mentor", days=[])
    nur = await add_mentor(ctx, "みどり", kind="nurse", days=[])
    staff_id = await add_staff(ctx, "boss", "boss-password-1", role="supervisor")
    await _seed_topics(ctx)
    async with ctx.db.read() as s:
        topic = {t.key: t.id for t in (await s.execute(select(RecordTopic))).scalars().all()}
    async with ctx.db.write() as s:
        clients = {}
        for name, audience in (
            ("k1", "child"),
            ("k2", "child"),
            ("k3", "child"),
            ("k4", "child"),
            ("p1", "parent"),
        ):
            c = Client(
                nickname=name, nickname_key=name, secret_hash="!", audience=audience, created_at=now
            )  # noqa: S106
            s.add(c)
            await s.flush()
            assert c.id is not None
            clients[name] = c.id

        async def consultation(
            client: str,
            mentor: int,
            mode: str,
            start: datetime,
            *,
            minutes: int | None = None,
            joined: bool = True,
            status: str = "closed",
            reason: str = "time_up",
        ) -> int:
            c = Consultation(
                client_id=clients[client],
                mentor_id=mentor,
                mode=mode,
                status=status,
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                created_at=start - timedelta(hours=1),
                opened_at=start if status in ("open", "closed") else None,
                closed_at=start + timedelta(minutes=minutes) if minutes is not None else None,
                close_reason=reason if status != "booked" else None,
                mentor_joined_at=start + timedelta(minutes=1) if joined else None,
            )
            s.add(c)
            await s.flush()
            assert c.id is not None
            return c.id

        c1 = await consultation("k1", psy, "walk_in", jst(2026, 11, 2, 16), minutes=5)
        c2 = await consultation("k2", psy, "booked", jst(2026, 11, 3, 17), minutes=15)
        c3 = await consultation("k3", stu, "walk_in", jst(2026, 11, 10, 18), minutes=30)
        c4 = await consultation("p1", nur, "booked", jst(2026, 11, 11, 19), minutes=25)
        c5 = await consultation(
            "k1",
            stu,
            "walk_in",
            jst(2026, 11, 12, 20),
            minutes=4,
            joined=False,
            reason="ended_by_client",
        )
        c6 = await consultation(
            "k4", psy, "booked", jst(2026, 11, 20, 16), joined=False, status="no_show"
        )
        await consultation(
            "k2", psy, "booked", jst(2026, 11, 21, 16), joined=False, status="cancelled"
        )
        await consultation(
            "k2",
            nur,
            "walk_in",
            jst(2026, 11, 22, 16),
            minutes=1,
            joined=False,
            reason="offer_declined",
        )
        c9 = await consultation("k1", psy, "walk_in", jst(2026, 10, 31, 21), minutes=20)
        await consultation("k1", psy, "walk_in", jst(2026, 12, 1, 15), minutes=20)
        c11 = await consultation("p1", psy, "walk_in", jst(2026, 11, 25, 20), minutes=12)

        async def record(cid: int, mentor: int, risk: str, *keys: str) -> None:
            r = ConsultationRecord(
                consultation_id=cid,
                mentor_id=mentor,
                risk=risk,
                referrals="none",
                follow_up=False,
                created_at=now,
                created_by=staff_id,
                updated_at=now,
                updated_by=staff_id,
            )
            s.add(r)
            await s.flush()
            assert r.id is not None
            for key in keys:
                s.add(ConsultationRecordTopic(record_id=r.id, topic_id=topic[key]))

        await record(c1, psy, "none", "friends")
        await record(c2, psy, "high", "family", "bullying")
        await record(c3, stu, "urgent", "abuse_violence")
        await record(c11, psy, "low", "money")
        await record(c9, psy, "high", "family")  # October: not in November's figures

        for cid, frm, joined_before in ((c2, psy, True), (c5, stu, False)):
            s.add(
                Handover(
                    consultation_id=cid,
                    at=now,
                    from_mentor_id=frm,
                    to_mentor_id=nur,
                    from_joined=joined_before,
                    reason="mentor_absent",
                    actor_role="system",
                    actor_id=0,
                )
            )
        for cid, mentor, destination, status in (
            (c2, psy, "child_guidance", "confirmed"),
            (c3, stu, "police", "confirmed"),
            (c3, stu, "189", "declined"),
        ):
            s.add(
                Escalation(
                    consultation_id=cid,
                    mentor_id=mentor,
                    destination=destination,
                    reason="ZZ-escalation-reason",
                    shared="ZZ-shared",
                    status=status,
                    raised_at=now,
                )
            )
        for cid, audience, kind, day, state, before, after, again, comment in (
            (
                c1,
                "child",
                "psychologist",
                date(2026, 11, 2),
                "answered",
                2,
                4,
                "yes",
                "たのしかった",
            ),
            (c2, "child", "psychologist", date(2026, 11, 3), "answered", 3, 3, "maybe", None),
            (c3, "child", "student_mentor", date(2026, 11, 10), "answered", 4, 2, "no", "ふつう"),
            (c4, "parent", "nurse", date(2026, 11, 11), "skipped", None, None, None, None),
            (c11, "parent", "psychologist", date(2026, 11, 25), "before", 1, None, None, None),
            (
                c9,
                "child",
                "psychologist",
                date(2026, 10, 31),
                "answered",
                1,
                5,
                "yes",
                "ZZ-october",
            ),
        ):
            s.add(
                Survey(
                    consultation_id=cid,
                    audience=audience,
                    mentor_kind=kind,
                    day=day,
                    state=state,
                    feel_before=before,
                    feel_after=after,
                    again=again,
                    comment=comment,
                )
            )
        for at, code, audience in (
            (jst(2026, 11, 5, 16), "no_free_line", "child"),
            (jst(2026, 11, 5, 17), "no_free_line", "child"),
            (jst(2026, 11, 6, 21, 45), "outside_hours", "parent"),
            (jst(2026, 10, 31, 16), "no_free_line", "child"),
        ):
            s.add(RefusalEvent(at=at, action="chat_now", code=code, audience=audience))
        for client, audience, joined, offered, state, cid in (
            ("k3", "child", jst(2026, 11, 10, 17, 50), jst(2026, 11, 10, 17, 58), "served", c3),
            ("k4", "child", jst(2026, 11, 12, 16), jst(2026, 11, 12, 16, 4), "expired", None),
            ("p1", "parent", jst(2026, 11, 13, 16), None, "left", None),
        ):
            s.add(
                QueueEntry(
                    client_id=clients[client],
                    audience=audience,
                    state=state,
                    joined_at=joined,
                    offered_at=offered,
                    consultation_id=cid,
                    ended_at=joined + timedelta(minutes=10),
                )
            )
    return {"c6": c6}


def zeros(keys: str) -> dict[str, int]:
    return dict.fromkeys(keys.split(), 0)


TOPICS_ZERO = zeros(
    "bullying friends family school_career health sex_pregnancy abuse_violence money other"
)


async def boss_token(env: Env) -> str:
    return await staff_token(env.http, "boss", "boss-password-1")


async def test_every_figure_of_a_seeded_month(env: Env) -> None:
    await seed(env)
    boss = await boss_token(env)
    r = await env.http.get("/api/staff/report?month=2026-11", headers=bearer(boss))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["min_group"]) == ("2026-11-01", "2026-11-30", 3)
    assert body["topic_labels"]["family"] == {"ja": "家族", "en": "Family"}
    total = body["total"]
    assert total == {
        "consultations": 5,
        "modes": {"walk_in": 2, "booked": 2, "queue": 1},
        "unanswered": 1,
        "no_show": 1,
        "durations": {"under_10": 1, "10_20": 2, "20_30": 2},
        "topics": {
            **TOPICS_ZERO,
            "friends": 1,
            "family": 1,
            "bullying": 1,
            "abuse_violence": 1,
            "money": 1,
        },
        "risk": {"none": 1, "low": 1, "high": 1, "urgent": 1, "unrecorded": 1},
        "handovers": 2,
        "escalations": {
            "raised": 3,
            "pending": 0,
            "confirmed": 2,
            "declined": 1,
            "by_destination": {
                **zeros("child_guidance police school medical 189 other"),
                "child_guidance": 1,
                "police": 1,
            },
        },
        "turned_away": {"total": 3, "by_code": {"no_free_line": 2, "outside_hours": 1}},
        "waiting_line": {
            "queued": 3,
            "served": 1,
            "left": 1,
            "offers_expired": 1,
            "closed": 0,
            "wait_p50_minutes": 4.0,
            "wait_p90_minutes": 8.0,
            "wait_max_minutes": 8.0,
        },
        "survey": {
            "answered": 3,
            "skipped": 1,
            "before_only": 1,
            "suppressed": False,
            "feel_before": {"1": 0, "2": 1, "3": 1, "4": 1, "5": 0},
            "feel_after": {"1": 0, "2": 1, "3": 1, "4": 1, "5": 0},
            "change": {"better": 1, "same": 1, "worse": 1},
            "again": {"yes": 1, "maybe": 1, "no": 1},
            "comments": [
                {"day": "2026-11-02", "text": "たのしかった"},
                {"day": "2026-11-10", "text": "ふつう"},
            ],
        },
    }
    child, parent = body["by_audience"]["child"], body["by_audience"]["parent"]
    assert (child["consultations"], child["modes"]) == (3, {"walk_in": 1, "booked": 1, "queue": 1})
    assert (child["unanswered"], child["no_show"], child["handovers"]) == (1, 1, 2)
    assert child["durations"] == {"under_10": 1, "10_20": 1, "20_30": 1}
    assert child["turned_away"] == {"total": 2, "by_code": {"no_free_line": 2}}
    assert child["waiting_line"]["queued"] == 2 and child["waiting_line"]["wait_p50_minutes"] == 4.0
    assert child["survey"]["answered"] == 3 and len(child["survey"]["comments"]) == 2
    assert (parent["consultations"], parent["modes"]) == (
        2,
        {"walk_in": 1, "booked": 1, "queue": 0},
    )
    assert parent["risk"] == {"none": 0, "low": 1, "high": 0, "urgent": 0, "unrecorded": 1}
    assert parent["turned_away"] == {"total": 1, "by_code": {"outside_hours": 1}}
    assert (
        parent["waiting_line"]["left"] == 1 and parent["waiting_line"]["wait_p50_minutes"] is None
    )
    # too few surveys to stay anonymous: counts only, no figures, no comments
    assert parent["survey"] == {
        "answered": 0,
        "skipped": 1,
        "before_only": 1,
        "suppressed": True,
        "feel_before": None,
        "feel_after": None,
        "change": None,
        "again": None,
        "comments": None,
    }
    psy, stu, nur = (body["by_kind"][k] for k in ("psychologist", "student_mentor", "nurse"))
    assert set(body["by_kind"]) == {
        "psychologist",
        "nurse",
        "social_worker",
        "financial_planner",
        "career_consultant",
        "former_teacher",
        "student_mentor",
    }
    assert (psy["consultations"], psy["no_show"], psy["unanswered"]) == (3, 1, 0)
    assert psy["survey"]["answered"] == 2 and psy["survey"]["suppressed"] is True
    assert psy["turned_away"] is None and psy["waiting_line"] is None
    assert (stu["consultations"], stu["unanswered"], stu["handovers"]) == (1, 1, 1)
    assert stu["modes"] == {"walk_in": 0, "booked": 0, "queue": 1}
    assert (
        stu["escalations"]["by_destination"]["police"] == 1 and stu["escalations"]["declined"] == 1
    )
    assert (nur["consultations"], nur["durations"]["20_30"], nur["survey"]["skipped"]) == (1, 1, 1)
    assert body["by_kind"]["social_worker"]["consultations"] == 0
    # one month asked: its month is the whole
    assert [m["month"] for m in body["months"]] == ["2026-11"]
    month = body["months"][0]
    assert {k: month[k] for k in ("total", "by_audience", "by_kind")} == {
        k: body[k] for k in ("total", "by_audience", "by_kind")
    }
    # the same figures from from/to
    same = await env.http.get(
        "/api/staff/report?from=2026-11-01&to=2026-11-30", headers=bearer(boss)
    )
    assert same.json() == body

    r = await env.http.get(
        "/api/staff/report.csv?from=2026-11-01&to=2026-11-30", headers=bearer(boss)
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "yorisoi-report-2026-11-01-2026-11-30.csv" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["period", "group", "figure", "value"]
    table = {(p, g, f): v for p, g, f, v in rows[1:]}
    assert len(table) == len(rows) - 1  # no figure twice
    expect = {
        ("all", "consultations"): "5",
        ("all", "modes.queue"): "1",
        ("all", "unanswered"): "1",
        ("all", "no_show"): "1",
        ("all", "durations.10_20"): "2",
        ("all", "topics.family"): "1",
        ("all", "topics.health"): "0",
        ("all", "risk.unrecorded"): "1",
        ("all", "handovers"): "2",
        ("all", "escalations.by_destination.child_guidance"): "1",
        ("all", "escalations.by_destination.189"): "0",
        ("all", "turned_away.total"): "3",
        ("all", "turned_away.by_code.no_free_line"): "2",
        ("all", "waiting_line.wait_p90_minutes"): "8.0",
        ("all", "survey.feel_after.4"): "1",
        ("all", "survey.change.worse"): "1",
        ("all", "survey.again.maybe"): "1",
        ("all", "survey.suppressed"): "False",
        ("audience:child", "consultations"): "3",
        ("audience:parent", "survey.feel_after"): "",
        ("audience:parent", "waiting_line.wait_p50_minutes"): "",
        ("kind:student_mentor", "unanswered"): "1",
        ("kind:student_mentor", "turned_away"): "",
        ("kind:nurse", "durations.20_30"): "1",
    }
    for (group, figure), value in expect.items():
        assert table[(NOV, group, figure)] == value, (group, figure)
        assert table[("2026-11", group, figure)] == value, (group, figure)
    # free text never leaves in a file
    assert "たのしかった" not in r.text and "ふつう" not in r.text and "comments" not in r.text
    assert "ZZ-" not in r.text and "ZZ-" not in str(body)


async def test_months_split_a_range(env: Env) -> None:
    await seed(env)
    boss = await boss_token(env)
    r = await env.http.get("/api/staff/report?from=2026-10-31&to=2026-11-30", headers=bearer(boss))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(m["month"], m["from"], m["to"]) for m in body["months"]] == [
        ("2026-10", "2026-10-31", "2026-10-31"),
        ("2026-11", "2026-11-01", "2026-11-30"),
    ]
    october = body["months"][0]["total"]
    assert october["consultations"] == 1 and october["risk"]["high"] == 1
    assert october["turned_away"]["total"] == 1 and october["survey"]["answered"] == 1
    assert october["survey"]["comments"] is None  # one survey: not shown
    assert body["total"]["consultations"] == 6 and body["total"]["survey"]["answered"] == 4
    assert body["total"]["durations"]["20_30"] == 3


async def test_supervisors_only_and_bad_periods(env: Env) -> None:
    await seed(env)
    boss = await boss_token(env)
    mentor_id = await add_mentor(env.ctx, "ほかのひと")
    await add_staff(env.ctx, "m9", "mentor-password-9", mentor_id=mentor_id)
    mentor = await staff_token(env.http, "m9", "mentor-password-9")
    child = await sign_up(env.http, "こぐま")
    for url in ("/api/staff/report", "/api/staff/report.csv"):
        for token in (mentor, child):
            r = await env.http.get(url, headers=bearer(token))
            assert r.status_code == 403 and error_code(r) == "not_allowed", r.text
        assert (await env.http.get(url)).status_code == 401
        for query, field in (
            ("month=2026-13", "month"),
            ("month=26-11", "month"),
            ("from=2026-11-30&to=2026-11-01", "from"),
            ("from=2025-11-01&to=2026-11-30", "from"),
            ("from=2026-11-31", "from"),
            ("to=yesterday", "to"),
        ):
            r = await env.http.get(f"{url}?{query}", headers=bearer(boss))
            assert r.status_code == 400, (query, r.text)
            assert r.json()["error"] == {
                **r.json()["error"],
                "code": "invalid_input",
                "field": field,
            }
    # default: this month up to today
    body = (await env.http.get("/api/staff/report", headers=bearer(boss))).json()
    assert (body["from"], body["to"]) == ("2026-12-01", "2026-12-01")
    assert body["total"]["consultations"] == 1
