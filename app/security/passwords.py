"""Argon2 hashing through passlib's API (the maintained `libpass` fork).

Hashing is CPU-bound, so callers run it in a worker thread. A sign-in for a name that does
not exist verifies against a dummy hash, so it costs the same time as a wrong password.
"""

from __future__ import annotations

import asyncio
import functools
import string
from pathlib import Path

from passlib.context import CryptContext

MAX_SECRET_CHARS = 256

_PROFILES = {
    # OWASP-recommended argon2id parameters for interactive logins.
    "strong": {"argon2__memory_cost": 65536, "argon2__rounds": 3, "argon2__parallelism": 4},
    # Cheap parameters for test suites and benchmarks; never for real users.
    "fast": {"argon2__memory_cost": 1024, "argon2__rounds": 1, "argon2__parallelism": 1},
}


class Hasher:
    def __init__(self, profile: str = "strong") -> None:
        self._context = CryptContext(schemes=["argon2"], **_PROFILES[profile])
        self._dummy = self._context.hash("yorisoi-dummy-secret")

    async def hash(self, secret: str) -> str:
        return await asyncio.to_thread(self._context.hash, secret)

    async def verify(self, secret: str, hashed: str | None) -> bool:
        """Constant-shape verification: a missing account still pays for one argon2 verify."""
        target = hashed if hashed is not None else self._dummy
        ok = await asyncio.to_thread(self._context.verify, secret, target)
        return ok and hashed is not None


STAFF_PASSWORD_MIN = 12
COMMON_PASSWORDS = Path(__file__).resolve().parents[1] / "data" / "common_passwords.txt"
_EDGES = string.digits + string.punctuation + " "


@functools.cache
def common_passwords(path: Path = COMMON_PASSWORDS) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def staff_password_problem(password: str, username: str = "") -> str | None:
    """Why a staff password is refused ("too_short", "too_long", "common", "username"), or None.

    Too long is refused, never cut: argon2 hashes every character it is given, and a password
    that was silently shortened would not be the one its owner thinks it is.
    """
    if len(password) < STAFF_PASSWORD_MIN:
        return "too_short"
    if len(password) > MAX_SECRET_CHARS:
        return "too_long"
    lowered = password.lower()
    core = lowered.strip(_EDGES)  # "password2026!" is "password" with decoration
    if username and username.lower() in lowered:
        return "username"
    words = common_passwords()
    if lowered in words or core in words or len(set(core)) <= 2:
        return "common"
    return None
