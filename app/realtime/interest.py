"""Which process has subscribers for which topic, kept in PostgreSQL and tied to sessions.

Each process has its own NOTIFY channel, named after its origin. Its LISTEN connection owns a
row in yorisoi_listener (that connection's backend pid and start time) and, for every topic
this process has a subscriber for, a row in yorisoi_interest. A publisher looks up, after its
change is committed, which other channels want the topics of what it publishes, and NOTIFYs
only those: nothing at all when every subscriber is local.

The rows describe live sessions only, so they are not data and not in the migrations: both
tables are UNLOGGED (a crash empties them, as it ends every session) and created here if
missing. A process that dies leaves rows whose pid and start time no longer match any backend
in pg_stat_activity; every process sweeps those away (with their interest, ON DELETE
CASCADE) when it starts listening and every SWEEP_SECONDS.
"""

from __future__ import annotations

import asyncpg

SCHEMA_LOCK = 0x5930_7152  # serialises CREATE TABLE IF NOT EXISTS at concurrent starts
SWEEP_SECONDS = 30.0

SCHEMA = """
CREATE UNLOGGED TABLE IF NOT EXISTS yorisoi_listener (
    channel text PRIMARY KEY,
    pid integer NOT NULL,
    backend_start timestamptz NOT NULL
);
CREATE UNLOGGED TABLE IF NOT EXISTS yorisoi_interest (
    topic text NOT NULL,
    channel text NOT NULL REFERENCES yorisoi_listener ON DELETE CASCADE,
    PRIMARY KEY (topic, channel)
);
"""

CLAIM = """
INSERT INTO yorisoi_listener (channel, pid, backend_start)
SELECT $1, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()
ON CONFLICT (channel) DO UPDATE SET pid = excluded.pid, backend_start = excluded.backend_start
"""

SWEEP = """
DELETE FROM yorisoi_listener l
WHERE NOT EXISTS (
    SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.pid AND a.backend_start = l.backend_start
)
"""

ADD = """
INSERT INTO yorisoi_interest (topic, channel)
SELECT t, $2 FROM unnest($1::text[]) AS t ON CONFLICT DO NOTHING
"""

DROP = "DELETE FROM yorisoi_interest WHERE channel = $2 AND topic = ANY($1::text[])"

ROUTE = """
SELECT topic, channel FROM yorisoi_interest WHERE topic = ANY($1::text[]) AND channel <> $2
"""

# The route and its NOTIFY in one statement, for a batch that fits in one payload: each other
# channel that wants any of an item's topics is sent the items it wants, once each, in order.
# $1/$2: (item position, topic) pairs; $3: our own channel; $4: the payload's head (origin);
# $5: the encoded items, by position (1-based).
ROUTE_AND_NOTIFY = """
WITH t AS (
  SELECT * FROM unnest($1::integer[], $2::text[]) AS t(i, topic)
), c AS (
  SELECT DISTINCT t.i, x.channel
    FROM t JOIN yorisoi_interest x ON x.topic = t.topic AND x.channel <> $3
)
SELECT c.channel, pg_notify(c.channel, $4 || '[' || string_agg(b.body, ',' ORDER BY c.i) || ']')
  FROM c JOIN unnest($5::text[]) WITH ORDINALITY AS b(body, i) ON b.i = c.i
 GROUP BY c.channel
"""


def channel_of(origin: str) -> str:
    return f"yorisoi_{origin}"


async def ensure_schema(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await conn.execute(SCHEMA)


async def claim(conn: asyncpg.Connection, channel: str) -> None:
    """Run on the LISTEN connection itself: the channel lives as long as this session."""
    await conn.execute(CLAIM, channel)


async def sweep(conn: asyncpg.Connection) -> int:
    """Forget the channels (and their interest) of sessions that no longer exist."""
    status = await conn.execute(SWEEP)
    return int(status.split()[-1])


async def update(conn: asyncpg.Connection, channel: str, add: list[str], drop: list[str]) -> None:
    async with conn.transaction():
        if add:
            await conn.execute(ADD, add, channel)
        if drop:
            await conn.execute(DROP, drop, channel)


async def route(
    conn: asyncpg.Connection, topics: list[str], own_channel: str
) -> dict[str, list[str]]:
    """topic -> the other processes' channels that have a subscriber for it."""
    found: dict[str, list[str]] = {}
    for topic, channel in await conn.fetch(ROUTE, topics, own_channel):
        found.setdefault(topic, []).append(channel)
    return found


async def route_and_notify(
    conn: asyncpg.Connection,
    origin: str,
    topics: list[list[str]],
    items: list[bytes],
    own_channel: str,
) -> int:
    """NOTIFY every other channel that wants some of the items (which fit in one payload) the
    ones it wants, in one round trip; returns how many channels were notified."""
    positions = [i for i, item_topics in enumerate(topics, start=1) for _ in item_topics]
    flat = [t for item_topics in topics for t in item_topics]
    bodies = [item.decode() for item in items]
    rows = await conn.fetch(ROUTE_AND_NOTIFY, positions, flat, own_channel, origin, bodies)
    return len(rows)
