"""The mentor's chat tools: handing the client to another mentor with their agreement, and
headquarters' canned replies (定型文)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import Context, canned, handover_requests
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import Query, endpoint
from app.db.tables import CANNED_CATEGORIES, HANDOVER_REQUEST_STATES, CannedReply
from app.web.auth import context, read_json, signed_in

# -- schemas (requests take the limits the actions check) --------------------------------

NOTE = {"type": "string", "minLength": 1, "maxLength": handover_requests.MAX_NOTE}
HANDOVER_REQUEST = s.body(
    {"mentor_id": s.ID, "mode": s.enum(("now", "booking")), "note": NOTE}, {"start": s.TIME}
)
ANSWER = s.body({"accept": s.BOOL})
REQUEST_MENTOR = s.obj({"id": s.ID, "display_name": s.STR, "kind": s.STR})
REQUEST_VIEW = s.obj(
    {
        "id": s.ID,
        "consultation_id": s.ID,
        "mode": s.enum(("now", "booking")),
        "state": s.enum(HANDOVER_REQUEST_STATES),
        "mentor": REQUEST_MENTOR,
        "starts_at": s.nullable(s.TIME),
        "created_at": s.TIME,
        "answered_at": s.nullable(s.TIME),
        "booking_id": s.nullable(s.ID),
    }
)
STAFF_REQUEST_VIEW = {
    "allOf": [
        REQUEST_VIEW,
        s.obj(
            {"note": s.STR, "from_mentor": s.nullable(s.obj({"id": s.ID, "display_name": s.STR}))}
        ),
    ]
}
AUDIENCE = s.enum(("child", "parent", "both"))
CATEGORY = s.enum(CANNED_CATEGORIES)
TITLE = {"type": "string", "minLength": 1, "maxLength": canned.MAX_TITLE, "pattern": r"\S"}
TEXT = {"type": "string", "minLength": 1, "maxLength": canned.MAX_TEXT, "pattern": r"\S"}
CANNED_FIELDS = {
    "audience": AUDIENCE,
    "language": s.LANGUAGE,
    "category": CATEGORY,
    "title": TITLE,
    "text": TEXT,
}
CANNED_CREATE = s.body(CANNED_FIELDS)
CANNED_UPDATE = {**s.body({}, CANNED_FIELDS), "minProperties": 1}
CANNED_VIEW = s.obj({"id": s.ID, **CANNED_FIELDS, "updated_at": s.TIME})

HANDOVER_ERRORS = (
    "consultation_closed",
    "handover_request_pending",
    "mentor_inactive",
    "wrong_audience",
    "mentor_off_shift",
    "mentor_busy",
    "mentor_resting",
    "mentor_limit_reached",
    "slot_taken",
    "no_free_line",
    "limit_reached",
    "client_busy",
    "invalid_slot",
    "in_the_past",
    "too_far_ahead",
)
ANSWER_ERRORS = (
    "handover_request_closed",
    "not_reassignable",
    "mentor_inactive",
    "wrong_audience",
    "mentor_off_shift",
    "mentor_busy",
    "mentor_resting",
    "mentor_limit_reached",
    "slot_taken",
    "no_free_line",
    "limit_reached",
    "client_busy",
    "in_the_past",
    "too_far_ahead",
    "busy_try_again",
)


def _iso(ctx: Context, value: Any) -> str | None:
    return value.astimezone(ctx.rules.tz).isoformat() if value is not None else None


def _request(ctx: Context, v: handover_requests.RequestView, *, staff: bool) -> dict[str, Any]:
    r = v.request
    body: dict[str, Any] = {
        "id": r.id,
        "consultation_id": r.consultation_id,
        "mode": r.mode,
        "state": r.state,
        "mentor": {"id": v.to.id, "display_name": v.to.display_name, "kind": v.to.kind},
        "starts_at": _iso(ctx, r.starts_at),
        "created_at": _iso(ctx, r.created_at),
        "answered_at": _iso(ctx, r.answered_at),
        "booking_id": r.booking_id,
    }
    if staff:  # the note and who asked: staff only
        body["note"] = r.note
        body["from_mentor"] = (
            {"id": v.from_mentor.id, "display_name": v.from_mentor.display_name}
            if v.from_mentor is not None
            else None
        )
    return body


def _cid(request: Request) -> int:
    return path_id(request.path_params["consultation_id"], "consultation_id")


@endpoint(
    "The consultation's mentor asks the client to be handed to another mentor",
    "mentor",
    STAFF_REQUEST_VIEW,
    status=201,
    body=HANDOVER_REQUEST,
    errors=HANDOVER_ERRORS,
    description="mode now: the consultation is reassigned on the client's yes (same line, "
    "transcript and seq). mode booking: a follow-up booking with that mentor at `start`, made "
    "for the client on their yes under every booking rule. Nothing changes until the client "
    "answers; the note is for staff only.",
)
async def create_request(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    view = await handover_requests.do_request(
        ctx,
        principal,
        _cid(request),
        mentor_id=body.get("mentor_id"),
        mode=body.get("mode"),
        start=body.get("start"),
        note=body.get("note"),
    )
    return JSONResponse(_request(ctx, view, staff=True), status_code=201)


@endpoint(
    "A consultation's handover requests, with their notes (staff)",
    "staff",
    s.obj({"requests": s.array(STAFF_REQUEST_VIEW)}),
)
async def staff_requests(request: Request) -> JSONResponse:
    ctx = context(request)
    views = await handover_requests.requests_of(ctx, await signed_in(request), _cid(request))
    return JSONResponse({"requests": [_request(ctx, v, staff=True) for v in views]})


@endpoint(
    "The handover question waiting for the client's answer, if any",
    "client",
    s.obj({"requests": s.array(REQUEST_VIEW)}),
)
async def client_requests(request: Request) -> JSONResponse:
    ctx = context(request)
    views = await handover_requests.requests_of(ctx, await signed_in(request), _cid(request))
    return JSONResponse({"requests": [_request(ctx, v, staff=False) for v in views]})


@endpoint(
    "The client answers a handover request: yes hands over (or books), no changes nothing",
    "client",
    REQUEST_VIEW,
    body=ANSWER,
    errors=ANSWER_ERRORS,
)
async def answer(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    view = await handover_requests.do_answer(
        ctx,
        principal,
        _cid(request),
        path_id(request.path_params["request_id"], "request_id"),
        accept=body.get("accept"),
    )
    return JSONResponse(_request(ctx, view, staff=False))


def _reply(ctx: Context, r: CannedReply) -> dict[str, Any]:
    return {
        "id": r.id,
        "audience": r.audience,
        "language": r.language,
        "category": r.category,
        "title": r.title,
        "text": r.text,
        "updated_at": _iso(ctx, r.updated_at),
    }


@endpoint(
    "Canned replies (定型文) for the composer",
    "staff",
    s.obj({"replies": s.array(CANNED_VIEW)}),
    query=(
        Query("audience", AUDIENCE, "child or parent: also the replies for both."),
        Query("language", s.LANGUAGE),
    ),
)
async def list_replies(request: Request) -> JSONResponse:
    ctx = context(request)
    found = await canned.replies(
        ctx,
        await signed_in(request),
        audience=request.query_params.get("audience") or None,
        language=request.query_params.get("language") or None,
    )
    return JSONResponse({"replies": [_reply(ctx, r) for r in found]})


@endpoint(
    "Headquarters adds a canned reply", "supervisor", CANNED_VIEW, status=201, body=CANNED_CREATE
)
async def create_reply(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    reply = await canned.do_create(ctx, principal, await read_json(request))
    return JSONResponse(_reply(ctx, reply), status_code=201)


@endpoint("Headquarters changes a canned reply", "supervisor", CANNED_VIEW, body=CANNED_UPDATE)
async def update_reply(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    reply_id = path_id(request.path_params["reply_id"], "reply_id")
    reply = await canned.do_update(ctx, principal, reply_id, await read_json(request))
    return JSONResponse(_reply(ctx, reply))


@endpoint("Headquarters deletes a canned reply", "supervisor", s.obj({"removed": s.ID}))
async def delete_reply(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    reply_id = path_id(request.path_params["reply_id"], "reply_id")
    await canned.do_delete(ctx, principal, reply_id)
    return JSONResponse({"removed": reply_id})


ROUTES = [
    Route(
        "/api/staff/consultations/{consultation_id}/handover-requests",
        create_request,
        methods=["POST"],
    ),
    Route(
        "/api/staff/consultations/{consultation_id}/handover-requests",
        staff_requests,
        methods=["GET"],
    ),
    Route(
        "/api/consultations/{consultation_id}/handover-requests", client_requests, methods=["GET"]
    ),
    Route(
        "/api/consultations/{consultation_id}/handover-requests/{request_id}",
        answer,
        methods=["POST"],
    ),
    Route("/api/staff/canned-replies", list_replies, methods=["GET"]),
    Route("/api/staff/canned-replies", create_reply, methods=["POST"]),
    Route("/api/staff/canned-replies/{reply_id}", update_reply, methods=["PATCH"]),
    Route("/api/staff/canned-replies/{reply_id}", delete_reply, methods=["DELETE"]),
]
