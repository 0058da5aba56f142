"""Mentor well-being: a mentor's own cool-down, headquarters' view of every mentor's load."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import wellbeing
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import endpoint
from app.web import shapes
from app.web.auth import context, signed_in


@endpoint("My cool-down, if one is running (mentor console banner)", "staff", s.REST_VIEW)
async def my_rest(request: Request) -> JSONResponse:
    ctx = context(request)
    rest = await wellbeing.my_rest(ctx, await signed_in(request))
    return JSONResponse({"resting_until": shapes.iso(rest.until, ctx.rules), "reason": rest.reason})


@endpoint(
    "Each mentor's load today and this week, limits and cool-down",
    "supervisor",
    s.obj({"mentors": s.array(s.MENTOR_LOAD)}),
)
async def mentor_load(request: Request) -> JSONResponse:
    ctx = context(request)
    loads = await wellbeing.mentor_loads(ctx, await signed_in(request))
    return JSONResponse(
        {
            "mentors": [
                {
                    "mentor_id": x.mentor.id,
                    "display_name": x.mentor.display_name,
                    "active": x.mentor.active,
                    "today": {"consultations": x.today_count, "minutes": x.today_minutes},
                    "week": {"consultations": x.week_count, "minutes": x.week_minutes},
                    "resting_until": shapes.iso(x.resting_until, ctx.rules),
                    "max_per_day": x.max_per_day,
                    "max_per_shift": x.max_per_shift,
                }
                for x in loads
            ]
        }
    )


@endpoint("End a mentor's cool-down early", "supervisor", s.obj({"mentor_id": s.ID}))
async def end_rest(request: Request) -> JSONResponse:
    ctx = context(request)
    mentor_id = path_id(request.path_params["mentor_id"], "mentor_id")
    await wellbeing.do_end_rest(ctx, await signed_in(request), mentor_id)
    return JSONResponse({"mentor_id": mentor_id})


ROUTES = [
    Route("/api/staff/me/rest", my_rest, methods=["GET"]),
    Route("/api/staff/mentor-load", mentor_load, methods=["GET"]),
    Route("/api/staff/mentors/{mentor_id}/rest", end_rest, methods=["DELETE"]),
]
