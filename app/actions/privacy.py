"""Retention and the right to leave: transcripts are deleted, anonymous counts stay.

Erased means gone from the files too: SQLite overwrites deleted rows (secure_delete) and
the write-ahead log is checkpointed and truncated after each erasure and retention run.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import col

from app.actions.accounts import check_secret, verify_client_secret
from app.actions.booking import require_client
from app.actions.chat import close_consultation
from app.actions.context import Context, Principal
from app.actions.queue import ACTIVE
from app.db.tables import (
    AuditLog,
    AuthSession,
    Client,
    ClientLink,
    Consultation,
    CrisisAlert,
    Escalation,
    LineEvent,
    LineHold,
    LineUndelivered,
    LineUser,
    LinkCode,
    MentorNote,
    Message,
    QueueEntry,
    Survey,
)
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
    # An alert points at a message and says what kind of words it held: it goes with them.
    await s.execute(delete(CrisisAlert).where(col(CrisisAlert.consultation_id) == consultation_id))
    await s.execute(
        delete(LineUndelivered).where(col(LineUndelivered.consultation_id) == consultation_id)
    )
    # An escalation's words (why, what was shared, the decision's note) go with them; that it
    # happened (destination, status, who, when) stays for the municipal report.
    await s.execute(
        update(Escalation)
        .where(col(Escalation.consultation_id) == consultation_id)
        .values(reason="", shared="", decision_note=None)
    )
    # A survey's comment is the client's own words: it goes with them; the anonymous answers
    # (faces, "talk again?") stay for the report.
    await s.execute(
        update(Survey).where(col(Survey.consultation_id) == consultation_id).values(comment=None)
    )
    await s.execute(
        update(Consultation)
        .where(col(Consultation.id) == consultation_id)
        .values(message_count=int(count))
    )


async def purge_expired(ctx: Context) -> int:
    """Retention: transcripts, notes and alerts of consultations finished more than
    RETENTION_DAYS ago; sessions that ended (expired, revoked, idle) before today; the
    free-text reasons of audit rows older than RETENTION_DAYS (who accessed what, and when,
    stays); LINE links ended (unfollow) more than RETENTION_DAYS ago and week-old webhook
    event ids. Then the SQLite log is checkpointed. Returns the consultations purged.

    Idempotent: a purged consultation has message_count set and is not looked at again.
    """
    purged = await _purge_transcripts(ctx)
    await _purge_sessions_and_reasons(ctx)
    await ctx.db.checkpoint()
    return purged


async def _purge_sessions_and_reasons(ctx: Context) -> None:
    now = ctx.now()
    cutoff = now - timedelta(days=ctx.settings.retention_days)
    # Idle sessions end after minutes; a day's margin keeps rows a live request just read.
    idle_before = now - timedelta(days=1)
    async with ctx.db.write() as s:
        await s.execute(
            delete(AuthSession).where(
                (col(AuthSession.expires_at) <= now)
                | (col(AuthSession.revoked_at) < idle_before)
                | (
                    func.coalesce(col(AuthSession.last_seen_at), col(AuthSession.created_at))
                    < idle_before
                )
            )
        )
        await s.execute(
            update(AuditLog)
            .where(col(AuditLog.at) < cutoff, col(AuditLog.reason).is_not(None))
            .values(reason=None)
        )
        # The LINE channel: a link ended by unfollow goes after the retention period; the
        # ids of applied webhook events are kept a week (LINE redelivers within hours); a
        # pending event is never deleted before it is applied.
        await s.execute(delete(LineUser).where(col(LineUser.unfollowed_at) < cutoff))
        await s.execute(
            delete(LineEvent).where(
                col(LineEvent.received_at) < now - timedelta(days=7),
                col(LineEvent.state) != "pending",
            )
        )


async def _purge_transcripts(ctx: Context) -> int:
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


async def do_delete_account(
    ctx: Context, principal: Principal | None, secret: object, *, address: str
) -> None:
    """A client leaves: their conversations' text, alerts, bookings and sign-ins are gone for
    good, and audit rows no longer lead to them. Wrong secrets slow this account's next try
    from this address only."""
    client_p = require_client(principal)
    if not isinstance(secret, str) or len(secret) > 256:
        raise Refusal("invalid_input", field="secret")
    check_secret(secret)
    async with ctx.db.read() as s:
        client = await s.get(Client, client_p.id)
    ok = await verify_client_secret(
        ctx,
        key=f"delete:{client_p.id}",
        address=address,
        secret=secret,
        hashed=client.secret_hash if client is not None else None,
    )
    if client is None or not ok:
        raise Refusal("bad_credentials")
    await erase_client(ctx, client_p.id)


async def erase_client(ctx: Context, client_id: int) -> None:
    """Erase a client (DELETE /api/me after its secret, or "けす" from LINE): open
    consultations closed, bookings cancelled, transcripts, sessions and the name gone."""
    async with ctx.db.read() as s:
        open_ids = (
            await s.execute(
                select(col(Consultation.id)).where(
                    col(Consultation.client_id) == client_id, col(Consultation.status) == "open"
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
                        col(Consultation.client_id) == client_id,
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
                select(col(Consultation.id)).where(col(Consultation.client_id) == client_id)
            )
        ).scalars()
        mine = [i for i in all_ids if i is not None]
        for cid in mine:
            await _erase_transcript(s, cid)
        if mine:  # staff joins and reads stay recorded, but no longer lead to this client
            await s.execute(
                update(AuditLog)
                .where(col(AuditLog.consultation_id).in_(mine))
                .values(consultation_id=None, reason=None)
            )
        # Out of the waiting line, and what they wrote while waiting is gone with the rest.
        await s.execute(
            update(QueueEntry)
            .where(col(QueueEntry.client_id) == client_id, col(QueueEntry.state).in_(ACTIVE))
            .values(state="left", ended_at=now)
        )
        await s.execute(
            update(QueueEntry)
            .where(col(QueueEntry.client_id) == client_id)
            .values(first_message=None)
        )
        # Gone, not revoked: an open socket of theirs finds no session at its next check.
        await s.execute(
            delete(AuthSession).where(
                col(AuthSession.principal) == "client",
                col(AuthSession.principal_id) == client_id,
            )
        )
        # A LINE link no longer leads to the erased account (the LINE user may start anew).
        await s.execute(
            update(LineUser)
            .where(col(LineUser.client_id) == client_id)
            .values(client_id=None, state="nickname", pending_nickname=None)
        )
        # Parent-child links and unused link codes go with either side's account; bookings a
        # parent made stay the child's, no longer naming who made them.
        await s.execute(
            delete(ClientLink).where(
                (col(ClientLink.child_id) == client_id) | (col(ClientLink.parent_id) == client_id)
            )
        )
        await s.execute(delete(LinkCode).where(col(LinkCode.child_id) == client_id))
        await s.execute(
            update(Consultation)
            .where(col(Consultation.booked_by_id) == client_id)
            .values(booked_by_id=None)
        )
        await s.execute(
            update(Client)
            .where(col(Client.id) == client_id)
            .values(
                nickname="（削除済み）",
                nickname_key=f"deleted:{client_id}",
                secret_hash="!",  # noqa: S106 - not a hash: sign-in skips deleted accounts
                deleted_at=now,
            )
        )
    await ctx.db.checkpoint()
