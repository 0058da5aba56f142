"""Pure booking rules: hours, the same-day cutoff, slots, ticks and capacity arithmetic.

No I/O and no framework here; every function takes the current instant as an argument.
"""

from app.rules.capacity import TICK_SECONDS, first_free, ticks_between
from app.rules.hours import (
    ServiceRules,
    at_local,
    booking_window,
    local_day,
    slot_starts,
    to_local,
    walk_in_window,
)

__all__ = [
    "TICK_SECONDS",
    "ServiceRules",
    "at_local",
    "booking_window",
    "first_free",
    "local_day",
    "slot_starts",
    "ticks_between",
    "to_local",
    "walk_in_window",
]
