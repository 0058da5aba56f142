"""The waiting line over HTTP: a client's own place, and the whole line for headquarters."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import Context, queue
from app.actions.events import iso, queue_place
from app.contract import schemas as s
from app.contract.spec import endpoint
from app.web.auth import context, read_json, signed_in


def _place(ctx: Context, place: queue.Place | None) -> dict[str, Any] | None:
    return queue_place(ctx, place) if place is not None else None


@endpoint(
    "Wait in line for a mentor, a kind, or anyone",
    "client",
    s.obj({"queue": s.nullable(s.QUEUE_PLACE)}),
    status=201,
    body=s.QUEUE_JOIN,
    errors=(
        "already_waiting",
        "message_too_long",
        "mentor_inactive",
        "wrong_audience",
        "outside_hours",
        "client_busy",
        "mentor_off_shift",
        "not_found",
        "busy_try_again",
    ),
)
async def join(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    place = await queue.do_join_queue(
        ctx,
        principal,
        mentor_id=body.get("mentor_id"),
        kind=body.get("kind"),
        message=body.get("message"),
    )
    return JSONResponse({"queue": _place(ctx, place)}, 201)


@endpoint("The client's place in line", "client", s.obj({"queue": s.nullable(s.QUEUE_PLACE)}))
async def mine(request: Request) -> JSONResponse:
    ctx = context(request)
    place = await queue.my_place(ctx, await signed_in(request))
    body = _place(ctx, place)
    if place is not None and body is not None:
        body["message"] = place.entry.first_message  # the client's own words, to edit
    return JSONResponse({"queue": body})


@endpoint(
    "Save the first message written while waiting",
    "client",
    s.obj({"queue": s.nullable(s.QUEUE_PLACE)}),
    body=s.QUEUE_MESSAGE,
    errors=("not_waiting", "message_too_long"),
)
async def set_message(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    place = await queue.do_set_first_message(ctx, principal, body.get("message"))
    return JSONResponse({"queue": _place(ctx, place)})


@endpoint(
    "Leave the line", "client", s.obj({"queue": s.nullable(s.QUEUE_PLACE)}), errors=("not_waiting",)
)
async def leave(request: Request) -> JSONResponse:
    ctx = context(request)
    place = await queue.do_leave_queue(ctx, await signed_in(request))
    return JSONResponse({"queue": _place(ctx, place)})


@endpoint(
    "The whole waiting line",
    "supervisor",
    s.obj(
        {
            "lines": s.INT,
            "offer_seconds": s.INT,
            "now": s.TIME,
            "entries": s.array(s.QUEUE_PLACE),
        }
    ),
)
async def staff_list(request: Request) -> JSONResponse:
    ctx = context(request)
    places, lines = await queue.staff_queue(ctx, await signed_in(request))
    now = ctx.now()
    return JSONResponse(
        {
            "lines": lines,
            "offer_seconds": ctx.settings.queue_offer_seconds,
            "now": iso(ctx, now),
            "entries": [
                {
                    **queue_place(ctx, p),
                    "client": {"id": p.entry.client_id, "nickname": p.nickname},
                    "audience": p.entry.audience,
                    "waited_minutes": int((now - p.entry.joined_at).total_seconds() // 60),
                }
                for p in places
            ],
        }
    )


ROUTES = [
    Route("/api/queue", join, methods=["POST"]),
    Route("/api/queue", mine, methods=["GET"]),
    Route("/api/queue", set_message, methods=["PATCH"]),
    Route("/api/queue", leave, methods=["DELETE"]),
    Route("/api/staff/queue", staff_list, methods=["GET"]),
]
