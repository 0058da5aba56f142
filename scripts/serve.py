"""`make run`: migrate, seed demo data, print the demo accounts, and serve."""

from __future__ import annotations

import asyncio
import copy
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


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with controls in every logged value escaped (docs/operations.md)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"escape": {"()": "app.web.logs.EscapeControlChars"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["escape"]
    return config


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s:     %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(EscapeControlChars())
    logging.getLogger("yorisoi").setLevel(logging.INFO)
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"yorisoi: {exc}")
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
        log_config=log_config(),
        **proxy_options(settings),  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
