"""Migrations go down and up again on both databases (the newest ones, with data in them)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.migrate import alembic_config, upgrade


async def _downgrade(url: str, revision: str) -> None:
    cfg = alembic_config(url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:

            def run(sync_conn: Connection) -> None:
                cfg.attributes["connection"] = sync_conn
                command.downgrade(cfg, revision)

            await conn.run_sync(run)
    finally:
        await engine.dispose()


async def test_line_event_pending_goes_down_to_0015_and_up_again(db_url: str) -> None:
    engine = create_async_engine(db_url)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO line_event (webhook_event_id, received_at, state, payload) "
                    "VALUES ('E1', :at, 'applied', NULL)"
                ),
                {"at": at},
            )
        await _downgrade(db_url, "0015")
        async with engine.connect() as conn:
            cols = await conn.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("line_event")]
            )
            assert "state" not in cols and "payload" not in cols
            ids = (await conn.execute(text("SELECT webhook_event_id FROM line_event"))).all()
            assert [r[0] for r in ids] == ["E1"]  # the ids stay: redeliveries still recognised
        await upgrade(db_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT webhook_event_id, state, payload FROM line_event"))
            ).all()
            assert [tuple(r) for r in rows] == [("E1", "applied", None)]  # old rows: applied
    finally:
        await engine.dispose()
