"""One frozen Settings object, read from the environment once and checked at start."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent / "data"
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev", "placeholder"}
DEV_SECRET = "dev-only-not-a-secret"  # noqa: S105 - refused outside dev mode


class SettingsError(ValueError):
    """A setting is missing or malformed; the service refuses to start."""


# Told to the client when an escalation of their consultation is confirmed: child words, kana
# only, since the same text reaches children and parents.
ESCALATION_NOTICE = (
    "あなたを まもるために、スタッフが ほかの おとなの ひとにも そうだんする ことに したよ。"
    "あなたは ひとりじゃ ないよ。"
)
ESCALATION_NOTICE_MAX = 400


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./yorisoi.db"
    host: str = "127.0.0.1"
    port: int = 8000
    dev: bool = True
    secret_key: str = DEV_SECRET
    allowed_origins: tuple[str, ...] = ()
    cookie_secure: bool = False
    session_days: int = 30
    # Sliding idle expiry: a session not used for this long (no request, no open socket) ends.
    client_idle_minutes: int = 30
    staff_idle_minutes: int = 120
    # A client re-reads a finished consultation only with the secret entered within
    # reverify_minutes, and only for reread_days after it closed (0: never).
    reverify_minutes: int = 10
    reread_days: int = 30
    # Addresses whose X-Forwarded-For/-Proto uvicorn believes; empty: nobody's.
    trusted_proxies: tuple[str, ...] = ()
    timezone: str = "Asia/Tokyo"
    lines: int = 4
    max_bookings: int = 2
    horizon_days: int = 14
    session_minutes: int = 30
    open_time: time = time(15, 0)
    close_time: time = time(22, 0)
    last_start: time = time(21, 30)
    no_show_minutes: int = 10
    # A line offered from the waiting line is held this long for the client to join it.
    queue_offer_seconds: int = 60
    # A consultation whose mentor has not joined this long after it opened (or was handed
    # over) raises a mentor_absent alert and offers the client another mentor.
    mentor_grace_minutes: int = 3
    # Mentor well-being: a mentor's consultations per (local) day and per shift unless
    # headquarters set the mentor's own (None: no limit), and the cool-down after a
    # consultation that raised a crisis alert or was recorded as high/urgent risk.
    mentor_max_per_day: int | None = None
    mentor_max_per_shift: int | None = None
    cooldown_minutes: int = 15
    # What the client is told, as a notice in the chat, when a supervisor confirms an
    # escalation of their consultation; None: nothing (YORISOI_ESCALATION_CLIENT_NOTICE=none).
    escalation_client_notice: str | None = ESCALATION_NOTICE
    clock_start: datetime | None = None
    hash_profile: str = "strong"
    # Dev/test only: every face repaints this often (ms), so no flow may depend on not
    # being repainted. None: faces repaint on their own schedule.
    ui_repaint_ms: int | None = None
    # How often the consoles poll as a fallback beside the live socket (seconds). Everything
    # a mentor must act on is pushed; tests raise it to prove that (dev only).
    ui_poll_seconds: int = 60
    login_max_failures_per_name_and_address: int = 5
    login_max_failures_per_address: int = 100
    login_window_seconds: int = 900
    # Progressive sign-in delay per (name, address): 0, 0, 1, 2, 4 ... seconds, capped; a
    # wait up to login_inline_wait_seconds is served by holding the request, longer waits
    # are refused with retry_after.
    login_max_delay_seconds: int = 60
    login_inline_wait_seconds: int = 10
    signups_per_hour_per_address: int = 200
    ws_max_per_account: int = 5
    # PostgreSQL: the most connections one process's request pool opens (opened as needed, kept).
    db_pool: int = 30
    # How long a request waits for a free pool connection before it is told busy_try_again
    # (503 with Retry-After; a websocket upgrade too) instead of waiting on.
    db_pool_wait_seconds: int = 30
    # Garbage collection (app/observability/heap.py): at start-up and every gc_freeze_seconds
    # what is alive is frozen, so full collections skip it (0: CPython's own policy);
    # everything is unfrozen and collected in one pause every gc_full_minutes.
    gc_freeze_seconds: int = 10
    gc_full_minutes: int = 30
    ws_messages_per_minute: int = 30
    # Every frame a socket sends (any type, bad ones too) spends from this per-socket budget.
    ws_frames_per_minute: int = 240
    ws_queue_size: int = 256
    ws_max_frame_bytes: int = 16 * 1024
    scheduler: bool = True
    # Second factor (TOTP) for staff sign-in: required for supervisors whenever staff_2fa is
    # on (always outside dev mode), and for mentors too unless mentor_2fa is off.
    staff_2fa: bool = False
    mentor_2fa: bool = True
    scheduler_interval: float = 0.5
    retention_days: int = 365
    crisis_words: Path = DATA / "crisis_words.json"
    help_directory: Path = DATA / "help_directory.json"
    topics: Path = DATA / "topics.json"
    # The LINE channel: off unless both the channel secret and the access token are set.
    line_channel_secret: str = ""
    line_channel_access_token: str = ""
    line_api_base: str = "https://api.line.me"
    # The operator's view (GET /metrics, docs/operations.md "Metrics and logs"): who may
    # scrape (networks; default loopback only) or the bearer token that admits anyone; the
    # directory shared by all processes of one host for multi-process metrics (None: this
    # process alone); "text" or "json" log lines.
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    metrics_token: str = ""
    metrics_dir: Path | None = None
    log_format: str = "text"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def origins(self) -> frozenset[str]:
        """Exact origins allowed to send state-changing requests and open websockets."""
        if self.allowed_origins:
            return frozenset(self.allowed_origins)
        return frozenset(
            {
                f"http://{self.host}:{self.port}",
                f"http://localhost:{self.port}",
                f"http://127.0.0.1:{self.port}",
            }
        )

    def second_factor_required(self, role: str) -> bool:
        """Whether a staff login of this role must sign in with a second factor."""
        return self.staff_2fa and (role == "supervisor" or self.mentor_2fa)

    @property
    def cookie_prefix(self) -> str:
        """`__Host-` whenever cookies are Secure: bound to this host, path /, never a subdomain."""
        return "__Host-" if self.cookie_secure else ""

    @property
    def line_enabled(self) -> bool:
        """The LINE channel is on only with both its secret and its access token."""
        return bool(self.line_channel_secret and self.line_channel_access_token)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def _int(name: str, raw: str, minimum: int, maximum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _time(name: str, raw: str) -> time:
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be HH:MM, got {raw!r}") from None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read YORISOI_* and DATABASE_URL; raise SettingsError on anything unusable."""
    env = os.environ if environ is None else environ
    kwargs: dict[str, object] = {}
    if "DATABASE_URL" in env:
        kwargs["database_url"] = _normalise_db_url(env["DATABASE_URL"])
    if "YORISOI_HOST" in env:
        kwargs["host"] = env["YORISOI_HOST"]
    if "YORISOI_PORT" in env:
        kwargs["port"] = _int("YORISOI_PORT", env["YORISOI_PORT"], 1, 65535)
    dev = _bool("YORISOI_DEV", env.get("YORISOI_DEV", "0"))
    kwargs["dev"] = dev
    secret = env.get("YORISOI_SECRET_KEY", "")
    if secret.strip().lower() in PLACEHOLDER_SECRETS or secret == DEV_SECRET:
        if not dev:
            raise SettingsError(
                "YORISOI_SECRET_KEY is missing or a placeholder; set a long random value "
                "(or YORISOI_DEV=1 for a local demo)"
            )
        secret = DEV_SECRET
    elif len(secret) < 16:
        raise SettingsError("YORISOI_SECRET_KEY must be at least 16 characters")
    kwargs["secret_key"] = secret
    if env.get("YORISOI_ALLOWED_ORIGINS"):
        origins = tuple(o.strip().rstrip("/") for o in env["YORISOI_ALLOWED_ORIGINS"].split(","))
        for origin in origins:
            if not origin.startswith(("http://", "https://")):
                raise SettingsError(f"YORISOI_ALLOWED_ORIGINS entry {origin!r} is not an origin")
        kwargs["allowed_origins"] = origins
    # Secure (and __Host-) by default outside dev mode; dev over plain http keeps plain names.
    kwargs["cookie_secure"] = _bool(
        "YORISOI_COOKIE_SECURE", env.get("YORISOI_COOKIE_SECURE", "0" if dev else "1")
    )
    if env.get("YORISOI_TRUSTED_PROXIES", "").strip():
        proxies = tuple(p.strip() for p in env["YORISOI_TRUSTED_PROXIES"].split(",") if p.strip())
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    f"YORISOI_TRUSTED_PROXIES entry {proxy!r} is not an address or network"
                ) from None
        kwargs["trusted_proxies"] = proxies
    if "YORISOI_TIMEZONE" in env:
        try:
            ZoneInfo(env["YORISOI_TIMEZONE"])
        except Exception:
            raise SettingsError(f"unknown YORISOI_TIMEZONE {env['YORISOI_TIMEZONE']!r}") from None
        kwargs["timezone"] = env["YORISOI_TIMEZONE"]
    for key, attr, lo, hi in (
        ("YORISOI_LINES", "lines", 1, 500),
        ("YORISOI_MAX_BOOKINGS", "max_bookings", 1, 20),
        ("YORISOI_HORIZON_DAYS", "horizon_days", 0, 90),
        ("YORISOI_SESSION_MINUTES", "session_minutes", 5, 120),
        ("YORISOI_NO_SHOW_MINUTES", "no_show_minutes", 1, 60),
        ("YORISOI_MENTOR_GRACE_MINUTES", "mentor_grace_minutes", 1, 30),
        ("YORISOI_SESSION_DAYS", "session_days", 1, 365),
        ("YORISOI_WS_MAX_PER_ACCOUNT", "ws_max_per_account", 1, 1000),
        ("YORISOI_DB_POOL", "db_pool", 2, 1000),
        ("YORISOI_DB_POOL_WAIT", "db_pool_wait_seconds", 1, 300),
        ("YORISOI_GC_FREEZE_SECONDS", "gc_freeze_seconds", 0, 3600),
        ("YORISOI_GC_FULL_MINUTES", "gc_full_minutes", 1, 1440),
        ("YORISOI_WS_MESSAGES_PER_MINUTE", "ws_messages_per_minute", 1, 100_000),
        ("YORISOI_WS_FRAMES_PER_MINUTE", "ws_frames_per_minute", 10, 1_000_000),
        ("YORISOI_WS_QUEUE_SIZE", "ws_queue_size", 8, 100_000),
        ("YORISOI_RETENTION_DAYS", "retention_days", 1, 3650),
        ("YORISOI_CLIENT_IDLE_MINUTES", "client_idle_minutes", 1, 1440),
        ("YORISOI_STAFF_IDLE_MINUTES", "staff_idle_minutes", 1, 1440),
        ("YORISOI_REREAD_DAYS", "reread_days", 0, 3650),
        ("YORISOI_QUEUE_OFFER_SECONDS", "queue_offer_seconds", 10, 3600),
        ("YORISOI_COOLDOWN_MINUTES", "cooldown_minutes", 0, 240),
    ):
        if key in env:
            kwargs[attr] = _int(key, env[key], lo, hi)
    for key, attr in (
        ("YORISOI_MENTOR_MAX_PER_DAY", "mentor_max_per_day"),
        ("YORISOI_MENTOR_MAX_PER_SHIFT", "mentor_max_per_shift"),
    ):
        # Empty or "none": no service-wide limit (headquarters may still set a mentor's own).
        if env.get(key, "").strip().lower() not in ("", "none"):
            kwargs[attr] = _int(key, env[key], 1, 100)
    for key, attr in (
        ("YORISOI_OPEN_TIME", "open_time"),
        ("YORISOI_CLOSE_TIME", "close_time"),
        ("YORISOI_LAST_START", "last_start"),
    ):
        if key in env:
            kwargs[attr] = _time(key, env[key])
    if env.get("YORISOI_CLOCK_START"):
        raw = env["YORISOI_CLOCK_START"]
        try:
            start = datetime.fromisoformat(raw)
        except ValueError:
            raise SettingsError(f"YORISOI_CLOCK_START must be an ISO time, got {raw!r}") from None
        if start.tzinfo is None:
            raise SettingsError(
                "YORISOI_CLOCK_START needs an offset, e.g. 2026-12-01T21:29:00+09:00"
            )
        kwargs["clock_start"] = start
    for key, attr in (
        ("YORISOI_CRISIS_WORDS", "crisis_words"),
        ("YORISOI_HELP_DIRECTORY", "help_directory"),
        ("YORISOI_TOPICS", "topics"),
    ):
        if env.get(key):
            path = Path(env[key])
            if not path.is_file():
                raise SettingsError(f"{key} points at {path}, which is not a file")
            kwargs[attr] = path
    if env.get("YORISOI_ESCALATION_CLIENT_NOTICE", "").strip():
        notice = env["YORISOI_ESCALATION_CLIENT_NOTICE"].strip()
        if len(notice) > ESCALATION_NOTICE_MAX:
            raise SettingsError(
                f"YORISOI_ESCALATION_CLIENT_NOTICE is at most {ESCALATION_NOTICE_MAX} characters"
            )
        kwargs["escalation_client_notice"] = None if notice.lower() == "none" else notice
    kwargs["line_channel_secret"] = env.get("YORISOI_LINE_CHANNEL_SECRET", "").strip()
    kwargs["line_channel_access_token"] = env.get("YORISOI_LINE_CHANNEL_ACCESS_TOKEN", "").strip()
    if env.get("YORISOI_LINE_API_BASE", "").strip():
        base = env["YORISOI_LINE_API_BASE"].strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise SettingsError(f"YORISOI_LINE_API_BASE must be an http(s) URL, got {base!r}")
        kwargs["line_api_base"] = base
    kwargs.update(_observability(env))
    if "YORISOI_SCHEDULER" in env:
        kwargs["scheduler"] = _bool("YORISOI_SCHEDULER", env["YORISOI_SCHEDULER"])
    if env.get("YORISOI_UI_REPAINT_MS"):
        kwargs["ui_repaint_ms"] = _int(
            "YORISOI_UI_REPAINT_MS", env["YORISOI_UI_REPAINT_MS"], 50, 60_000
        )
    if env.get("YORISOI_UI_POLL_SECONDS"):
        kwargs["ui_poll_seconds"] = _int(
            "YORISOI_UI_POLL_SECONDS", env["YORISOI_UI_POLL_SECONDS"], 60, 3600
        )
    staff_2fa = _bool("YORISOI_STAFF_2FA", env.get("YORISOI_STAFF_2FA", "0" if dev else "1"))
    if not dev and not staff_2fa:
        raise SettingsError(
            "YORISOI_STAFF_2FA=0 is for demos and tests only (set YORISOI_DEV=1): outside dev "
            "mode supervisors always sign in with a second factor"
        )
    kwargs["staff_2fa"] = staff_2fa
    if "YORISOI_MENTOR_2FA" in env:
        kwargs["mentor_2fa"] = _bool("YORISOI_MENTOR_2FA", env["YORISOI_MENTOR_2FA"])
    profile = env.get("YORISOI_HASH_PROFILE", "strong")
    if profile not in {"strong", "fast"}:
        raise SettingsError("YORISOI_HASH_PROFILE must be 'strong' or 'fast'")
    kwargs["hash_profile"] = profile
    if not dev and (
        profile == "fast"
        or "clock_start" in kwargs
        or "ui_repaint_ms" in kwargs
        or "ui_poll_seconds" in kwargs
    ):
        raise SettingsError(
            "YORISOI_HASH_PROFILE=fast, YORISOI_CLOCK_START, YORISOI_UI_REPAINT_MS and "
            "YORISOI_UI_POLL_SECONDS are for demos and tests only (set YORISOI_DEV=1)"
        )
    settings = Settings(**kwargs)  # type: ignore[arg-type]
    _check_rules(settings)
    return settings


METRICS_TOKEN_MIN = 16


def _observability(env: Mapping[str, str]) -> dict[str, object]:
    """YORISOI_METRICS_ALLOW / _TOKEN / _DIR and YORISOI_LOG_FORMAT."""
    kwargs: dict[str, object] = {}
    raw_allow = env.get("YORISOI_METRICS_ALLOW", "").strip()
    if raw_allow.lower() == "none":
        kwargs["metrics_allow"] = ()
    elif raw_allow:
        networks = []
        for entry in (e.strip() for e in raw_allow.split(",") if e.strip()):
            try:
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                raise SettingsError(
                    f"YORISOI_METRICS_ALLOW entry {entry!r} is not an address or network"
                ) from None
        kwargs["metrics_allow"] = tuple(networks)
    token = env.get("YORISOI_METRICS_TOKEN", "").strip()
    if token and len(token) < METRICS_TOKEN_MIN:
        raise SettingsError(
            f"YORISOI_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN} characters"
        )
    kwargs["metrics_token"] = token
    if env.get("YORISOI_METRICS_DIR", "").strip():
        directory = Path(env["YORISOI_METRICS_DIR"].strip())
        if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
            raise SettingsError(
                f"YORISOI_METRICS_DIR points at {directory}, which is not a writable directory"
            )
        kwargs["metrics_dir"] = directory
    log_format = env.get("YORISOI_LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in {"text", "json"}:
        raise SettingsError(f"YORISOI_LOG_FORMAT must be 'text' or 'json', got {log_format!r}")
    kwargs["log_format"] = log_format
    return kwargs


def _normalise_db_url(url: str) -> str:
    """Accept the usual postgres:// and sqlite:/// spellings and pick the async drivers."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")


def _check_rules(s: Settings) -> None:
    if not s.open_time < s.last_start < s.close_time:
        raise SettingsError("service hours must satisfy OPEN_TIME < LAST_START < CLOSE_TIME")
    for t in (s.open_time, s.last_start):
        if t.minute % 30 or t.second:
            raise SettingsError("OPEN_TIME and LAST_START must fall on the half hour")
