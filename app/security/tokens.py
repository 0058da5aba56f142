"""Opaque session tokens: the client holds the token, the database holds its keyed hash.

The hash is an HMAC with YORISOI_SECRET_KEY: a copied database cannot be used to check
guessed tokens, and changing the secret signs everyone out at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str, key: str) -> str:
    return hmac.new(
        key.encode(), token.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()
