"""The gauges that are facts of the database, read when /metrics is scraped.

Read here, not counted in memory, so they are right whichever process answers: five small
indexed queries per scrape. If the database does not answer within 3 seconds the scrape still
succeeds, with `yorisoi_database_up 0` and none of these gauges.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlmodel import col

from app.actions import Context
from app.actions.occupancy import current_lines
from app.db.tables import Consultation, CrisisAlert, LineHold, QueueEntry
from app.rules.capacity import current_tick

FACTS_TIMEOUT = 3.0


async def read_facts(ctx: Context) -> CollectorRegistry:
    families: list[GaugeMetricFamily] = []
    up = GaugeMetricFamily("yorisoi_database_up", "1 when the database answered this scrape.")
    try:
        async with asyncio.timeout(FACTS_TIMEOUT), ctx.db.read() as s:
            capacity = await current_lines(s, ctx.rules.lines)
            in_use = await s.scalar(
                select(func.count())
                .select_from(LineHold)
                .where(col(LineHold.tick) == current_tick(ctx.now()))
            )
            queue: dict[str, int] = dict(
                (
                    await s.execute(
                        select(col(QueueEntry.state), func.count())
                        .where(col(QueueEntry.state).in_(("waiting", "offered")))
                        .group_by(col(QueueEntry.state))
                    )
                ).all()
            )
            open_now = await s.scalar(
                select(func.count())
                .select_from(Consultation)
                .where(col(Consultation.status) == "open")
            )
            alerts: dict[str, int] = dict(
                (
                    await s.execute(
                        select(col(CrisisAlert.kind), func.count())
                        .where(col(CrisisAlert.acknowledged_at).is_(None))
                        .group_by(col(CrisisAlert.kind))
                    )
                ).all()
            )
    except Exception:  # noqa: BLE001 - a scrape never fails because the database did
        up.add_metric([], 0)
        return _registry([up])
    up.add_metric([], 1)
    families.append(up)
    families.append(_gauge("yorisoi_lines_capacity", "Line capacity in force.", capacity))
    families.append(
        _gauge("yorisoi_lines_in_use", "Lines held now (open or starting consultations).", in_use)
    )
    families.append(
        _gauge(
            "yorisoi_waiting_line_length",
            "Clients waiting in the waiting line.",
            queue.get("waiting", 0),
        )
    )
    families.append(
        _gauge(
            "yorisoi_waiting_line_offered",
            "Lines offered from the waiting line, not yet taken.",
            queue.get("offered", 0),
        )
    )
    families.append(_gauge("yorisoi_consultations_open", "Consultations open now.", open_now))
    unacknowledged = GaugeMetricFamily(
        "yorisoi_alerts_unacknowledged",
        "Alerts headquarters has not acknowledged yet, by kind.",
        labels=["kind"],
    )
    for kind in sorted({"crisis", "mentor_absent", "line_undelivered", *alerts}):
        unacknowledged.add_metric([kind], alerts.get(kind, 0))
    families.append(unacknowledged)
    return _registry(families)


def _gauge(name: str, documentation: str, value: object) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value or 0))  # type: ignore[arg-type]


class _Fixed(Collector):
    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return iter(self.families)


def _registry(families: list[GaugeMetricFamily]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families))
    return registry
