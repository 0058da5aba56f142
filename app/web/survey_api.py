"""The client's post-chat survey, and the municipal report (supervisors)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.actions import report, survey
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import Query, endpoint
from app.db.tables import SURVEY_AGAIN, SURVEY_STATES
from app.web.auth import context, read_json, signed_in

FACE: s.Schema = {"type": "integer", "minimum": 1, "maximum": 5}
SURVEY = s.obj(
    {
        "consultation_id": s.ID,
        "state": s.enum(("none", *SURVEY_STATES)),
        "feel_before": s.nullable(FACE),
        "can_feel_before": s.BOOL,
        "can_answer": s.BOOL,
        "help": s.BOOL,
    }
)
SURVEY_BODY = s.body(
    {},
    {
        "feel_after": s.nullable(FACE),
        "again": s.nullable(s.enum(SURVEY_AGAIN)),
        "comment": s.nullable({"type": "string", "maxLength": survey.MAX_COMMENT}),
        "skip": s.BOOL,
    },
)
PERIOD = (
    Query("from", s.DAY, "First day (Asia/Tokyo). Default: the first of the month of `to`."),
    Query("to", s.DAY, "Last day, included. Default: today."),
    Query(
        "month",
        {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
        "A calendar month (YYYY-MM) instead of from/to.",
    ),
)
COUNTS: s.Schema = {"type": "object", "additionalProperties": s.INT}
GROUP = s.obj(
    {
        "consultations": s.INT,
        "modes": COUNTS,
        "unanswered": s.INT,
        "no_show": s.INT,
        "durations": COUNTS,
        "topics": COUNTS,
        "risk": COUNTS,
        "handovers": s.INT,
        "escalations": {"type": "object"},
        "turned_away": s.nullable({"type": "object"}),
        "waiting_line": s.nullable({"type": "object"}),
        "survey": {"type": "object"},
    }
)
GROUPS = {
    "total": GROUP,
    "by_audience": {"type": "object", "additionalProperties": GROUP},
    "by_kind": {"type": "object", "additionalProperties": GROUP},
}
REPORT = s.obj(
    {
        "from": s.DAY,
        "to": s.DAY,
        "min_group": s.INT,
        "topic_labels": {"type": "object", "additionalProperties": s.LOCALIZED},
        **GROUPS,
        "months": s.array(s.obj({"month": s.STR, "from": s.DAY, "to": s.DAY, **GROUPS})),
    }
)


def _cid(request: Request) -> int:
    return path_id(request.path_params["consultation_id"], "consultation_id")


@endpoint("The post-chat survey of one of the client's own consultations", "client", SURVEY)
async def get_survey(request: Request) -> JSONResponse:
    ctx = context(request)
    view = await survey.get_survey(ctx, await signed_in(request), _cid(request))
    return JSONResponse(survey.survey_body(view))


@endpoint(
    "How the client feels as the chat begins (optional; while it is open, once)",
    "client",
    SURVEY,
    body=s.body({"feel_before": FACE}),
    errors=("survey_unavailable", "survey_done"),
)
async def feel_before(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    cid = _cid(request)
    body = await read_json(request)
    view = await survey.do_feel_before(ctx, principal, cid, body)
    return JSONResponse(survey.survey_body(view))


@endpoint(
    "Answer or skip the post-chat survey (after the chat closed, once; anonymous)",
    "client",
    SURVEY,
    body=SURVEY_BODY,
    errors=("survey_unavailable", "survey_done"),
)
async def answer_survey(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    cid = _cid(request)
    body = await read_json(request)
    view = await survey.do_answer(ctx, principal, cid, body)
    return JSONResponse(survey.survey_body(view))


async def _report(request: Request) -> dict[str, object]:
    ctx = context(request)
    q = request.query_params
    return await report.report(
        ctx, await signed_in(request), first=q.get("from"), last=q.get("to"), month=q.get("month")
    )


@endpoint(
    "The municipal report of a period (at most 366 days): in total, by audience, by mentor "
    "kind, and per month",
    "supervisor",
    REPORT,
    query=PERIOD,
)
async def report_json(request: Request) -> JSONResponse:
    return JSONResponse(await _report(request))


@endpoint(
    "The municipal report as CSV: one figure a row (period, group, figure, value); "
    "survey comments are never in the file",
    "supervisor",
    s.STR,
    media_type="text/csv",
    query=PERIOD,
)
async def report_csv(request: Request) -> Response:
    body = await _report(request)
    name = f"yorisoi-report-{body['from']}-{body['to']}.csv"
    return Response(
        report.as_csv(body),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [
    Route("/api/consultations/{consultation_id}/survey", get_survey, methods=["GET"]),
    Route("/api/consultations/{consultation_id}/survey", answer_survey, methods=["POST"]),
    Route("/api/consultations/{consultation_id}/survey/before", feel_before, methods=["POST"]),
    Route("/api/staff/report", report_json, methods=["GET"]),
    Route("/api/staff/report.csv", report_csv, methods=["GET"]),
]
