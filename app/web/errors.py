"""Every failure leaves as JSON with a stable code; no traceback ever reaches a user."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.failures import unavailable
from app.errors import Refusal
from app.observability import metrics
from app.web.faces import register_of
from app.web.logs import escape_for_log

log = logging.getLogger("yorisoi.web")

_HTTP_CODES = {404: "not_found", 405: "not_allowed", 401: "not_signed_in", 403: "not_allowed"}
RETRY_AFTER_SECONDS = 2  # told with busy_try_again when the database cannot take a request now


def refusal_response(refusal: Refusal, scope: Scope) -> JSONResponse:
    """The refusal as JSON, its message in the register of whoever asked (child or adult)."""
    return JSONResponse({"error": refusal.as_dict(register_of(scope))}, status_code=refusal.status)


def failure_response(exc: Exception, scope: Scope, what: str) -> JSONResponse:
    """An exception nothing else handled, as the caller's answer: busy_try_again (503,
    Retry-After) when the database cannot take the request now (a full pool under a rush, a
    lost connection), internal_error (500) for anything else. Logged by type only: a
    traceback can carry SQL parameters, hence a child's words."""
    if unavailable(exc):
        log.warning("database unavailable (%s) on %s", type(exc).__name__, what)
        metrics.refusal("busy_try_again")
        response = refusal_response(Refusal("busy_try_again"), scope)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    log.error("unexpected %s on %s", type(exc).__name__, what)
    metrics.http_error()
    return refusal_response(Refusal("internal_error"), scope)


async def on_refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return refusal_response(exc, request.scope)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "invalid_input")
    body = {"error": Refusal(code).as_dict(register_of(request.scope))}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


EXCEPTION_HANDLERS = {
    Refusal: on_refusal,
    HTTPException: on_http_error,
}


class ErrorBoundary:
    """The last line: an unexpected error becomes a 500 with a stable code (a 503
    busy_try_again when the database cannot take the request now; failure_response).

    Unlike an exception handler, it does not re-raise, so no traceback (which can carry SQL
    parameters, hence a child's words) reaches the server log: only the type and the route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: a websocket's scope goes straight on, and no frame of this
        # middleware stays alive (memory) for as long as the socket is open.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - this is the boundary
            what = f"{scope['method']} {escape_for_log(scope['path'])}"
            response = failure_response(exc, scope, what)
            if not started:
                await response(scope, receive, send)
