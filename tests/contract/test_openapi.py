"""The OpenAPI document (GET /api/openapi.json) against the application it describes.

- Every HTTP route is in the document and the document names no route that does not exist.
  Deliberately left out, and listed here so a new kind of route fails: the static pages and
  assets (StaticFiles mounts: files, not API) and the WebSocket endpoint (its frames have
  their own schemas, GET /api/ws-schema.json).
- The declared limits are the checks' limits: each request schema's boundary values go
  through the API (at the bound: not refused for that field; past it: refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from app.errors import CATALOG
from app.main import create_app
from app.settings import Settings
from app.web.contract_api import document
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, sign_up, staff_token

IGNORED = {
    ("mount", "/child"),
    ("mount", "/mentor"),
    ("mount", "/admin"),
    ("mount", "/assets"),
    ("mount", ""),
    ("websocket", "/ws"),
}


def walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """("http", METHOD, path) for every HTTP route (Mounts entered), and what is ignored."""
    for route in routes:
        if isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    yield "http", method, prefix + route.path
        elif isinstance(route, WebSocketRoute):
            yield "websocket", "", prefix + route.path
        elif isinstance(route, Mount):
            if isinstance(route.app, StaticFiles):
                yield "mount", "", prefix + route.path
            else:
                yield from walk(list(route.routes), prefix + route.path)
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")


@pytest.fixture(scope="module")
def app_and_doc() -> tuple[Any, dict[str, Any]]:
    app = create_app(Settings(dev=True))
    return app, document(app.routes, "")


def test_every_route_is_documented_and_every_documented_route_exists(
    app_and_doc: tuple[Any, dict[str, Any]],
) -> None:
    app, doc = app_and_doc
    found = set(walk(app.routes))
    ignored = {(kind, path) for kind, _m, path in found if kind != "http"}
    assert ignored == IGNORED
    routes = {(method, path) for kind, method, path in found if kind == "http"}
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    assert routes - documented == set(), "routes the document lacks (add an @endpoint)"
    assert documented - routes == set(), "documented routes that do not exist"
    assert len(routes) > 50


def test_the_document_is_consistent(app_and_doc: tuple[Any, dict[str, Any]]) -> None:
    _app, doc = app_and_doc
    assert doc["openapi"].startswith("3.1")
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "sessionCookie", "childCookie"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            for code in op["x-yorisoi-errors"]:
                assert str(CATALOG[code][0]) in op["responses"], (where, code)
            for status, response in op["responses"].items():
                for media in response["content"].values():
                    jsonschema.Draft202012Validator.check_schema(media["schema"])
                error = media["schema"].get("properties", {}).get("error")
                if error is not None:
                    assert status.startswith("4") or status == "503", where  # busy_try_again
                    codes = error["allOf"][1]["properties"]
                    for code in codes["code"]["enum"]:
                        assert str(CATALOG[code][0]) == status, (where, code)
            if "requestBody" in op:
                body = op["requestBody"]["content"]["application/json"]["schema"]
                jsonschema.Draft202012Validator.check_schema(body)
            signed = op["x-yorisoi-auth"] not in ("none", "optional")
            assert ("not_signed_in" in op["x-yorisoi-errors"]) == signed, where
            assert (op["security"] == []) == (op["x-yorisoi-auth"] == "none"), where


# -- the request schemas' limits are the checks' limits -----------------------------------


def varied(n: int) -> str:
    """n characters that no "too easy to guess" check refuses: hiragana, none repeating soon."""
    return "".join(chr(0x3041 + (i * 7) % 83) for i in range(n))


def boundary_values(schema: dict[str, Any]) -> Iterator[tuple[str, object, bool]]:
    """(label, value, allowed by the schema) at and just past each of its limits."""
    if "enum" in schema:
        yield "enum", schema["enum"][0], True
        yield "not in enum", "no-such-value", False
        return
    if schema.get("type") == "string":
        if "maxLength" in schema:
            n = schema["maxLength"]
            yield "maxLength", varied(n), True
            yield "past maxLength", varied(n + 1), False
        if schema.get("minLength", 0) > 1:
            n = schema["minLength"]
            yield "minLength", varied(n), True
            yield "below minLength", varied(n - 1), False
    if schema.get("type") == "integer":
        if "maximum" in schema:
            yield "maximum", schema["maximum"], True
            yield "past maximum", schema["maximum"] + 1, False
        if "minimum" in schema:
            yield "minimum", schema["minimum"], True
            yield "below minimum", schema["minimum"] - 1, False


def refused_for(response: Any, field: str) -> bool:
    if response.status_code != 400:
        return False
    error = response.json()["error"]
    return bool(error.get("field") == field or error["code"] != "invalid_input")


async def _fields_hold_their_limits(
    env: Env,
    doc: dict[str, Any],
    method: str,
    path: str,
    token: str | None,
    base: dict[str, Any],
    fresh: dict[str, Any] | None = None,
    url: str | None = None,
) -> int:
    op = doc["paths"][path][method.lower()]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    checked = 0
    for field, prop in schema["properties"].items():
        if field in (fresh or {}):
            continue
        for label, value, allowed in boundary_values(prop):
            body = {**base, field: value}
            headers = bearer(token) if token else {}
            r = await env.http.request(method, url or path, json=body, headers=headers)
            env.http.cookies.clear()
            where = f"{method} {path} {field} {label}: {r.status_code} {r.text[:200]}"
            if allowed:
                assert not refused_for(r, field), where
            else:
                assert 400 <= r.status_code < 500 and r.status_code != 403, where
                assert not (200 <= r.status_code < 300), where
            checked += 1
    return checked


async def test_request_limits_are_the_limits_the_api_enforces(env: Env) -> None:
    doc = document(env.app.routes, env.ctx.settings.cookie_prefix)
    await add_staff(env.ctx, "boss", "boss-pass1", role="supervisor")
    boss = await staff_token(env.http, "boss", "boss-pass1")
    mentor_id = await add_mentor(env.ctx, "みお")
    client = await sign_up(env.http, "けいと", audience="parent")
    checked = 0
    # a fresh nickname each time, so "taken" never hides what the limit says
    names = iter(f"n{i}" for i in range(1000))

    sign_up_base = {"secret": "boundary-secret", "audience": "parent"}
    op = doc["paths"]["/api/clients"]["post"]
    props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
    for field, prop in props.items():
        for label, value, allowed in boundary_values(prop):
            body = {"nickname": next(names), **sign_up_base, field: value}
            if field == "nickname" and allowed:
                body[field] = f"{next(names)}{value}"[: prop["maxLength"]]
            r = await env.http.post("/api/clients", json=body)
            env.http.cookies.clear()
            where = f"sign-up {field} {label}: {r.status_code} {r.text[:200]}"
            assert (not refused_for(r, field)) if allowed else r.status_code == 400, where
            checked += 1
    checked += await _fields_hold_their_limits(
        env, doc, "POST", "/api/session/staff", None, {"username": "boss", "password": "x"}
    )
    mentor_base = {"display_name": "あおい", "kind": "nurse", "audience": "child"}
    checked += await _fields_hold_their_limits(
        env, doc, "POST", "/api/staff/mentors", boss, mentor_base
    )
    checked += await _fields_hold_their_limits(
        env,
        doc,
        "PATCH",
        "/api/staff/mentors/{mentor_id}",
        boss,
        {},
        url=f"/api/staff/mentors/{mentor_id}",
    )
    checked += await _fields_hold_their_limits(env, doc, "PUT", "/api/staff/settings", boss, {})
    checked += await _fields_hold_their_limits(
        env,
        doc,
        "POST",
        "/api/staff/shifts",
        boss,
        {"mentor_id": mentor_id, "date": "2026-12-02", "start": "15:00", "end": "16:00"},
    )
    checked += await _fields_hold_their_limits(
        env,
        doc,
        "POST",
        "/api/staff/accounts",
        boss,
        {"username": "bound-x", "role": "mentor", "mentor_id": mentor_id},
    )
    checked += await _fields_hold_their_limits(env, doc, "POST", "/api/queue", client, {})
    checked += await _fields_hold_their_limits(
        env, doc, "POST", "/api/chat-now", client, {"mentor_id": mentor_id}
    )
    checked += await _fields_hold_their_limits(
        env, doc, "POST", "/api/bookings", client, {"start": "2026-12-02T18:00:00+09:00"}
    )
    assert checked > 40
