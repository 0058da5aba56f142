"""Erased is gone: account deletion and retention leave no copy in the database files, and
nothing that still leads to the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.actions.privacy import purge_expired
from app.db.migrate import upgrade
from app.db.tables import AuditLog, AuthSession, Consultation, CrisisAlert, MentorNote, Message
from tests.conftest import Env, make_settings, open_env
from tests.helpers import add_mentor, bearer, sign_up

ASCII_MARKER = "ZEBRA-PLUM-7741-marker"
JAPANESE_MARKER = "ひみつのしるし紫陽花"


async def _consultation_with_everything(env: Env, token: str) -> int:
    """An open chat with the markers in messages and a note, an alert and a staff read."""
    mentor = await add_mentor(env.ctx, "さくら")
    r = await env.http.post("/api/chat-now", json={"mentor_id": mentor}, headers=bearer(token))
    assert r.status_code == 201, r.text
    cid = int(r.json()["consultation"]["id"])
    now = env.ctx.now()
    async with env.ctx.db.write() as s:
        consultation = await s.get(Consultation, cid)
        assert consultation is not None
        for seq, text in enumerate(
            [f"{ASCII_MARKER} をきいて", f"{JAPANESE_MARKER}のこと", ASCII_MARKER * 20], start=1
        ):
            s.add(
                Message(
                    consultation_id=cid,
                    seq=seq,
                    sender_role="client",
                    sender_id=consultation.client_id,
                    sender_name="はな",
                    client_msg_id=f"c-{seq}",
                    text=text,
                    created_at=now,
                )
            )
        consultation.last_seq = 3
        s.add(
            MentorNote(consultation_id=cid, mentor_id=mentor, text=JAPANESE_MARKER, updated_at=now)
        )
        s.add(CrisisAlert(consultation_id=cid, category="self_harm", message_seq=2, created_at=now))
        s.add(
            AuditLog(
                at=now,
                actor_role="supervisor",
                actor_id=1,
                action="transcript_read",
                consultation_id=cid,
                reason=f"{JAPANESE_MARKER}が心配",
            )
        )
    return cid


@pytest.fixture
async def sqlite_env(tmp_path: Path, clock) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path}/erase.db"
    await upgrade(url)
    async for e in open_env(make_settings(url), clock):
        yield e


def _file_bytes(tmp_path: Path) -> bytes:
    parts = [tmp_path / "erase.db", tmp_path / "erase.db-wal"]
    return b"".join(p.read_bytes() for p in parts if p.exists())


async def test_a_deleted_account_leaves_no_bytes_in_the_sqlite_files(
    sqlite_env: Env, tmp_path: Path
) -> None:
    """SQLite only by nature: it reads the main file and the -wal byte by byte.
    (PostgreSQL keeps dead tuples until VACUUM; docs/operations.md says so.)"""
    env = sqlite_env
    token = await sign_up(env.http, JAPANESE_MARKER[:8], secret=f"{ASCII_MARKER}-secret")
    await _consultation_with_everything(env, token)
    before = _file_bytes(tmp_path)
    assert ASCII_MARKER.encode() in before and JAPANESE_MARKER.encode() in before

    r = await env.http.request(
        "DELETE", "/api/me", json={"secret": f"{ASCII_MARKER}-secret"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    after = _file_bytes(tmp_path)
    assert ASCII_MARKER.encode() not in after
    assert JAPANESE_MARKER.encode() not in after
    assert JAPANESE_MARKER[:8].encode() not in after  # the nickname too
    wal = tmp_path / "erase.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated


async def test_retention_leaves_no_bytes_in_the_sqlite_files(
    sqlite_env: Env, tmp_path: Path
) -> None:
    """SQLite only by nature (file bytes). A transcript past retention is gone from disk."""
    env = sqlite_env
    token = await sign_up(env.http, "なつ")
    cid = await _consultation_with_everything(env, token)
    async with env.ctx.db.write() as s:
        c = await s.get(Consultation, cid)
        assert c is not None
        c.status, c.closed_at = "closed", env.ctx.now()
    env.clock.advance(days=env.ctx.settings.retention_days + 1)
    assert await purge_expired(env.ctx) == 1
    after = _file_bytes(tmp_path)
    assert ASCII_MARKER.encode() not in after and JAPANESE_MARKER.encode() not in after


async def _count(env: Env, table: type, *where: object) -> int:
    async with env.ctx.db.read() as s:
        return int(
            (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
        )


async def test_deletion_unlinks_alerts_audit_rows_and_sessions(env: Env) -> None:
    token = await sign_up(env.http, "はな")
    other = await sign_up(env.http, "そら")
    cid = await _consultation_with_everything(env, token)
    r = await env.http.request(
        "DELETE", "/api/me", json={"secret": "himitsu123"}, headers=bearer(token)
    )
    assert r.status_code == 200
    assert await _count(env, CrisisAlert, CrisisAlert.consultation_id == cid) == 0
    assert await _count(env, AuditLog, AuditLog.consultation_id == cid) == 0
    async with env.ctx.db.read() as s:
        reads = (
            (await s.execute(select(AuditLog).where(AuditLog.action == "transcript_read")))
            .scalars()
            .all()
        )
    # The fact of the access stays; what it pointed at and why does not.
    assert [(a.actor_role, a.consultation_id, a.reason) for a in reads] == [
        ("supervisor", None, None)
    ]
    assert await _count(env, AuthSession, AuthSession.principal == "client") == 1  # そら's
    assert (await env.http.get("/api/me", headers=bearer(other))).status_code == 200
    # The consultation row stays for the statistics, its content does not.
    assert await _count(env, Message, Message.consultation_id == cid) == 0
    assert await _count(env, MentorNote, MentorNote.consultation_id == cid) == 0


async def test_retention_drops_ended_sessions_and_old_reasons(env: Env) -> None:
    cid = await _consultation_with_everything(env, await sign_up(env.http, "あき"))
    stale = await sign_up(env.http, "ふゆ")
    await env.http.delete("/api/session", headers=bearer(stale))  # revoked
    retention = env.ctx.settings.retention_days
    env.clock.advance(days=retention + 1)
    fresh = await sign_up(env.http, "はる")  # signed in today: kept
    async with env.ctx.db.write() as s:  # a recent staff join with its reason: kept
        s.add(
            AuditLog(
                at=env.ctx.now(),
                actor_role="supervisor",
                actor_id=1,
                action="supervisor_join",
                consultation_id=cid,
                reason="いま見守り",
            )
        )
    await purge_expired(env.ctx)
    async with env.ctx.db.read() as s:
        sessions = (await s.execute(select(AuthSession))).scalars().all()
        audit = (await s.execute(select(AuditLog).order_by(AuditLog.at))).scalars().all()
    assert len(sessions) == 1  # the expired (30 days) and the revoked ones are gone
    assert (await env.http.get("/api/me", headers=bearer(fresh))).status_code == 200
    assert [(a.action, a.consultation_id, a.reason) for a in audit] == [
        ("transcript_read", cid, None),  # older than retention: the reason is blanked
        ("supervisor_join", cid, "いま見守り"),
    ]


async def test_retention_removes_alerts_with_the_transcript(env: Env) -> None:
    token = await sign_up(env.http, "ゆき")
    cid = await _consultation_with_everything(env, token)
    async with env.ctx.db.write() as s:
        c = await s.get(Consultation, cid)
        assert c is not None
        c.status, c.closed_at = "closed", env.ctx.now()
    env.clock.advance(days=env.ctx.settings.retention_days + 1)
    await purge_expired(env.ctx)
    assert await _count(env, CrisisAlert, CrisisAlert.consultation_id == cid) == 0
    assert await _count(env, Message, Message.consultation_id == cid) == 0
