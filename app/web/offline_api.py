"""The installable web app: its service worker, and a booking as a calendar file.

GET /sw.js is frontend/sw.js with two things filled in at the first request: the list of
files to keep for offline use (the shell pages and every file under frontend/assets) and a
version made from their contents, so a new release replaces the old cache on the next visit.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.actions import calendar
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import Query, endpoint
from app.errors import Refusal
from app.web.auth import context, signed_in
from app.web.pages import FRONTEND

# Pages the worker keeps: the client faces and the mentor console (never /admin/).
SHELL_PAGES = ("/", "/child/", "/mentor/")
# Public data the offline faces need: the help directory for each audience.
PUBLIC_DATA = ("/api/help?audience=child", "/api/help?audience=parent")


@cache
def service_worker() -> str:
    assets = sorted(p for p in (FRONTEND / "assets").rglob("*") if p.is_file())
    pages = [FRONTEND / "parent" / "index.html", FRONTEND / "child" / "index.html"]
    pages.append(FRONTEND / "mentor" / "index.html")
    template = (FRONTEND / "sw.js").read_text(encoding="utf-8")
    digest = hashlib.sha256(template.encode())
    for path in [*pages, *assets]:
        digest.update(path.relative_to(FRONTEND).as_posix().encode())
        digest.update(path.read_bytes())
    shell = [*SHELL_PAGES, *(f"/{p.relative_to(FRONTEND).as_posix()}" for p in assets)]
    return (
        template.replace('"__VERSION__"', json.dumps(digest.hexdigest()[:16]))
        .replace('["__SHELL__"]', json.dumps(shell))
        .replace('["__PUBLIC_DATA__"]', json.dumps(list(PUBLIC_DATA)))
    )


@endpoint(
    "The service worker that makes the client faces and the mentor console installable",
    "none",
    s.STR,
    media_type="text/javascript",
)
async def worker(request: Request) -> Response:
    # no-cache: the browser asks every time, so a new release is seen on the next visit.
    return Response(
        service_worker(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@endpoint(
    "One of the client's bookings as a calendar file (neutral title, 10-minute reminder)",
    "client",
    s.STR,
    media_type="text/calendar",
    query=(Query("lang", s.enum(sorted(calendar.TITLES))),),
)
async def booking_calendar(request: Request) -> Response:
    ctx = context(request)
    principal = await signed_in(request)
    cid = path_id(request.path_params["booking_id"], "booking_id")
    c = await calendar.own_booking(ctx, principal, cid)
    lang = request.query_params.get("lang", "ja")
    if lang not in calendar.TITLES:
        raise Refusal("invalid_input", field="lang")
    body = calendar.ics_event(c, lang=lang, now=ctx.now(), salt=ctx.settings.secret_key)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="event.ics"'},
    )


ROUTES = [
    Route("/sw.js", worker, methods=["GET"]),
    Route("/api/bookings/{booking_id}/calendar.ics", booking_calendar, methods=["GET"]),
]
