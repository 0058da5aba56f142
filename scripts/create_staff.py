"""Create a staff login from the command line (the first supervisor of a deployment).

    python scripts/create_staff.py honbu --role supervisor --name "本部 山田"
    python scripts/create_staff.py sakura --role mentor --mentor-id 3

Prints a one-time password: the member signs in with it at /admin/ or /mentor/, chooses their
own password and (outside dev mode) sets up two-factor sign-in. Audited as actor "operator".
Reads the same settings as the server (DATABASE_URL, YORISOI_*), and migrates first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.actions.staff_accounts import OPERATOR, create_account  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.errors import Refusal  # noqa: E402
from app.main import build_clock, build_context  # noqa: E402
from app.settings import SettingsError, load_settings  # noqa: E402


async def create(args: argparse.Namespace) -> str:
    settings = load_settings()
    await upgrade(settings.database_url)
    ctx = build_context(settings, build_clock(settings))
    body: dict[str, object] = {"username": args.username, "role": args.role}
    if args.name:
        body["display_name"] = args.name
    if args.mentor_id is not None:
        body["mentor_id"] = args.mentor_id
    try:
        _row, password = await create_account(ctx, OPERATOR, body)
        return password
    finally:
        await ctx.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("username")
    parser.add_argument("--role", choices=["supervisor", "mentor"], default="supervisor")
    parser.add_argument("--name", help="display name (required for a supervisor)")
    parser.add_argument("--mentor-id", type=int, help="the mentor profile of a mentor login")
    args = parser.parse_args()
    try:
        password = asyncio.run(create(args))
    except SettingsError as exc:
        sys.exit(f"yorisoi: {exc}")
    except Refusal as exc:
        sys.exit(f"yorisoi: refused: {exc.code} {exc.field or ''}".rstrip())
    print(f"created {args.username}; one-time password (shown once): {password}")


if __name__ == "__main__":
    main()
