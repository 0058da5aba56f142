"""Canned replies (定型文): headquarters keeps the library, mentors insert one into the
composer and edit it before sending (the page only fills the text box: nothing is sent from
here). Reading is for staff; changes are for supervisors and are audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.inputs import check_storable
from app.actions.staff import require_staff
from app.db.tables import (
    CANNED_CATEGORIES,
    MENTOR_AUDIENCES,
    MENTOR_LANGUAGES,
    AuditLog,
    CannedReply,
)
from app.errors import Refusal

MAX_TITLE = 60
MAX_TEXT = 1000
FIELDS = ("audience", "language", "category", "title", "text")

# Seeded by the demo (app/demo.py); headquarters edits or deletes them like any other.
DEFAULTS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "child",
        "ja",
        "greeting",
        "はじめの あいさつ",
        "こんにちは。きてくれて ありがとう。きょうは どんな ことを はなしたい？",
    ),
    (
        "parent",
        "ja",
        "greeting",
        "はじめのご挨拶",
        "こんにちは。ご相談いただきありがとうございます。今日はどのようなことでお困りですか。",
    ),
    (
        "both",
        "en",
        "greeting",
        "Hello",
        "Hello, thank you for coming. What would you like to talk about today?",
    ),
    (
        "child",
        "ja",
        "wait",
        "すこし まってね",
        "すこし かんがえる じかんを ください。すぐに おへんじ するね。",
    ),
    (
        "parent",
        "ja",
        "wait",
        "少々お待ちください",
        "少し考える時間をください。すぐにお返事します。",
    ),
    (
        "both",
        "en",
        "wait",
        "A moment, please",
        "Please give me a moment to think. I will reply shortly.",
    ),
    (
        "child",
        "ja",
        "closing",
        "おわりの あいさつ",
        "きょうは はなして くれて ありがとう。また いつでも きてね。",
    ),
    (
        "parent",
        "ja",
        "closing",
        "終わりのご挨拶",
        "本日はご相談ありがとうございました。またいつでもご利用ください。",
    ),
    (
        "both",
        "en",
        "closing",
        "Goodbye",
        "Thank you for talking with me today. You are welcome back any time.",
    ),
    (
        "child",
        "ja",
        "referral",
        "ほかの ひとに つなぐ",
        "この ことは、もっと くわしい ひとに きいて もらうと いいかも。いっしょに さがして みよう。",
    ),
    (
        "parent",
        "ja",
        "referral",
        "専門窓口のご案内",
        "この件は専門の窓口にご相談いただくのがよいと思います。連絡先をご案内しますね。",
    ),
    (
        "both",
        "en",
        "referral",
        "Referral",
        "This may be best discussed with a specialist service. Let me share how to reach them.",
    ),
)


def _check(body: dict[str, object], *, partial: bool) -> dict[str, str]:
    choices = {
        "audience": MENTOR_AUDIENCES,
        "language": MENTOR_LANGUAGES,
        "category": CANNED_CATEGORIES,
    }
    limits = {"title": MAX_TITLE, "text": MAX_TEXT}
    found: dict[str, str] = {}
    for name in FIELDS:
        if name not in body:
            if partial:
                continue
            raise Refusal("invalid_input", field=name)
        value = body[name]
        if name in choices:
            if value not in choices[name]:
                raise Refusal("invalid_input", field=name)
        elif not isinstance(value, str) or not value.strip() or len(value.strip()) > limits[name]:
            raise Refusal("invalid_input", field=name)
        else:
            check_storable(value, name)
            value = value.strip()
        found[name] = str(value)
    if partial and not found:
        raise Refusal("invalid_input", field="text")
    return found


def _audit(staff: Principal, action: str, reply_id: int | None, at: datetime) -> AuditLog:
    return AuditLog(
        at=at,
        actor_role=staff.role,
        actor_id=staff.id,
        action=action,
        subject=f"canned:{reply_id}",
    )


async def replies(
    ctx: Context,
    principal: Principal | None,
    *,
    audience: str | None = None,
    language: str | None = None,
) -> list[CannedReply]:
    """The library, by category then title; for a client's audience it also holds the
    replies for both."""
    require_staff(principal)
    if audience is not None and audience not in MENTOR_AUDIENCES:
        raise Refusal("invalid_input", field="audience")
    if language is not None and language not in MENTOR_LANGUAGES:
        raise Refusal("invalid_input", field="language")
    query = select(CannedReply)
    if audience is not None:
        query = query.where(col(CannedReply.audience).in_({audience, "both"}))
    if language is not None:
        query = query.where(col(CannedReply.language) == language)
    async with ctx.db.read() as s:
        rows = list((await s.execute(query)).scalars())
    order = {c: i for i, c in enumerate(CANNED_CATEGORIES)}
    return sorted(rows, key=lambda r: (order.get(r.category, 99), r.language, r.title, r.id or 0))


async def do_create(
    ctx: Context, principal: Principal | None, body: dict[str, object]
) -> CannedReply:
    staff = require_staff(principal, supervisor=True)
    fields = _check(body, partial=False)
    now = ctx.now()
    async with ctx.db.write() as s:
        reply = CannedReply(**fields, created_at=now, updated_at=now)  # type: ignore[arg-type]
        s.add(reply)
        await s.flush()
        s.add(_audit(staff, "canned_reply_created", reply.id, now))
    return reply


async def do_update(
    ctx: Context, principal: Principal | None, reply_id: int, body: dict[str, object]
) -> CannedReply:
    staff = require_staff(principal, supervisor=True)
    fields = _check(body, partial=True)
    now = ctx.now()
    async with ctx.db.write() as s:
        reply = await s.get(CannedReply, reply_id)
        if reply is None:
            raise Refusal("not_found")
        for name, value in fields.items():
            setattr(reply, name, value)
        reply.updated_at = now
        s.add(_audit(staff, "canned_reply_changed", reply_id, now))
        await s.flush()
    return reply


async def do_delete(ctx: Context, principal: Principal | None, reply_id: int) -> None:
    staff = require_staff(principal, supervisor=True)
    now = ctx.now()
    async with ctx.db.write() as s:
        gone = (
            await s.execute(
                delete(CannedReply)
                .where(col(CannedReply.id) == reply_id)
                .returning(col(CannedReply.id))
            )
        ).scalar_one_or_none()
        if gone is None:
            raise Refusal("not_found")
        s.add(_audit(staff, "canned_reply_deleted", reply_id, now))


async def seed_defaults(ctx: Context) -> int:
    """The default library, once (an empty library only)."""
    now = ctx.now()
    async with ctx.db.write() as s:
        if (await s.execute(select(col(CannedReply.id)).limit(1))).first() is not None:
            return 0
        s.add_all(
            CannedReply(
                audience=a,
                language=lang,
                category=cat,
                title=title,
                text=text,
                created_at=now,
                updated_at=now,
            )
            for a, lang, cat, title, text in DEFAULTS
        )
    return len(DEFAULTS)
