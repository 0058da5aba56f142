"""The long-lived things every action needs, built once by the app lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.actions.coalesce import Coalesced, Gathered
from app.actions.message_writer import MessageWriter

if TYPE_CHECKING:
    from app.actions.stats import RefusalRecorder
    from app.actions.take_reads import TakeKey, TakeView
from app.clock import Clock
from app.db.engine import Database
from app.realtime.hub import Hub
from app.rules import ServiceRules
from app.safety.crisis import CrisisDetector
from app.safety.directory import HelpDirectory
from app.safety.topics import TopicGuide
from app.security.passwords import Hasher
from app.security.ratelimit import LoginThrottle, ProgressiveDelay, SlidingWindow
from app.settings import Settings


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock
    rules: ServiceRules
    hasher: Hasher
    throttle: LoginThrottle  # staff sign-in: a lockout per (name, address) and per address
    delays: ProgressiveDelay  # client secrets: slowed per (account or name, address)
    signups: SlidingWindow  # per address: a school behind one NAT still fits
    hub: Hub
    messages: MessageWriter
    refusals: RefusalRecorder
    crisis: CrisisDetector
    directory: HelpDirectory
    topics: TopicGuide  # "who should I talk to?": topic -> fitting mentor kinds, with why
    # Parent-child link codes tried, per parent account and per address (links.py makes it
    # on first use): guessing a code is slowed to a handful of tries per quarter hour.
    link_tries: SlidingWindow | None = None
    # Presence marks shared by the sockets that make them in the same moment (chat.py makes
    # each on first use): a 17:00 burst is one write, not one per socket. Clients and mentors
    # waiting when their consultation opened (consultation id; (consultation id, mentor id)),
    # and clients whose sockets left (a school's network dropping; (consultation id, client id)).
    clients_present: Coalesced[int] | None = None
    mentors_present: Coalesced[tuple[int, int]] | None = None
    clients_away: Coalesced[tuple[int, int]] | None = None
    take_views: Gathered[TakeKey, TakeView] | None = None  # booking.take_views
    sessions: Gathered[str, tuple[Any, ...]] | None = None  # accounts.sessions

    def now(self) -> datetime:
        return self.clock.now()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a client (child/parent) or a staff member (mentor/supervisor)."""

    kind: str  # "client" | "staff"
    id: int
    role: str  # "child" | "parent" | "mentor" | "supervisor"
    display_name: str
    session_id: int
    mentor_id: int | None = None
    # A staff session that may only finish signing in: the Refusal code everything else
    # answers ("password_change_required" or "second_factor_enrolment_required").
    restricted: str | None = None

    @property
    def is_client(self) -> bool:
        return self.kind == "client"

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def is_mentor(self) -> bool:
        return self.role == "mentor"
