"""Who is asking (session cookie or bearer token), and the cross-site request guard."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.actions import Context, Principal
from app.actions.accounts import principal_for_token
from app.errors import Refusal
from app.web.errors import refusal_response

COOKIE = "yorisoi_session"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_JSON_BYTES = 16 * 1024


def context(conn: HTTPConnection) -> Context:
    ctx: Context = conn.app.state.ctx
    return ctx


def session_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return conn.cookies.get(COOKIE)


async def current_principal(conn: HTTPConnection) -> Principal | None:
    token = session_token(conn)
    if not token:
        return None
    return await principal_for_token(context(conn), token)


async def signed_in(conn: HTTPConnection) -> Principal:
    principal = await current_principal(conn)
    if principal is None:
        raise Refusal("not_signed_in")
    return principal


def set_session_cookie(response: Response, ctx: Context, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=ctx.settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )


def clear_session_cookie(response: Response, ctx: Context) -> None:
    response.delete_cookie(
        COOKIE, httponly=True, samesite="lax", secure=ctx.settings.cookie_secure, path="/"
    )


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


def origin_allowed(conn: HTTPConnection, origin: str) -> bool:
    """Exact match against the allow-list, or the page's own origin."""
    ctx = context(conn)
    if origin in ctx.settings.origins:
        return True
    host = conn.headers.get("host")
    scheme = "https" if conn.url.scheme in ("https", "wss") else "http"
    return host is not None and origin == f"{scheme}://{host}"


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or Refusal(invalid_input). Reads at most 16 KiB."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_JSON_BYTES):
        raise Refusal("invalid_input", field="body")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_JSON_BYTES:
            raise Refusal("invalid_input", field="body")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Refusal("invalid_input", field="body") from None
    if not isinstance(data, dict):
        raise Refusal("invalid_input", field="body")
    return data


class CrossSiteGuard:
    """Refuse state-changing requests that a browser sent from another site.

    A browser always sends Origin (or Sec-Fetch-Site) on a cross-site POST/DELETE, so a
    forged form or fetch from elsewhere is refused before any handler runs. Clients that send
    neither header are not browsers and cannot carry a victim's cookie.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE:
            conn = HTTPConnection(scope)
            origin = conn.headers.get("origin")
            fetch_site = conn.headers.get("sec-fetch-site")
            refused = (origin is not None and not origin_allowed(conn, origin)) or (
                origin is None and fetch_site == "cross-site"
            )
            if refused:
                await refusal_response(Refusal("cross_site"))(scope, receive, send)
                return
        await self.app(scope, receive, send)
