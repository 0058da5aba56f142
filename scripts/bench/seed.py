"""Bulk seeding straight into the database (the sign-up throttle and the YORISOI_LINES cap of
500 make the API too slow or too narrow to create thousands of accounts and consultations).

Rows are exactly what the actions would write; session tokens are hashed with the dev secret,
which is what a YORISOI_DEV=1 server without YORISOI_SECRET_KEY uses.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from common import ROOT

sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from app.db.engine import Database  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.db.tables import (  # noqa: E402
    AuthSession,
    Client,
    Consultation,
    LineHold,
    Mentor,
    Message,
    Shift,
    Staff,
)
from app.rules.capacity import ticks_between  # noqa: E402
from app.security.tokens import token_hash  # noqa: E402
from app.settings import DEV_SECRET, _normalise_db_url  # noqa: E402


@dataclass
class Seeded:
    mentor_ids: list[int] = field(default_factory=list)
    mentor_tokens: list[str] = field(default_factory=list)  # staff sessions, one per mentor
    client_ids: list[int] = field(default_factory=list)
    client_tokens: list[str] = field(default_factory=list)
    consultation_ids: list[int] = field(default_factory=list)


async def _insert(s: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    ids: list[int] = []
    for i in range(0, len(rows), 2000):
        result = await s.execute(
            insert(table).returning(table.id, sort_by_parameter_order=True), rows[i : i + 2000]
        )
        ids.extend(result.scalars().all())
    return ids


def _token(prefix: str, i: int) -> str:
    return f"bench-{prefix}{i}-{secrets.token_hex(12)}"


async def seed(
    url: str,
    *,
    now: datetime,
    mentors: int = 0,
    mentor_sessions: bool = False,
    clients: int = 0,
    shift_days: list[datetime] | None = None,
    open_pairs: int = 0,
    booked_at: datetime | None = None,
    booked_pairs: int = 0,
    prefix: str = "",
) -> Seeded:
    """Migrate, then create mentors (with optional staff sessions and shifts), clients with
    sessions, and either open walk-in consultations or reservations for one slot.
    prefix: keeps names unique when one database is seeded more than once."""
    url = _normalise_db_url(url)
    await upgrade(url)
    db = Database(url)
    out = Seeded()
    try:
        async with db.write() as s:
            out.mentor_ids = await _insert(
                s,
                Mentor,
                [
                    dict(
                        display_name=f"{prefix}m{i}",
                        kind="psychologist",
                        audience="both",
                        profile_ja="",
                        profile_en="",
                        active=True,
                        created_at=now,
                    )
                    for i in range(mentors)
                ],
            )
            if shift_days:
                await _insert(
                    s,
                    Shift,
                    [
                        dict(mentor_id=m, starts_at=day, ends_at=day + timedelta(hours=7))
                        for m in out.mentor_ids
                        for day in shift_days
                    ],
                )
            if mentor_sessions:
                staff_ids = await _insert(
                    s,
                    Staff,
                    [
                        dict(
                            username=f"bench-mentor-{prefix}{i}",
                            password_hash="!",  # nobody signs in with a password here
                            role="mentor",
                            display_name=f"{prefix}m{i}",
                            mentor_id=m,
                            active=True,
                            created_at=now,
                        )
                        for i, m in enumerate(out.mentor_ids)
                    ],
                )
                out.mentor_tokens = [_token("m", i) for i in range(len(staff_ids))]
                await _insert(s, AuthSession, _sessions("staff", staff_ids, out.mentor_tokens, now))
            out.client_ids = await _insert(
                s,
                Client,
                [
                    dict(
                        nickname=f"{prefix}c{i}",
                        nickname_key=f"{prefix}c{i}",
                        secret_hash="!",
                        audience="child",
                        created_at=now,
                    )
                    for i in range(clients)
                ],
            )
            out.client_tokens = [_token("c", i) for i in range(clients)]
            await _insert(
                s, AuthSession, _sessions("client", out.client_ids, out.client_tokens, now)
            )
            if open_pairs:
                out.consultation_ids = await _insert(
                    s,
                    Consultation,
                    [
                        _walk_in(out.client_ids[i], out.mentor_ids[i], now, "open", 0)
                        for i in range(open_pairs)
                    ],
                )
            if booked_pairs and booked_at is not None:
                end = booked_at + timedelta(minutes=30)
                out.consultation_ids = await _insert(
                    s,
                    Consultation,
                    [
                        dict(
                            client_id=out.client_ids[i],
                            mentor_id=out.mentor_ids[i],
                            mode="booked",
                            status="booked",
                            starts_at=booked_at,
                            ends_at=end,
                            created_at=now,
                            booking_no=1,
                            last_seq=0,
                            at_risk=False,
                        )
                        for i in range(booked_pairs)
                    ],
                )
                await _insert(
                    s,
                    LineHold,
                    [
                        dict(
                            consultation_id=cid,
                            tick=tick,
                            line_no=i + 1,
                            mentor_id=out.mentor_ids[i],
                            client_id=out.client_ids[i],
                        )
                        for i, cid in enumerate(out.consultation_ids)
                        for tick in ticks_between(booked_at, end)
                    ],
                )
        pairs = max(open_pairs, booked_pairs if booked_at is not None else 0)
        if pairs and out.mentor_ids and out.client_ids:
            await _history(db, out, pairs, now)
        if not db.is_sqlite:  # a SQLite deployment gathers none unless told to
            await _analyze(db)
    finally:
        await db.dispose()
    return out


HISTORY = 10  # messages in each past consultation


def _walk_in(client: int, mentor: int, at: datetime, status: str, last_seq: int) -> dict[str, Any]:
    """A walk-in consultation that opened at `at` (and, closed, ended 30 minutes later)."""
    return dict(
        client_id=client,
        mentor_id=mentor,
        mode="walk_in",
        status=status,
        starts_at=at,
        ends_at=at + timedelta(minutes=30),
        created_at=at,
        opened_at=at,
        closed_at=at + timedelta(minutes=30) if status == "closed" else None,
        client_joined_at=at,
        last_seq=last_seq,
        at_risk=False,
    )


async def _history(db: Database, out: Seeded, pairs: int, now: datetime) -> None:
    """Yesterday's closed consultations, one for each seeded pair, with their messages: a
    deployment's message table is never empty, and plans made for an empty one scan it."""
    day = now - timedelta(days=1)
    async with db.write() as s:
        past = await _insert(
            s,
            Consultation,
            [
                _walk_in(
                    out.client_ids[i % len(out.client_ids)],
                    out.mentor_ids[i % len(out.mentor_ids)],
                    day,
                    "closed",
                    HISTORY,
                )
                for i in range(pairs)
            ],
        )
        await _insert(
            s,
            Message,
            [
                dict(
                    consultation_id=cid,
                    seq=seq,
                    sender_role="client" if seq % 2 else "mentor",
                    sender_id=0,
                    sender_name="past",
                    client_msg_id=f"past-{cid}-{seq}",
                    text="0 an earlier conversation",
                    created_at=day + timedelta(seconds=seq),
                )
                for cid in past
                for seq in range(1, HISTORY + 1)
            ],
        )


async def _analyze(db: Database) -> None:
    """Gather PostgreSQL's statistics, as a deployment's autovacuum has long since done (this
    machine's PostgreSQL runs with autovacuum off: without this, every plan of the run was made
    for tables the planner had never measured)."""
    async with db.writer_engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()


def _sessions(kind: str, ids: list[int], tokens: list[str], now: datetime) -> list[dict[str, Any]]:
    return [
        dict(
            token_hash=token_hash(tok, DEV_SECRET),
            principal=kind,
            principal_id=pid,
            created_at=now,
            expires_at=now + timedelta(days=30),
        )
        for pid, tok in zip(ids, tokens, strict=True)
    ]
