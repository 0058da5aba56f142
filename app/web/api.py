"""JSON API handlers: parse, call one action, shape the response."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import Context, accounts, booking, catalog, notes, staff, staff_accounts
from app.actions.events import message_event
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import Query, endpoint
from app.db.tables import MENTOR_KINDS, Client, MentorNote
from app.errors import Refusal
from app.rules import local_day
from app.web import shapes
from app.web.auth import (
    clear_session_cookie,
    client_address,
    context,
    current_principal,
    face_of,
    read_json,
    session_response,
    signed_in,
)

BOOKING_ERRORS = (
    "outside_hours",
    "in_the_past",
    "too_far_ahead",
    "invalid_slot",
    "no_free_line",
    "mentor_busy",
    "mentor_off_shift",
    "mentor_inactive",
    "wrong_audience",
    "slot_taken",
    "client_busy",
    "limit_reached",
    "busy_try_again",
    "mentor_resting",
    "mentor_limit_reached",
)
DAY_ERRORS = ("in_the_past", "too_far_ahead")


@endpoint("Service hours, lines, kinds and the UI's timings", "none", s.SERVICE)
async def service_info(request: Request) -> JSONResponse:
    ctx = context(request)
    r = ctx.rules
    now = ctx.now()
    return JSONResponse(
        {
            "now": shapes.iso(now, r),
            "today": local_day(now, r).isoformat(),
            "timezone": ctx.settings.timezone,
            "open_time": r.open_time.isoformat("minutes"),
            "last_start": r.last_start.isoformat("minutes"),
            "close_time": r.close_time.isoformat("minutes"),
            "session_minutes": r.session_minutes,
            "horizon_days": r.horizon_days,
            "lines": await catalog.capacity(ctx),
            "max_bookings": r.max_bookings,
            "kinds": [shapes.kind(k) for k in MENTOR_KINDS],
            "repaint_ms": ctx.settings.ui_repaint_ms,
            "poll_seconds": ctx.settings.ui_poll_seconds,
        }
    )


@endpoint(
    "Create a client account (child or parent) and sign it in",
    "none",
    s.SIGNED_IN_CLIENT,
    status=201,
    body=s.SIGN_UP,
    errors=(
        "nickname_taken",
        "secret_too_short",
        "secret_too_common",
        "not_allowed",
        "rate_limited",
    ),
)
async def sign_up(request: Request) -> JSONResponse:
    ctx = context(request)
    body = await read_json(request)
    client, token = await accounts.do_sign_up_client(
        ctx,
        nickname=body.get("nickname"),
        secret=body.get("secret"),
        audience=body.get("audience"),
        address=client_address(request),
        face=_client_face(request),
    )
    return session_response(
        request, {"account": shapes.client_account(client)}, token, 201, child=_is_child(client)
    )


def _client_face(request: Request) -> str | None:
    face = face_of(request)
    if face == "staff":
        raise Refusal("not_allowed")
    return face


def _is_child(client: Client) -> bool:
    return client.audience == "child"


@endpoint(
    "Sign a client in with nickname and secret",
    "none",
    s.SIGNED_IN_CLIENT,
    body=s.SIGN_IN_CLIENT,
    errors=("bad_credentials", "other_face", "not_allowed", "rate_limited", "secret_wait"),
)
async def sign_in_client(request: Request) -> JSONResponse:
    ctx = context(request)
    body = await read_json(request)
    client, token = await accounts.do_sign_in_client(
        ctx,
        nickname=body.get("nickname"),
        secret=body.get("secret"),
        address=client_address(request),
        face=_client_face(request),
    )
    return session_response(
        request, {"account": shapes.client_account(client)}, token, child=_is_child(client)
    )


@endpoint(
    "Sign a mentor or supervisor in (password, and the second factor when enrolled)",
    "none",
    s.SIGNED_IN_STAFF,
    body=s.SIGN_IN_STAFF,
    errors=("bad_credentials", "second_factor_required", "bad_second_factor", "rate_limited"),
)
async def sign_in_staff(request: Request) -> JSONResponse:
    ctx = context(request)
    body = await read_json(request)
    member, token = await accounts.do_sign_in_staff(
        ctx,
        username=body.get("username"),
        password=body.get("password"),
        address=client_address(request),
        otp=body.get("otp"),
    )
    account = shapes.staff_account(member, staff_accounts.restriction(ctx, member))
    return session_response(request, {"account": account}, token)


@endpoint("Sign the asking face's session out", "optional", s.obj({"signed_out": s.BOOL}))
async def sign_out(request: Request) -> JSONResponse:
    """DELETE /api/session, and POST /api/session/end for a beacon (quick exit): sign out the
    session of the asking face only, and drop its cookie."""
    ctx = context(request)
    principal = await current_principal(request)
    if principal is not None:
        await accounts.do_sign_out(ctx, principal=principal)
    response = JSONResponse({"signed_out": True})
    clear_session_cookie(response, ctx, child=face_of(request) == "child")
    return response


@endpoint(
    "Confirm the secret again before a sensitive step",
    "signed_in",
    s.obj({"reverified_at": s.TIME, "valid_minutes": s.INT}),
    body=s.REVERIFY,
    errors=("bad_credentials", "rate_limited", "secret_wait"),
)
async def reverify(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    at = await accounts.do_reverify(
        ctx, principal, secret=body.get("secret"), address=client_address(request)
    )
    return JSONResponse(
        {
            "reverified_at": shapes.iso(at, ctx.rules),
            "valid_minutes": ctx.settings.reverify_minutes,
        }
    )


@endpoint("Who is signed in", "signed_in", s.obj({"account": s.PRINCIPAL}), restricted_ok=True)
async def me(request: Request) -> JSONResponse:
    principal = await signed_in(request, restricted_ok=True)
    return JSONResponse({"account": shapes.principal(principal)})


@endpoint(
    "The mentors one audience can talk to, with today's state",
    "none",
    s.obj({"mentors": s.array(s.MENTOR_VIEW)}),
    query=(
        Query("audience", s.enum(s.AUDIENCES)),
        Query("kind", s.KIND),
        Query("language", s.LANGUAGE, "only the mentors who chat in this language"),
    ),
)
async def mentors(request: Request) -> JSONResponse:
    ctx = context(request)
    views = await catalog.list_mentors(
        ctx,
        audience=request.query_params.get("audience"),
        kind=request.query_params.get("kind"),
        language=request.query_params.get("language"),
        principal=await current_principal(request),
    )
    return JSONResponse({"mentors": [shapes.mentor_view(v, ctx.rules) for v in views]})


@endpoint("One mentor", "none", s.obj({"mentor": s.MENTOR}))
async def mentor_detail(request: Request) -> JSONResponse:
    ctx = context(request)
    mentor = await catalog.get_mentor(ctx, path_id(request.path_params["mentor_id"], "mentor_id"))
    return JSONResponse({"mentor": shapes.mentor(mentor)})


@endpoint(
    "One mentor's slots on one day, and whether a chat can start now",
    "none",
    s.obj(
        {"mentor": s.MENTOR, "date": s.DAY, "slots": s.array(s.SLOT), "chat_now": s.CHAT_NOW_STATE}
    ),
    query=(Query("date", s.DAY, "Default: today in Asia/Tokyo."),),
    errors=("in_the_past", "too_far_ahead"),
)
async def availability(request: Request) -> JSONResponse:
    ctx = context(request)
    day = request.query_params.get("date") or local_day(ctx.now(), ctx.rules).isoformat()
    mentor, the_day, slots, now_state = await catalog.mentor_day(
        ctx,
        mentor_id=path_id(request.path_params["mentor_id"], "mentor_id"),
        day=day,
        principal=await current_principal(request),
    )
    return JSONResponse(
        {
            "mentor": shapes.mentor(mentor),
            "date": the_day.isoformat(),
            "slots": [shapes.slot(s, ctx.rules) for s in slots],
            "chat_now": shapes.chat_now(now_state, ctx.rules),
        }
    )


@endpoint(
    "Book a slot with a mentor",
    "client",
    s.obj({"consultation": s.CONSULTATION}),
    status=201,
    body=s.BOOK,
    errors=BOOKING_ERRORS,
)
async def create_booking(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    c = await booking.do_book(
        ctx, principal, mentor_id=body.get("mentor_id"), start=body.get("start")
    )
    return JSONResponse({"consultation": shapes.consultation(c, None, ctx.rules)}, 201)


@endpoint(
    "The client's own consultations", "client", s.obj({"consultations": s.array(s.CONSULTATION)})
)
async def list_bookings(request: Request) -> JSONResponse:
    ctx = context(request)
    rows = await booking.my_consultations(ctx, await signed_in(request))
    return JSONResponse({"consultations": [shapes.consultation(c, m, ctx.rules) for c, m in rows]})


@endpoint(
    "Cancel one of the client's bookings",
    "client",
    s.obj({"consultation": s.CONSULTATION}),
    errors=("not_cancellable",),
)
async def cancel_booking(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    c = await booking.do_cancel(
        ctx, principal, consultation_id=path_id(request.path_params["booking_id"], "booking_id")
    )
    return JSONResponse({"consultation": shapes.consultation(c, None, ctx.rules)})


@endpoint(
    "Start a chat now with a mentor, or with anyone of a kind",
    "client",
    s.obj({"consultation": s.CONSULTATION}),
    status=201,
    body=s.CHAT_NOW,
    errors=BOOKING_ERRORS,
)
async def chat_now(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    c = await booking.do_chat_now(
        ctx, principal, mentor_id=body.get("mentor_id"), kind=body.get("kind")
    )
    return JSONResponse({"consultation": shapes.consultation(c, None, ctx.rules)}, 201)


@endpoint(
    "The mentors the client has talked with",
    "client",
    s.obj(
        {
            "mentors": s.array(
                {
                    "allOf": [
                        s.MENTOR,
                        s.obj(
                            {
                                "last_consultation_at": s.nullable(s.TIME),
                                "next_free_slots": s.array(s.TIME),
                            }
                        ),
                    ]
                }
            )
        }
    ),
)
async def my_mentors(request: Request) -> JSONResponse:
    ctx = context(request)
    rows = await catalog.my_mentors(ctx, await signed_in(request))
    return JSONResponse(
        {
            "mentors": [
                {
                    **shapes.mentor(m),
                    "last_consultation_at": shapes.iso(last, ctx.rules),
                    "next_free_slots": [shapes.iso(t, ctx.rules) for t in free],
                }
                for m, last, free in rows
            ]
        }
    )


@endpoint(
    "The consultations of one day (a mentor's own; all for a supervisor)",
    "staff",
    s.obj({"date": s.DAY, "consultations": s.array(s.STAFF_CONSULTATION)}),
    query=(Query("date", s.DAY),),
    errors=DAY_ERRORS,
)
async def staff_consultations(request: Request) -> JSONResponse:
    ctx = context(request)
    day, rows = await staff.consultations_for_day(
        ctx, await signed_in(request), day=request.query_params.get("date")
    )
    return JSONResponse(
        {
            "date": day.isoformat(),
            "consultations": [
                shapes.staff_consultation(c, m, cl, ctx.rules, h, r) for c, m, cl, h, r in rows
            ],
        }
    )


@endpoint(
    "How many lines are used per slot on one day",
    "supervisor",
    s.obj(
        {
            "date": s.DAY,
            "lines": s.INT,
            "busy_now": s.INT,
            "slots": s.array(s.obj({"start": s.TIME, "used": s.INT, "capacity": s.INT})),
        }
    ),
    query=(Query("date", s.DAY),),
    errors=DAY_ERRORS,
)
async def line_use(request: Request) -> JSONResponse:
    ctx = context(request)
    day, lines, busy_now, slots = await staff.line_use(
        ctx, await signed_in(request), day=request.query_params.get("date")
    )
    return JSONResponse(
        {
            "date": day.isoformat(),
            "lines": lines,
            "busy_now": busy_now,
            "slots": [
                {"start": shapes.iso(s.start, ctx.rules), "used": s.used, "capacity": s.capacity}
                for s in slots
            ],
        }
    )


@endpoint(
    "The mentor's note on a consultation",
    "staff",
    {"allOf": [s.obj({"consultation_id": s.ID}), s.NOTE_VIEW]},
)
async def get_note(request: Request) -> JSONResponse:
    ctx = context(request)
    cid = path_id(request.path_params["consultation_id"], "consultation_id")
    note = await notes.get_note(ctx, await signed_in(request), cid)
    return JSONResponse({"consultation_id": cid, **_note(ctx, note)})


@endpoint(
    "Write the mentor's note on a consultation",
    "staff",
    {"allOf": [s.obj({"consultation_id": s.ID}), s.NOTE_VIEW]},
    body=s.NOTE,
    errors=("busy_try_again",),
)
async def put_note(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    cid = path_id(request.path_params["consultation_id"], "consultation_id")
    body = await read_json(request)
    note = await notes.do_save_note(ctx, principal, cid, body.get("text"))
    return JSONResponse({"consultation_id": cid, **_note(ctx, note)})


def _note(ctx: Context, note: MentorNote | None) -> dict[str, object]:
    if note is None:
        return {"text": "", "updated_at": None}
    return {"text": note.text, "updated_at": shapes.iso(note.updated_at, ctx.rules)}


@endpoint(
    "The client's earlier consultations with their notes",
    "staff",
    s.obj(
        {
            "consultation_id": s.ID,
            "earlier": s.array({"allOf": [s.CONSULTATION, s.obj({"note": s.NOTE_VIEW})]}),
        }
    ),
)
async def consultation_history(request: Request) -> JSONResponse:
    ctx = context(request)
    cid = path_id(request.path_params["consultation_id"], "consultation_id")
    rows = await notes.history(ctx, await signed_in(request), cid)
    return JSONResponse(
        {
            "consultation_id": cid,
            "earlier": [
                {**shapes.consultation(c, None, ctx.rules), "note": _note(ctx, n)} for c, n in rows
            ],
        }
    )


@endpoint(
    "Read a consultation's messages (the reason is recorded)",
    "staff",
    s.obj({"consultation": s.CONSULTATION, "messages": s.array(s.MESSAGE)}),
    body=s.TRANSCRIPT,
    errors=("reread_over", "busy_try_again"),
)
async def transcript(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    cid = path_id(request.path_params["consultation_id"], "consultation_id")
    body = await read_json(request)
    access, messages = await notes.read_transcript(ctx, principal, cid, body.get("reason"))
    return JSONResponse(
        {
            "consultation": shapes.consultation(access.consultation, access.mentor, ctx.rules),
            "messages": [message_event(ctx, m) for m in messages],
        }
    )


ROUTES = [
    Route("/api/service", service_info, methods=["GET"]),
    Route("/api/clients", sign_up, methods=["POST"]),
    Route("/api/session/client", sign_in_client, methods=["POST"]),
    Route("/api/session/staff", sign_in_staff, methods=["POST"]),
    Route("/api/session", sign_out, methods=["DELETE"]),
    Route("/api/session/end", sign_out, methods=["POST"]),  # quick exit's beacon
    Route("/api/session/reverify", reverify, methods=["POST"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/mentors", mentors, methods=["GET"]),
    Route("/api/mentors/{mentor_id}", mentor_detail, methods=["GET"]),
    Route("/api/mentors/{mentor_id}/availability", availability, methods=["GET"]),
    Route("/api/bookings", create_booking, methods=["POST"]),
    Route("/api/bookings", list_bookings, methods=["GET"]),
    Route("/api/bookings/{booking_id}", cancel_booking, methods=["DELETE"]),
    Route("/api/chat-now", chat_now, methods=["POST"]),
    Route("/api/my-mentors", my_mentors, methods=["GET"]),
    Route("/api/staff/consultations", staff_consultations, methods=["GET"]),
    Route("/api/staff/line-use", line_use, methods=["GET"]),
    Route("/api/staff/consultations/{consultation_id}/note", get_note, methods=["GET"]),
    Route("/api/staff/consultations/{consultation_id}/note", put_note, methods=["PUT"]),
    Route(
        "/api/staff/consultations/{consultation_id}/history", consultation_history, methods=["GET"]
    ),
    # POST, not GET: the reason travels in the body and the read is recorded.
    Route("/api/staff/consultations/{consultation_id}/transcript", transcript, methods=["POST"]),
]
