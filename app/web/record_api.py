"""The consultation record, its topic taxonomy, and two-person escalations (staff only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import escalation, records
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import endpoint
from app.db.tables import ESCALATION_DESTINATIONS, ESCALATION_STATES, REFERRALS, RISK_LEVELS
from app.web.auth import context, read_json, signed_in

LABEL_JA: s.Schema = {"type": "string", "minLength": 1, "maxLength": records.LABEL_JA_MAX}
LABEL_EN: s.Schema = {"type": "string", "minLength": 1, "maxLength": records.LABEL_EN_MAX}
TOPIC = s.obj({"id": s.ID, "key": s.STR, "label": s.LOCALIZED, "retired": s.BOOL})
TOPICS = s.obj({"topics": s.array(TOPIC)})
PERSON = s.obj({"id": s.ID, "display_name": s.STR})
ESCALATION_TEXT: s.Schema = {"type": "string", "minLength": 1, "maxLength": escalation.MAX_TEXT}
ESCALATION = s.obj(
    {
        "id": s.ID,
        "consultation_id": s.ID,
        "mentor": s.nullable(PERSON),
        "destination": s.enum(ESCALATION_DESTINATIONS),
        "reason": s.STR,
        "shared": s.STR,
        "status": s.enum(ESCALATION_STATES),
        "raised_at": s.TIME,
        "decided_at": s.nullable(s.TIME),
        "decided_by": s.nullable(PERSON),
        "decision_note": s.nullable(s.STR),
    }
)
RECORD_VIEW = s.obj(
    {
        "consultation_id": s.ID,
        "needed": s.BOOL,
        "record": s.nullable(
            s.obj(
                {
                    "topics": s.array(TOPIC),
                    "risk": s.enum(RISK_LEVELS),
                    "referrals": s.array(s.enum(REFERRALS)),
                    "help_entry_id": s.nullable(s.STR),
                    "follow_up": s.BOOL,
                    "mentor_id": s.ID,
                    "created_at": s.TIME,
                    "updated_at": s.TIME,
                    "updated_by": s.nullable(s.STR),
                    "corrected": s.BOOL,
                }
            )
        ),
        "escalations": s.array(ESCALATION),
    }
)
RECORD_BODY = s.body(
    {
        "topics": {
            "type": "array",
            "items": s.ID,
            "minItems": 1,
            "maxItems": records.MAX_TOPICS,
            "uniqueItems": True,
        },
        "risk": s.enum(RISK_LEVELS),
        "referrals": {
            "type": "array",
            "items": s.enum(REFERRALS),
            "minItems": 1,
            "uniqueItems": True,
        },
        "follow_up": s.BOOL,
    },
    {"help_entry_id": s.nullable(s.STR)},
)
OPEN_RECORD = s.obj(
    {
        "consultation_id": s.ID,
        "starts_at": s.TIME,
        "closed_at": s.nullable(s.TIME),
        "mode": s.STR,
        "mentor": PERSON,
        "client": s.obj({"nickname": s.STR, "audience": s.enum(s.AUDIENCES)}),
    }
)


def _cid(request: Request) -> int:
    return path_id(request.path_params["consultation_id"], "consultation_id")


@endpoint("The consultation record's topics (retired ones marked)", "staff", TOPICS)
async def list_topics(request: Request) -> JSONResponse:
    ctx = context(request)
    topics = await records.list_topics(ctx, await signed_in(request))
    return JSONResponse({"topics": [records.topic_body(t) for t in topics]})


@endpoint(
    "Add a topic to the record's taxonomy",
    "supervisor",
    s.obj({"topic": TOPIC}),
    status=201,
    body=s.body({"label_ja": LABEL_JA, "label_en": LABEL_EN}),
)
async def add_topic(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    topic = await records.do_add_topic(ctx, principal, body.get("label_ja"), body.get("label_en"))
    return JSONResponse({"topic": records.topic_body(topic)}, status_code=201)


@endpoint(
    "Rename, retire or restore a topic (a topic is never deleted: records keep theirs)",
    "supervisor",
    s.obj({"topic": TOPIC}),
    body=s.body({}, {"label_ja": LABEL_JA, "label_en": LABEL_EN, "retired": s.BOOL}),
)
async def change_topic(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    topic_id = path_id(request.path_params["topic_id"], "topic_id")
    body = await read_json(request)
    topic = await records.do_change_topic(ctx, principal, topic_id, body)
    return JSONResponse({"topic": records.topic_body(topic)})


@endpoint(
    "Answered consultations still without a record: the mentor's own (a supervisor: all)",
    "staff",
    s.obj({"count": s.INT, "consultations": s.array(OPEN_RECORD)}),
)
async def open_records(request: Request) -> JSONResponse:
    ctx = context(request)
    count, rows = await records.open_records(ctx, await signed_in(request))
    return JSONResponse(
        {"count": count, "consultations": [records.open_record_body(ctx, o) for o in rows]}
    )


@endpoint(
    "A consultation's record and its escalations (its mentor, or a supervisor)",
    "staff",
    RECORD_VIEW,
)
async def get_record(request: Request) -> JSONResponse:
    ctx = context(request)
    view = await records.get_record(ctx, await signed_in(request), _cid(request))
    return JSONResponse(records.record_body(ctx, view))


@endpoint(
    "Write the record of a closed, answered consultation (a supervisor's change is audited)",
    "staff",
    RECORD_VIEW,
    body=RECORD_BODY,
    errors=("record_not_needed", "busy_try_again"),
)
async def put_record(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    cid = _cid(request)
    body = await read_json(request)
    view = await records.do_save_record(ctx, principal, cid, body)
    return JSONResponse(records.record_body(ctx, view))


@endpoint(
    "Raise an escalation from a consultation (its mentor); supervisors are told at once",
    "mentor",
    s.obj({"escalation": ESCALATION}),
    status=201,
    body=s.body(
        {
            "destination": s.enum(ESCALATION_DESTINATIONS),
            "reason": ESCALATION_TEXT,
            "shared": ESCALATION_TEXT,
        }
    ),
    errors=("not_joined",),
)
async def raise_escalation(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    cid = _cid(request)
    body = await read_json(request)
    out = await escalation.do_raise(ctx, principal, cid, body)
    return JSONResponse({"escalation": out}, status_code=201)


@endpoint(
    "Escalations waiting for a supervisor's decision, oldest first",
    "supervisor",
    s.obj({"escalations": s.array(ESCALATION)}),
)
async def pending_escalations(request: Request) -> JSONResponse:
    ctx = context(request)
    return JSONResponse({"escalations": await escalation.pending(ctx, await signed_in(request))})


@endpoint(
    "Confirm or decline an escalation (a second staff member decides; audited)",
    "supervisor",
    s.obj({"escalation": ESCALATION}),
    body=s.body(
        {"decision": s.enum(escalation.DECISIONS)},
        {"note": s.nullable({"type": "string", "maxLength": escalation.MAX_TEXT})},
    ),
    errors=("already_decided",),
)
async def decide_escalation(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    escalation_id = path_id(request.path_params["escalation_id"], "escalation_id")
    body = await read_json(request)
    out = await escalation.do_decide(ctx, principal, escalation_id, body)
    return JSONResponse({"escalation": out})


ROUTES = [
    Route("/api/staff/record-topics", list_topics, methods=["GET"]),
    Route("/api/staff/record-topics", add_topic, methods=["POST"]),
    Route("/api/staff/record-topics/{topic_id}", change_topic, methods=["PATCH"]),
    Route("/api/staff/records/open", open_records, methods=["GET"]),
    Route("/api/staff/consultations/{consultation_id}/record", get_record, methods=["GET"]),
    Route("/api/staff/consultations/{consultation_id}/record", put_record, methods=["PUT"]),
    Route(
        "/api/staff/consultations/{consultation_id}/escalations",
        raise_escalation,
        methods=["POST"],
    ),
    Route("/api/staff/escalations", pending_escalations, methods=["GET"]),
    Route("/api/staff/escalations/{escalation_id}/decision", decide_escalation, methods=["POST"]),
]
