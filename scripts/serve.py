"""`make run`: migrate, seed demo data, print the demo accounts, and serve."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402
from uvicorn.config import LOGGING_CONFIG  # noqa: E402

from app.db.migrate import upgrade  # noqa: E402
from app.demo import seed_demo  # noqa: E402
from app.main import build_clock, build_context, proxy_options  # noqa: E402
from app.observability.logs import root_formatter, uvicorn_log_config  # noqa: E402
from app.settings import SettingsError, load_settings  # noqa: E402
from app.web.logs import EscapeControlChars  # noqa: E402
from app.web.ws.transport import LeanWebSocketProtocol  # noqa: E402


async def prepare(settings) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    await upgrade(settings.database_url)
    ctx = build_context(settings, build_clock(settings))
    try:
        return await seed_demo(ctx)
    finally:
        await ctx.db.dispose()


def log_config(log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging, with controls in every logged value escaped, as text or JSON lines
    (docs/operations.md)."""
    return uvicorn_log_config(LOGGING_CONFIG, log_format)


def setup_logging(log_format: str) -> None:
    """The app's loggers (yorisoi.*) at INFO, everything else at WARNING, to standard error."""
    handler = logging.StreamHandler()
    handler.setFormatter(root_formatter(log_format))
    handler.addFilter(EscapeControlChars())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("yorisoi").setLevel(logging.INFO)


def main() -> None:
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"yorisoi: {exc}")
    setup_logging(settings.log_format)
    # Demo accounts with a published password exist only in dev mode.
    seed = settings.dev and "--no-seed" not in sys.argv
    if seed:
        accounts = asyncio.run(prepare(settings))
        print("\nYorisoi demo accounts (staff sign-in; children and parents sign up themselves):")
        for username, password, role in accounts:
            print(f"  {username:<10} {password:<14} {role}")
    else:
        asyncio.run(upgrade(settings.database_url))
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"\n  children: {base}/child/   parents: {base}/   mentors: {base}/mentor/   "
        f"headquarters: {base}/admin/\n",
        flush=True,
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        # the websockets library, sans-I/O flavour (uvicorn deprecates the legacy one), keeping
        # less per open socket (app/web/ws/transport.py)
        ws=LeanWebSocketProtocol,
        ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_frame_bytes,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        log_level="info",
        log_config=log_config(settings.log_format),
        **proxy_options(settings),  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
