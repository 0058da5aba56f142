"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of what the HTTP API takes and returns.

Request limits are the constants the checks in `app/actions` use, imported, never retyped;
response shapes describe what `app/web/shapes.py` (and the few handlers that shape their own
answer) build. `tests/contract/` holds both sides to it: boundary values of every request
schema go through the API, and Schemathesis checks every response against these shapes.
"""

from __future__ import annotations

from typing import Any

from app.actions.accounts import NEW_SECRET_MIN, NICKNAME_MAX, SECRET_MIN
from app.actions.handover import MAX_NOTE as MAX_HANDOVER_NOTE
from app.actions.inputs import MAX_ID
from app.actions.notes import MAX_NOTE, MAX_REASON
from app.actions.queue import MAX_TEXT as MAX_FIRST_MESSAGE
from app.actions.roster import TEXT_LIMITS
from app.actions.staff_accounts import DISPLAY_NAME_MAX, USERNAME
from app.db.tables import MENTOR_AUDIENCES, MENTOR_KINDS, MENTOR_LANGUAGES, STAFF_ROLES, STATUSES
from app.rules.capacity import MAX_LINES
from app.security.passwords import MAX_SECRET_CHARS, STAFF_PASSWORD_MIN

Schema = dict[str, Any]

AUDIENCES = ("child", "parent")


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these keys (further keys may be added by later versions)."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
    }


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def enum(values: tuple[str, ...] | list[str]) -> Schema:
    return {"type": "string", "enum": list(values)}


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
TIME: Schema = {"type": "string", "format": "date-time"}  # Asia/Tokyo with offset
DAY: Schema = {"type": "string", "format": "date"}
HHMM: Schema = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
LOCALIZED: Schema = obj({"ja": STR, "en": STR}, {"zh": STR, "ko": STR})

# -- requests ----------------------------------------------------------------------------

NICKNAME: Schema = {"type": "string", "minLength": 1, "maxLength": NICKNAME_MAX}
SECRET: Schema = {"type": "string", "minLength": SECRET_MIN, "maxLength": MAX_SECRET_CHARS}
NEW_SECRET: Schema = {"type": "string", "minLength": NEW_SECRET_MIN, "maxLength": MAX_SECRET_CHARS}
PASSWORD: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_SECRET_CHARS}
NEW_PASSWORD: Schema = {
    "type": "string",
    "minLength": STAFF_PASSWORD_MIN,
    "maxLength": MAX_SECRET_CHARS,
}
USERNAME_SCHEMA: Schema = {"type": "string", "pattern": f"^{USERNAME.pattern}$"}
OTP: Schema = {"type": "string", "maxLength": 64}
KIND: Schema = enum(MENTOR_KINDS)
LANGUAGE: Schema = enum(MENTOR_LANGUAGES)
# The languages a mentor chats in: one or more codes, each once.
LANGUAGES: Schema = {"type": "array", "items": LANGUAGE, "minItems": 1, "uniqueItems": True}


def body(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    return obj(required, optional)


SIGN_UP = body({"nickname": NICKNAME, "secret": NEW_SECRET, "audience": enum(AUDIENCES)})
SIGN_IN_CLIENT = body({"nickname": NICKNAME, "secret": SECRET})
SIGN_IN_STAFF = body({"username": USERNAME_SCHEMA, "password": PASSWORD}, {"otp": OTP})
REVERIFY = body({"secret": PASSWORD})
BOOK = body({"mentor_id": ID, "start": TIME})
CHAT_NOW = body({}, {"mentor_id": ID, "kind": KIND})
NOTE = body({"text": {"type": "string", "maxLength": MAX_NOTE}})
TRANSCRIPT = body({"reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON}})
SWITCH = body({"mentor_id": ID})
REASSIGN = body({"mentor_id": ID}, {"note": {"type": "string", "maxLength": MAX_HANDOVER_NOTE}})
DELETE_ME = body({}, {"secret": PASSWORD})
QUEUE_JOIN = body(
    {},
    {
        "mentor_id": ID,
        "kind": KIND,
        "message": {"type": "string", "maxLength": MAX_FIRST_MESSAGE},
    },
)
QUEUE_MESSAGE = body({"message": {"type": "string", "maxLength": MAX_FIRST_MESSAGE}})
_MENTOR_TEXT = {name: {"type": "string", "maxLength": limit} for name, limit in TEXT_LIMITS.items()}
_MENTOR_TEXT["display_name"] = {**_MENTOR_TEXT["display_name"], "minLength": 1}
# A mentor's own limit on consultations (well-being); null: the service default.
MENTOR_LIMIT: Schema = nullable({"type": "integer", "minimum": 1, "maximum": 100})
MENTOR_CREATE = body(
    {
        "display_name": _MENTOR_TEXT["display_name"],
        "kind": KIND,
        "audience": enum(MENTOR_AUDIENCES),
    },
    {
        "profile_ja": _MENTOR_TEXT["profile_ja"],
        "profile_en": _MENTOR_TEXT["profile_en"],
        "languages": LANGUAGES,
        "max_per_day": MENTOR_LIMIT,
        "max_per_shift": MENTOR_LIMIT,
    },
)
MENTOR_UPDATE = body(
    {},
    {
        **_MENTOR_TEXT,
        "kind": KIND,
        "audience": enum(MENTOR_AUDIENCES),
        "active": BOOL,
        "languages": LANGUAGES,
        "max_per_day": MENTOR_LIMIT,
        "max_per_shift": MENTOR_LIMIT,
    },
)
SHIFT = body({"mentor_id": ID, "date": DAY, "start": HHMM, "end": HHMM})
CAPACITY = body({"lines": {"type": "integer", "minimum": 1, "maximum": MAX_LINES}})
STAFF_CREATE = body(
    {"username": USERNAME_SCHEMA, "role": enum(STAFF_ROLES)},
    {
        "mentor_id": nullable(ID),
        "display_name": {"type": "string", "minLength": 1, "maxLength": DISPLAY_NAME_MAX},
    },
)
STAFF_ACTIVE = body({"active": BOOL})
OWN_PASSWORD = body({"current_password": PASSWORD, "new_password": NEW_PASSWORD})
CONFIRM_OTP = body({"otp": OTP})

# -- responses ---------------------------------------------------------------------------

# "child": the kind in a child's words, for the child face (a label, and what it is good for)
KIND_VIEW = obj(
    {"id": STR, "label": LOCALIZED},
    {"child": obj({"label": LOCALIZED, "about": LOCALIZED})},
)
MENTOR = obj(
    {
        "id": ID,
        "display_name": STR,
        "kind": KIND_VIEW,
        "audience": enum(MENTOR_AUDIENCES),
        "profile": LOCALIZED,
        "languages": LANGUAGES,
    }
)
CHAT_NOW_STATE = obj(
    {"possible": BOOL, "reason": nullable(STR), "until": nullable(TIME)}, {"booking_id": ID}
)
MENTOR_VIEW = {
    "allOf": [
        MENTOR,
        obj({"chat_now": CHAT_NOW_STATE, "today": {}, "next_free_slots": array(TIME)}),
    ]
}
SLOT = obj({"start": TIME, "end": TIME, "free": BOOL, "reason": nullable(STR)}, {"booking_id": ID})
CONSULTATION = obj(
    {
        "id": ID,
        "mentor_id": ID,
        "mode": STR,
        "status": enum(STATUSES),
        "starts_at": TIME,
        "ends_at": TIME,
        "opened_at": nullable(TIME),
        "closed_at": nullable(TIME),
        "mentor_joined_at": nullable(TIME),
        "mentor_absent": BOOL,
    },
    {"mentor": MENTOR, "booked_by_parent": BOOL},
)
HANDOVER = obj(
    {
        "at": TIME,
        "reason": STR,
        "note": nullable(STR),
        "from_mentor": nullable(obj({"id": ID, "display_name": STR})),
        "from_joined": BOOL,
    }
)
STAFF_CONSULTATION = {
    "allOf": [
        CONSULTATION,
        obj(
            {
                "client": obj({"id": ID, "nickname": STR, "audience": enum(AUDIENCES)}),
                "client_joined_at": nullable(TIME),
                "close_reason": nullable(STR),
                "at_risk": BOOL,
                "channel": enum(["web", "line"]),
                "open_risks": array(STR),
                "waiting_since": nullable(TIME),
                "mentor_absent_at": nullable(TIME),
                "state": STR,
                "handover": nullable(HANDOVER),
            }
        ),
    ]
}
CLIENT_ACCOUNT = obj({"kind": enum(["client"]), "id": ID, "nickname": STR, "role": enum(AUDIENCES)})
STAFF_ACCOUNT = obj(
    {
        "kind": enum(["staff"]),
        "id": ID,
        "username": STR,
        "display_name": STR,
        "role": enum(STAFF_ROLES),
        "mentor_id": nullable(ID),
        "second_factor": BOOL,
        "restricted": nullable(STR),
    }
)
PRINCIPAL = obj(
    {
        "kind": enum(["client", "staff"]),
        "id": ID,
        "role": enum([*AUDIENCES, *STAFF_ROLES]),
        "display_name": STR,
        "mentor_id": nullable(ID),
    },
    {"restricted": nullable(STR)},
)
# The bearer token is in the body only for a caller that sent no Origin header.
SIGNED_IN_CLIENT = obj({"account": CLIENT_ACCOUNT}, {"token": STR})
SIGNED_IN_STAFF = obj({"account": STAFF_ACCOUNT}, {"token": STR})
QUEUE_PLACE = obj(
    {
        "id": ID,
        "state": STR,
        "position": nullable(INT),
        "estimated_wait_minutes": nullable(INT),
        "waiting_for": obj(
            {"mentor_id": nullable(ID), "mentor_name": nullable(STR), "kind": nullable(STR)}
        ),
        "joined_at": TIME,
        "has_message": BOOL,
        "consultation_id": nullable(ID),
        "offer_expires_at": nullable(TIME),
        "next_open": nullable(TIME),
    },
    {"message": nullable(STR)},
)
ROSTER_MENTOR = {
    "allOf": [
        MENTOR,
        obj({"active": BOOL}, {"max_per_day": nullable(INT), "max_per_shift": nullable(INT)}),
    ]
}
# -- well-being and the parent-child link (app/web/wellbeing_api.py, app/web/links_api.py)
REST_VIEW = obj({"resting_until": nullable(TIME), "reason": nullable(STR)})
LOAD_FIGURES = obj({"consultations": INT, "minutes": INT})
MENTOR_LOAD = obj(
    {
        "mentor_id": ID,
        "display_name": STR,
        "active": BOOL,
        "today": LOAD_FIGURES,
        "week": LOAD_FIGURES,
        "resting_until": nullable(TIME),
        "max_per_day": nullable(INT),
        "max_per_shift": nullable(INT),
    }
)
LINK_CODE_VIEW = obj({"code": STR, "expires_at": TIME})
LINK_CODE_BODY = body({"code": {"type": "string", "minLength": 1, "maxLength": 32}})
LINK_VIEW = obj({"id": ID, "nickname": STR, "role": enum(AUDIENCES), "created_at": TIME})
PARENT_BOOKING = obj({"starts_at": TIME, "ends_at": TIME})
SHIFT_VIEW = obj({"id": ID, "mentor_id": ID, "date": DAY, "start": HHMM, "end": HHMM})
STAFF_ROW = obj(
    {
        "id": ID,
        "username": STR,
        "display_name": STR,
        "role": enum(STAFF_ROLES),
        "mentor": nullable(obj({"id": ID, "display_name": STR, "active": BOOL})),
        "active": BOOL,
        "second_factor": BOOL,
        "recovery_codes_left": INT,
        "must_change_password": BOOL,
        "locked": BOOL,
        "created_at": TIME,
    }
)
NOTE_VIEW = obj({"text": STR, "updated_at": nullable(TIME)})
MESSAGE = obj(
    {
        "type": enum(["message"]),
        "consultation_id": ID,
        "seq": INT,
        "sender": obj({"role": STR, "name": nullable(STR)}),
        "text": STR,
        "client_msg_id": nullable(STR),
        "sent_at": TIME,
    },
    {"card": nullable({"type": "object"})},
)
REASSIGNED = obj({"consultation": CONSULTATION, "previous_mentor_id": ID, "reason": STR})
ALTERNATIVE = {"allOf": [MENTOR, obj({"same_kind": BOOL})]}
HELP_ENTRY: Schema = {"type": "object", "required": ["id"], "properties": {"id": STR}}
CAPACITY_VIEW = obj({"lines": INT, "default_lines": INT})
SERVICE = obj(
    {
        "now": TIME,
        "today": DAY,
        "timezone": STR,
        "open_time": HHMM,
        "last_start": HHMM,
        "close_time": HHMM,
        "session_minutes": INT,
        "horizon_days": INT,
        "lines": INT,
        "max_bookings": INT,
        "kinds": array(KIND_VIEW),
        "repaint_ms": nullable(INT),
        "poll_seconds": nullable(INT),
    }
)
