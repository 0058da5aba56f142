"""Sign-up, sign-in, sign-out and session lookup for clients and staff."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions.context import Context, Principal
from app.db.tables import AUDIENCES, AuthSession, Client, Staff
from app.errors import Refusal
from app.security.passwords import MAX_SECRET_CHARS
from app.security.tokens import new_token, token_hash

NICKNAME_MAX = 20
SECRET_MIN = 4


def nickname_key(nickname: str) -> str:
    """Full/half-width and case variants of a nickname are the same account name."""
    return unicodedata.normalize("NFKC", nickname).strip().casefold()


def check_nickname(nickname: object) -> str:
    if not isinstance(nickname, str):
        raise Refusal("invalid_input", field="nickname")
    cleaned = unicodedata.normalize("NFKC", nickname).strip()
    if not 1 <= len(cleaned) <= NICKNAME_MAX or any(
        unicodedata.category(ch)[0] == "C" for ch in cleaned
    ):
        raise Refusal("invalid_input", field="nickname")
    return cleaned


def check_secret(secret: object, field: str = "secret", minimum: int = SECRET_MIN) -> str:
    if not isinstance(secret, str) or not minimum <= len(secret) <= MAX_SECRET_CHARS:
        raise Refusal("invalid_input", field=field)
    return secret


async def _new_session(ctx: Context, principal: str, principal_id: int) -> str:
    token = new_token()
    now = ctx.now()
    async with ctx.db.write() as s:
        s.add(
            AuthSession(
                token_hash=token_hash(token, ctx.settings.secret_key),
                principal=principal,
                principal_id=principal_id,
                created_at=now,
                expires_at=now + timedelta(days=ctx.settings.session_days),
            )
        )
    return token


async def do_sign_up_client(
    ctx: Context, *, nickname: object, secret: object, audience: object, address: str
) -> tuple[Client, str]:
    name = check_nickname(nickname)
    pw = check_secret(secret)
    if audience not in AUDIENCES:
        raise Refusal("invalid_input", field="audience")
    if not ctx.signups.hit(address):  # each sign-up costs an argon2 hash
        raise Refusal("rate_limited")
    hashed = await ctx.hasher.hash(pw)
    client = Client(
        nickname=name,
        nickname_key=nickname_key(name),
        secret_hash=hashed,
        audience=str(audience),
        created_at=ctx.now(),
    )
    try:
        async with ctx.db.write() as s:
            s.add(client)
            await s.flush()
    except IntegrityError:
        raise Refusal("nickname_taken", field="nickname") from None
    assert client.id is not None
    return client, await _new_session(ctx, "client", client.id)


async def do_sign_in_client(
    ctx: Context, *, nickname: object, secret: object, address: str
) -> tuple[Client, str]:
    if not isinstance(nickname, str) or not isinstance(secret, str):
        raise Refusal("invalid_input")
    if len(secret) > MAX_SECRET_CHARS or len(nickname) > 4 * NICKNAME_MAX:
        raise Refusal("bad_credentials")
    key = nickname_key(nickname)
    if not ctx.throttle.allowed(key, address):
        raise Refusal("rate_limited")
    async with ctx.db.read() as s:
        client = (
            await s.execute(select(Client).where(col(Client.nickname_key) == key))
        ).scalar_one_or_none()
    if client is not None and client.deleted_at is not None:
        client = None  # a deleted account signs in as nobody, at the same cost
    ok = await ctx.hasher.verify(secret, client.secret_hash if client else None)
    if not ok or client is None or client.id is None:
        ctx.throttle.failed(key, address)
        raise Refusal("bad_credentials")
    ctx.throttle.succeeded(key, address)
    return client, await _new_session(ctx, "client", client.id)


async def do_sign_in_staff(
    ctx: Context, *, username: object, password: object, address: str
) -> tuple[Staff, str]:
    if not isinstance(username, str) or not isinstance(password, str):
        raise Refusal("invalid_input")
    if len(password) > MAX_SECRET_CHARS or len(username) > 60:
        raise Refusal("bad_credentials")
    key = "staff:" + username.strip().casefold()
    if not ctx.throttle.allowed(key, address):
        raise Refusal("rate_limited")
    async with ctx.db.read() as s:
        staff = (
            await s.execute(select(Staff).where(col(Staff.username) == username.strip()))
        ).scalar_one_or_none()
    ok = await ctx.hasher.verify(password, staff.password_hash if staff else None)
    if not ok or staff is None or not staff.active or staff.id is None:
        ctx.throttle.failed(key, address)
        raise Refusal("bad_credentials")
    ctx.throttle.succeeded(key, address)
    return staff, await _new_session(ctx, "staff", staff.id)


async def do_sign_out(ctx: Context, *, principal: Principal) -> None:
    async with ctx.db.write() as s:
        await s.execute(
            update(AuthSession)
            .where(
                col(AuthSession.id) == principal.session_id, col(AuthSession.revoked_at).is_(None)
            )
            .values(revoked_at=ctx.now())
        )


async def principal_for_token(ctx: Context, token: str) -> Principal | None:
    """The signed-in principal for a session token, or None if unknown, expired or revoked."""
    if not token or len(token) > 128:
        return None
    now = ctx.now()
    async with ctx.db.read() as s:
        session = (
            await s.execute(
                select(AuthSession).where(
                    col(AuthSession.token_hash) == token_hash(token, ctx.settings.secret_key)
                )
            )
        ).scalar_one_or_none()
        if session is None or session.revoked_at is not None or session.expires_at <= now:
            return None
        assert session.id is not None
        if session.principal == "client":
            client = await s.get(Client, session.principal_id)
            if client is None or client.id is None or client.deleted_at is not None:
                return None
            return Principal("client", client.id, client.audience, client.nickname, session.id)
        staff = await s.get(Staff, session.principal_id)
        if staff is None or staff.id is None or not staff.active:
            return None
        return Principal(
            "staff", staff.id, staff.role, staff.display_name, session.id, staff.mentor_id
        )


async def live_tokens(ctx: Context, tokens: list[str]) -> set[str]:
    """Which of these tokens still belong to a valid (not revoked, not expired) session."""
    if not tokens:
        return set()
    hashed = {token_hash(t, ctx.settings.secret_key): t for t in tokens}
    async with ctx.db.read() as s:
        rows = await s.execute(
            select(col(AuthSession.token_hash)).where(
                col(AuthSession.token_hash).in_(list(hashed)),
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > ctx.now(),
            )
        )
        return {hashed[h] for h in rows.scalars()}
