"""Small builders for tests: mentors with shifts, staff, clients signed up through the API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.actions import Context
from app.db.tables import Mentor, Shift, Staff

JST = ZoneInfo("Asia/Tokyo")


def jst(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=JST)


async def add_mentor(
    ctx: Context,
    name: str = "さくら",
    *,
    kind: str = "psychologist",
    audience: str = "both",
    days: list[date] | None = None,
    start: time = time(15),
    end: time = time(22),
) -> int:
    """A mentor on shift start..end (JST) on each of days (default 2026-12-01..15)."""
    days = days if days is not None else [date(2026, 12, 1) + timedelta(days=i) for i in range(15)]
    async with ctx.db.write() as s:
        mentor = Mentor(
            display_name=name,
            kind=kind,
            audience=audience,
            profile_ja="やさしい",
            profile_en="Kind",
            created_at=ctx.now(),
        )
        s.add(mentor)
        await s.flush()
        assert mentor.id is not None
        for day in days:
            s.add(
                Shift(
                    mentor_id=mentor.id,
                    starts_at=datetime.combine(day, start, tzinfo=JST),
                    ends_at=datetime.combine(day, end, tzinfo=JST),
                )
            )
        return mentor.id


async def add_staff(
    ctx: Context,
    username: str,
    password: str,
    *,
    role: str = "mentor",
    mentor_id: int | None = None,
) -> int:
    async with ctx.db.write() as s:
        staff = Staff(
            username=username,
            password_hash=await ctx.hasher.hash(password),
            role=role,
            display_name=username,
            mentor_id=mentor_id,
            created_at=ctx.now(),
        )
        s.add(staff)
        await s.flush()
        assert staff.id is not None
        return staff.id


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_up(
    http: httpx.AsyncClient, nickname: str, audience: str = "child", secret: str = "himitsu123"
) -> str:
    response = await http.post(
        "/api/clients", json={"nickname": nickname, "secret": secret, "audience": audience}
    )
    assert response.status_code == 201, response.text
    http.cookies.clear()  # tests act as several people; each carries its own bearer token
    return str(response.json()["token"])


async def staff_token(http: httpx.AsyncClient, username: str, password: str) -> str:
    response = await http.post(
        "/api/session/staff", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    http.cookies.clear()
    return str(response.json()["token"])


def error_code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    return str(body["error"]["code"])


async def terminate_backend(db_url: str, pid: int) -> None:
    """End one PostgreSQL backend from outside, as a restart or a network cut would."""
    admin = create_async_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as a:
            await a.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()
