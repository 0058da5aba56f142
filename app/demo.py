"""Demo data for `make run`: mentors of every kind, their shifts, staff accounts.

Idempotent: mentors and accounts are created once; shifts are topped up so that today and
the next HORIZON days are always covered, whatever the clock says.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions import Context
from app.actions.canned import seed_defaults as seed_canned_replies
from app.db.tables import Mentor, Shift, Staff
from app.rules import at_local, local_day

# (name, kind, audience, shift start, shift end, profile ja, profile en). A profile the
# child face shows writes each kanji with its reading, {漢字|かんじ}: furigana there, plain
# text on the grown-ups' faces.
MENTORS = [
    (
        "さくら",
        "psychologist",
        "child",
        time(15),
        time(22),
        "こころの せんもんか です。なんでも ゆっくり きくよ。",
        "A psychologist. I listen, slowly, to anything.",
    ),
    (
        "ひかり",
        "psychologist",
        "both",
        time(15),
        time(19),
        "{学校|がっこう}や {家族|かぞく}の こと、{気持|きも}ちの {整理|せいり}を お{手伝|てつだ}いします。",
        "School, family, feelings: I help you sort them out.",
    ),
    (
        "みどり",
        "nurse",
        "both",
        time(15),
        time(22),
        "からだの こと、ねむれない ときも そうだんしてね。",
        "A nurse: body worries, trouble sleeping, anything.",
    ),
    (
        "あおい",
        "nurse",
        "parent",
        time(18),
        time(22),
        "助産師です。妊娠・出産・子育てのご相談をどうぞ。",
        "A midwife: pregnancy, birth and parenting questions.",
    ),
    (
        "はると",
        "social_worker",
        "child",
        time(15),
        time(22),
        "{保育士|ほいくし}です。こまった こと、いっしょに かんがえよう。",
        "A childcare worker. Let's think it through together.",
    ),
    (
        "ゆうこ",
        "social_worker",
        "parent",
        time(15),
        time(22),
        "社会福祉士です。使える支援や制度をご案内します。",
        "A social worker: I point you to the support you can use.",
    ),
    (
        "けんじ",
        "financial_planner",
        "parent",
        time(15),
        time(21),
        "教育費や家計のこと、お気軽にご相談ください。",
        "Financial planner: school costs and household money.",
    ),
    (
        "まどか",
        "career_consultant",
        "both",
        time(17),
        time(22),
        "{進路|しんろ}や しごとの こと、いっしょに {考|かんが}えます。",
        "Career consultant: future paths and work.",
    ),
    (
        "たかし",
        "former_teacher",
        "child",
        time(15),
        time(22),
        "もと せんせい です。べんきょうや ともだちの こと、はなそう。",
        "A former teacher: study, friends, school life.",
    ),
    (
        "りな",
        "student_mentor",
        "child",
        time(15),
        time(22),
        "だいがくせい です。おねえさんに きがるに はなしてね。",
        "A university student: talk to me like a big sister.",
    ),
    (
        "そうた",
        "student_mentor",
        "child",
        time(18),
        time(22),
        "だいがくいんせい です。ゲームや しゅみの はなしも OK!",
        "A graduate student: games and hobbies welcome too!",
    ),
    (
        "えみ",
        "former_teacher",
        "parent",
        time(15),
        time(22),
        "元中学校教員です。お子さんの学校生活のご相談に。",
        "Former junior-high teacher: your child's school life.",
    ),
]

# The languages some demo mentors chat in besides Japanese (the others: Japanese only).
LANGUAGES = {
    "ひかり": "ja,en",
    "みどり": "ja,zh",
    "まどか": "ja,en,ko",
    "りな": "ja,en,zh",
    "ゆうこ": "ja,ko",
    "けんじ": "ja,en",
}

DEMO_PASSWORD = "yorisoi-demo"  # noqa: S105 - printed demo credential, dev mode only
SUPERVISOR = ("honbu", "本部 スーパーバイザー")


async def seed_demo(ctx: Context) -> list[tuple[str, str, str]]:
    """Create demo data if missing; return (username, password, role) of the demo accounts."""
    now = ctx.now()
    accounts: list[tuple[str, str, str]] = []
    async with ctx.db.write() as s:
        existing = {m.display_name: m for m in (await s.execute(select(Mentor))).scalars()}
        for index, (name, kind, audience, _s, _e, ja, en) in enumerate(MENTORS, start=1):
            mentor = existing.get(name)
            if mentor is None:
                mentor = Mentor(
                    display_name=name,
                    kind=kind,
                    audience=audience,
                    profile_ja=ja,
                    profile_en=en,
                    languages=LANGUAGES.get(name, "ja"),
                    created_at=now,
                )
                s.add(mentor)
                await s.flush()
            username = f"mentor{index}"
            if (
                await s.execute(select(Staff).where(col(Staff.username) == username))
            ).first() is None:
                s.add(
                    Staff(
                        username=username,
                        password_hash=await ctx.hasher.hash(DEMO_PASSWORD),
                        role="mentor",
                        display_name=name,
                        mentor_id=mentor.id,
                        created_at=now,
                    )
                )
            accounts.append((username, DEMO_PASSWORD, f"mentor ({name}, {kind})"))
        username, display = SUPERVISOR
        if (await s.execute(select(Staff).where(col(Staff.username) == username))).first() is None:
            s.add(
                Staff(
                    username=username,
                    password_hash=await ctx.hasher.hash(DEMO_PASSWORD),
                    role="supervisor",
                    display_name=display,
                    created_at=now,
                )
            )
        accounts.insert(0, (username, DEMO_PASSWORD, "supervisor / admin"))
        await s.flush()
        mentors = {m.display_name: m for m in (await s.execute(select(Mentor))).scalars()}
        await _top_up_shifts(s, ctx, mentors, now)
    await seed_canned_replies(ctx)  # the default 定型文 library, when it is empty
    return accounts


async def _top_up_shifts(
    s: AsyncSession, ctx: Context, mentors: dict[str, Mentor], now: datetime
) -> None:
    today = local_day(now, ctx.rules)
    days = [today + timedelta(days=i) for i in range(ctx.rules.horizon_days + 1)]
    first = at_local(days[0], time(0), ctx.rules)
    have = {
        (shift.mentor_id, shift.starts_at)
        for shift in (await s.execute(select(Shift).where(col(Shift.starts_at) >= first))).scalars()
    }
    for name, _kind, _aud, start, end, _ja, _en in MENTORS:
        mentor = mentors[name]
        assert mentor.id is not None
        for day in days:
            begins = at_local(day, start, ctx.rules)
            if (mentor.id, begins) not in have:
                s.add(
                    Shift(
                        mentor_id=mentor.id, starts_at=begins, ends_at=at_local(day, end, ctx.rules)
                    )
                )
