"""Who is asking (session cookie or bearer token), and the cross-site request guard.

Faces (app/web/faces.py): the child page, the parent page and the staff consoles say which
they are in the `X-Yorisoi-Face` header (`?face=` for the socket and a beacon). Sessions live in two cookies: the child face's and the grown-ups' (parents and staff), so
signing in on one page never signs anyone in on the other, and an account is only ever
seen on the face of its audience. Outside dev mode both are Secure and `__Host-` prefixed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.actions import Context, Principal
from app.actions.accounts import fits_face, principal_for_token
from app.actions.inputs import parse_json
from app.errors import Refusal
from app.web.errors import refusal_response
from app.web.faces import face_of, mark_child_account

COOKIE = "yorisoi_session"  # grown-ups: the parent page and the staff consoles
CHILD_COOKIE = "yorisoi_child"  # the child page
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_JSON_BYTES = 16 * 1024


def context(conn: HTTPConnection) -> Context:
    ctx: Context = conn.app.state.ctx
    return ctx


def cookie_name(ctx: Context, face: str | None) -> str:
    return ctx.settings.cookie_prefix + (CHILD_COOKIE if face == "child" else COOKIE)


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def session_token(conn: HTTPConnection) -> str | None:
    return bearer_token(conn) or conn.cookies.get(cookie_name(context(conn), face_of(conn)))


def fits_cookie(principal: Principal, face: str | None) -> bool:
    """The child cookie holds child accounts only; the grown-ups' cookie never holds one."""
    is_child = principal.is_client and principal.role == "child"
    return is_child if face == "child" else not is_child


async def current_principal(conn: HTTPConnection) -> Principal | None:
    token = session_token(conn)
    if not token:
        return None
    principal = await principal_for_token(context(conn), token)
    if principal is None:
        return None
    face = face_of(conn)
    if not fits_face(principal, face):
        return None  # e.g. a parent's session asked for by the child page
    if bearer_token(conn) is None and not fits_cookie(principal, face):
        return None
    if principal.is_client and principal.role == "child":
        mark_child_account(conn)  # its refusals are in a child's words, whatever the face
    return principal


async def signed_in(conn: HTTPConnection, *, restricted_ok: bool = False) -> Principal:
    """The principal, or Refusal. A staff session that must first change its password or
    enrol a second factor gets that code everywhere but the few endpoints that allow it."""
    principal = await current_principal(conn)
    if principal is None:
        raise Refusal("not_signed_in")
    if principal.restricted is not None and not restricted_ok:
        raise Refusal(principal.restricted)
    return principal


def set_session_cookie(
    response: Response, ctx: Context, token: str, *, child: bool = False
) -> None:
    """The cookie of the account's own face: a child's session never opens the parent page."""
    response.set_cookie(
        cookie_name(ctx, "child" if child else None),
        token,
        max_age=ctx.settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )


def clear_session_cookie(response: Response, ctx: Context, *, child: bool = False) -> None:
    response.delete_cookie(
        cookie_name(ctx, "child" if child else None),
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )


def token_in_body(conn: HTTPConnection) -> bool:
    """Only a caller without Origin (a script, an app) gets the token in JSON; a browser
    gets the HttpOnly cookie alone, so page script never holds a session token."""
    return "origin" not in conn.headers


def session_response(
    conn: HTTPConnection,
    body: dict[str, Any],
    token: str,
    status: int = 200,
    *,
    child: bool = False,
) -> JSONResponse:
    """A successful sign-in or sign-up: the session cookie, and the token in the body only
    for callers that are not browsers."""
    payload = {**body, "token": token} if token_in_body(conn) else body
    response = JSONResponse(payload, status)
    set_session_cookie(response, context(conn), token, child=child)
    return response


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
    """The request body as a JSON object, or Refusal(invalid_input). Reads at most 16 KiB;
    strings and nesting pass the input boundary (`parse_json`)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_JSON_BYTES):
        raise Refusal("invalid_input", field="body")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_JSON_BYTES:
            raise Refusal("invalid_input", field="body")
    data = parse_json(bytes(body) or b"{}", field="body")
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

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: a websocket's scope goes straight on, and no frame of this
        # middleware stays alive (memory) for as long as the socket is open.
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = HTTPConnection(scope)
        origin = conn.headers.get("origin")
        fetch_site = conn.headers.get("sec-fetch-site")
        refused = (origin is not None and not origin_allowed(conn, origin)) or (
            origin is None and fetch_site == "cross-site"
        )
        if refused:
            await refusal_response(Refusal("cross_site"), scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)
