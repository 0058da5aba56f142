"""A client's booking as a calendar event (.ics) for the tablet's calendar.

The event says nothing of the service, the mentor or the subject: a family calendar or a
shared school tablet shows only a neutral title and the time.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from app.actions.booking import require_client
from app.actions.context import Context, Principal
from app.db.tables import Consultation
from app.errors import Refusal

# The event's title by language: neutral words, nothing that names who or what it is.
TITLES = {"ja": "よてい", "en": "Appointment", "zh": "预约", "ko": "약속"}
REMIND_MINUTES = 10


async def own_booking(
    ctx: Context, principal: Principal | None, consultation_id: int
) -> Consultation:
    """The client's own booking still ahead or open; not_found for anything else (someone
    else's id, a cancelled or finished one), so ids tell nothing."""
    client = require_client(principal)
    async with ctx.db.read() as s:
        c = await s.get(Consultation, consultation_id)
    if c is None or c.client_id != client.id or c.status not in ("booked", "open"):
        raise Refusal("not_found")
    return c


def ics_event(c: Consultation, *, lang: str, now: datetime, salt: str) -> str:
    """One VEVENT in a VCALENDAR (RFC 5545), times in UTC, with a reminder 10 minutes before."""
    title = TITLES.get(lang, TITLES["ja"])
    # A stable id that does not reveal the consultation's number or the service's host.
    uid = hashlib.sha256(f"{salt}:{c.id}".encode()).hexdigest()[:32]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//calendar//event//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}@calendar.invalid",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(c.starts_at)}",
        f"DTEND:{_utc(c.ends_at)}",
        f"SUMMARY:{title}",
        "BEGIN:VALARM",
        f"TRIGGER:-PT{REMIND_MINUTES}M",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{title}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
