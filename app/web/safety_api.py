"""Help directory, crisis alerts, statistics and account deletion."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.actions import privacy, safety, stats
from app.actions.catalog import check_audience
from app.actions.inputs import path_id
from app.errors import Refusal
from app.web import shapes
from app.web.auth import clear_session_cookie, client_address, context, read_json, signed_in


async def help_directory(request: Request) -> JSONResponse:
    ctx = context(request)
    q = request.query_params.get("q", "")
    category = request.query_params.get("category") or None
    if len(q) > 100:
        raise Refusal("invalid_input", field="q")
    if category is not None and category not in ctx.directory.categories:
        raise Refusal("invalid_input", field="category")
    audience = check_audience(request.query_params.get("audience"))
    entries = ctx.directory.search(query=q, category=category, audience=audience)
    return JSONResponse({"categories": ctx.directory.categories, "entries": entries})


async def help_entry(request: Request) -> JSONResponse:
    ctx = context(request)
    entry = ctx.directory.get(request.path_params["entry_id"])
    if entry is None:
        raise Refusal("not_found")
    return JSONResponse({"entry": entry})


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


async def alerts(request: Request) -> JSONResponse:
    ctx = context(request)
    return JSONResponse({"alerts": await safety.open_alerts(ctx, await signed_in(request))})


async def acknowledge(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    alert_id = path_id(request.path_params["alert_id"], "alert_id")
    await safety.do_acknowledge(ctx, principal, alert_id)
    return JSONResponse({"acknowledged": alert_id})


async def statistics(request: Request) -> JSONResponse:
    ctx = context(request)
    body = await stats.statistics(
        ctx,
        await signed_in(request),
        first=request.query_params.get("from"),
        last=request.query_params.get("to"),
    )
    return JSONResponse(body)


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
