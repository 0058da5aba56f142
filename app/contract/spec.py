"""`@endpoint(...)`: the contract of one HTTP handler, declared next to it.

The OpenAPI document (`app.contract.openapi`) is built from these declarations and the
application's routes, so a route and its description cannot live apart: a route without a
declaration is missing from the document, which `tests/contract/test_openapi.py` refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from app.contract.schemas import Schema

Auth = Literal["none", "optional", "signed_in", "client", "staff", "mentor", "supervisor"]
AUTH_TEXT: dict[str, str] = {
    "none": "No session needed.",
    "optional": "Works with or without a session.",
    "signed_in": "Any signed-in account (client or staff).",
    "client": "A client (child or parent) session.",
    "staff": "A staff session (mentor or supervisor).",
    "mentor": "A mentor's session (supervisors may also ask).",
    "supervisor": "A supervisor's (headquarters') session.",
}


@dataclass(frozen=True)
class Query:
    name: str
    schema: Schema
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    summary: str
    auth: Auth
    response: Schema
    status: int = 200
    body: Schema | None = None
    query: tuple[Query, ...] = ()
    errors: tuple[str, ...] = ()  # codes beyond those the auth, body and parameters imply
    restricted_ok: bool = False  # a restricted staff session (must change password...) may ask
    media_type: str = "application/json"
    description: str = ""
    path_schemas: dict[str, Schema] = field(default_factory=dict)  # default: an id
    other_responses: dict[int, Schema] = field(default_factory=dict)  # non-error answers


F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "__yorisoi_endpoint__"


def endpoint(summary: str, auth: Auth, response: Schema, **options: Any) -> Callable[[F], F]:
    spec = Endpoint(summary, auth, response, **options)

    def attach(handler: F) -> F:
        setattr(handler, ATTRIBUTE, spec)
        return handler

    return attach


def spec_of(handler: object) -> Endpoint | None:
    found = getattr(handler, ATTRIBUTE, None)
    return found if isinstance(found, Endpoint) else None
