"""GET /metrics: the operator's view in Prometheus text format, for allowed addresses or the
metrics token only; anyone else gets 404 not_found, as if there were nothing here."""

from __future__ import annotations

import hmac
import ipaddress
from functools import cache

from prometheus_client import generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.contract import schemas as s
from app.contract.spec import endpoint
from app.errors import Refusal
from app.observability import metrics
from app.observability.facts import read_facts
from app.settings import Settings
from app.web.auth import bearer_token, context

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(allow: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in allow)


def may_scrape(request: Request, settings: Settings) -> bool:
    """The metrics token (constant-time compare), or an allowed client address. The address
    is the one uvicorn settled on (a trusted proxy's X-Forwarded-For, else the TCP peer); a
    request forwarded by a proxy the app does not trust is never admitted by address, since
    that proxy's own (perhaps local) address says nothing about who is asking."""
    token = bearer_token(request)
    if settings.metrics_token and token is not None:
        return hmac.compare_digest(token.encode(), settings.metrics_token.encode())
    if "x-forwarded-for" in request.headers and not settings.trusted_proxies:
        return False
    if request.client is None or not settings.metrics_allow:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(settings.metrics_allow))


@endpoint(
    "Prometheus metrics of the whole deployment",
    "none",
    s.STR,
    media_type="text/plain",
    errors=("not_found",),
    description=(
        "Prometheus text exposition format (version 0.0.4). Answered only to the addresses in "
        "YORISOI_METRICS_ALLOW (default: loopback) or to the bearer token YORISOI_METRICS_TOKEN; "
        "anyone else gets 404 not_found. The metrics are listed in docs/operations.md."
    ),
)
async def metrics_endpoint(request: Request) -> Response:
    ctx = context(request)
    if not may_scrape(request, ctx.settings):
        raise Refusal("not_found")
    body = generate_latest(metrics.process_registry()) + generate_latest(await read_facts(ctx))
    return Response(body, media_type=CONTENT_TYPE)


ROUTES = [Route("/metrics", metrics_endpoint, methods=["GET"])]
