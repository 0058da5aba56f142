"""Argon2 hashing through passlib's API (the maintained `libpass` fork).

Hashing is CPU-bound, so callers run it in a worker thread. A sign-in for a name that does
not exist verifies against a dummy hash, so it costs the same time as a wrong password.
"""

from __future__ import annotations

import asyncio

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
