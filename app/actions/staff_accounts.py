"""Staff logins: create, deactivate, reset, lift a lockout; own password; second factor.

Headquarters (supervisors) run the lifecycle; every change is audited in the same
transaction. Whatever ends a login's access (deactivation, a password reset, a reset second
factor, its mentor profile stopped) revokes its sessions in the database first, then tells
every process (the ACCOUNTS topic, across processes through LISTEN/NOTIFY) so that each
closes that login's live sockets at once instead of at its next periodic check.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.actions.context import Context, Principal
from app.actions.inputs import check_id
from app.actions.staff import require_staff
from app.db.tables import STAFF_ROLES, AuditLog, AuthSession, Mentor, Staff, StaffRecoveryCode
from app.errors import Refusal
from app.realtime.hub import ACCOUNTS
from app.security import totp
from app.security.passwords import MAX_SECRET_CHARS, STAFF_PASSWORD_MIN, staff_password_problem
from app.security.tokens import token_hash

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,59}")
DISPLAY_NAME_MAX = 60
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

PASSWORD_CHANGE = "password_change_required"  # noqa: S105 - a refusal code
ENROLMENT = "second_factor_enrolment_required"


def throttle_key(username: str) -> str:
    return "staff:" + username.strip().casefold()


def restriction(ctx: Context, staff: Staff) -> str | None:
    """What a signed-in staff member must do before anything else, if anything."""
    return restriction_of(
        ctx,
        staff.role,
        must_change_password=staff.must_change_password,
        has_second_factor=staff.totp_secret is not None,
    )


def restriction_of(
    ctx: Context, role: str, *, must_change_password: bool, has_second_factor: bool
) -> str | None:
    if must_change_password:
        return PASSWORD_CHANGE
    if not has_second_factor and ctx.settings.second_factor_required(role):
        return ENROLMENT
    return None


def one_time_password() -> str:
    """Four groups of four (about 78 bits): read out or pasted once, then replaced."""
    return "-".join("".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(4)) for _ in range(4))


def check_new_password(password: object, username: str) -> str:
    if not isinstance(password, str):
        raise Refusal("invalid_input", field="new_password")
    problem = staff_password_problem(password, username)
    if problem == "too_long":
        raise Refusal("invalid_input", field="new_password")
    if problem is not None:
        raise Refusal(
            "weak_password", field="new_password", reason=problem, min_length=STAFF_PASSWORD_MIN
        )
    return password


# -- revocation ---------------------------------------------------------------------------


async def revoke_sessions(
    s: AsyncSession, now: datetime, staff_ids: list[int], *, keep: int | None = None
) -> list[int]:
    """Revoke the open sessions of these logins (but `keep`); return the revoked session ids."""
    if not staff_ids:
        return []
    query = select(col(AuthSession.id)).where(
        col(AuthSession.principal) == "staff",
        col(AuthSession.principal_id).in_(staff_ids),
        col(AuthSession.revoked_at).is_(None),
    )
    if keep is not None:
        query = query.where(col(AuthSession.id) != keep)
    ids = [i for i in (await s.execute(query)).scalars() if i is not None]
    if ids:
        await s.execute(
            update(AuthSession).where(col(AuthSession.id).in_(ids)).values(revoked_at=now)
        )
    return ids


async def publish_revoked(
    ctx: Context, *, staff_ids: list[int] | None = None, session_ids: list[int] | None = None
) -> None:
    """After the commit: every process closes the sockets of these logins / sessions."""
    if staff_ids or session_ids:
        await ctx.hub.publish(
            [ACCOUNTS],
            {"type": "revoked", "staff_ids": staff_ids or [], "session_ids": session_ids or []},
        )


def record(
    s: AsyncSession,
    ctx: Context,
    actor: Principal,
    action: str,
    subject: str,
    reason: str | None = None,
) -> None:
    s.add(
        AuditLog(
            at=ctx.now(),
            actor_role=actor.role,
            actor_id=actor.id,
            action=action,
            consultation_id=None,
            reason=reason,
            subject=subject,
        )
    )


async def stop_mentor_logins(
    s: AsyncSession, ctx: Context, actor: Principal, mentor_id: int
) -> list[int]:
    """Inside the transaction that deactivates a mentor profile: end its logins' sessions."""
    found = await s.execute(select(col(Staff.id)).where(col(Staff.mentor_id) == mentor_id))
    staff_ids = [i for i in found.scalars() if i is not None]
    await revoke_sessions(s, ctx.now(), staff_ids)
    record(s, ctx, actor, "mentor_deactivated", f"mentor:{mentor_id}")
    return staff_ids


# -- second factor at sign-in -------------------------------------------------------------


async def check_second_factor(ctx: Context, staff: Staff, otp: object, *, address: str) -> None:
    """The second step of a staff sign-in: nothing to do for a login without TOTP; else a
    fresh TOTP code or an unused recovery code. Failures count against the same throttle as
    wrong passwords."""
    if staff.totp_secret is None:
        return
    assert staff.id is not None
    if otp is None or otp == "":
        raise Refusal("second_factor_required", field="otp")
    key = throttle_key(staff.username)
    if not isinstance(otp, str) or len(otp) > 64:
        ctx.throttle.failed(key, address)
        raise Refusal("bad_second_factor", field="otp")
    code = otp.strip().replace(" ", "")
    if totp.looks_like_totp(code):
        ok = await _accept_step(ctx, staff.id, staff.totp_secret, code)
    else:
        ok = await _use_recovery_code(ctx, staff, code)
    if not ok:
        ctx.throttle.failed(key, address)
        raise Refusal("bad_second_factor", field="otp")


async def _accept_step(ctx: Context, staff_id: int, secret: str, code: str) -> bool:
    step = totp.matching_step(secret, code, ctx.now())
    if step is None:
        return False
    async with ctx.db.write() as s:
        # One conditional write: of two requests with the same code, only one moves the step.
        result = await s.execute(
            update(Staff)
            .where(
                col(Staff.id) == staff_id,
                or_(col(Staff.totp_last_step).is_(None), col(Staff.totp_last_step) < step),
            )
            .values(totp_last_step=step)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


async def _use_recovery_code(ctx: Context, staff: Staff, code: str) -> bool:
    normalised = totp.normalise_recovery_code(code)
    if not normalised:
        return False
    hashed = token_hash(normalised, ctx.settings.secret_key)
    async with ctx.db.write() as s:
        result = await s.execute(
            update(StaffRecoveryCode)
            .where(
                col(StaffRecoveryCode.staff_id) == staff.id,
                col(StaffRecoveryCode.code_hash) == hashed,
                col(StaffRecoveryCode.used_at).is_(None),
            )
            .values(used_at=ctx.now())
        )
        used = bool(getattr(result, "rowcount", 0) == 1)
        if used:
            assert staff.id is not None
            s.add(
                AuditLog(
                    at=ctx.now(),
                    actor_role=staff.role,
                    actor_id=staff.id,
                    action="recovery_code_used",
                    subject=f"staff:{staff.id}",
                )
            )
        return used


# -- self service -------------------------------------------------------------------------


def _self(principal: Principal | None, *, allow: tuple[str | None, ...]) -> Principal:
    staff = require_staff(principal)
    if staff.restricted not in allow:
        raise Refusal(staff.restricted or "not_allowed")
    return staff


async def do_change_own_password(
    ctx: Context,
    principal: Principal | None,
    *,
    current_password: object,
    new_password: object,
    address: str,
) -> None:
    """Any staff member, also one signed in with a one-time password. Their other sessions
    end (a stolen session does not outlive the password change); this one stays."""
    me = _self(principal, allow=(None, PASSWORD_CHANGE, ENROLMENT))
    if not isinstance(current_password, str) or len(current_password) > MAX_SECRET_CHARS:
        raise Refusal("invalid_input", field="current_password")
    async with ctx.db.read() as s:
        staff = await s.get(Staff, me.id)
    if staff is None:
        raise Refusal("not_signed_in")
    key = throttle_key(staff.username)
    if not ctx.throttle.allowed(key, address):
        raise Refusal("rate_limited")
    if not await ctx.hasher.verify(current_password, staff.password_hash):
        ctx.throttle.failed(key, address)
        raise Refusal("bad_credentials", field="current_password")
    password = check_new_password(new_password, staff.username)
    if password == current_password:
        raise Refusal(
            "weak_password", field="new_password", reason="unchanged", min_length=STAFF_PASSWORD_MIN
        )
    hashed = await ctx.hasher.hash(password)
    async with ctx.db.write() as s:
        await s.execute(
            update(Staff)
            .where(col(Staff.id) == me.id)
            .values(password_hash=hashed, must_change_password=False)
        )
        revoked = await revoke_sessions(s, ctx.now(), [me.id], keep=me.session_id)
        record(s, ctx, me, "password_changed", f"staff:{me.id}")
    await publish_revoked(ctx, session_ids=revoked)


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str  # a data: URI of an SVG image


async def do_begin_enrolment(ctx: Context, principal: Principal | None) -> Enrolment:
    """A new TOTP secret, kept as pending until a code from it is confirmed."""
    me = _self(principal, allow=(None, ENROLMENT))
    secret = totp.new_secret()
    async with ctx.db.write() as s:
        staff = await s.get(Staff, me.id, with_for_update=True)
        if staff is None:
            raise Refusal("not_signed_in")
        if staff.totp_secret is not None:
            raise Refusal("second_factor_enrolled")
        staff.totp_pending = secret
        username = staff.username
    uri = totp.provisioning_uri(secret, username)
    return Enrolment(secret, uri, totp.qr_svg_data_uri(uri))


async def do_confirm_enrolment(
    ctx: Context, principal: Principal | None, *, otp: object, address: str
) -> list[str]:
    """Confirm the pending secret with a code from it; return the recovery codes (shown once,
    stored only as keyed hashes)."""
    me = _self(principal, allow=(None, ENROLMENT))
    key = f"enrol:{me.id}"
    if not ctx.throttle.allowed(key, address):
        raise Refusal("rate_limited")
    async with ctx.db.read() as s:
        staff = await s.get(Staff, me.id)
    if staff is None:
        raise Refusal("not_signed_in")
    if staff.totp_secret is not None:
        raise Refusal("second_factor_enrolled")
    if staff.totp_pending is None:
        raise Refusal("second_factor_not_started")
    code = otp.strip().replace(" ", "") if isinstance(otp, str) else ""
    step = totp.matching_step(staff.totp_pending, code, ctx.now())
    if step is None:
        ctx.throttle.failed(key, address)
        raise Refusal("bad_second_factor", field="otp")
    codes = totp.new_recovery_codes()
    now = ctx.now()
    async with ctx.db.write() as s:
        result = await s.execute(
            update(Staff)
            .where(
                col(Staff.id) == me.id,
                col(Staff.totp_pending) == staff.totp_pending,
                col(Staff.totp_secret).is_(None),
            )
            .values(
                totp_secret=staff.totp_pending,
                totp_pending=None,
                totp_last_step=step,
                totp_enrolled_at=now,
            )
        )
        if getattr(result, "rowcount", 0) != 1:
            raise Refusal("second_factor_enrolled")  # a concurrent confirm won
        await s.execute(delete(StaffRecoveryCode).where(col(StaffRecoveryCode.staff_id) == me.id))
        for code_text in codes:
            s.add(
                StaffRecoveryCode(
                    staff_id=me.id,
                    code_hash=token_hash(
                        totp.normalise_recovery_code(code_text), ctx.settings.secret_key
                    ),
                    created_at=now,
                )
            )
        record(s, ctx, me, "second_factor_enrolled", f"staff:{me.id}")
    ctx.throttle.succeeded(key, address)
    return codes


# -- headquarters -------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    staff: Staff
    mentor: Mentor | None
    locked: bool
    recovery_codes_left: int


async def list_accounts(ctx: Context, principal: Principal | None) -> list[StaffRow]:
    require_staff(principal, supervisor=True)
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(Staff, Mentor)
                .outerjoin(Mentor, col(Mentor.id) == Staff.mentor_id)
                .order_by(col(Staff.id))
            )
        ).all()
        left = dict(
            (
                await s.execute(
                    select(col(StaffRecoveryCode.staff_id), func.count())
                    .where(col(StaffRecoveryCode.used_at).is_(None))
                    .group_by(col(StaffRecoveryCode.staff_id))
                )
            ).all()
        )
    return [
        StaffRow(
            st, m, ctx.throttle.locked(throttle_key(st.username)), int(left.get(st.id or 0, 0))
        )
        for st, m in rows
    ]


async def _row(ctx: Context, staff_id: int) -> StaffRow:
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(Staff, Mentor)
                .outerjoin(Mentor, col(Mentor.id) == Staff.mentor_id)
                .where(col(Staff.id) == staff_id)
            )
        ).all()
        left = (
            await s.execute(
                select(func.count()).where(
                    col(StaffRecoveryCode.staff_id) == staff_id,
                    col(StaffRecoveryCode.used_at).is_(None),
                )
            )
        ).scalar_one()
    if not rows:
        raise Refusal("not_found")
    st, m = rows[0]
    return StaffRow(st, m, ctx.throttle.locked(throttle_key(st.username)), int(left))


def _check_create(body: dict[str, Any]) -> tuple[str, str, int | None, str | None]:
    username = body.get("username")
    if not isinstance(username, str) or not USERNAME.fullmatch(username.strip()):
        raise Refusal("invalid_input", field="username")
    role = body.get("role")
    if role not in STAFF_ROLES:
        raise Refusal("invalid_input", field="role")
    mentor_id = body.get("mentor_id")
    if role == "mentor":
        mentor_id = check_id(mentor_id, "mentor_id")  # an id that fits the column
    elif mentor_id is not None:
        raise Refusal("invalid_input", field="mentor_id")
    name = body.get("display_name")
    if name is not None:
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= DISPLAY_NAME_MAX:
            raise Refusal("invalid_input", field="display_name")
        name = name.strip()
    elif role == "supervisor":
        raise Refusal("invalid_input", field="display_name")
    return username.strip(), str(role), mentor_id, name


async def do_create_account(
    ctx: Context, principal: Principal | None, body: dict[str, Any]
) -> tuple[StaffRow, str]:
    """A new login with a one-time password (returned once) to change at first sign-in."""
    return await create_account(ctx, require_staff(principal, supervisor=True), body)


# Who created the first supervisor of a deployment: the operator at the console, no login.
OPERATOR = Principal("staff", 0, "operator", "operator", 0)


async def create_account(
    ctx: Context, boss: Principal, body: dict[str, Any]
) -> tuple[StaffRow, str]:
    """do_create_account after its authorization; scripts/create_staff.py calls it with
    OPERATOR to create the first supervisor of a deployment."""
    username, role, mentor_id, name = _check_create(body)
    password = one_time_password()
    hashed = await ctx.hasher.hash(password)
    try:
        async with ctx.db.write() as s:
            if mentor_id is not None:
                mentor = await s.get(Mentor, mentor_id)
                if mentor is None:
                    raise Refusal("not_found", field="mentor_id")
                name = name or mentor.display_name
            assert name is not None
            staff = Staff(
                username=username,
                password_hash=hashed,
                role=role,
                display_name=name,
                mentor_id=mentor_id,
                created_at=ctx.now(),
                must_change_password=True,
            )
            s.add(staff)
            await s.flush()
            assert staff.id is not None
            record(s, ctx, boss, "staff_created", f"staff:{staff.id}", role)
            staff_id = staff.id
    except IntegrityError:
        raise Refusal("username_taken", field="username") from None
    return await _row(ctx, staff_id), password


async def do_set_active(
    ctx: Context, principal: Principal | None, staff_id: int, active: object
) -> StaffRow:
    boss = require_staff(principal, supervisor=True)
    if not isinstance(active, bool):
        raise Refusal("invalid_input", field="active")
    revoked: list[int] = []
    async with ctx.db.write() as s:
        staff = await s.get(Staff, staff_id, with_for_update=True)
        if staff is None:
            raise Refusal("not_found")
        if staff.active != active:
            if not active:
                if staff_id == boss.id:  # so headquarters always keeps an active supervisor
                    raise Refusal("not_allowed")
                revoked = [staff_id]
                await revoke_sessions(s, ctx.now(), revoked)
            staff.active = active
            action = "staff_reactivated" if active else "staff_deactivated"
            record(s, ctx, boss, action, f"staff:{staff_id}")
    await publish_revoked(ctx, staff_ids=revoked)
    return await _row(ctx, staff_id)


async def do_reset_password(
    ctx: Context, principal: Principal | None, staff_id: int
) -> tuple[StaffRow, str]:
    """A new one-time password (returned once); the login's sessions end and its lockout is
    lifted, so the member can sign in with it right away and must then choose their own."""
    boss = require_staff(principal, supervisor=True)
    if staff_id == boss.id:  # one's own password is changed with the current one
        raise Refusal("not_allowed")
    password = one_time_password()
    hashed = await ctx.hasher.hash(password)
    async with ctx.db.write() as s:
        staff = await s.get(Staff, staff_id, with_for_update=True)
        if staff is None:
            raise Refusal("not_found")
        staff.password_hash = hashed
        staff.must_change_password = True
        await revoke_sessions(s, ctx.now(), [staff_id])
        record(s, ctx, boss, "staff_password_reset", f"staff:{staff_id}")
        username = staff.username
    await publish_revoked(ctx, staff_ids=[staff_id])
    await _publish_lift(ctx, username)
    return await _row(ctx, staff_id), password


async def do_reset_second_factor(
    ctx: Context, principal: Principal | None, staff_id: int
) -> StaffRow:
    """For a lost phone and lost recovery codes: the login enrols again at its next sign-in."""
    boss = require_staff(principal, supervisor=True)
    if staff_id == boss.id:  # a stolen session must not be able to drop its own second factor
        raise Refusal("not_allowed")
    async with ctx.db.write() as s:
        staff = await s.get(Staff, staff_id, with_for_update=True)
        if staff is None:
            raise Refusal("not_found")
        staff.totp_secret = None
        staff.totp_pending = None
        staff.totp_last_step = None
        staff.totp_enrolled_at = None
        await s.execute(
            delete(StaffRecoveryCode).where(col(StaffRecoveryCode.staff_id) == staff_id)
        )
        await revoke_sessions(s, ctx.now(), [staff_id])
        record(s, ctx, boss, "staff_second_factor_reset", f"staff:{staff_id}")
    await publish_revoked(ctx, staff_ids=[staff_id])
    return await _row(ctx, staff_id)


async def do_lift_lockout(ctx: Context, principal: Principal | None, staff_id: int) -> StaffRow:
    boss = require_staff(principal, supervisor=True)
    async with ctx.db.write() as s:
        staff = await s.get(Staff, staff_id)
        if staff is None:
            raise Refusal("not_found")
        record(s, ctx, boss, "staff_lockout_lifted", f"staff:{staff_id}")
        username = staff.username
    await _publish_lift(ctx, username)
    return await _row(ctx, staff_id)


async def _publish_lift(ctx: Context, username: str) -> None:
    key = throttle_key(username)
    ctx.throttle.lift(key)  # here at once; the other processes when the event reaches them
    await ctx.hub.publish([ACCOUNTS], {"type": "lockout_lifted", "name": key})
