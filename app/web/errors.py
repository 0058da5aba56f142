"""Every failure leaves as JSON with a stable code; no traceback ever reaches a user."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import Refusal

log = logging.getLogger("yorisoi.web")

_HTTP_CODES = {404: "not_found", 405: "not_allowed", 401: "not_signed_in", 403: "not_allowed"}


def refusal_response(refusal: Refusal) -> JSONResponse:
    return JSONResponse({"error": refusal.as_dict()}, status_code=refusal.status)


async def on_refusal(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return refusal_response(exc)


async def on_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "invalid_input")
    body = {"error": Refusal(code).as_dict()}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    # Log the type and the route, never the body: it may hold a child's message or a secret.
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return refusal_response(Refusal("internal_error"))


EXCEPTION_HANDLERS = {
    Refusal: on_refusal,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
