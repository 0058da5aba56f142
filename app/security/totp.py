"""Time-based one-time passwords (RFC 6238, through pyotp) and recovery codes.

The caller passes the time (the injected clock), so tests move a clock instead of waiting for
the next 30-second step. A code is matched to its time step; the caller stores the last step
it accepted so that the same code is refused the second time, even inside its window.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "Yorisoi"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the previous and the next step: a phone clock a little off
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed by hand
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    """The otpauth:// URI as a QR code, drawn here (no outside service sees the secret)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def looks_like_totp(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (within the allowed drift), or None."""
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes like 'k7qm-3xha-wp2d' (about 70 bits each): shown once, stored as keyed hashes."""
    return [
        "-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.strip().lower() if ch.isalnum())
