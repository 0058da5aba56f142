"""Headquarters: mentors, shifts and line capacity (supervisors only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import roster
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import Query, endpoint
from app.db.tables import Mentor
from app.web import shapes
from app.web.auth import context, read_json, signed_in


def _mentor(m: Mentor) -> dict[str, object]:
    return {
        **shapes.mentor(m),
        "active": m.active,
        "max_per_day": m.max_per_day,
        "max_per_shift": m.max_per_shift,
    }


@endpoint("Every mentor, active or not", "supervisor", s.obj({"mentors": s.array(s.ROSTER_MENTOR)}))
async def list_mentors(request: Request) -> JSONResponse:
    mentors = await roster.all_mentors(context(request), await signed_in(request))
    return JSONResponse({"mentors": [_mentor(m) for m in mentors]})


@endpoint(
    "Add a mentor",
    "supervisor",
    s.obj({"mentor": s.ROSTER_MENTOR}),
    status=201,
    body=s.MENTOR_CREATE,
)
async def create_mentor(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    mentor = await roster.do_create_mentor(ctx, principal, await read_json(request))
    return JSONResponse({"mentor": _mentor(mentor)}, 201)


@endpoint(
    "Change or stop a mentor",
    "supervisor",
    s.obj({"mentor": s.ROSTER_MENTOR}),
    body=s.MENTOR_UPDATE,
    errors=("mentor_has_bookings",),
)
async def update_mentor(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    mentor_id = path_id(request.path_params["mentor_id"], "mentor_id")
    mentor = await roster.do_update_mentor(ctx, principal, mentor_id, await read_json(request))
    return JSONResponse({"mentor": _mentor(mentor)})


@endpoint(
    "The shifts of one day",
    "supervisor",
    s.obj({"date": s.DAY, "shifts": s.array(s.SHIFT_VIEW)}),
    query=(Query("date", s.DAY),),
)
async def list_shifts(request: Request) -> JSONResponse:
    ctx = context(request)
    day, shifts = await roster.shifts_of_day(
        ctx, await signed_in(request), request.query_params.get("date")
    )
    return JSONResponse(
        {"date": day.isoformat(), "shifts": [roster.shift_view(s, ctx) for s in shifts]}
    )


@endpoint(
    "Add a shift",
    "supervisor",
    s.obj({"shift": s.SHIFT_VIEW}),
    status=201,
    body=s.SHIFT,
    errors=("outside_hours", "shift_overlap", "mentor_inactive"),
)
async def add_shift(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    shift = await roster.do_add_shift(ctx, principal, await read_json(request))
    return JSONResponse({"shift": roster.shift_view(shift, ctx)}, 201)


@endpoint("Remove a shift", "supervisor", s.obj({"removed": s.ID}), errors=("shift_in_use",))
async def remove_shift(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    shift_id = path_id(request.path_params["shift_id"], "shift_id")
    await roster.do_remove_shift(ctx, principal, shift_id)
    return JSONResponse({"removed": shift_id})


@endpoint("How many lines are open", "supervisor", s.CAPACITY_VIEW)
async def get_settings(request: Request) -> JSONResponse:
    ctx = context(request)
    lines = await roster.capacity(ctx, await signed_in(request))
    return JSONResponse({"lines": lines, "default_lines": ctx.rules.lines})


@endpoint(
    "Set how many lines are open",
    "supervisor",
    s.CAPACITY_VIEW,
    body=s.CAPACITY,
    errors=("capacity_in_use", "busy_try_again"),
)
async def put_settings(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    lines = await roster.do_set_capacity(ctx, principal, body.get("lines"))
    return JSONResponse({"lines": lines, "default_lines": ctx.rules.lines})


ROUTES = [
    Route("/api/staff/mentors", list_mentors, methods=["GET"]),
    Route("/api/staff/mentors", create_mentor, methods=["POST"]),
    Route("/api/staff/mentors/{mentor_id}", update_mentor, methods=["PATCH"]),
    Route("/api/staff/shifts", list_shifts, methods=["GET"]),
    Route("/api/staff/shifts", add_shift, methods=["POST"]),
    Route("/api/staff/shifts/{shift_id}", remove_shift, methods=["DELETE"]),
    Route("/api/staff/settings", get_settings, methods=["GET"]),
    Route("/api/staff/settings", put_settings, methods=["PUT"]),
]
