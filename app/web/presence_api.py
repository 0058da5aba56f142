"""Who could take a consultation, and handing it over: the client's switch after an absence,
headquarters' reassignment, and a mentor's upcoming work (to move it before stopping them)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import Context, handover, staff
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import endpoint
from app.web import shapes
from app.web.auth import context, read_json, signed_in

HANDOVER_ERRORS = (
    "not_reassignable",
    "switch_not_offered",
    "mentor_inactive",
    "wrong_audience",
    "mentor_busy",
    "mentor_off_shift",
    "mentor_resting",
    "no_free_line",
    "consultation_closed",
    "busy_try_again",
)


def _cid(request: Request) -> int:
    return path_id(request.path_params["consultation_id"], "consultation_id")


def _alternative(a: handover.Alternative) -> dict[str, Any]:
    return {**shapes.mentor(a.mentor), "same_kind": a.same_kind}


def _reassigned(ctx: Context, done: handover.Reassigned) -> dict[str, Any]:
    return {
        "consultation": shapes.consultation(done.consultation, done.mentor, ctx.rules),
        "previous_mentor_id": done.previous_mentor_id,
        "reason": done.reason,
    }


@endpoint(
    "Mentors who could take this consultation now",
    "signed_in",
    s.obj({"consultation_id": s.ID, "mentors": s.array(s.ALTERNATIVE)}),
    errors=("not_reassignable", "consultation_closed"),
)
async def alternatives(request: Request) -> JSONResponse:
    ctx = context(request)
    found = await handover.alternatives(ctx, await signed_in(request), _cid(request))
    return JSONResponse(
        {"consultation_id": _cid(request), "mentors": [_alternative(a) for a in found]}
    )


@endpoint(
    "The client switches to another mentor after an absence",
    "client",
    s.REASSIGNED,
    body=s.SWITCH,
    errors=HANDOVER_ERRORS,
)
async def switch(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    done = await handover.do_switch(ctx, principal, _cid(request), mentor_id=body.get("mentor_id"))
    return JSONResponse(_reassigned(ctx, done))


@endpoint(
    "Headquarters hands a consultation to another mentor",
    "supervisor",
    s.REASSIGNED,
    body=s.REASSIGN,
    errors=HANDOVER_ERRORS,
)
async def reassign(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    done = await handover.do_reassign(
        ctx, principal, _cid(request), mentor_id=body.get("mentor_id"), note=body.get("note")
    )
    return JSONResponse(_reassigned(ctx, done))


@endpoint(
    "A mentor's upcoming and open consultations",
    "supervisor",
    s.obj({"mentor_id": s.ID, "consultations": s.array(s.STAFF_CONSULTATION)}),
)
async def mentor_upcoming(request: Request) -> JSONResponse:
    ctx = context(request)
    mentor_id = path_id(request.path_params["mentor_id"], "mentor_id")
    rows = await staff.upcoming_of_mentor(ctx, await signed_in(request), mentor_id)
    return JSONResponse(
        {
            "mentor_id": mentor_id,
            "consultations": [
                shapes.staff_consultation(c, m, cl, ctx.rules, h, r) for c, m, cl, h, r in rows
            ],
        }
    )


ROUTES = [
    Route("/api/consultations/{consultation_id}/alternatives", alternatives, methods=["GET"]),
    Route("/api/consultations/{consultation_id}/switch", switch, methods=["POST"]),
    Route("/api/staff/consultations/{consultation_id}/alternatives", alternatives, methods=["GET"]),
    Route("/api/staff/consultations/{consultation_id}/reassign", reassign, methods=["POST"]),
    Route("/api/staff/mentors/{mentor_id}/consultations", mentor_upcoming, methods=["GET"]),
]
