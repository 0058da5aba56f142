"""The consultation record: what an answered consultation was about, how urgent, where it was
referred, whether it needs a follow-up. Staff only — no client endpoint or frame carries it.

A closed consultation its mentor joined (mentor_joined_at set) needs one record, written by its
mentor; until then it is an "open record" in that mentor's list. A consultation the mentor
never joined was unanswered and needs none. Supervisors read every record and correct it;
each correction is audited (who, when, what changed). The topics come from a taxonomy
headquarters extends (add, rename, retire — a topic is never deleted, so no record loses one).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions.chat import Access, check_access
from app.actions.context import Context, Principal
from app.actions.events import iso
from app.actions.inputs import check_id
from app.actions.staff import require_staff
from app.actions.wellbeing import start_cooldown
from app.db.tables import (
    REFERRALS,
    RISK_LEVELS,
    AuditLog,
    Client,
    Consultation,
    ConsultationRecord,
    ConsultationRecordTopic,
    Escalation,
    Mentor,
    RecordTopic,
    Staff,
)
from app.errors import Refusal

LABEL_JA_MAX = 40
LABEL_EN_MAX = 60
MAX_TOPICS = 12  # topics on one record
MAX_TAXONOMY = 60  # topics headquarters may keep (retired ones included)
# How far back a missing record is still asked for (older consultations predate the record).
OPEN_RECORD_DAYS = 30
OPEN_RECORDS_SHOWN = 100

# The taxonomy a new service starts with (MEXT's SNS consultation reports use these headings).
DEFAULT_TOPICS: tuple[tuple[str, str, str], ...] = (
    ("bullying", "いじめ", "Bullying"),
    ("friends", "友人関係", "Friendships"),
    ("family", "家族", "Family"),
    ("school_career", "学業・進路", "School and future path"),
    ("health", "心身の健康", "Physical and mental health"),
    ("sex_pregnancy", "性・妊娠", "Sexuality and pregnancy"),
    ("abuse_violence", "虐待・暴力", "Abuse and violence"),
    ("money", "経済的な困りごと", "Money troubles"),
    ("other", "その他", "Other"),
)


# -- the taxonomy ----------------------------------------------------------------------------


async def _seed_topics(ctx: Context) -> None:
    """Put the default taxonomy in place the first time anyone asks for it."""
    async with ctx.db.read() as s:
        if (await s.execute(select(func.count()).select_from(RecordTopic))).scalar_one():
            return
    try:
        async with ctx.db.write() as s:
            for position, (key, ja, en) in enumerate(DEFAULT_TOPICS):
                s.add(
                    RecordTopic(
                        key=key, label_ja=ja, label_en=en, position=position, created_at=ctx.now()
                    )
                )
    except IntegrityError:
        pass  # another request seeded them at the same moment


def topic_body(t: RecordTopic) -> dict[str, Any]:
    return {
        "id": t.id,
        "key": t.key,
        "label": {"ja": t.label_ja, "en": t.label_en},
        "retired": t.retired_at is not None,
    }


async def list_topics(ctx: Context, principal: Principal | None) -> list[RecordTopic]:
    require_staff(principal)
    await _seed_topics(ctx)
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(RecordTopic).order_by(col(RecordTopic.position), col(RecordTopic.id))
        )
        return list(rows.scalars().all())


def _label(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise Refusal("invalid_input", field=field)
    return value.strip()


async def do_add_topic(
    ctx: Context, principal: Principal | None, label_ja: object, label_en: object
) -> RecordTopic:
    staff = require_staff(principal, supervisor=True)
    ja = _label(label_ja, "label_ja", LABEL_JA_MAX)
    en = _label(label_en, "label_en", LABEL_EN_MAX)
    await _seed_topics(ctx)
    async with ctx.db.write() as s:
        count, last = (await s.execute(select(func.count(), func.max(RecordTopic.position)))).one()
        if count >= MAX_TAXONOMY:
            raise Refusal("invalid_input", field="label_ja")
        topic = RecordTopic(
            key=f"hq_{secrets.token_hex(4)}",
            label_ja=ja,
            label_en=en,
            position=(last or 0) + 1,
            created_at=ctx.now(),
        )
        s.add(topic)
        await s.flush()
        s.add(_audit(ctx, staff, "record_topic_added", None, f"{ja} / {en}", topic))
        return topic


async def do_change_topic(
    ctx: Context, principal: Principal | None, topic_id: int, changes: dict[str, Any]
) -> RecordTopic:
    """Rename a topic (either label) or retire / restore it. Records keep their topics."""
    staff = require_staff(principal, supervisor=True)
    ja = _label(changes["label_ja"], "label_ja", LABEL_JA_MAX) if "label_ja" in changes else None
    en = _label(changes["label_en"], "label_en", LABEL_EN_MAX) if "label_en" in changes else None
    retired = changes.get("retired")
    if "retired" in changes and not isinstance(retired, bool):
        raise Refusal("invalid_input", field="retired")
    async with ctx.db.write() as s:
        topic = await s.get(RecordTopic, topic_id)
        if topic is None:
            raise Refusal("not_found")
        what = []
        if ja is not None and ja != topic.label_ja:
            what.append(f"ja: {topic.label_ja} -> {ja}")
            topic.label_ja = ja
        if en is not None and en != topic.label_en:
            what.append(f"en: {topic.label_en} -> {en}")
            topic.label_en = en
        if retired is not None and retired != (topic.retired_at is not None):
            what.append("retired" if retired else "restored")
            topic.retired_at = ctx.now() if retired else None
        if what:
            s.add(_audit(ctx, staff, "record_topic_changed", None, "; ".join(what), topic))
        await s.flush()
        return topic


def _audit(
    ctx: Context,
    staff: Principal,
    action: str,
    consultation_id: int | None,
    reason: str,
    topic: RecordTopic | None = None,
) -> AuditLog:
    return AuditLog(
        at=ctx.now(),
        actor_role=staff.role,
        actor_id=staff.id,
        action=action,
        consultation_id=consultation_id,
        reason=reason[:400],
        subject=f"record_topic:{topic.id}" if topic is not None else None,
    )


# -- one record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordView:
    consultation: Consultation
    record: ConsultationRecord | None
    topics: list[RecordTopic]
    escalations: list[dict[str, Any]]
    updated_by: str | None  # the display name of whoever saved it last


def needs_record(c: Consultation) -> bool:
    return c.status == "closed" and c.mentor_joined_at is not None


async def _record_access(ctx: Context, principal: Principal | None, consultation_id: int) -> Access:
    """The consultation's (current) mentor, or any supervisor; everyone else: not_found."""
    staff = require_staff(principal)
    return await check_access(ctx, staff, consultation_id)


async def _escalations(s: AsyncSession, ctx: Context, consultation_id: int) -> list[dict[str, Any]]:
    from app.actions.escalation import escalation_body  # escalation.py imports this module

    rows = await s.execute(
        select(Escalation, Mentor, Staff)
        .join(Mentor, col(Mentor.id) == Escalation.mentor_id)
        .outerjoin(Staff, col(Staff.id) == Escalation.decided_by)
        .where(col(Escalation.consultation_id) == consultation_id)
        .order_by(col(Escalation.raised_at), col(Escalation.id))
    )
    return [escalation_body(ctx, e, m, d) for e, m, d in rows.all()]


async def get_record(ctx: Context, principal: Principal | None, consultation_id: int) -> RecordView:
    access = await _record_access(ctx, principal, consultation_id)
    async with ctx.db.read() as s:
        record = (
            await s.execute(
                select(ConsultationRecord).where(
                    col(ConsultationRecord.consultation_id) == consultation_id
                )
            )
        ).scalar_one_or_none()
        topics: list[RecordTopic] = []
        updated_by = None
        if record is not None:
            topics = list(
                (
                    await s.execute(
                        select(RecordTopic)
                        .join(
                            ConsultationRecordTopic,
                            col(ConsultationRecordTopic.topic_id) == RecordTopic.id,
                        )
                        .where(col(ConsultationRecordTopic.record_id) == record.id)
                        .order_by(col(RecordTopic.position), col(RecordTopic.id))
                    )
                )
                .scalars()
                .all()
            )
            who = await s.get(Staff, record.updated_by)
            updated_by = who.display_name if who is not None else None
        escalations = await _escalations(s, ctx, consultation_id)
    return RecordView(access.consultation, record, topics, escalations, updated_by)


def record_body(ctx: Context, view: RecordView) -> dict[str, Any]:
    r = view.record
    c = view.consultation
    return {
        "consultation_id": c.id,
        "needed": needs_record(c),
        "record": None
        if r is None
        else {
            "topics": [topic_body(t) for t in view.topics],
            "risk": r.risk,
            "referrals": r.referrals.split(","),
            "help_entry_id": r.help_entry_id,
            "follow_up": r.follow_up,
            "mentor_id": r.mentor_id,
            "created_at": iso(ctx, r.created_at),
            "updated_at": iso(ctx, r.updated_at),
            "updated_by": view.updated_by,
            "corrected": r.updated_by != r.created_by,
        },
        "escalations": view.escalations,
    }


@dataclass(frozen=True)
class RecordInput:
    topic_ids: list[int]
    risk: str
    referrals: list[str]
    help_entry_id: str | None
    follow_up: bool


def check_record(ctx: Context, body: dict[str, Any]) -> RecordInput:
    topics = body.get("topics")
    if not isinstance(topics, list) or not 1 <= len(topics) <= MAX_TOPICS:
        raise Refusal("invalid_input", field="topics")
    ids = [check_id(t, "topics") for t in topics]
    if len(set(ids)) != len(ids):
        raise Refusal("invalid_input", field="topics")
    risk = body.get("risk")
    if risk not in RISK_LEVELS:
        raise Refusal("invalid_input", field="risk")
    referrals = body.get("referrals")
    if (
        not isinstance(referrals, list)
        or not referrals
        or any(r not in REFERRALS for r in referrals)
        or len(set(referrals)) != len(referrals)
        or ("none" in referrals and len(referrals) > 1)
    ):
        raise Refusal("invalid_input", field="referrals")
    entry = body.get("help_entry_id")
    if "help_directory" in referrals:
        if not isinstance(entry, str) or ctx.directory.get(entry) is None:
            raise Refusal("invalid_input", field="help_entry_id")
    elif entry is not None:
        raise Refusal("invalid_input", field="help_entry_id")
    follow_up = body.get("follow_up")
    if not isinstance(follow_up, bool):
        raise Refusal("invalid_input", field="follow_up")
    order = [r for r in REFERRALS if r in referrals]
    return RecordInput(ids, str(risk), order, entry, follow_up)


async def do_save_record(
    ctx: Context, principal: Principal | None, consultation_id: int, body: dict[str, Any]
) -> RecordView:
    """The mentor writes (or amends) their record; a supervisor corrects it, audited."""
    access = await _record_access(ctx, principal, consultation_id)
    assert principal is not None
    data = check_record(ctx, body)
    if not needs_record(access.consultation):
        raise Refusal("record_not_needed")
    for _ in range(2):
        try:
            await _save(ctx, principal, access.consultation, data)
            break
        except IntegrityError:
            continue  # two tabs saved the first record at once: amend the one that won
    else:
        raise Refusal("busy_try_again")
    if data.risk in ("high", "urgent"):
        # The mentor rests after a heavy consultation (counted from its end; a record written
        # after the rest would be over starts nothing).
        await start_cooldown(
            ctx,
            access.consultation.mentor_id,
            f"risk_{data.risk}",
            since=access.consultation.closed_at,
        )
    return await get_record(ctx, principal, consultation_id)


async def _save(ctx: Context, staff: Principal, c: Consultation, data: RecordInput) -> None:
    assert c.id is not None
    now = ctx.now()
    async with ctx.db.write() as s:
        topics = (
            (await s.execute(select(RecordTopic).where(col(RecordTopic.id).in_(data.topic_ids))))
            .scalars()
            .all()
        )
        if len(topics) != len(data.topic_ids):
            raise Refusal("invalid_input", field="topics")
        record = (
            await s.execute(
                select(ConsultationRecord).where(col(ConsultationRecord.consultation_id) == c.id)
            )
        ).scalar_one_or_none()
        before: set[int] = set()
        if record is not None:
            before = set(
                (
                    await s.execute(
                        select(col(ConsultationRecordTopic.topic_id)).where(
                            col(ConsultationRecordTopic.record_id) == record.id
                        )
                    )
                )
                .scalars()
                .all()
            )
        # A retired topic stays on a record that has it, and is not chosen anew.
        if any(t.retired_at is not None and t.id not in before for t in topics):
            raise Refusal("invalid_input", field="topics")
        referrals = ",".join(data.referrals)
        if record is None:
            record = ConsultationRecord(
                consultation_id=c.id,
                mentor_id=c.mentor_id,
                risk=data.risk,
                referrals=referrals,
                help_entry_id=data.help_entry_id,
                follow_up=data.follow_up,
                created_at=now,
                created_by=staff.id,
                updated_at=now,
                updated_by=staff.id,
            )
            s.add(record)
            await s.flush()
            s.add(_audit(ctx, staff, "record_written", c.id, f"risk={data.risk}"))
        else:
            changes = _changes(record, before, data)
            record.risk = data.risk
            record.referrals = referrals
            record.help_entry_id = data.help_entry_id
            record.follow_up = data.follow_up
            record.updated_at = now
            record.updated_by = staff.id
            for topic_id in before - set(data.topic_ids):
                link = await s.get(ConsultationRecordTopic, (record.id, topic_id))
                if link is not None:
                    await s.delete(link)
            action = "record_corrected" if staff.is_supervisor else "record_amended"
            s.add(_audit(ctx, staff, action, c.id, changes or "unchanged"))
        assert record.id is not None
        for topic_id in set(data.topic_ids) - before:
            s.add(ConsultationRecordTopic(record_id=record.id, topic_id=topic_id))


def _changes(record: ConsultationRecord, before: set[int], data: RecordInput) -> str:
    """What a correction changed, for the audit log (codes and topic ids, no free text)."""
    what = []
    if set(data.topic_ids) != before:
        what.append(f"topics {sorted(before)} -> {sorted(data.topic_ids)}")
    if data.risk != record.risk:
        what.append(f"risk {record.risk} -> {data.risk}")
    referrals = ",".join(data.referrals)
    if referrals != record.referrals or data.help_entry_id != record.help_entry_id:
        what.append(f"referrals {record.referrals} -> {referrals}")
        if data.help_entry_id or record.help_entry_id:
            what.append(f"help {record.help_entry_id} -> {data.help_entry_id}")
    if data.follow_up != record.follow_up:
        what.append(f"follow_up {record.follow_up} -> {data.follow_up}")
    return "; ".join(what)


# -- open records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRecord:
    consultation: Consultation
    mentor: Mentor
    client: Client


async def open_records(ctx: Context, principal: Principal | None) -> tuple[int, list[OpenRecord]]:
    """Closed, answered consultations without a record: a mentor's own, or (supervisor)
    everyone's. The count, and the newest first."""
    staff = require_staff(principal)
    since: datetime = ctx.now() - timedelta(days=OPEN_RECORD_DAYS)
    where = [
        col(Consultation.status) == "closed",
        col(Consultation.mentor_joined_at).is_not(None),
        col(Consultation.ends_at) >= since,
        col(ConsultationRecord.id).is_(None),
    ]
    if not staff.is_supervisor:
        where.append(col(Consultation.mentor_id) == staff.mentor_id)
    async with ctx.db.read() as s:
        base = select(col(Consultation.id)).outerjoin(
            ConsultationRecord, col(ConsultationRecord.consultation_id) == Consultation.id
        )
        count = (
            await s.execute(select(func.count()).select_from(base.where(*where).subquery()))
        ).scalar_one()
        rows = await s.execute(
            select(Consultation, Mentor, Client)
            .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
            .join(Client, col(Client.id) == Consultation.client_id)
            .outerjoin(
                ConsultationRecord, col(ConsultationRecord.consultation_id) == Consultation.id
            )
            .where(*where)
            .order_by(col(Consultation.starts_at).desc(), col(Consultation.id).desc())
            .limit(OPEN_RECORDS_SHOWN)
        )
        return int(count), [OpenRecord(c, m, cl) for c, m, cl in rows.all()]


def open_record_body(ctx: Context, o: OpenRecord) -> dict[str, Any]:
    c = o.consultation
    return {
        "consultation_id": c.id,
        "starts_at": iso(ctx, c.starts_at),
        "closed_at": iso(ctx, c.closed_at),
        "mode": c.mode,
        "mentor": {"id": o.mentor.id, "display_name": o.mentor.display_name},
        "client": {"nickname": o.client.nickname, "audience": o.client.audience},
    }
