"""GET /healthz: 200 when the service and its database answer, 503 otherwise."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.contract import schemas as s
from app.contract.spec import endpoint
from app.web.auth import context


@endpoint(
    "Liveness and database check",
    "none",
    s.obj(
        {
            "status": s.enum(["ok"]),
            "database": s.enum(["sqlite", "postgresql"]),
            "now": s.TIME,
            "scheduler": s.BOOL,
        }
    ),
    other_responses={503: s.obj({"status": s.enum(["unavailable"]), "database": s.enum(["down"])})},
)
async def healthz(request: Request) -> JSONResponse:
    ctx = context(request)
    try:
        async with asyncio.timeout(3):
            async with ctx.db.read() as s:
                await s.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse(
        {
            "status": "ok",
            "database": "sqlite" if ctx.db.is_sqlite else "postgresql",
            "now": ctx.now().astimezone(ctx.rules.tz).isoformat(),
            "scheduler": request.app.state.jobs.running,  # true in exactly one process
        }
    )
