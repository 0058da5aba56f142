"""Help directory, crisis alerts, statistics and account deletion."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.actions import privacy, safety, stats
from app.actions.catalog import check_audience
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import Query, endpoint
from app.errors import Refusal
from app.web import shapes
from app.web.auth import clear_session_cookie, client_address, context, read_json, signed_in

MAX_QUERY = 100  # characters of a help directory search
STATS_ERRORS: tuple[str, ...] = ()  # from/to are checked as invalid_input


@endpoint(
    "Search the help directory (places to call or visit)",
    "none",
    s.obj(
        {
            "categories": {"type": "object", "additionalProperties": s.LOCALIZED},
            "entries": s.array(s.HELP_ENTRY),
        }
    ),
    query=(
        Query("q", {"type": "string", "maxLength": MAX_QUERY}),
        Query("category", s.STR),
        Query("audience", s.enum(s.AUDIENCES)),
    ),
)
async def help_directory(request: Request) -> JSONResponse:
    ctx = context(request)
    q = request.query_params.get("q", "")
    category = request.query_params.get("category") or None
    if len(q) > MAX_QUERY:
        raise Refusal("invalid_input", field="q")
    if category is not None and category not in ctx.directory.categories:
        raise Refusal("invalid_input", field="category")
    audience = check_audience(request.query_params.get("audience"))
    entries = ctx.directory.search(query=q, category=category, audience=audience)
    return JSONResponse({"categories": ctx.directory.categories, "entries": entries})


@endpoint(
    "One help directory entry",
    "none",
    s.obj({"entry": s.HELP_ENTRY}),
    path_schemas={"entry_id": s.STR},
)
async def help_entry(request: Request) -> JSONResponse:
    ctx = context(request)
    entry = ctx.directory.get(request.path_params["entry_id"])
    if entry is None:
        raise Refusal("not_found")
    return JSONResponse({"entry": entry})


@endpoint(
    "Who should I talk to? The topics of one audience and the kinds that fit",
    "none",
    s.obj(
        {
            "audience": s.enum(s.AUDIENCES),
            "topics": s.array(
                s.obj(
                    {
                        "id": s.STR,
                        "label": s.LOCALIZED,
                        "kinds": s.array({"allOf": [s.KIND_VIEW, s.obj({"why": s.LOCALIZED})]}),
                    }
                )
            ),
        }
    ),
    query=(Query("audience", s.enum(s.AUDIENCES), required=True),),
)
async def topics(request: Request) -> JSONResponse:
    """Who should I talk to? The topics one audience can pick, each with the mentor kinds
    that fit and one line of why, in that audience's words. No authentication."""
    ctx = context(request)
    audience = check_audience(request.query_params.get("audience"))
    if audience is None:
        raise Refusal("invalid_input", field="audience")
    return JSONResponse(
        {
            "audience": audience,
            "topics": [
                {
                    "id": topic.id,
                    "label": topic.label[audience],
                    "kinds": [
                        {**shapes.kind(fit.kind), "why": fit.why[audience]} for fit in topic.kinds
                    ],
                }
                for topic in ctx.topics.for_audience(audience)
            ],
        }
    )


@endpoint("Open crisis alerts", "supervisor", s.obj({"alerts": s.array({"type": "object"})}))
async def alerts(request: Request) -> JSONResponse:
    ctx = context(request)
    return JSONResponse({"alerts": await safety.open_alerts(ctx, await signed_in(request))})


@endpoint("Acknowledge a crisis alert", "supervisor", s.obj({"acknowledged": s.ID}))
async def acknowledge(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    alert_id = path_id(request.path_params["alert_id"], "alert_id")
    await safety.do_acknowledge(ctx, principal, alert_id)
    return JSONResponse({"acknowledged": alert_id})


@endpoint(
    "Statistics of a period (at most 92 days)",
    "supervisor",
    s.obj({"from": s.DAY, "to": s.DAY}),
    query=(Query("from", s.DAY), Query("to", s.DAY)),
    errors=STATS_ERRORS,
)
async def statistics(request: Request) -> JSONResponse:
    ctx = context(request)
    body = await stats.statistics(
        ctx,
        await signed_in(request),
        first=request.query_params.get("from"),
        last=request.query_params.get("to"),
    )
    return JSONResponse(body)


@endpoint(
    "The same statistics as CSV, one row a day",
    "supervisor",
    s.STR,
    media_type="text/csv",
    query=(Query("from", s.DAY), Query("to", s.DAY)),
    errors=STATS_ERRORS,
)
async def statistics_csv(request: Request) -> Response:
    ctx = context(request)
    body = await stats.statistics(
        ctx,
        await signed_in(request),
        first=request.query_params.get("from"),
        last=request.query_params.get("to"),
    )
    name = f"yorisoi-stats-{body['from']}-{body['to']}.csv"
    return Response(
        stats.as_csv(body),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@endpoint(
    "Delete the signed-in client's account and everything it wrote",
    "client",
    s.obj({"deleted": s.BOOL}),
    body=s.DELETE_ME,
    errors=("bad_credentials", "secret_needed", "rate_limited", "secret_wait"),
)
async def delete_account(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    await privacy.do_delete_account(
        ctx, principal, body.get("secret"), address=client_address(request)
    )
    response = JSONResponse({"deleted": True})
    clear_session_cookie(response, ctx, child=principal.role == "child")
    return response


ROUTES = [
    Route("/api/help", help_directory, methods=["GET"]),
    Route("/api/help/{entry_id}", help_entry, methods=["GET"]),
    Route("/api/topics", topics, methods=["GET"]),
    Route("/api/staff/alerts", alerts, methods=["GET"]),
    Route("/api/staff/alerts/{alert_id}/ack", acknowledge, methods=["POST"]),
    Route("/api/staff/stats", statistics, methods=["GET"]),
    Route("/api/staff/stats.csv", statistics_csv, methods=["GET"]),
    Route("/api/me", delete_account, methods=["DELETE"]),
]
