"""The parent-child link: a child's code, a parent's link, bookings a parent makes for the child.

A parent sees of the child's consultations only what `links.bookings_for_child` gives: the
times of the bookings they made. Every other endpoint keeps answering as before for them
(tests/api/test_links_privacy.py walks the whole OpenAPI document to prove it).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import links
from app.actions.booking import require_client
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import endpoint
from app.web import shapes
from app.web.api import BOOKING_ERRORS
from app.web.auth import context, read_json, signed_in


def _link(view: links.LinkView, me_role: str, ctx) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "id": view.link.id,
        "nickname": view.other,
        "role": "parent" if me_role == "child" else "child",  # who the other side is
        "created_at": shapes.iso(view.link.created_at, ctx.rules),
    }


def _booking(b: links.ParentBooking, ctx) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "starts_at": shapes.iso(b.starts_at, ctx.rules),
        "ends_at": shapes.iso(b.ends_at, ctx.rules),
    }


@endpoint(
    "A child makes a one-time code for a parent to link (30 minutes, once)",
    "client",
    s.LINK_CODE_VIEW,
    status=201,
)
async def create_code(request: Request) -> JSONResponse:
    ctx = context(request)
    code, expires = await links.do_create_code(ctx, await signed_in(request))
    return JSONResponse({"code": code, "expires_at": shapes.iso(expires, ctx.rules)}, 201)


@endpoint(
    "A parent enters a child's code and is linked",
    "client",
    s.obj({"link": s.LINK_VIEW}),
    status=201,
    body=s.LINK_CODE_BODY,
    errors=("link_code_invalid", "already_linked", "too_many_links", "rate_limited"),
)
async def create_link(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    view = await links.do_link(ctx, principal, code=body.get("code"))
    return JSONResponse({"link": _link(view, principal.role, ctx)}, 201)


@endpoint(
    "My links: a child's parents, or a parent's children",
    "client",
    s.obj({"links": s.array(s.LINK_VIEW)}),
)
async def list_links(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = require_client(await signed_in(request))
    views = await links.my_links(ctx, principal)
    return JSONResponse({"links": [_link(v, principal.role, ctx) for v in views]})


@endpoint("Unlink (either side, at any time)", "client", s.obj({"removed": s.ID}))
async def remove_link(request: Request) -> JSONResponse:
    ctx = context(request)
    link_id = path_id(request.path_params["link_id"], "link_id")
    await links.do_unlink(ctx, await signed_in(request), link_id)
    return JSONResponse({"removed": link_id})


@endpoint(
    "The bookings this parent made for the linked child: their times only",
    "client",
    s.obj({"bookings": s.array(s.PARENT_BOOKING)}),
)
async def list_child_bookings(request: Request) -> JSONResponse:
    ctx = context(request)
    link_id = path_id(request.path_params["link_id"], "link_id")
    found = await links.bookings_for_child(ctx, await signed_in(request), link_id)
    return JSONResponse({"bookings": [_booking(b, ctx) for b in found]})


@endpoint(
    "A linked parent books a slot for the child (the booking is the child's)",
    "client",
    s.obj({"booking": s.PARENT_BOOKING}),
    status=201,
    body=s.BOOK,
    errors=BOOKING_ERRORS,
)
async def book_for_child(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    link_id = path_id(request.path_params["link_id"], "link_id")
    body = await read_json(request)
    made = await links.do_book_for_child(
        ctx, principal, link_id, mentor_id=body.get("mentor_id"), start=body.get("start")
    )
    return JSONResponse({"booking": _booking(made, ctx)}, 201)


ROUTES = [
    Route("/api/link-codes", create_code, methods=["POST"]),
    Route("/api/links", create_link, methods=["POST"]),
    Route("/api/links", list_links, methods=["GET"]),
    Route("/api/links/{link_id}", remove_link, methods=["DELETE"]),
    Route("/api/links/{link_id}/bookings", list_child_bookings, methods=["GET"]),
    Route("/api/links/{link_id}/bookings", book_for_child, methods=["POST"]),
]
