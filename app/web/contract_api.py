"""GET /api/openapi.json: the contract of every HTTP endpoint, built from the route table.

Left out, deliberately: the static pages and assets (StaticFiles mounts: files, not an API)
and the WebSocket route (its frames are described in docs/protocol.md and app/contract/frames).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import metadata
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from app.contract import frames
from app.contract.openapi import Operation, build_document
from app.contract.spec import endpoint
from app.web.auth import CHILD_COOKIE, COOKIE, context


def operations(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[Operation]:
    """Every (path, method, handler) of the HTTP routes, Mounts included (HEAD, which
    Starlette adds to every GET, is not an operation of its own)."""
    for route in routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield Operation(prefix + route.path, method, route.endpoint)
        elif isinstance(route, Mount) and route.routes:
            yield from operations(route.routes, prefix + route.path)


def version() -> str:
    try:
        return metadata.version("yorisoi")
    except metadata.PackageNotFoundError:
        return "0"


@endpoint("This document (OpenAPI 3.1)", "none", {"type": "object", "required": ["openapi"]})
async def openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(document(request.app.routes, context(request).settings.cookie_prefix))


def document(routes: Iterable[BaseRoute], cookie_prefix: str) -> dict[str, Any]:
    """The document of these routes, with the cookie names as this deployment spells them."""
    return build_document(
        operations(routes),
        cookie=cookie_prefix + COOKIE,
        child_cookie=cookie_prefix + CHILD_COOKIE,
        version=version(),
    )


@endpoint(
    "JSON Schemas (2020-12) of every WebSocket frame (docs/protocol.md)",
    "none",
    {"type": "object", "required": ["$defs"]},
)
async def ws_schema(request: Request) -> JSONResponse:
    return JSONResponse(frames.document())


ROUTES = [
    Route("/api/openapi.json", openapi_document, methods=["GET"]),
    Route("/api/ws-schema.json", ws_schema, methods=["GET"]),
]
