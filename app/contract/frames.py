"""JSON Schemas (draft 2020-12) of every WebSocket frame, client → server and server → client.

Taken from what the code sends and accepts: the server frames from the builders in
app/actions/events.py and app/actions/safety.py, the client frames from the handlers in
app/web/ws/frames.py with the limits their checks enforce (app/actions/chat.py,
app/actions/inputs.py). `document()` is served as GET /api/ws-schema.json; the protocol
tests validate every frame they receive and every well-formed frame they send against it
(tests/protocol/conftest.py), so a change of shape here or in the code fails a test.

Closed shapes say `additionalProperties: false`: a new field is a deliberate change of the
contract, made here too.
"""

from __future__ import annotations

from typing import Any

from app.actions.chat import MAX_CLIENT_MSG_ID, MAX_TEXT
from app.actions.inputs import MAX_ID
from app.db.tables import ESCALATION_DESTINATIONS, ESCALATION_STATES
from app.errors import CATALOG, LANGS

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "/api/ws-schema.json"
MAX_REASON = 400  # a supervisor's reason for joining (check_join_reason in app/actions/chat.py)


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A closed object: these fields (all required) and the optional ones, nothing else."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def const(value: str) -> Schema:
    return {"const": value}


def enum(*values: str) -> Schema:
    return {"enum": list(values)}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
SEQ: Schema = {"type": "integer", "minimum": 1}
COUNT: Schema = {"type": "integer", "minimum": 0}
STRING: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
TIME_OR_NULL = nullable(TIME)
TEXT: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_TEXT,
    "pattern": r"\S",
}  # not blank
CLIENT_MSG_ID: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_CLIENT_MSG_ID}
# zh (Simplified Chinese) and ko (Korean) where the data has them; pages fall back to en
JA_EN = obj({"ja": STRING, "en": STRING}, {"zh": STRING, "ko": STRING})
# easy: the Japanese the child face shows (kana, every kanji as {漢字|かな} ruby markup)
JA_EN_EASY = obj({"ja": STRING, "en": STRING}, {"zh": STRING, "ko": STRING, "easy": STRING})
# A refusal's words (app/errors.py) in every language, in the register of the account the
# socket belongs to: a child account gets the child one.
MESSAGE = obj({lang: STRING for lang in LANGS})

STATUS = enum("booked", "open", "closed", "no_show", "cancelled")
MODE = enum("booked", "walk_in")
SPEAKER = enum("client", "mentor", "supervisor")  # sender_role, Access.role
EVENTS = (
    "booked",
    "cancelled",
    "opened",
    "warning",
    "closed",
    "no_show",
    "mentor_joined",
    "mentor_absent",
)  # publish_lifecycle; "reassigned" has its own shape (publish_reassigned)
QUEUE_STATES = enum("waiting", "offered", "served", "left", "expired", "closed")

MENTOR = obj({"id": ID, "display_name": STRING})
MENTOR_PRESENCE: dict[str, Schema] = {  # events.mentor_presence
    "mentor_id": ID,
    "mentor_joined_at": TIME_OR_NULL,
    "waiting_since": TIME_OR_NULL,
    "mentor_absent": BOOL,
    "grace_minutes": COUNT,
}
CONSULTATION_EVENT: dict[str, Schema] = {  # events.publish_lifecycle
    "type": const("consultation"),
    "consultation_id": ID,
    "status": STATUS,
    "mode": MODE,
    "starts_at": TIME,
    "ends_at": TIME,
    "reason": nullable(STRING),
    **MENTOR_PRESENCE,
}
ALERT = obj(  # events.alert_body
    {
        "id": ID,
        "kind": enum("crisis", "mentor_absent", "line_undelivered"),
        "consultation_id": ID,
        "category": STRING,
        "message_seq": COUNT,
        "created_at": TIME,
        "mentor": nullable(MENTOR),
    }
)
HELP_ENTRY = obj(  # a help-directory entry (app/data/help_directory.json), on shared messages
    {
        "id": STRING,
        "category": STRING,
        "audience": enum("child", "parent", "both"),
        "name": JA_EN_EASY,
        "description": JA_EN_EASY,
        "for_whom": JA_EN_EASY,
        "contact": {"$ref": "#/$defs/contact"},
    }
)
CONTACT = obj({}, {"tel": STRING, "text": JA_EN_EASY, "note": JA_EN_EASY})

# --- client → server (app/web/ws/frames.py FRAMES) ----------------------------------------

CLIENT: dict[str, Schema] = {
    "ping": obj({"type": const("ping")}),
    "join": obj(
        {"type": const("join"), "consultation_id": ID},
        {
            "last_seq": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
            # required for supervisors (the server answers invalid_input, field reason)
            "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON},
        },
    ),
    "leave": obj({"type": const("leave"), "consultation_id": ID}),
    "send": obj(
        {
            "type": const("send"),
            "consultation_id": ID,
            "client_msg_id": CLIENT_MSG_ID,
            "text": TEXT,
        }
    ),
    "share": obj(
        {
            "type": const("share"),
            "consultation_id": ID,
            "client_msg_id": CLIENT_MSG_ID,
            "entry_id": STRING,
        }
    ),
    "typing": obj({"type": const("typing"), "consultation_id": ID}),
    # seen up to seq: at most the consultation's last_seq (past it: invalid_input, field seq)
    "read": obj({"type": const("read"), "consultation_id": ID, "seq": ID}),
    "end": obj({"type": const("end"), "consultation_id": ID}),
    "call_supervisor": obj({"type": const("call_supervisor"), "consultation_id": ID}),
}

# --- server → client (app/actions/events.py, app/actions/safety.py) -----------------------

SERVER: dict[str, Schema] = {
    "hello": obj(
        {
            "type": const("hello"),
            "account": obj(
                {
                    "kind": enum("client", "staff"),
                    "id": ID,
                    "role": enum("child", "parent", "mentor", "supervisor"),
                    "display_name": STRING,
                    "mentor_id": nullable(ID),
                }
            ),
            "server_time": TIME,
            "limits": obj(
                {
                    "max_text": {"const": MAX_TEXT},
                    "max_frame_bytes": SEQ,
                    "messages_per_minute": SEQ,
                    "frames_per_minute": SEQ,
                }
            ),
        }
    ),
    "pong": obj({"type": const("pong"), "server_time": TIME}),
    "error": obj(
        {
            "type": const("error"),
            "code": enum(*CATALOG),
            "message": MESSAGE,
            # the client_msg_id or frame type answered; null when the frame had none usable
            "ref": nullable(STRING),
        },
        {"field": STRING, "details": {"type": "object"}, "consultation_id": ID},
    ),
    "ack": obj(
        {
            "type": const("ack"),
            "consultation_id": ID,
            "client_msg_id": CLIENT_MSG_ID,
            "seq": SEQ,
            "sent_at": TIME,
            "duplicate": BOOL,
        }
    ),
    "joined": obj(
        {
            "type": const("joined"),
            "consultation": obj(
                {
                    "id": ID,
                    "status": STATUS,
                    "mode": MODE,
                    "starts_at": TIME,
                    "ends_at": TIME,
                    "opened_at": TIME_OR_NULL,
                    "closed_at": TIME_OR_NULL,
                    "mentor": MENTOR,
                    "client": obj({"nickname": STRING}),
                    **MENTOR_PRESENCE,
                    "read": obj({"client": COUNT, "mentor": COUNT}),  # the read marks
                }
            ),
            "you": obj({"role": SPEAKER}),
        }
    ),
    "message": obj(
        {
            "type": const("message"),
            "consultation_id": ID,
            "seq": SEQ,
            "sender": obj({"role": SPEAKER, "name": STRING}),
            "text": TEXT,
            "client_msg_id": CLIENT_MSG_ID,
            "sent_at": TIME,
        },
        {"card": ref("help_entry")},
    ),
    "consultation": obj({**CONSULTATION_EVENT, "event": enum(*EVENTS)}),
    "reassigned": obj(
        {
            **CONSULTATION_EVENT,
            "event": const("reassigned"),
            "reason": enum("mentor_absent", "client_switch", "headquarters", "mentor_handover"),
            "mentor": MENTOR,
            "previous_mentor_id": ID,
        }
    ),
    "typing": obj(
        {"type": const("typing"), "consultation_id": ID, "role": SPEAKER, "name": STRING}
    ),
    "read": obj(  # events.read_event
        {
            "type": const("read"),
            "consultation_id": ID,
            "by": enum("client", "mentor"),
            "seq": SEQ,
        }
    ),
    "presence": obj(
        {
            "type": const("presence"),
            "consultation_id": ID,
            "role": SPEAKER,
            "name": STRING,
            "state": enum("joined", "present", "left", "reconnecting"),
        }
    ),
    "activity": obj(
        {
            "type": const("activity"),
            "consultation_id": ID,
            "seq": SEQ,
            "role": SPEAKER,
            "sent_at": TIME,
        }
    ),
    "supervisor_called": obj(
        {"type": const("supervisor_called"), "consultation_id": ID, "mentor": MENTOR}
    ),
    "alert": obj({"type": const("alert"), "alert": ALERT}),
    "alert_acknowledged": obj(
        {"type": const("alert_acknowledged"), "alert_id": ID, "consultation_id": ID}
    ),
    "mentor_absent": obj(
        {
            "type": const("mentor_absent"),
            "alert": ALERT,
            "consultation": obj(
                {
                    "id": ID,
                    "mode": MODE,
                    "starts_at": TIME,
                    "ends_at": TIME,
                    "waiting_since": TIME_OR_NULL,
                }
            ),
            "waited_minutes": COUNT,
        }
    ),
    # A mentor's cool-down began (or headquarters ended it: until null); to that mentor
    # and to supervisors (app/actions/wellbeing.py).
    "resting": obj(
        {
            "type": const("resting"),
            "mentor_id": ID,
            "until": TIME_OR_NULL,
            "reason": nullable(enum("crisis", "risk_high", "risk_urgent")),
        }
    ),
    # A message of a LINE consultation that did not reach the client's LINE (refused by
    # LINE, still rate-limited after the retries, or not pushed: the month's quota is used
    # up); seq None: a notice, not a message.
    "line_undelivered": obj(
        {
            "type": const("line_undelivered"),
            "consultation_id": ID,
            "seq": nullable(COUNT),
            "reason": enum("refused", "rate_limited", "quota"),
        }
    ),
    "at_risk": obj(
        {
            "type": const("at_risk"),
            "consultation_id": ID,
            "categories": {"type": "array", "items": STRING, "minItems": 1},
        }
    ),
    "help_card": obj(
        {
            "type": const("help_card"),
            "consultation_id": ID,
            "contacts": {
                "type": "array",
                "items": obj({"id": STRING, "name": JA_EN_EASY, "contact": ref("contact")}),
            },
        }
    ),
    "handover_request": obj(  # events.handover_request_event: never the staff-only note
        {
            "type": const("handover_request"),
            "consultation_id": ID,
            "request": obj(
                {
                    "id": ID,
                    "mode": enum("now", "booking"),
                    "state": enum("pending", "booking", "accepted", "declined", "expired"),
                    "mentor": obj({"id": ID, "display_name": STRING, "kind": STRING}),
                    "starts_at": TIME_OR_NULL,
                    "booking_id": nullable(ID),
                }
            ),
        }
    ),
    "queue": obj(  # events.queue_place
        {
            "type": const("queue"),
            "id": ID,
            "state": QUEUE_STATES,
            "position": nullable(SEQ),
            "estimated_wait_minutes": nullable(COUNT),
            "waiting_for": obj(
                {
                    "mentor_id": nullable(ID),
                    "mentor_name": nullable(STRING),
                    "kind": nullable(STRING),
                }
            ),
            "joined_at": TIME,
            "has_message": BOOL,
            "consultation_id": nullable(ID),
            "offer_expires_at": TIME_OR_NULL,
            "next_open": TIME_OR_NULL,
        }
    ),
    "queue_changed": obj(
        {
            "type": const("queue_changed"),
            "waiting": COUNT,
            "offered": COUNT,
            "longest_wait_minutes": COUNT,
        }
    ),
    # app/actions/escalation.py: to supervisors and the mentor who raised it, never a client
    "escalation": obj(
        {
            "type": const("escalation"),
            "escalation": obj(
                {
                    "id": ID,
                    "consultation_id": ID,
                    "mentor": nullable(MENTOR),
                    "destination": enum(*ESCALATION_DESTINATIONS),
                    "reason": STRING,
                    "shared": STRING,
                    "status": enum(*ESCALATION_STATES),
                    "raised_at": TIME,
                    "decided_at": TIME_OR_NULL,
                    "decided_by": nullable(MENTOR),
                    "decision_note": nullable(STRING),
                }
            ),
        }
    ),
    # To the client's own connections: words the service sets (YORISOI_ESCALATION_CLIENT_NOTICE)
    "notice": obj(
        {
            "type": const("notice"),
            "consultation_id": ID,
            "kind": enum("escalation"),
            "text": STRING,
        }
    ),
}

SHARED: dict[str, Schema] = {"help_entry": HELP_ENTRY, "contact": CONTACT}


def client_name(name: str) -> str:
    return f"client.{name}"


def server_name(name: str) -> str:
    return f"server.{name}"


def document() -> Schema:
    """The whole contract: one $def per frame, `client` and `server` the unions (oneOf, told
    apart by the `type` const; `consultation` and `reassigned` by `event`)."""
    defs: dict[str, Schema] = {**SHARED}
    defs.update({client_name(k): v for k, v in CLIENT.items()})
    defs.update({server_name(k): v for k, v in SERVER.items()})
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "Yorisoi WebSocket frames (/ws)",
        "description": "Every frame is one JSON object (a text frame). docs/protocol.md "
        "explains them; this document is what the protocol tests enforce.",
        "$defs": defs,
        "client": {"oneOf": [ref(client_name(k)) for k in CLIENT]},
        "server": {"oneOf": [ref(server_name(k)) for k in SERVER]},
    }


def union(side: str) -> Schema:
    """A schema for one side's frames, usable on its own (the document's $defs included)."""
    doc = document()
    return {"$schema": DIALECT, "$defs": doc["$defs"], **doc[side]}


def frame_schema(side: str, frame: object) -> tuple[str, Schema] | None:
    """The $def a frame claims to be (by its type and, for consultation, its event), to
    report a mismatch against one schema rather than the whole oneOf; None: no such type."""
    if not isinstance(frame, dict):
        return None
    kind = frame.get("type")
    if side == "server" and kind == "consultation" and frame.get("event") == "reassigned":
        kind = "reassigned"
    table = CLIENT if side == "client" else SERVER
    if not isinstance(kind, str) or kind not in table:
        return None
    name = client_name(kind) if side == "client" else server_name(kind)
    doc = document()
    return name, {"$schema": DIALECT, "$defs": doc["$defs"], **doc["$defs"][name]}
