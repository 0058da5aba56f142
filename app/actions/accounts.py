"""Sign-up, sign-in, sign-out and session lookup for clients and staff."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions import staff_accounts
from app.actions.coalesce import Gathered
from app.actions.context import Context, Principal
from app.db.lean import Lean
from app.db.tables import AUDIENCES, AuthSession, Client, Mentor, Staff
from app.errors import Refusal
from app.security.passwords import MAX_SECRET_CHARS
from app.security.tokens import new_token, token_hash
from app.settings import DATA

NICKNAME_MAX = 20
SECRET_MIN = 4  # any secret an account already has (old accounts may hold 4 characters)
NEW_SECRET_MIN = 6  # a secret chosen now
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
FACE_ROLES = {
    "child": ("client", "child"),
    "parent": ("client", "parent"),
    "staff": ("staff", None),
}


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


@cache
def common_secrets() -> frozenset[str]:
    lines = (DATA / "common_secrets.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(_secret_key(x) for x in lines if x.strip() and not x.startswith("#"))


def _secret_key(secret: str) -> str:
    return unicodedata.normalize("NFKC", secret).strip().casefold()


def check_new_secret(secret: object, field: str = "secret") -> str:
    """A secret a child or parent chooses now: long enough, and not one guessed first."""
    pw = check_secret(secret, field, minimum=0)
    key = _secret_key(pw)
    if len(key) < NEW_SECRET_MIN:
        raise Refusal("secret_too_short", field=field, minimum=NEW_SECRET_MIN)
    if len(set(key)) == 1 or key in common_secrets():
        raise Refusal("secret_too_common", field=field)
    return pw


def fits_face(principal: Principal, face: str | None) -> bool:
    """Whether this account may be shown on this face: the child page shows only child
    accounts, the parent page only parents, the staff consoles only staff. No face (a
    script with a bearer token): any."""
    if face is None:
        return True
    kind, role = FACE_ROLES[face]
    return principal.kind == kind and (role is None or principal.role == role)


def idle_limit(ctx: Context, principal_kind: str) -> timedelta:
    s = ctx.settings
    return timedelta(
        minutes=s.client_idle_minutes if principal_kind == "client" else s.staff_idle_minutes
    )


async def _touch(ctx: Context, session_ids: list[int], now: datetime) -> None:
    """Slide the idle expiry of these sessions (callers only pass stale last_seen_at)."""
    if session_ids:
        async with ctx.db.write() as s:
            await s.execute(
                update(AuthSession)
                .where(col(AuthSession.id).in_(session_ids))
                .values(last_seen_at=now)
            )


async def _slowed(ctx: Context, key: str, address: str) -> None:
    """Wait out the progressive delay of (key, address) before verifying a secret; a long
    wait is refused with retry_after instead of holding the request."""
    wait = ctx.delays.wait(key, address)
    if wait > ctx.settings.login_inline_wait_seconds:
        raise Refusal("secret_wait", retry_after=math.ceil(wait))
    if wait > 0:
        await ctx.clock.sleep(wait)


async def verify_client_secret(
    ctx: Context, *, key: str, address: str, secret: str, hashed: str | None
) -> bool:
    """Check a client's secret behind the progressive delay of (key, address)."""
    if not ctx.delays.begin(key, address):
        raise Refusal("secret_wait", retry_after=1)
    ok: bool | None = None
    try:
        await _slowed(ctx, key, address)
        ok = await ctx.hasher.verify(secret, hashed)
        return ok
    finally:
        ctx.delays.end(key, address, ok=ok)


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
                last_seen_at=now,
            )
        )
    return token


async def do_sign_up_client(
    ctx: Context,
    *,
    nickname: object,
    secret: object,
    audience: object,
    address: str,
    face: str | None = None,
) -> tuple[Client, str]:
    name = check_nickname(nickname)
    pw = check_new_secret(secret)
    if audience not in AUDIENCES or (face is not None and face != audience):
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
    ctx: Context, *, nickname: object, secret: object, address: str, face: str | None = None
) -> tuple[Client, str]:
    """Sign a child or parent in. Wrong secrets slow the next try on this name from this
    address (never lock it); guessing at names that do not exist is capped per address.
    On a face (child or parent page), an account of the other audience is refused."""
    if not isinstance(nickname, str) or not isinstance(secret, str):
        raise Refusal("invalid_input")
    if len(secret) > MAX_SECRET_CHARS or len(nickname) > 4 * NICKNAME_MAX:
        raise Refusal("bad_credentials")
    key = nickname_key(nickname)
    async with ctx.db.read() as s:
        client = (
            await s.execute(select(Client).where(col(Client.nickname_key) == key))
        ).scalar_one_or_none()
    if client is not None and client.deleted_at is not None:
        client = None  # a deleted account signs in as nobody, at the same cost
    if client is None and not ctx.delays.unknown_name_allowed(address):
        raise Refusal("rate_limited")
    ok = await verify_client_secret(
        ctx,
        key=f"signin:{key}",
        address=address,
        secret=secret,
        hashed=client.secret_hash if client else None,
    )
    if not ok or client is None or client.id is None:
        if client is None:
            ctx.delays.unknown_name_failed(address)
        raise Refusal("bad_credentials")
    if face is not None and face != client.audience:
        raise Refusal("other_face", field="nickname")
    return client, await _new_session(ctx, "client", client.id)


async def do_reverify(
    ctx: Context, principal: Principal | None, *, secret: object, address: str
) -> datetime:
    """A signed-in client types their secret again; the session may then re-read finished
    consultations for a few minutes."""
    if principal is None:
        raise Refusal("not_signed_in")
    if not principal.is_client:
        raise Refusal("not_allowed")
    pw = check_secret(secret, minimum=1)
    async with ctx.db.read() as s:
        client = await s.get(Client, principal.id)
    hashed = client.secret_hash if client is not None and client.deleted_at is None else None
    ok = await verify_client_secret(
        ctx, key=f"reverify:{principal.id}", address=address, secret=pw, hashed=hashed
    )
    if not ok:
        raise Refusal("bad_credentials", field="secret")
    now = ctx.now()
    async with ctx.db.write() as s:
        await s.execute(
            update(AuthSession)
            .where(col(AuthSession.id) == principal.session_id)
            .values(reverified_at=now, last_seen_at=now)
        )
    return now


async def reverified_at(ctx: Context, principal: Principal) -> datetime | None:
    async with ctx.db.read() as s:
        session = await s.get(AuthSession, principal.session_id)
    return session.reverified_at if session is not None else None


async def do_sign_in_staff(
    ctx: Context, *, username: object, password: object, address: str, otp: object = None
) -> tuple[Staff, str]:
    """Password, then (for a login with TOTP) the code in `otp`; both steps count against one
    lockout per (name, address). An inactive login, or one whose mentor profile is stopped,
    signs in as nobody."""
    if not isinstance(username, str) or not isinstance(password, str):
        raise Refusal("invalid_input")
    if len(password) > MAX_SECRET_CHARS or len(username) > 60:
        raise Refusal("bad_credentials")
    key = staff_accounts.throttle_key(username)
    if not ctx.throttle.allowed(key, address):
        raise Refusal("rate_limited")
    async with ctx.db.read() as s:
        row = (
            await s.execute(
                select(Staff, Mentor.active)  # type: ignore[call-overload]
                .outerjoin(Mentor, col(Mentor.id) == Staff.mentor_id)
                .where(col(Staff.username) == username.strip())
            )
        ).first()
    staff, mentor_active = row if row is not None else (None, None)
    ok = await ctx.hasher.verify(password, staff.password_hash if staff else None)
    usable = staff is not None and staff.active and mentor_active is not False
    if not ok or staff is None or not usable or staff.id is None:
        ctx.throttle.failed(key, address)
        raise Refusal("bad_credentials")
    await staff_accounts.check_second_factor(ctx, staff, otp, address=address)
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


# One prebuilt Core statement: the session row and its account in a single round trip (the
# ORM's two lookups were most of a request's auth cost in the booking-storm profile), for up
# to SESSIONS_PER_READ requests that ask at the same moment (`sessions`).
SESSIONS_PER_READ = 16
_SESSION: Table = AuthSession.__table__  # type: ignore[attr-defined]
_CLIENT: Table = Client.__table__  # type: ignore[attr-defined]
_STAFF: Table = Staff.__table__  # type: ignore[attr-defined]
_MENTOR: Table = Mentor.__table__  # type: ignore[attr-defined]


def _session_lookup(hashes: int) -> Lean:
    return Lean(
        select(
            _SESSION.c.id,
            _SESSION.c.principal,
            _SESSION.c.created_at,
            _SESSION.c.expires_at,
            _SESSION.c.revoked_at,
            _SESSION.c.last_seen_at,
            _CLIENT.c.id,
            _CLIENT.c.audience,
            _CLIENT.c.nickname,
            _CLIENT.c.deleted_at,
            _STAFF.c.id,
            _STAFF.c.role,
            _STAFF.c.display_name,
            _STAFF.c.mentor_id,
            _STAFF.c.active,
            _STAFF.c.must_change_password,
            _STAFF.c.totp_secret,
            _MENTOR.c.active,
            _SESSION.c.token_hash,
        )
        .select_from(
            _SESSION.outerjoin(
                _CLIENT,
                and_(_SESSION.c.principal == "client", _CLIENT.c.id == _SESSION.c.principal_id),
            )
            .outerjoin(
                _STAFF,
                and_(_SESSION.c.principal == "staff", _STAFF.c.id == _SESSION.c.principal_id),
            )
            .outerjoin(_MENTOR, _MENTOR.c.id == _STAFF.c.mentor_id)
        )
        .where(_SESSION.c.token_hash.in_([bindparam(f"hash_{i}") for i in range(hashes)]))
    )


# One request's (an IN of one is planned as an equality: the unique index, at once) and up to
# SESSIONS_PER_READ requests' (padded: PostgreSQL plans the sixteen places as a set, ~1 ms on
# a freshly filled database, worth it only for many).
_SESSION_LOOKUP = _session_lookup(1)
_SESSIONS_LOOKUP = _session_lookup(SESSIONS_PER_READ)


def session_lookup(hashes: Sequence[str]) -> tuple[Lean, dict[str, str]]:
    """The statement and its parameters for up to SESSIONS_PER_READ token hashes (the IN
    list's unused places repeat one)."""
    assert 0 < len(hashes) <= SESSIONS_PER_READ
    if len(hashes) == 1:
        return _SESSION_LOOKUP, {"hash_0": hashes[0]}
    return _SESSIONS_LOOKUP, {
        f"hash_{i}": hashes[i % len(hashes)] for i in range(SESSIONS_PER_READ)
    }


def sessions(ctx: Context) -> Gathered[str, tuple[Any, ...]]:
    """The process's gatherer of session lookups, by token hash: each request's row is read
    after it asked (so a sign-out or revocation committed before is seen), in one statement
    with the others asking at the same moment (a rush: one read for up to 16 requests, and
    one pooled connection, where each took its own)."""
    if ctx.sessions is None:

        async def read(hashes: list[str]) -> dict[str, tuple[Any, ...]]:
            found: dict[str, tuple[Any, ...]] = {}
            async with ctx.db.lean_read() as reader:
                for at in range(0, len(hashes), SESSIONS_PER_READ):
                    lookup, params = session_lookup(hashes[at : at + SESSIONS_PER_READ])
                    found.update((row[-1], row) for row in await reader.rows(lookup, params))
            return found

        ctx.sessions = Gathered(read)
    return ctx.sessions


async def principal_for_token(ctx: Context, token: str) -> Principal | None:
    """The signed-in principal for a session token, or None if unknown, expired or revoked,
    idle, or its account deleted or stopped. Read from the database on every call, so a
    sign-out, revocation, deactivation or erasure committed by any process is refused at
    the very next request."""
    if not token or len(token) > 128:
        return None
    now = ctx.now()
    row = await sessions(ctx).get(token_hash(token, ctx.settings.secret_key))
    if row is None:
        return None
    (sid, kind, created, expires, revoked, last_seen, cid, audience, nickname, deleted) = row[:10]
    (staff_id, role, display_name, mentor_id, active, must_change, totp_secret) = row[10:17]
    mentor_active = row[17]
    last = last_seen or created
    if revoked is not None or expires <= now or now - last > idle_limit(ctx, kind):
        return None
    if kind == "client":
        if cid is None or deleted is not None:
            return None
        principal = Principal("client", cid, audience, nickname, sid)
    else:
        # A stopped login, or a mentor login whose mentor profile is stopped, is nobody.
        if staff_id is None or not active or mentor_active is False:
            return None
        principal = Principal(
            "staff",
            staff_id,
            role,
            display_name,
            sid,
            mentor_id,
            staff_accounts.restriction_of(
                ctx,
                role,
                must_change_password=must_change,
                has_second_factor=totp_secret is not None,
            ),
        )
    if now - last >= TOUCH_EVERY:
        await _touch(ctx, [sid], now)
    return principal


async def live_tokens(ctx: Context, tokens: list[str]) -> set[str]:
    """Which of these tokens (of open sockets) still belong to a valid session: not revoked,
    not expired, not idle. An open socket is activity: the live ones slide their idle expiry.
    Plain columns, not AuthSession instances: with 10,000 sockets this runs for every one of
    them every 30 s, and building the ORM instances was most of its cost."""
    if not tokens:
        return set()
    hashed = {token_hash(t, ctx.settings.secret_key): t for t in tokens}
    now = ctx.now()
    async with ctx.db.quick_read() as s:
        rows = (
            await s.execute(
                select(
                    col(AuthSession.id),
                    col(AuthSession.token_hash),
                    col(AuthSession.principal),
                    col(AuthSession.created_at),
                    col(AuthSession.last_seen_at),
                ).where(
                    col(AuthSession.token_hash).in_(list(hashed)),
                    col(AuthSession.revoked_at).is_(None),
                    col(AuthSession.expires_at) > now,
                )
            )
        ).all()
    live: set[str] = set()
    stale: list[int] = []
    for sid, hash_, kind, created, last_seen in rows:
        last = last_seen or created
        if now - last > idle_limit(ctx, kind):
            continue
        live.add(hashed[hash_])
        if sid is not None and now - last >= TOUCH_EVERY:
            stale.append(sid)
    await _touch(ctx, stale, now)
    return live


async def gone_accounts(ctx: Context, keys: set[str]) -> set[str]:
    """Which of these accounts ("staff:3", "client:7") may no longer act: a stopped staff
    login or mentor profile, a deleted client. The periodic socket check closes their sockets
    even when the session row itself still looks valid."""
    staff_ids = {int(k[6:]) for k in keys if k.startswith("staff:")}
    client_ids = {int(k[7:]) for k in keys if k.startswith("client:")}
    alive: set[str] = set()
    async with ctx.db.read() as s:
        if staff_ids:
            rows = await s.execute(
                select(col(Staff.id))
                .outerjoin(Mentor, col(Mentor.id) == Staff.mentor_id)
                .where(
                    col(Staff.id).in_(staff_ids),
                    col(Staff.active).is_(True),
                    or_(col(Staff.mentor_id).is_(None), col(Mentor.active).is_(True)),
                )
            )
            alive |= {f"staff:{i}" for i in rows.scalars()}
        if client_ids:
            rows = await s.execute(
                select(col(Client.id)).where(
                    col(Client.id).in_(client_ids), col(Client.deleted_at).is_(None)
                )
            )
            alive |= {f"client:{i}" for i in rows.scalars()}
    return keys - alive
