"""The OpenAPI 3.1 document of the HTTP API, built from the routes and their `@endpoint`s.

`build_document(operations, ...)` takes what the web layer finds in the application's route
table (path, method, handler) and reads each handler's declaration; nothing is described
twice. Error responses come from `app/errors.py`'s catalog: each endpoint answers the codes it
declares plus those its authentication, body and parameters imply, grouped by HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.contract import schemas as s
from app.contract.spec import AUTH_TEXT, Endpoint, spec_of
from app.errors import CATALOG, LANGS

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
STAFF_RESTRICTIONS = ("password_change_required", "second_factor_enrolment_required")
_PARAM = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")

# A refusal's words: every language, in the register of whoever asked — the child one for
# the child face or a child account, the adult one otherwise (app/web/faces.py).
MESSAGE = s.obj({lang: s.STR for lang in LANGS})
ERROR = s.obj(
    {
        "code": s.STR,
        "message": MESSAGE,
    },
    {"field": s.STR, "details": {"type": "object"}},
)


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    handler: object


def _body_fields(spec: Endpoint) -> list[str]:
    return list((spec.body or {}).get("properties", {}))


def error_codes(op: Operation, spec: Endpoint) -> set[str]:
    """Every code this endpoint can answer: declared, plus what its shape implies."""
    codes = {"invalid_input", *spec.errors}  # a control character in any query parameter
    if _PARAM.search(op.path) or any(name.endswith("_id") for name in _body_fields(spec)):
        codes.add("not_found")  # an id in the path or the body names nothing
    if op.method in UNSAFE:
        codes.add("cross_site")
    if spec.auth not in ("none", "optional"):
        codes |= {"not_signed_in", "not_allowed"}
        if spec.auth != "client" and not spec.restricted_ok:
            codes |= set(STAFF_RESTRICTIONS)
    unknown = codes - CATALOG.keys()
    if unknown:
        raise ValueError(f"{op.method} {op.path}: unknown codes {sorted(unknown)}")
    return codes


def _security(auth: str, cookie: str, child_cookie: str) -> list[dict[str, list[str]]]:
    schemes: list[dict[str, list[str]]] = [{"bearer": []}, {"sessionCookie": []}]
    if auth in ("client", "signed_in", "optional"):
        schemes.append({"childCookie": []})
    if auth in ("none",):
        return []
    if auth == "optional":
        return [{}, *schemes]
    return schemes


def _parameters(op: Operation, spec: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": spec.path_schemas.get(name, s.ID),
        }
        for name in _PARAM.findall(op.path)
    ]
    for q in spec.query:
        params.append(
            {
                "name": q.name,
                "in": "query",
                "required": q.required,
                "schema": q.schema,
                **({"description": q.description} if q.description else {}),
            }
        )
    return params


def _operation(op: Operation, spec: Endpoint, cookie: str, child_cookie: str) -> dict[str, Any]:
    codes = error_codes(op, spec)
    by_status: dict[int, list[str]] = {}
    for code in sorted(codes):
        by_status.setdefault(CATALOG[code][0], []).append(code)
    ok_content = (
        {spec.media_type: {"schema": spec.response}}
        if spec.media_type == "application/json"
        else {spec.media_type: {"schema": {"type": "string"}}}
    )
    responses: dict[str, Any] = {
        str(spec.status): {"description": spec.summary, "content": ok_content}
    }
    for status, schema in spec.other_responses.items():
        responses[str(status)] = {
            "description": str(status),
            "content": {"application/json": {"schema": schema}},
        }
    for status, names in sorted(by_status.items()):
        responses[str(status)] = {
            "description": ", ".join(names),
            "content": {
                "application/json": {
                    "schema": s.obj(
                        {
                            "error": {
                                "allOf": [ERROR, s.obj({"code": s.enum(names)})],
                            }
                        }
                    )
                }
            },
        }
    operation: dict[str, Any] = {
        "operationId": f"{op.method.lower()}{re.sub(r'[^a-zA-Z0-9]+', '_', op.path)}",
        "summary": spec.summary,
        "description": " ".join(
            x for x in (spec.description, "Authentication: " + AUTH_TEXT[spec.auth]) if x
        ),
        "x-yorisoi-auth": spec.auth,
        "x-yorisoi-errors": sorted(codes),
        "security": _security(spec.auth, cookie, child_cookie),
        "parameters": _parameters(op, spec),
        "responses": responses,
    }
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": spec.body}},
        }
    return operation


def build_document(
    operations: Iterable[Operation], *, cookie: str, child_cookie: str, version: str
) -> dict[str, Any]:
    """The document; operations whose handler has no `@endpoint` are left out (and the
    route-coverage test names them)."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        spec = spec_of(op.handler)
        if spec is None:
            continue
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(
            op, spec, cookie, child_cookie
        )
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Yorisoi",
            "version": version,
            "description": (
                "Reservation-based mentor chat for children and parents. The human reference "
                "is docs/api.md; the realtime protocol (WebSocket /ws) is docs/protocol.md. "
                'Every error is {"error": {"code", "message": {ja, en, zh, ko}, "field"?, '
                '"details"?}}; the message is in a child\'s words when the child face '
                "(X-Yorisoi-Face: child) or a child account asks."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "The token a sign-in answers in its body when the request carries no "
                        "Origin header (scripts, apps)."
                    ),
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie,
                    "description": "The grown-ups' session cookie (parent page, staff consoles).",
                },
                "childCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": child_cookie,
                    "description": (
                        "The child page's session cookie; sent with X-Yorisoi-Face: child."
                    ),
                },
            },
        },
    }
