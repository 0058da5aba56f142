"""Every live socket of this process, so that one periodic check (and one account event)
closes the sockets of signed-out sessions and stopped accounts, instead of a timer per socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from app.actions import Context
from app.actions.accounts import gone_accounts, live_tokens
from app.realtime.hub import ACCOUNTS, Subscriber

if TYPE_CHECKING:
    from app.web.ws.endpoint import Connection

log = logging.getLogger("yorisoi.ws")
CLOSE_SIGNED_OUT = 4401
SESSION_RECHECK_SECONDS = 30.0


class ConnectionRegistry:
    def __init__(self) -> None:
        self.connections: set[Connection] = set()

    async def watch_sessions(self, ctx: Context, every: float = SESSION_RECHECK_SECONDS) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.close_revoked(ctx)
            except Exception as exc:  # noqa: BLE001 - try again next round
                log.warning("session check failed (%s)", type(exc).__name__)

    async def close_revoked(self, ctx: Context) -> int:
        """Close the sockets whose session, or whose account, may no longer act."""
        by_token: dict[str, list[Connection]] = {}
        for conn in self.connections:
            by_token.setdefault(conn.token, []).append(conn)
        closed = 0
        tokens = list(by_token)
        for start in range(0, len(tokens), 500):
            chunk = tokens[start : start + 500]
            valid = await live_tokens(ctx, chunk)
            for token in chunk:
                if token not in valid:
                    for conn in by_token[token]:
                        conn.kill(CLOSE_SIGNED_OUT)
                        closed += 1
        by_account: dict[str, list[Connection]] = {}
        for conn in self.connections:
            if conn.close_code is None:
                by_account.setdefault(conn.sub.key, []).append(conn)
        keys = list(by_account)
        for start in range(0, len(keys), 500):
            for key in await gone_accounts(ctx, set(keys[start : start + 500])):
                for conn in by_account[key]:
                    conn.kill(CLOSE_SIGNED_OUT)
                    closed += 1
        return closed

    async def watch_accounts(self, ctx: Context) -> None:
        """Act on account events from any process (ACCOUNTS topic): close the sockets of
        revoked logins and sessions at once, forget lifted lockouts."""
        sub = Subscriber("registry", 10_000)
        missed = False

        def overflowed() -> None:
            nonlocal missed
            missed = True

        sub.on_overflow = overflowed
        ctx.hub.subscribe(sub, ACCOUNTS)
        try:
            while True:
                event = await sub.queue.get()
                if missed:  # events were dropped: check every socket against the database
                    missed, sub.overflowed = False, False
                    with contextlib.suppress(Exception):
                        await self.close_revoked(ctx)
                self.on_account_event(ctx, event)
        finally:
            ctx.hub.unsubscribe(sub, ACCOUNTS)

    def on_account_event(self, ctx: Context, event: dict[str, Any]) -> int:
        if event.get("type") == "lockout_lifted" and isinstance(event.get("name"), str):
            ctx.throttle.lift(event["name"])
            return 0
        if event.get("type") != "revoked":
            return 0
        staff_ids = set(event.get("staff_ids") or ())
        session_ids = set(event.get("session_ids") or ())
        closed = 0
        for conn in list(self.connections):
            p = conn.principal
            if p.session_id in session_ids or (p.kind == "staff" and p.id in staff_ids):
                conn.kill(CLOSE_SIGNED_OUT)
                closed += 1
        return closed
