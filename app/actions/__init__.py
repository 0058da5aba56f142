"""What the service does. check_* validates and authorizes, do_* changes data and commits.

Actions receive a Context (database, clock, rules, hasher, throttle) and raise Refusal for
anything a user can get wrong. Nothing here imports Starlette.
"""

from app.actions.context import Context, Principal

__all__ = ["Context", "Principal"]
