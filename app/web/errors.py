"""Every failure leaves as JSON with a stable code; no traceback ever reaches a user."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import Refusal
from app.observability import metrics
from app.web.faces import register_of
from app.web.logs import escape_for_log

log = logging.getLogger("yorisoi.web")

_HTTP_CODES = {404: "not_found", 405: "not_allowed", 401: "not_signed_in", 403: "not_allowed"}


def refusal_response(refusal: Refusal, scope: Scope) -> JSONResponse:
    """The refusal as JSON, its message in the register of whoever asked (child or adult)."""
    return JSONResponse({"error": refusal.as_dict(register_of(scope))}, status_code=refusal.status)


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
    """The last line: an unexpected error becomes a 500 with a stable code.

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
            path = escape_for_log(scope["path"])
            log.error("unexpected %s on %s %s", type(exc).__name__, scope["method"], path)
            metrics.http_error()
            if not started:
                await refusal_response(Refusal("internal_error"), scope)(scope, receive, send)
