"""GET /api/ws-schema.json: the WebSocket contract, a valid 2020-12 document naming every
frame type the server can send (the protocol tests check every frame against it)."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema

from app.contract.frames import CLIENT, DIALECT, SERVER, document
from app.web.ws.frames import FRAMES
from tests.conftest import Env

APP = Path(__file__).resolve().parents[2] / "app"
# Published on the hub but never written to a socket: read by the sender task or by the
# connection registry (app/web/ws/endpoint.py, registry.py), or kept apart by their key.
INTERNAL = {"message_ref", "_catchup", "_gap", "revoked", "lockout_lifted"}
# `"type": "object"` and the like in the HTTP declarations (app/web/*.py) are JSON Schema.
JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


async def test_the_document_is_served_and_is_a_valid_schema(env: Env) -> None:
    r = await env.http.get("/api/ws-schema.json")
    assert r.status_code == 200
    served = r.json()
    assert served == document()
    assert served["$schema"] == DIALECT
    jsonschema.Draft202012Validator.check_schema(served)
    for side in ("client", "server"):
        union = {"$defs": served["$defs"], **served[side]}
        jsonschema.Draft202012Validator.check_schema(union)
        assert len(served[side]["oneOf"]) == len(CLIENT if side == "client" else SERVER)


def test_every_client_frame_the_server_handles_has_a_schema_and_no_more() -> None:
    assert set(CLIENT) == set(FRAMES)


def test_every_frame_type_the_code_publishes_has_a_schema() -> None:
    """A new `"type": "…"` in app/ (an event builder, a publish) fails here until the
    contract describes it (or it is one of the internal hub events)."""
    published = set()
    for path in APP.rglob("*.py"):
        if "contract" in path.relative_to(APP).parts:
            continue  # the schemas themselves
        published |= set(re.findall(r'"type": "([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert published, "found no frame types: the pattern no longer matches the code"
    described = {v["properties"]["type"]["const"] for v in SERVER.values()}
    assert published - INTERNAL - JSON_TYPES - described == set()
    assert described - published == set(), "a schema for a frame nothing sends"


def test_a_drifted_frame_is_refused() -> None:
    union = jsonschema.Draft202012Validator({"$defs": document()["$defs"], **document()["server"]})
    pong = {"type": "pong", "server_time": "2026-12-01T16:00:00+09:00"}
    assert union.is_valid(pong)
    assert not union.is_valid({**pong, "extra": 1})  # closed shapes: a new field is a change
    assert not union.is_valid({"type": "pong"})
    assert not union.is_valid({"type": "dance"})
    consultation = {
        "type": "consultation",
        "consultation_id": 1,
        "event": "opened",
        "status": "open",
        "mode": "walk_in",
        "starts_at": "2026-12-01T16:00:00+09:00",
        "ends_at": "2026-12-01T16:30:00+09:00",
        "reason": None,
        "mentor_id": 1,
        "mentor_joined_at": None,
        "waiting_since": "2026-12-01T16:00:00+09:00",
        "mentor_absent": False,
        "grace_minutes": 5,
    }
    assert union.is_valid(consultation)
    assert not union.is_valid({**consultation, "event": "exploded"})
    # reassigned is told apart by its event: it needs the new mentor
    assert not union.is_valid({**consultation, "event": "reassigned"})
