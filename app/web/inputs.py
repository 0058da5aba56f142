"""The input boundary for URLs.

JSON bodies and websocket frames pass `app.actions.inputs.parse_json`; this middleware does
the same for the URL: a control character in a page or asset path names no file (404, where
StaticFiles would have raised on a NUL), and a control character in a query parameter is
`invalid_input` naming the parameter. API paths are left to their handlers, whose path
parameters are checked (and named) by `path_id`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from app.actions.inputs import field_label, storable
from app.errors import Refusal
from app.web.errors import refusal_response

# C0, DEL and C1 controls: no path or parameter of ours has a use for them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _clean(text: str) -> bool:
    return _CONTROL.search(text) is None and storable(text)


class UrlBoundary:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: a websocket's scope goes straight on, and no frame of this
        # middleware stays alive (memory) for as long as the socket is open.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._check(scope)
        if refusal is not None:
            await refusal_response(refusal, scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _check(scope: Scope) -> Refusal | None:
        path: str = scope["path"]
        if not path.startswith("/api/") and not _clean(path):
            return Refusal("not_found")
        raw: bytes = scope.get("query_string", b"")
        if raw:
            # Decoded exactly as Starlette's QueryParams decodes it, so we check what handlers see.
            for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
                if not _clean(name):
                    return Refusal("invalid_input", field="query")
                if not _clean(value):
                    return Refusal("invalid_input", field=field_label(name, "query"))
        return None
