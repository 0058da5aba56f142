"""Statistics for headquarters: what happened per day and per slot, and who was turned away.

Counts only: no text, no nicknames. Refusals are recorded as they happen (refusal_event),
because "how many were turned away because every line was busy" is the figure that decides
how many lines to add.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.inputs import check_day
from app.actions.occupancy import current_lines
from app.actions.staff import require_staff
from app.db.engine import Database
from app.db.tables import Client, Consultation, Handover, Mentor, QueueEntry, RefusalEvent
from app.errors import Refusal
from app.observability import metrics
from app.rules import at_local, local_day, slot_starts, to_local

REFUSALS: Table = RefusalEvent.__table__  # type: ignore[attr-defined]

log = logging.getLogger("yorisoi.stats")
MAX_DAYS = 92
# Refusals worth counting: the service could not take someone (not typos or auth errors).
# Closed before anything happened: no scheduler ran in time, or a line offered from the
# waiting line was not taken (it is counted as an expired or declined offer instead).
NEVER_HAPPENED = ("not_opened", "offer_expired", "offer_declined")
COUNTED = {
    "no_free_line",
    "mentor_busy",
    "slot_taken",
    "outside_hours",
    "mentor_off_shift",
    "limit_reached",
    "client_busy",
    "too_far_ahead",
    "in_the_past",
    "busy_try_again",
}


async def record_refusal(ctx: Context, action: str, code: str, audience: str) -> None:
    """Count a turned-away request. Written in batches off the request path: a rush of
    refusals must not queue behind its own bookkeeping."""
    if code in COUNTED:
        metrics.refusal(code)
        ctx.refusals.add(at=ctx.now(), action=action, code=code, audience=audience)


class RefusalRecorder:
    """Buffers refusal events and writes them every `every` seconds in one transaction, as
    plain rows: building a RefusalEvent instance (SQLModel's validation) cost more than the
    rest of a refused request's bookkeeping in a rush."""

    def __init__(self, db: Database, every: float = 1.0) -> None:
        self.db = db
        self.every = every
        self._pending: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, *, at: datetime, action: str, code: str, audience: str) -> None:
        self._pending.append({"at": at, "action": action, "code": code, "audience": audience})

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            async with self.db.write() as s:  # Core, not the ORM's bulk insert: half the CPU
                await s.execute(insert(REFUSALS), batch)
        except Exception as exc:  # statistics must never take the service down
            log.error("could not record %d refusals (%s)", len(batch), type(exc).__name__)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()


@dataclass
class DayStats:
    day: date
    consultations: int = 0
    walk_in: int = 0
    booked: int = 0
    no_show: int = 0
    unanswered: int = 0  # ended without its mentor ever joining: not a consultation
    by_kind: Counter[str] = field(default_factory=Counter)
    by_audience: Counter[str] = field(default_factory=Counter)
    line_minutes: float = 0.0
    capacity_minutes: float = 0.0
    refusals: Counter[str] = field(default_factory=Counter)

    @property
    def no_show_rate(self) -> float | None:
        return round(self.no_show / self.booked, 3) if self.booked else None

    @property
    def utilisation(self) -> float:
        return round(self.line_minutes / self.capacity_minutes, 3) if self.capacity_minutes else 0.0


def _slot_label(instant: datetime, ctx: Context) -> str:
    local = to_local(instant, ctx.rules)
    minute = 0 if local.minute < 30 else 30
    return f"{local.hour:02d}:{minute:02d}"


async def statistics(
    ctx: Context, principal: Principal | None, *, first: object = None, last: object = None
) -> dict[str, Any]:
    require_staff(principal, supervisor=True)
    await ctx.refusals.flush()  # include what happened in the last second
    today = local_day(ctx.now(), ctx.rules)
    end_day = check_day(last, "to") if last not in (None, "") else today
    start_day = check_day(first, "from") if first not in (None, "") else end_day - timedelta(days=6)
    if start_day > end_day or (end_day - start_day).days >= MAX_DAYS:
        raise Refusal("invalid_input", field="from")
    rules = ctx.rules
    start = at_local(start_day, time(0), rules)
    end = at_local(end_day + timedelta(days=1), time(0), rules)
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(Consultation, col(Mentor.kind), col(Client.audience))
                .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
                .join(Client, col(Client.id) == Consultation.client_id)
                .where(
                    col(Consultation.starts_at) >= start,
                    col(Consultation.starts_at) < end,
                    col(Consultation.status) != "cancelled",
                )
            )
        ).all()
        lines = await current_lines(s, rules.lines)
        queued = (
            (
                await s.execute(
                    select(QueueEntry).where(
                        col(QueueEntry.joined_at) >= start, col(QueueEntry.joined_at) < end
                    )
                )
            )
            .scalars()
            .all()
        )
        handed_away = (
            await s.execute(
                select(col(Handover.from_mentor_id), func.count())
                .join(Consultation, col(Consultation.id) == Handover.consultation_id)
                .where(
                    col(Consultation.starts_at) >= start,
                    col(Consultation.starts_at) < end,
                    col(Handover.from_joined).is_(False),
                )
                .group_by(col(Handover.from_mentor_id))
            )
        ).all()
        names = {
            mentor_id: name
            for mentor_id, name in (
                await s.execute(select(col(Mentor.id), col(Mentor.display_name)))
            ).all()
        }
        refusals = (
            (
                await s.execute(
                    select(RefusalEvent).where(
                        col(RefusalEvent.at) >= start, col(RefusalEvent.at) < end
                    )
                )
            )
            .scalars()
            .all()
        )
    days = {
        start_day + timedelta(days=i): DayStats(start_day + timedelta(days=i))
        for i in range((end_day - start_day).days + 1)
    }
    open_minutes = (
        datetime.combine(start_day, rules.close_time) - datetime.combine(start_day, rules.open_time)
    ).total_seconds() / 60
    for d in days.values():
        d.capacity_minutes = open_minutes * lines
    slots: dict[str, Counter[str]] = defaultdict(Counter)
    # Per mentor: consultations that ended without them, and those handed away from them
    # before they ever joined (the consultation itself may then have been answered).
    unanswered_by: Counter[int] = Counter(
        {mentor_id: count for mentor_id, count in handed_away if mentor_id is not None}
    )
    for label in (_slot_label(t, ctx) for t in slot_starts(start_day, rules)):
        slots[label]  # noqa: B018 - every slot appears, even an empty one
    for consultation, kind, audience in rows:
        d = days[local_day(consultation.starts_at, rules)]
        label = _slot_label(consultation.starts_at, ctx)
        if consultation.status == "no_show":
            d.no_show += 1
            d.booked += 1
            slots[label]["no_show"] += 1
            continue
        if consultation.status == "booked" or consultation.close_reason in NEVER_HAPPENED:
            continue  # still in the future, or never happened (no scheduler ran, an offer
            # from the waiting line not taken)
        # Ended without its mentor ever joining: unanswered. (An open one still counts as a
        # consultation: its mentor may yet come.)
        if consultation.mentor_joined_at is None and consultation.status != "open":
            d.unanswered += 1
            slots[label]["unanswered"] += 1
            unanswered_by[consultation.mentor_id] += 1
            d.line_minutes += _line_minutes(ctx, consultation)  # the line was held all the same
            continue
        d.consultations += 1
        d.walk_in += consultation.mode == "walk_in"
        d.booked += consultation.mode == "booked"
        d.by_kind[kind] += 1
        d.by_audience[audience] += 1
        slots[label][consultation.mode] += 1
        d.line_minutes += _line_minutes(ctx, consultation)
    for event in refusals:
        day = local_day(event.at, rules)
        if day in days:
            days[day].refusals[event.code] += 1
            slots[_slot_label(event.at, ctx)][f"refused_{event.code}"] += 1
    return {
        "from": start_day.isoformat(),
        "to": end_day.isoformat(),
        "lines": lines,
        "days": [
            {
                "date": d.day.isoformat(),
                "consultations": d.consultations,
                "walk_in": d.walk_in,
                "booked": d.booked,
                "no_show": d.no_show,
                "no_show_rate": d.no_show_rate,
                "unanswered": d.unanswered,
                "by_kind": dict(d.by_kind),
                "by_audience": dict(d.by_audience),
                "utilisation": d.utilisation,
                "refusals": dict(d.refusals),
                "queue": queue_day(queued, d.day, ctx),
            }
            for d in days.values()
        ],
        "slots": [{"slot": label, **dict(counts)} for label, counts in sorted(slots.items())],
        "unanswered_by_mentor": [
            {"mentor_id": mentor_id, "display_name": names.get(mentor_id, ""), "count": count}
            for mentor_id, count in sorted(unanswered_by.items(), key=lambda kv: (-kv[1], kv[0]))
            if count
        ],
    }


def _line_minutes(ctx: Context, c: Consultation) -> float:
    began = c.opened_at or c.starts_at
    ended = min(c.closed_at or c.ends_at, c.ends_at, ctx.now())
    return max(0.0, (ended - began).total_seconds() / 60)


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile by the nearest-rank method (no interpolation: a real wait)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def queue_day(entries: Sequence[QueueEntry], day: date, ctx: Context) -> dict[str, Any]:
    """The waiting line on one day: how many waited, how it ended for them, and how long
    they waited until a line was offered (p50/p90, minutes)."""
    mine = [e for e in entries if local_day(e.joined_at, ctx.rules) == day]
    states = Counter(e.state for e in mine)
    waits = [
        (e.offered_at - e.joined_at).total_seconds() / 60 for e in mine if e.offered_at is not None
    ]
    p50, p90 = percentile(waits, 0.5), percentile(waits, 0.9)
    return {
        "queued": len(mine),
        "served": states["served"],
        "left": states["left"],
        "offers_expired": states["expired"],
        "closed": states["closed"],
        "waiting": states["waiting"] + states["offered"],
        "wait_p50_minutes": round(p50, 1) if p50 is not None else None,
        "wait_p90_minutes": round(p90, 1) if p90 is not None else None,
    }


CSV_COLUMNS = [
    "date",
    "consultations",
    "walk_in",
    "booked",
    "no_show",
    "no_show_rate",
    "utilisation",
    "refused_no_free_line",
    "refused_total",
    "unanswered",  # added last: spreadsheets that read columns by position keep working
]
# The waiting line's day (queue_day), "queue_" + its key; after every other column, so no
# existing column moves.
CSV_QUEUE = [
    "queued",
    "served",
    "left",
    "offers_expired",
    "closed",
    "wait_p50_minutes",
    "wait_p90_minutes",
]


def as_csv(stats: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    kinds = sorted({k for d in stats["days"] for k in d["by_kind"]})
    writer.writerow(
        CSV_COLUMNS
        + [f"kind_{k}" for k in kinds]
        + ["child", "parent"]
        + [f"queue_{k}" for k in CSV_QUEUE]
    )
    for d in stats["days"]:
        writer.writerow(
            [
                d["date"],
                d["consultations"],
                d["walk_in"],
                d["booked"],
                d["no_show"],
                "" if d["no_show_rate"] is None else d["no_show_rate"],
                d["utilisation"],
                d["refusals"].get("no_free_line", 0),
                sum(d["refusals"].values()),
                d["unanswered"],
                *[d["by_kind"].get(k, 0) for k in kinds],
                d["by_audience"].get("child", 0),
                d["by_audience"].get("parent", 0),
                *["" if d["queue"][k] is None else d["queue"][k] for k in CSV_QUEUE],
            ]
        )
    return out.getvalue()
