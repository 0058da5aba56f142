"""The municipal report: what the service did in a period, for the municipality that contracts it.

For a date range (days in Asia/Tokyo, by the consultation's start), in total, by audience and by
mentor kind, and the same for each calendar month the range touches:
consultations by mode (walk-in, booking, from the waiting line), unanswered, no-shows, turned
away (refusals), duration bands, topics and risk levels (from the consultation records),
handovers, escalations by destination, survey results and waiting-line times.

Counts only. The survey is anonymous: its figures appear only for groups of at least
survey.MIN_GROUP surveys, and comments (to supervisors only, in JSON, never in the CSV that
leaves the building) carry no id and only the day. Refusals and the waiting line are not
per mentor kind (a refusal has no mentor; a waiting client may take any kind): those sections
are null in the by-kind groups.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.inputs import check_day
from app.actions.records import _seed_topics as seed_topics
from app.actions.staff import require_staff
from app.actions.stats import NEVER_HAPPENED, percentile
from app.actions.survey import MIN_GROUP
from app.db.tables import (
    AUDIENCES,
    ESCALATION_DESTINATIONS,
    ESCALATION_STATES,
    MENTOR_KINDS,
    RISK_LEVELS,
    SURVEY_AGAIN,
    SURVEY_FACES,
    Client,
    Consultation,
    ConsultationRecord,
    ConsultationRecordTopic,
    Escalation,
    Handover,
    Mentor,
    QueueEntry,
    RecordTopic,
    RefusalEvent,
    Survey,
)
from app.errors import Refusal
from app.rules import at_local, local_day

MAX_DAYS = 366  # a fiscal year at most
MODES = ("walk_in", "booked", "queue")
# Minutes from opening to closing: [0, 10), [10, 20), [20, ...) (a consultation lasts 30).
BANDS = (("under_10", 10.0), ("10_20", 20.0), ("20_30", None))
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class Item:
    """One consultation as the report sees it."""

    c: Consultation
    kind: str
    audience: str
    mode: str  # walk_in | booked | queue
    risk: str | None = None  # None: no record
    topics: list[str] = field(default_factory=list)
    handovers: int = 0
    escalations: list[Escalation] = field(default_factory=list)


@dataclass
class Data:
    items: list[Item]
    refusals: list[RefusalEvent]
    queue: list[QueueEntry]
    surveys: list[Survey]
    topic_keys: list[str]


def check_period(ctx: Context, first: object, last: object, month: object) -> tuple[date, date]:
    if month not in (None, ""):
        m = _MONTH.match(month) if isinstance(month, str) else None
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise Refusal("invalid_input", field="month")
        start = check_day(f"{m.group(1)}-{m.group(2)}-01", "month")
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return start, max(start, min(end, local_day(ctx.now(), ctx.rules)))  # this month: so far
    today = local_day(ctx.now(), ctx.rules)
    end = check_day(last, "to") if last not in (None, "") else today
    start = check_day(first, "from") if first not in (None, "") else end.replace(day=1)
    if start > end or (end - start).days >= MAX_DAYS:
        raise Refusal("invalid_input", field="from")
    return start, end


async def _load(ctx: Context, start_day: date, end_day: date) -> Data:
    start = at_local(start_day, time(0), ctx.rules)
    end = at_local(end_day + timedelta(days=1), time(0), ctx.rules)
    in_range = (col(Consultation.starts_at) >= start, col(Consultation.starts_at) < end)
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(Consultation, col(Mentor.kind), col(Client.audience))
                .join(Mentor, col(Mentor.id) == Consultation.mentor_id)
                .join(Client, col(Client.id) == Consultation.client_id)
                .where(*in_range, col(Consultation.status) != "cancelled")
                .order_by(col(Consultation.id))
            )
        ).all()
        from_line = set(
            (
                await s.execute(
                    select(col(QueueEntry.consultation_id))
                    .join(Consultation, col(Consultation.id) == QueueEntry.consultation_id)
                    .where(*in_range)
                )
            )
            .scalars()
            .all()
        )
        records = (
            await s.execute(
                select(
                    col(ConsultationRecord.id),
                    col(ConsultationRecord.consultation_id),
                    col(ConsultationRecord.risk),
                )
                .join(Consultation, col(Consultation.id) == ConsultationRecord.consultation_id)
                .where(*in_range)
            )
        ).all()
        record_topics = (
            await s.execute(
                select(col(ConsultationRecordTopic.record_id), col(RecordTopic.key))
                .join(RecordTopic, col(RecordTopic.id) == ConsultationRecordTopic.topic_id)
                .join(
                    ConsultationRecord,
                    col(ConsultationRecord.id) == ConsultationRecordTopic.record_id,
                )
                .join(Consultation, col(Consultation.id) == ConsultationRecord.consultation_id)
                .where(*in_range)
            )
        ).all()
        topic_keys = list(
            (
                await s.execute(
                    select(col(RecordTopic.key))
                    .where(col(RecordTopic.retired_at).is_(None))
                    .order_by(col(RecordTopic.position), col(RecordTopic.id))
                )
            )
            .scalars()
            .all()
        )
        handovers = (
            await s.execute(
                select(col(Handover.consultation_id))
                .join(Consultation, col(Consultation.id) == Handover.consultation_id)
                .where(*in_range)
            )
        ).all()
        escalations = (
            (
                await s.execute(
                    select(Escalation)
                    .join(Consultation, col(Consultation.id) == Escalation.consultation_id)
                    .where(*in_range)
                )
            )
            .scalars()
            .all()
        )
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
        queue = (
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
        surveys = (
            (
                await s.execute(
                    select(Survey).where(col(Survey.day) >= start_day, col(Survey.day) <= end_day)
                )
            )
            .scalars()
            .all()
        )
    items: dict[int, Item] = {}
    for c, kind, audience in rows:
        assert c.id is not None
        mode = "queue" if c.id in from_line else c.mode
        items[c.id] = Item(c, kind, audience, mode)
    record_of: dict[int, int] = {}
    for record_id, consultation_id, risk in records:
        if record_id is not None and consultation_id in items:
            items[consultation_id].risk = risk
            record_of[record_id] = consultation_id
    for record_id, key in record_topics:
        if record_id in record_of:
            items[record_of[record_id]].topics.append(key)
    for (consultation_id,) in handovers:
        if consultation_id in items:
            items[consultation_id].handovers += 1
    for e in escalations:
        if e.consultation_id in items:
            items[e.consultation_id].escalations.append(e)
    return Data(list(items.values()), list(refusals), list(queue), list(surveys), topic_keys)


def _answered(c: Consultation) -> bool | None:
    """True: a consultation; False: unanswered; None: neither (booked, no-show, never held)."""
    if c.status in ("booked", "no_show") or c.close_reason in NEVER_HAPPENED:
        return None
    return c.mentor_joined_at is not None or c.status == "open"


def _band(c: Consultation) -> str | None:
    if c.status != "closed" or c.closed_at is None:
        return None
    began = c.opened_at or c.starts_at
    minutes = (min(c.closed_at, c.ends_at) - began).total_seconds() / 60
    for name, below in BANDS:
        if below is None or minutes < below:
            return name
    return None  # pragma: no cover


def _zeros(keys: Iterable[str]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def _consultations(items: list[Item], topic_keys: list[str]) -> dict[str, Any]:
    modes = _zeros(MODES)
    bands = _zeros(name for name, _ in BANDS)
    topics = _zeros(topic_keys)
    risk = {**_zeros(RISK_LEVELS), "unrecorded": 0}
    states = _zeros(ESCALATION_STATES)
    destinations = _zeros(ESCALATION_DESTINATIONS)
    answered = unanswered = no_show = handovers = 0
    for item in items:
        c = item.c
        if c.status == "no_show":
            no_show += 1
            continue
        held = _answered(c)
        if held is None:
            continue
        handovers += item.handovers
        for e in item.escalations:
            states[e.status] = states.get(e.status, 0) + 1
            if e.status == "confirmed":
                destinations[e.destination] = destinations.get(e.destination, 0) + 1
        if not held:
            unanswered += 1
            continue
        answered += 1
        modes[item.mode] = modes.get(item.mode, 0) + 1
        band = _band(c)
        if band is not None:
            bands[band] += 1
        for key in item.topics:
            topics[key] = topics.get(key, 0) + 1
        if c.status == "closed":
            risk[item.risk or "unrecorded"] = risk.get(item.risk or "unrecorded", 0) + 1
    return {
        "consultations": answered,
        "modes": modes,
        "unanswered": unanswered,
        "no_show": no_show,
        "durations": bands,
        "topics": topics,
        "risk": risk,
        "handovers": handovers,
        "escalations": {
            "raised": sum(states.values()),
            **states,
            "by_destination": destinations,
        },
    }


def _turned_away(refusals: list[RefusalEvent]) -> dict[str, Any]:
    codes = Counter(r.code for r in refusals)
    return {"total": sum(codes.values()), "by_code": dict(sorted(codes.items()))}


def _waiting_line(entries: list[QueueEntry]) -> dict[str, Any]:
    states = Counter(e.state for e in entries)
    waits = [
        (e.offered_at - e.joined_at).total_seconds() / 60
        for e in entries
        if e.offered_at is not None
    ]
    p50, p90 = percentile(waits, 0.5), percentile(waits, 0.9)
    return {
        "queued": len(entries),
        "served": states["served"],
        "left": states["left"],
        "offers_expired": states["expired"],
        "closed": states["closed"],
        "wait_p50_minutes": round(p50, 1) if p50 is not None else None,
        "wait_p90_minutes": round(p90, 1) if p90 is not None else None,
        "wait_max_minutes": round(max(waits), 1) if waits else None,
    }


def _faces(values: Iterable[int | None]) -> dict[str, int]:
    counts = Counter(v for v in values if v is not None)
    return {str(face): counts[face] for face in SURVEY_FACES}


def _survey(surveys: list[Survey], *, comments: bool) -> dict[str, Any]:
    answered = [s for s in surveys if s.state == "answered"]
    out: dict[str, Any] = {
        "answered": len(answered),
        "skipped": sum(s.state == "skipped" for s in surveys),
        "before_only": sum(s.state == "before" for s in surveys),
        "suppressed": len(answered) < MIN_GROUP,
        "feel_before": None,
        "feel_after": None,
        "change": None,
        "again": None,
        "comments": None,
    }
    if out["suppressed"]:
        return out  # too few to stay anonymous
    both = [s for s in answered if s.feel_before is not None and s.feel_after is not None]
    again = Counter(s.again for s in answered if s.again is not None)
    out.update(
        feel_before=_faces(s.feel_before for s in answered),
        feel_after=_faces(s.feel_after for s in answered),
        change={
            "better": sum(s.feel_after > s.feel_before for s in both),  # type: ignore[operator]
            "same": sum(s.feel_after == s.feel_before for s in both),
            "worse": sum(s.feel_after < s.feel_before for s in both),  # type: ignore[operator]
        },
        again={key: again[key] for key in SURVEY_AGAIN},
    )
    if comments:
        # Sorted by day and text, never by submission: the order tells nothing of who or when.
        out["comments"] = sorted(
            ({"day": s.day.isoformat(), "text": s.comment} for s in answered if s.comment),
            key=lambda row: (row["day"], row["text"]),
        )
    return out


def _group(
    data: Data,
    *,
    audience: str | None = None,
    kind: str | None = None,
    days: tuple[date, date] | None = None,
    ctx: Context,
) -> dict[str, Any]:
    def in_days(day: date) -> bool:
        return days is None or days[0] <= day <= days[1]

    rules = ctx.rules
    items = [
        i
        for i in data.items
        if (audience is None or i.audience == audience)
        and (kind is None or i.kind == kind)
        and in_days(local_day(i.c.starts_at, rules))
    ]
    surveys = [
        s
        for s in data.surveys
        if (audience is None or s.audience == audience)
        and (kind is None or s.mentor_kind == kind)
        and in_days(s.day)
    ]
    out = _consultations(items, data.topic_keys)
    if kind is None:
        out["turned_away"] = _turned_away(
            [
                r
                for r in data.refusals
                if (audience is None or r.audience == audience) and in_days(local_day(r.at, rules))
            ]
        )
        out["waiting_line"] = _waiting_line(
            [
                e
                for e in data.queue
                if (audience is None or e.audience == audience)
                and in_days(local_day(e.joined_at, rules))
            ]
        )
    else:
        out["turned_away"] = None
        out["waiting_line"] = None
    out["survey"] = _survey(surveys, comments=True)
    return out


def _groups(data: Data, ctx: Context, days: tuple[date, date] | None) -> dict[str, Any]:
    return {
        "total": _group(data, days=days, ctx=ctx),
        "by_audience": {a: _group(data, audience=a, days=days, ctx=ctx) for a in AUDIENCES},
        "by_kind": {k: _group(data, kind=k, days=days, ctx=ctx) for k in MENTOR_KINDS},
    }


def _months(start: date, end: date) -> list[tuple[str, date, date]]:
    out = []
    first = start.replace(day=1)
    while first <= end:
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append((first.strftime("%Y-%m"), max(first, start), min(following - timedelta(1), end)))
        first = following
    return out


async def report(
    ctx: Context,
    principal: Principal | None,
    *,
    first: object = None,
    last: object = None,
    month: object = None,
) -> dict[str, Any]:
    """The report of a period (supervisors only); see the module docstring."""
    require_staff(principal, supervisor=True)
    await ctx.refusals.flush()  # include what happened in the last second
    start, end = check_period(ctx, first, last, month)
    await seed_topics(ctx)  # every topic of the taxonomy appears, even before any record
    data = await _load(ctx, start, end)
    async with ctx.db.read() as s:
        labels = {
            t.key: {"ja": t.label_ja, "en": t.label_en}
            for t in (await s.execute(select(RecordTopic))).scalars().all()
        }
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "min_group": MIN_GROUP,
        "topic_labels": labels,
        **_groups(data, ctx, None),
        "months": [
            {
                "month": name,
                "from": a.isoformat(),
                "to": b.isoformat(),
                **_groups(data, ctx, (a, b)),
            }
            for name, a, b in _months(start, end)
        ],
    }


# -- CSV: one figure a row (period, group, figure, value), for a spreadsheet's pivot table ---

CSV_HEADER = ["period", "group", "figure", "value"]


def _flat(prefix: str, node: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _flat(f"{prefix}.{key}" if prefix else key, value)
    elif isinstance(node, list):
        return  # survey comments stay in the supervisors' JSON and page, never in a file
    else:
        yield prefix, node


def _group_rows(period: str, body: dict[str, Any]) -> Iterable[list[Any]]:
    groups = [("all", body["total"])]
    groups += [(f"audience:{a}", g) for a, g in body["by_audience"].items()]
    groups += [(f"kind:{k}", g) for k, g in body["by_kind"].items()]
    for name, group in groups:
        for figure, value in _flat("", group):
            if figure.startswith("survey.comments"):
                continue
            yield [period, name, figure, "" if value is None else value]


def as_csv(body: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(_group_rows(f"{body['from']}/{body['to']}", body))
    for month in body["months"]:
        writer.writerows(_group_rows(month["month"], month))
    return out.getvalue()
