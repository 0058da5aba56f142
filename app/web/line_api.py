"""POST /line/webhook: the LINE platform's events (app/actions/line/ applies them).

The signature is checked on the raw body before anything is parsed; a bad or missing one is
401 and changes nothing. Verified events are stored pending in line_event (one transaction) and the request
is answered once they are stored (LINE waits only a few seconds and redelivers what it thinks
failed, but never what got 200: so 200 comes only after the events are committed).
With the channel off (no secret or no access token) the route answers 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions.inputs import path_id
from app.actions.line import LineChannel, parse_events, undelivered_seqs, webhook_signature_ok
from app.contract import schemas as s
from app.contract.spec import endpoint
from app.errors import Refusal
from app.web.auth import context, signed_in

MAX_BODY = 1024 * 1024  # LINE's bodies are small; anything bigger is not LINE's


@endpoint(
    "LINE's webhook: follow, unfollow, message and postback events of the official account",
    "none",
    s.obj({}),
    errors=("bad_signature", "not_found", "invalid_input"),
    description=(
        "Answers 404 unless YORISOI_LINE_CHANNEL_SECRET and YORISOI_LINE_CHANNEL_ACCESS_TOKEN "
        "are set. X-Line-Signature must be the base64 HMAC-SHA256 of the raw body with the "
        "channel secret (401 bad_signature otherwise, nothing changes). Events are "
        "stored before it is acknowledged (200 only after they are committed) and applied "
        "asynchronously, in order, each webhookEventId once."
    ),
)
async def line_webhook(request: Request) -> JSONResponse:
    ctx = context(request)
    channel: LineChannel | None = getattr(request.app.state, "line", None)
    if not ctx.settings.line_enabled or channel is None:
        raise Refusal("not_found")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Refusal("invalid_input", field="body")
    if not webhook_signature_ok(
        ctx.settings.line_channel_secret, body, request.headers.get("x-line-signature")
    ):
        raise Refusal("bad_signature")
    try:
        events = parse_events(body)
    except Exception:  # noqa: BLE001 - a verified body LINE's models do not accept
        raise Refusal("invalid_input", field="events") from None
    await channel.store(events)
    return JSONResponse({})


@endpoint(
    "The messages of a LINE consultation that did not reach the client's LINE (seqs only)",
    "staff",
    s.obj({"consultation_id": s.ID, "seqs": s.array(s.ID)}),
    description=(
        "For the consultation's mentor or a supervisor; anyone else gets 404. A seq is in the "
        "list when LINE refused the message, it stayed rate-limited after the retries, or it "
        "was not pushed because the month's message quota was used up."
    ),
)
async def line_undelivered(request: Request) -> JSONResponse:
    ctx = context(request)
    cid = path_id(request.path_params["consultation_id"], "consultation_id")
    seqs = await undelivered_seqs(ctx, await signed_in(request), cid)
    return JSONResponse({"consultation_id": cid, "seqs": seqs})


ROUTES = [
    Route("/line/webhook", line_webhook, methods=["POST"]),
    Route(
        "/api/staff/consultations/{consultation_id}/line-undelivered",
        line_undelivered,
        methods=["GET"],
    ),
]
