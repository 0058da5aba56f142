"""A mentor's private notes, continuity with a returning client, and audited transcript reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions.chat import Access, audit, check_access, messages_after
from app.actions.context import Context, Principal
from app.actions.staff import require_staff
from app.db.tables import Consultation, MentorNote, Message
from app.errors import Refusal

MAX_NOTE = 4000
MAX_REASON = 400


async def _mentor_access(ctx: Context, principal: Principal | None, consultation_id: int) -> Access:
    staff = require_staff(principal)
    if not staff.is_mentor:
        raise Refusal("not_allowed")
    return await check_access(ctx, staff, consultation_id)


async def get_note(
    ctx: Context, principal: Principal | None, consultation_id: int
) -> MentorNote | None:
    await _mentor_access(ctx, principal, consultation_id)
    async with ctx.db.read() as s:
        return (
            await s.execute(
                select(MentorNote).where(col(MentorNote.consultation_id) == consultation_id)
            )
        ).scalar_one_or_none()


async def do_save_note(
    ctx: Context, principal: Principal | None, consultation_id: int, text: object
) -> MentorNote:
    access = await _mentor_access(ctx, principal, consultation_id)
    if not isinstance(text, str) or len(text) > MAX_NOTE:
        raise Refusal("invalid_input", field="text")
    for _ in range(2):
        try:
            async with ctx.db.write() as s:
                note = (
                    await s.execute(
                        select(MentorNote).where(col(MentorNote.consultation_id) == consultation_id)
                    )
                ).scalar_one_or_none()
                if note is None:
                    note = MentorNote(
                        consultation_id=consultation_id,
                        mentor_id=access.consultation.mentor_id,
                        text=text,
                        updated_at=ctx.now(),
                    )
                    s.add(note)
                else:
                    note.text = text
                    note.updated_at = ctx.now()
                await s.flush()
                return note
        except IntegrityError:
            continue  # two tabs saved the first note at once: update the one that won
    raise Refusal("busy_try_again")


async def history(
    ctx: Context, principal: Principal | None, consultation_id: int
) -> list[tuple[Consultation, MentorNote | None]]:
    """This mentor's earlier consultations with the same client, with this mentor's notes.

    Another mentor's consultations with the client are never included."""
    access = await _mentor_access(ctx, principal, consultation_id)
    c = access.consultation
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(Consultation, MentorNote)
            .outerjoin(MentorNote, col(MentorNote.consultation_id) == Consultation.id)
            .where(
                col(Consultation.client_id) == c.client_id,
                col(Consultation.mentor_id) == c.mentor_id,
                col(Consultation.id) != c.id,
                col(Consultation.starts_at) < c.starts_at,
                col(Consultation.opened_at).is_not(None),
            )
            .order_by(col(Consultation.starts_at).desc())
        )
        return [(row[0], row[1]) for row in rows.all()]


async def read_transcript(
    ctx: Context, principal: Principal | None, consultation_id: int, reason: object
) -> tuple[Access, list[Message]]:
    """A staff read of a transcript: the reason is required and the read is audited."""
    staff = require_staff(principal)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise Refusal("invalid_input", field="reason")
    access = await check_access(ctx, staff, consultation_id)
    await audit(ctx, staff, "transcript_read", consultation_id, reason.strip())
    return access, await messages_after(ctx, consultation_id, 0)
