"""Retention and the right to leave: transcripts are deleted, anonymous counts stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import col

from app.actions.accounts import check_secret
from app.actions.booking import require_client
from app.actions.chat import close_consultation
from app.actions.context import Context, Principal
from app.db.tables import AuthSession, Client, Consultation, LineHold, MentorNote, Message
from app.errors import Refusal

FINISHED = ("closed", "no_show", "cancelled")
BATCH = 200


async def _erase_transcript(s, consultation_id: int) -> None:  # type: ignore[no-untyped-def]
    count = (
        await s.execute(
            select(func.count())
            .select_from(Message)
            .where(col(Message.consultation_id) == consultation_id)
        )
    ).scalar_one()
    await s.execute(delete(Message).where(col(Message.consultation_id) == consultation_id))
    await s.execute(delete(MentorNote).where(col(MentorNote.consultation_id) == consultation_id))
    await s.execute(
        update(Consultation)
        .where(col(Consultation.id) == consultation_id)
        .values(message_count=int(count))
    )


async def purge_expired(ctx: Context) -> int:
    """Delete transcripts and notes of consultations finished more than RETENTION_DAYS ago.

    Idempotent: a purged consultation has message_count set and is not looked at again.
    """
    cutoff = ctx.now() - timedelta(days=ctx.settings.retention_days)
    purged = 0
    while True:
        async with ctx.db.read() as s:
            ids = list(
                (
                    await s.execute(
                        select(col(Consultation.id))
                        .where(
                            col(Consultation.status).in_(FINISHED),
                            col(Consultation.closed_at) < cutoff,
                            col(Consultation.message_count).is_(None),
                        )
                        .limit(BATCH)
                    )
                ).scalars()
            )
        if not ids:
            return purged
        async with ctx.db.write() as s:
            for cid in ids:
                if cid is not None:
                    await _erase_transcript(s, cid)
        purged += len(ids)


async def do_delete_account(ctx: Context, principal: Principal | None, secret: object) -> None:
    """A client leaves: their conversations' text, bookings and sign-ins are gone for good."""
    client_p = require_client(principal)
    if not isinstance(secret, str) or len(secret) > 256:
        raise Refusal("invalid_input", field="secret")
    check_secret(secret)
    key = f"delete:{client_p.id}"
    if not ctx.throttle.allowed(key, "any"):
        raise Refusal("rate_limited")
    async with ctx.db.read() as s:
        client = await s.get(Client, client_p.id)
    if client is None or not await ctx.hasher.verify(secret, client.secret_hash):
        ctx.throttle.failed(key, "any")
        raise Refusal("bad_credentials")
    async with ctx.db.read() as s:
        open_ids = (
            await s.execute(
                select(col(Consultation.id)).where(
                    col(Consultation.client_id) == client_p.id, col(Consultation.status) == "open"
                )
            )
        ).scalars()
        open_list = [i for i in open_ids if i is not None]
    for cid in open_list:  # tell the mentor, free the line
        await close_consultation(ctx, cid, reason="account_deleted")
    now = ctx.now()
    async with ctx.db.write() as s:
        booked = [
            i
            for i in (
                await s.execute(
                    select(col(Consultation.id)).where(
                        col(Consultation.client_id) == client_p.id,
                        col(Consultation.status) == "booked",
                    )
                )
            ).scalars()
            if i is not None
        ]
        if booked:
            await s.execute(delete(LineHold).where(col(LineHold.consultation_id).in_(booked)))
            await s.execute(
                update(Consultation)
                .where(col(Consultation.id).in_(booked))
                .values(status="cancelled", closed_at=now, close_reason="account_deleted")
            )
        all_ids = (
            await s.execute(
                select(col(Consultation.id)).where(col(Consultation.client_id) == client_p.id)
            )
        ).scalars()
        for cid in [i for i in all_ids if i is not None]:
            await _erase_transcript(s, cid)
        await s.execute(
            update(AuthSession)
            .where(
                col(AuthSession.principal) == "client",
                col(AuthSession.principal_id) == client_p.id,
                col(AuthSession.revoked_at).is_(None),
            )
            .values(revoked_at=now)
        )
        await s.execute(
            update(Client)
            .where(col(Client.id) == client_p.id)
            .values(
                nickname="（削除済み）",
                nickname_key=f"deleted:{client_p.id}",
                secret_hash="!",  # noqa: S106 - not a hash: sign-in skips deleted accounts
                deleted_at=now,
            )
        )
