"""Staff logins: headquarters' lifecycle endpoints and every staff member's own security."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.actions import Context
from app.actions import staff_accounts as accounts
from app.actions.inputs import path_id
from app.contract import schemas as s
from app.contract.spec import endpoint
from app.web import shapes
from app.web.auth import client_address, context, read_json, signed_in


def account_row(ctx: Context, row: accounts.StaffRow) -> dict[str, Any]:
    st = row.staff
    return {
        "id": st.id,
        "username": st.username,
        "display_name": st.display_name,
        "role": st.role,
        "mentor": (
            {
                "id": row.mentor.id,
                "display_name": row.mentor.display_name,
                "active": row.mentor.active,
            }
            if row.mentor is not None
            else None
        ),
        "active": st.active,
        "second_factor": st.totp_secret is not None,
        "recovery_codes_left": row.recovery_codes_left,
        "must_change_password": st.must_change_password,
        "locked": row.locked,
        "created_at": shapes.iso(st.created_at, ctx.rules),
    }


def _staff_id(request: Request) -> int:
    return path_id(request.path_params["staff_id"], "staff_id")


@endpoint("Every staff login", "supervisor", s.obj({"accounts": s.array(s.STAFF_ROW)}))
async def list_accounts(request: Request) -> JSONResponse:
    ctx = context(request)
    rows = await accounts.list_accounts(ctx, await signed_in(request))
    return JSONResponse({"accounts": [account_row(ctx, r) for r in rows]})


@endpoint(
    "Create a staff login; the one-time password is shown once",
    "supervisor",
    s.obj({"account": s.STAFF_ROW, "one_time_password": s.STR}),
    status=201,
    body=s.STAFF_CREATE,
    errors=("username_taken", "mentor_inactive"),
)
async def create_account(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    row, password = await accounts.do_create_account(ctx, principal, await read_json(request))
    return JSONResponse({"account": account_row(ctx, row), "one_time_password": password}, 201)


@endpoint(
    "Stop or restart a staff login",
    "supervisor",
    s.obj({"account": s.STAFF_ROW}),
    body=s.STAFF_ACTIVE,
)
async def update_account(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    body = await read_json(request)
    row = await accounts.do_set_active(ctx, principal, _staff_id(request), body.get("active"))
    return JSONResponse({"account": account_row(ctx, row)})


@endpoint(
    "Give a staff login a new one-time password",
    "supervisor",
    s.obj({"account": s.STAFF_ROW, "one_time_password": s.STR}),
)
async def reset_password(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request)
    row, password = await accounts.do_reset_password(ctx, principal, _staff_id(request))
    return JSONResponse({"account": account_row(ctx, row), "one_time_password": password})


@endpoint("Lift a sign-in lockout", "supervisor", s.obj({"account": s.STAFF_ROW}))
async def lift_lockout(request: Request) -> JSONResponse:
    ctx = context(request)
    row = await accounts.do_lift_lockout(ctx, await signed_in(request), _staff_id(request))
    return JSONResponse({"account": account_row(ctx, row)})


@endpoint("Remove a staff login's second factor", "supervisor", s.obj({"account": s.STAFF_ROW}))
async def reset_second_factor(request: Request) -> JSONResponse:
    ctx = context(request)
    row = await accounts.do_reset_second_factor(ctx, await signed_in(request), _staff_id(request))
    return JSONResponse({"account": account_row(ctx, row)})


@endpoint(
    "Change one's own password",
    "staff",
    s.obj({"changed": s.BOOL, "account": s.PRINCIPAL}),
    body=s.OWN_PASSWORD,
    restricted_ok=True,
    errors=("bad_credentials", "weak_password", "rate_limited"),
)
async def change_own_password(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request, restricted_ok=True)
    body = await read_json(request)
    await accounts.do_change_own_password(
        ctx,
        principal,
        current_password=body.get("current_password"),
        new_password=body.get("new_password"),
        address=client_address(request),
    )
    return JSONResponse({"changed": True, "account": await _me(request)})


@endpoint(
    "Begin enrolling a second factor (TOTP secret, URI and QR code)",
    "staff",
    s.obj({"secret": s.STR, "uri": s.STR, "qr_svg": s.STR}),
    restricted_ok=True,
    errors=("second_factor_enrolled",),
)
async def begin_enrolment(request: Request) -> JSONResponse:
    ctx = context(request)
    enrolment = await accounts.do_begin_enrolment(ctx, await signed_in(request, restricted_ok=True))
    return JSONResponse(
        {"secret": enrolment.secret, "uri": enrolment.uri, "qr_svg": enrolment.qr_svg}
    )


@endpoint(
    "Confirm the second factor with a code; answers the recovery codes once",
    "staff",
    s.obj({"recovery_codes": s.array(s.STR), "account": s.PRINCIPAL}),
    body=s.CONFIRM_OTP,
    restricted_ok=True,
    errors=(
        "second_factor_enrolled",
        "second_factor_not_started",
        "bad_second_factor",
        "rate_limited",
    ),
)
async def confirm_enrolment(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await signed_in(request, restricted_ok=True)
    body = await read_json(request)
    codes = await accounts.do_confirm_enrolment(
        ctx, principal, otp=body.get("otp"), address=client_address(request)
    )
    return JSONResponse({"recovery_codes": codes, "account": await _me(request)})


async def _me(request: Request) -> dict[str, Any]:
    """The account as it is now (its restriction may just have been lifted)."""
    return shapes.principal(await signed_in(request, restricted_ok=True))


ROUTES = [
    Route("/api/staff/accounts", list_accounts, methods=["GET"]),
    Route("/api/staff/accounts", create_account, methods=["POST"]),
    Route("/api/staff/accounts/{staff_id}", update_account, methods=["PATCH"]),
    Route("/api/staff/accounts/{staff_id}/password-reset", reset_password, methods=["POST"]),
    Route("/api/staff/accounts/{staff_id}/lockout", lift_lockout, methods=["DELETE"]),
    Route("/api/staff/accounts/{staff_id}/second-factor", reset_second_factor, methods=["DELETE"]),
    Route("/api/staff/me/password", change_own_password, methods=["PUT"]),
    Route("/api/staff/me/second-factor", begin_enrolment, methods=["POST"]),
    Route("/api/staff/me/second-factor/confirm", confirm_enrolment, methods=["POST"]),
]
