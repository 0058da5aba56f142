"""The input boundary: what no database can store, JSON nested too deep, controls in URLs.

Bodies are written as raw bytes: a lone surrogate is valid JSON ("\\ud800", what a browser
sends when it cuts a long text in the middle of an emoji) but not valid UTF-8, so no client
library would encode it from a Python string.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from uvicorn.logging import AccessFormatter

from app.actions.inputs import MAX_JSON_DEPTH, nesting_depth, parse_json
from app.errors import Refusal
from app.web.errors import ErrorBoundary
from app.web.logs import EscapeControlChars, escape_for_log
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token

JSON = {"Content-Type": "application/json"}
LONE = "\\ud800"  # as it appears inside a JSON document


def lone(doc: str) -> str:
    """A JSON document with each @ replaced by an escaped lone surrogate."""
    return doc.replace("@", LONE)


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "invalid_input"
    assert r.json()["error"]["field"] == field


async def _post(env: Env, path: str, raw: str, token: str | None = None) -> httpx.Response:
    headers = {**JSON, **(bearer(token) if token else {})}
    return await env.http.post(path, content=raw.encode(), headers=headers)


async def test_unstorable_strings_are_refused_naming_the_field(env: Env) -> None:
    cases = [
        (lone('{"nickname": "x@", "secret": "himitsu123", "audience": "child"}'), "nickname"),
        (lone('{"nickname": "ok", "secret": "hi@mitsu", "audience": "child"}'), "secret"),
        ('{"nickname": "ok", "secret": "hi\\u0000mitsu", "audience": "child"}', "secret"),
        ('{"nickname": "ok", "secret": "himitsu123", "audience": "\\udfff"}', "audience"),
        (lone('{"nickname": "ok", "secret": "himitsu123", "x": {"y": ["@"]}}'), "x"),
        (lone('{"nickname": "ok", "secret": "himitsu123", "@": 1}'), "body"),
    ]
    for raw, field in cases:
        _refused(await _post(env, "/api/clients", raw), field)
    r = await _post(env, "/api/session/client", lone('{"nickname": "ok", "secret": "a@"}'))
    _refused(r, "secret")


async def test_staff_fields_with_unstorable_strings(env: Env) -> None:
    mentor_id = await add_mentor(env.ctx)
    await add_staff(env.ctx, "boss", "boss-pass1", role="supervisor")
    boss = await staff_token(env.http, "boss", "boss-pass1")
    for field in ("display_name", "profile_ja", "profile_en"):
        for bad in (f"x{LONE}", "a\\u0000b"):
            r = await env.http.patch(
                f"/api/staff/mentors/{mentor_id}",
                content=f'{{"{field}": "{bad}"}}'.encode(),
                headers={**JSON, **bearer(boss)},
            )
            _refused(r, field)
    r = await env.http.put(
        "/api/staff/consultations/1/note",
        content=(lone('{"text": "note @"}')).encode(),
        headers={**JSON, **bearer(boss)},
    )
    _refused(r, "text")  # refused before any lookup: the boundary runs first


async def test_deep_nesting_is_refused_before_parsing(env: Env) -> None:
    r = await _post(env, "/api/clients", "[" * 7000 + "]" * 7000)  # the 14 KB body that was a 500
    _refused(r, "body")
    r = await _post(env, "/api/clients", '{"nickname": ' + "[" * 7000 + "]" * 7000 + "}")
    _refused(r, "body")
    inside = "[" * (MAX_JSON_DEPTH - 1) + "1" + "]" * (MAX_JSON_DEPTH - 1)
    r = await _post(env, "/api/clients", f'{{"nickname": {inside}}}')  # 8 deep: parsed
    _refused(r, "nickname")  # ... and then refused for being a list
    deeper = "[" + inside + "]"
    _refused(await _post(env, "/api/clients", f'{{"nickname": {deeper}}}'), "body")
    # brackets inside strings are text, not nesting
    r = await _post(
        env,
        "/api/clients",
        '{"nickname": "[[[[[[[[[[{{{{{", "secret": "sora]]umi[[kaze}}", "audience": "child"}',
    )
    assert r.status_code == 201, r.text


def test_nesting_scan_and_walk_agree() -> None:
    assert nesting_depth('{"a": "[[[[\\"[[[", "b": [[{}]]}') == 4
    assert nesting_depth("[" * 7000) == 7000
    assert parse_json("[" * 8 + "]" * 8, field="frame") == [[[[[[[[]]]]]]]]
    for raw in ("[" * 9 + "]" * 9, '{"a": ' * 9 + "1" + "}" * 9, "[" * 20000):
        with pytest.raises(Refusal) as info:
            parse_json(raw, field="frame")
        assert (info.value.code, info.value.field) == ("invalid_input", "frame")
    with pytest.raises(Refusal) as info:
        parse_json(b"\xff{}", field="body")
    assert info.value.field == "body"


async def test_controls_in_query_strings_name_the_parameter(env: Env) -> None:
    mentor_id = await add_mentor(env.ctx)
    token = await sign_up(env.http, "しつもん")
    for path, field in (
        ("/api/mentors?audience=%00", "audience"),
        ("/api/help?q=a%0D%0Ab", "q"),
        (f"/api/mentors/{mentor_id}/availability?date=2026-12-01%00", "date"),
        ("/api/help?%00=1", "query"),
    ):
        r = await env.http.get(path, headers=bearer(token))
        _refused(r, field)
    assert (await env.http.get("/api/help?q=%E3%81%82")).status_code == 200


async def test_controls_in_page_paths_are_not_found(env: Env) -> None:
    for path in ("/assets/%00", "/assets/a%0D%0Ab", "/child/%00", "/%00", "/mentor/x%1b"):
        r = await env.http.get(path)
        assert r.status_code == 404 and error_code(r) == "not_found", path
    assert (await env.http.get("/child/")).status_code == 200
    r = await env.http.get("/api/mentors/%00")  # API path parameters are named
    _refused(r, "mentor_id")


async def test_logged_paths_are_escaped(caplog: pytest.LogCaptureFixture) -> None:
    async def boom(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=ErrorBoundary(boom))
    with caplog.at_level(logging.ERROR, logger="yorisoi.web"):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            r = await http.get("/a%0D%0AERROR forged line")
    assert r.status_code == 500
    (record,) = caplog.records
    assert "\r" not in record.getMessage() and "\n" not in record.getMessage()
    assert "/a\\x0d\\x0aERROR forged line" in record.getMessage()


def test_the_log_filter_escapes_every_logged_value() -> None:
    assert (
        escape_for_log("a\rb\nc\x00d\u2028e\ud800 ふつう")
        == "a\\x0db\\x0ac\\x00d\\u2028e\\ud800 ふつう"
    )
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5", "GET", "/x\r\nforged", "1.1", 404),
        None,
    )
    assert EscapeControlChars().filter(access)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(access)
    assert line == '10.0.0.1:5 - "GET /x\\x0d\\x0aforged HTTP/1.1" 404 Not Found'
    plain = logging.LogRecord("yorisoi", logging.INFO, __file__, 1, "a\nb %s %r", ("c\rd", 5), None)
    EscapeControlChars().filter(plain)
    assert plain.getMessage() == "a\\x0ab c\\x0dd 5"
