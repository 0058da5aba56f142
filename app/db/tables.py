"""SQLModel tables. Timestamps are aware UTC; rule-bearing constraints live here.

The invariants that must survive any concurrency are unique constraints, not Python checks:
- line_hold (tick, line_no): at most LINES consultations hold a line at any instant;
- line_hold (mentor_id, tick): a mentor never has two consultations at once;
- line_hold (client_id, tick): a client never has two consultations at once;
- consultation (client_id) WHERE status='open': at most one open consultation per client;
- consultation (client_id, booking_no) WHERE status='booked': at most MAX_BOOKINGS bookings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime

MENTOR_KINDS = (
    "psychologist",
    "nurse",
    "social_worker",
    "financial_planner",
    "career_consultant",
    "former_teacher",
    "student_mentor",
)
AUDIENCES = ("child", "parent")
MENTOR_AUDIENCES = ("child", "parent", "both")
# The languages a mentor can chat in (mentor.languages), in the order they are shown.
MENTOR_LANGUAGES = ("ja", "en", "zh", "ko")
STAFF_ROLES = ("mentor", "supervisor")
STATUSES = ("booked", "open", "closed", "cancelled", "no_show")


def _ts(nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Mentor(SQLModel, table=True):
    __tablename__ = "mentor"
    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(max_length=60)
    kind: str = Field(max_length=32, index=True)
    audience: str = Field(max_length=8)
    profile_ja: str = Field(default="", max_length=400)
    profile_en: str = Field(default="", max_length=400)
    active: bool = Field(default=True)
    # The languages the mentor can chat in, as comma-separated codes ("ja,en"); clients
    # filter the mentor list by them.
    languages: str = Field(default="ja", max_length=40)
    created_at: datetime = Field(sa_column=_ts())
    # Well-being: headquarters' limits on consultations per shift and per (JST) day (None:
    # the service default from settings, if any), and a cool-down after a hard consultation
    # (no walk-ins, no waiting-line offers until resting_until; bookings already made stay).
    max_per_day: int | None = Field(default=None)
    max_per_shift: int | None = Field(default=None)
    resting_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    resting_reason: str | None = Field(default=None, max_length=24)


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    display_name: str = Field(max_length=60)
    mentor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=True)
    )
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=_ts())
    # Set by a supervisor's password reset: the one-time password opens only the
    # change-password step until the member picks their own.
    must_change_password: bool = Field(default=False)
    # TOTP (RFC 6238): the confirmed secret, a secret shown but not yet confirmed, and the
    # last time step accepted (a code is good once, however long its window lasts).
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_pending: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    totp_enrolled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class StaffRecoveryCode(SQLModel, table=True):
    """A one-use recovery code for a staff member's second factor, stored as a keyed hash."""

    __tablename__ = "staff_recovery_code"
    __table_args__ = (UniqueConstraint("staff_id", "code_hash", name="uq_recovery_code"),)
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(sa_column=Column(Integer, ForeignKey("staff.id"), nullable=False))
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Client(SQLModel, table=True):
    __tablename__ = "client"
    id: int | None = Field(default=None, primary_key=True)
    nickname: str = Field(max_length=40)
    nickname_key: str = Field(max_length=80, unique=True)
    secret_hash: str = Field(max_length=255)
    audience: str = Field(max_length=8)
    created_at: datetime = Field(sa_column=_ts())
    deleted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class AuthSession(SQLModel, table=True):
    """A sign-in. It ends at expires_at, at revocation, or after the idle limit without use
    (last_seen_at, bumped at most once a minute by requests and open sockets)."""

    __tablename__ = "auth_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    principal: str = Field(max_length=8)
    principal_id: int
    created_at: datetime = Field(sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts(index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_seen_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # When the client last typed their secret again (re-reading a finished consultation).
    reverified_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Shift(SQLModel, table=True):
    __tablename__ = "shift"
    __table_args__ = (Index("ix_shift_mentor_start", "mentor_id", "starts_at"),)
    id: int | None = Field(default=None, primary_key=True)
    mentor_id: int = Field(sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=False))
    starts_at: datetime = Field(sa_column=_ts())
    ends_at: datetime = Field(sa_column=_ts())


class Consultation(SQLModel, table=True):
    __tablename__ = "consultation"
    __table_args__ = (
        Index(
            "uq_consultation_one_open_per_client",
            "client_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "uq_consultation_booking_no",
            "client_id",
            "booking_no",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_consultation_mentor_start", "mentor_id", "starts_at"),
        Index("ix_consultation_client_start", "client_id", "starts_at"),
        Index("ix_consultation_status_start", "status", "starts_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id"), nullable=False))
    mentor_id: int = Field(sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=False))
    mode: str = Field(max_length=8)
    status: str = Field(max_length=12)
    starts_at: datetime = Field(sa_column=_ts())
    ends_at: datetime = Field(sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts())
    opened_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    client_joined_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # When the client's last socket left the open consultation they had joined (closed the
    # tab, lost the connection, went back home); cleared when they join again. Not None:
    # headquarters' board says "client away".
    client_left_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # When the consultation's (current) mentor first joined it; None: not here yet. A
    # consultation its mentor never joined was never answered (statistics: unanswered).
    mentor_joined_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # Set once, by the sweep that raised the mentor_absent alert (the conditional update that
    # makes it exactly once); cleared with mentor_joined_at when the consultation is handed over.
    mentor_absent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # When the current mentor was handed the consultation; None: since it opened.
    mentor_assigned_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    booking_no: int | None = Field(default=None)
    close_reason: str | None = Field(default=None, max_length=24)
    last_seq: int = Field(default=0)
    # The highest seq each side has seen on screen (a `read` frame); monotonic, never past
    # last_seq. Kept so "read" marks survive reconnects.
    client_read_seq: int = Field(default=0)
    mentor_read_seq: int = Field(default=0)
    warned_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    at_risk: bool = Field(default=False)
    # Kept when retention deletes the transcript, so statistics stay whole.
    message_count: int | None = Field(default=None)
    # A linked parent who booked this for the child (client_id is the child); the parent
    # sees only that it was booked and when, never its status or content.
    booked_by_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("client.id", name="fk_consultation_booked_by"),
            nullable=True,
        ),
    )
    # Where the client talks: "web" (the pages) or "line" (the LINE official account).
    channel: str = Field(
        default="web", sa_column=Column(String(8), nullable=False, server_default="web")
    )


class LineHold(SQLModel, table=True):
    __tablename__ = "line_hold"
    __table_args__ = (
        UniqueConstraint("tick", "line_no", name="uq_hold_line"),
        UniqueConstraint("mentor_id", "tick", name="uq_hold_mentor"),
        UniqueConstraint("client_id", "tick", name="uq_hold_client"),
        Index("ix_hold_consultation", "consultation_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    tick: int = Field(sa_column=Column(BigInteger, nullable=False))
    line_no: int
    mentor_id: int
    client_id: int


class Message(SQLModel, table=True):
    """A stored chat message. seq is dense per consultation; (sender, client_msg_id) dedups."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("consultation_id", "seq", name="uq_message_seq"),
        UniqueConstraint(
            "consultation_id",
            "sender_role",
            "sender_id",
            "client_msg_id",
            name="uq_message_client_id",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    seq: int
    sender_role: str = Field(max_length=12)
    sender_id: int
    sender_name: str = Field(max_length=60)
    client_msg_id: str = Field(max_length=64)
    text: str = Field(max_length=2000)
    created_at: datetime = Field(sa_column=_ts())
    card_id: str | None = Field(default=None, max_length=64)  # a shared help-directory entry


class MentorNote(SQLModel, table=True):
    """A mentor's private note on one consultation; never shown to the client."""

    __tablename__ = "mentor_note"
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False, unique=True)
    )
    mentor_id: int
    text: str = Field(max_length=4000)
    updated_at: datetime = Field(sa_column=_ts())


class AuditLog(SQLModel, table=True):
    """Who among staff joined or read what, and why; who changed which staff login. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_consultation", "consultation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts())
    actor_role: str = Field(max_length=12)
    actor_id: int
    action: str = Field(max_length=32)
    consultation_id: int | None = Field(default=None)
    reason: str | None = Field(default=None, max_length=400)
    subject: str | None = Field(default=None, max_length=40)  # e.g. "staff:7", "mentor:3"


class CrisisAlert(SQLModel, table=True):
    """An alert for headquarters: a crisis signal in a client's message (kind "crisis"), or a
    mentor who did not come (kind "mentor_absent", category "mentor_absent", mentor_id the
    absent mentor). One open alert per consultation and category."""

    __tablename__ = "crisis_alert"
    __table_args__ = (
        Index(
            "uq_crisis_alert_open",
            "consultation_id",
            "category",
            unique=True,
            sqlite_where=text("acknowledged_at IS NULL"),
            postgresql_where=text("acknowledged_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    kind: str = Field(
        default="crisis", sa_column=Column(String(16), nullable=False, server_default="crisis")
    )
    category: str = Field(max_length=24)
    message_seq: int
    mentor_id: int | None = Field(default=None)
    created_at: datetime = Field(sa_column=_ts())
    acknowledged_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    acknowledged_by: int | None = Field(default=None)


class Handover(SQLModel, table=True):
    """A consultation or booking handed to another mentor. The note is for staff only."""

    __tablename__ = "handover"
    __table_args__ = (
        Index("ix_handover_consultation", "consultation_id"),
        Index("ix_handover_at", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    at: datetime = Field(sa_column=_ts())
    from_mentor_id: int
    to_mentor_id: int
    from_joined: bool  # whether the mentor handing over had joined (else: unanswered by them)
    reason: str = Field(max_length=16)  # mentor_absent | client_switch | headquarters
    note: str = Field(default="", max_length=1000)
    actor_role: str = Field(max_length=12)
    actor_id: int


HANDOVER_REQUEST_MODES = ("now", "booking")
# booking: the client said yes and the follow-up booking is being made (back to pending if
# it is refused)
HANDOVER_REQUEST_STATES = ("pending", "booking", "accepted", "declined", "expired")


class HandoverRequest(SQLModel, table=True):
    """A mentor's proposal, from the chat, to hand the client to another mentor: now (the
    consultation is reassigned) or as a follow-up booking with them at starts_at. Nothing
    changes until the client says yes; at most one pending per consultation; it expires
    when the consultation ends. The note is for staff only."""

    __tablename__ = "handover_request"
    __table_args__ = (
        Index("ix_handover_request_consultation", "consultation_id"),
        Index(
            "uq_handover_request_one_pending",
            "consultation_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id"), nullable=False))
    from_mentor_id: int = Field(sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=False))
    to_mentor_id: int = Field(sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=False))
    mode: str = Field(max_length=8)  # now | booking
    starts_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    note: str = Field(default="", max_length=1000)
    state: str = Field(max_length=10)  # pending | accepted | declined | expired
    created_at: datetime = Field(sa_column=_ts())
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # The follow-up booking made on acceptance (mode booking).
    booking_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=True)
    )
    staff_id: int  # who asked


CANNED_CATEGORIES = ("greeting", "closing", "wait", "referral", "other")


class CannedReply(SQLModel, table=True):
    """A reply headquarters keeps for mentors to insert into the composer (定型文)."""

    __tablename__ = "canned_reply"
    __table_args__ = (Index("ix_canned_reply_language", "language", "audience"),)
    id: int | None = Field(default=None, primary_key=True)
    audience: str = Field(max_length=8)  # child | parent | both
    language: str = Field(max_length=2)  # ja | en | zh | ko
    category: str = Field(max_length=12)
    title: str = Field(max_length=60)
    text: str = Field(max_length=1000)
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class RefusalEvent(SQLModel, table=True):
    """One turned-away request (no content, no client): the figure that sizes the lines."""

    __tablename__ = "refusal_event"
    __table_args__ = (Index("ix_refusal_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts())
    action: str = Field(max_length=12)  # chat_now | booking
    code: str = Field(max_length=24)
    audience: str = Field(max_length=8)


class ServiceSetting(SQLModel, table=True):
    """Settings headquarters changes at run time (e.g. line capacity), shared by processes."""

    __tablename__ = "service_setting"
    key: str = Field(primary_key=True, max_length=32)
    value: int
    updated_at: datetime = Field(sa_column=_ts())


QUEUE_STATES = ("waiting", "offered", "served", "left", "expired", "closed")


class QueueEntry(SQLModel, table=True):
    """A client waiting for a line (順番待ち): for one mentor, for a kind, or for anyone.

    Served strictly by (joined_at, id). An offer is a walk-in consultation opened for the
    client (consultation_id); the partial unique index keeps one active place per client.
    """

    __tablename__ = "queue_entry"
    __table_args__ = (
        Index(
            "uq_queue_one_active_per_client",
            "client_id",
            unique=True,
            sqlite_where=text("state IN ('waiting', 'offered')"),
            postgresql_where=text("state IN ('waiting', 'offered')"),
        ),
        Index("ix_queue_state_joined", "state", "joined_at", "id"),
        Index("ix_queue_joined", "joined_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id"), nullable=False))
    audience: str = Field(max_length=8)
    mentor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=True)
    )
    kind: str | None = Field(default=None, max_length=32)
    state: str = Field(max_length=8)
    joined_at: datetime = Field(sa_column=_ts())
    # Written while waiting; stored as the consultation's first message when it is offered
    # (message_seq records that it was, so a retry never stores it twice).
    first_message: str | None = Field(default=None, max_length=2000)
    message_seq: int | None = Field(default=None)
    consultation_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=True)
    )
    offered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # What the client was last told (queue event), so only a change is published again.
    shown_position: int | None = Field(default=None)
    shown_wait: int | None = Field(default=None)


class LinkCode(SQLModel, table=True):
    """A child's one-time code for a parent to link (stored as a keyed hash; single use)."""

    __tablename__ = "link_code"
    __table_args__ = (
        UniqueConstraint("code_hash", name="uq_link_code_hash"),
        Index("ix_link_code_child", "child_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id"), nullable=False))
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ClientLink(SQLModel, table=True):
    """A parent linked to a child: the parent may book for the child and see those bookings'
    times, nothing more. Either side deletes the row to unlink."""

    __tablename__ = "client_link"
    __table_args__ = (
        UniqueConstraint("child_id", "parent_id", name="uq_client_link"),
        Index("ix_client_link_parent", "parent_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id"), nullable=False))
    parent_id: int = Field(sa_column=Column(Integer, ForeignKey("client.id"), nullable=False))
    created_at: datetime = Field(sa_column=_ts())


RISK_LEVELS = ("none", "low", "high", "urgent")
# Where a consultation was referred or escalated to; "help_directory" names an entry of
# app/data/help_directory.json in consultation_record.help_entry_id.
REFERRALS = ("child_guidance", "police", "school", "medical", "189", "help_directory", "none")
ESCALATION_DESTINATIONS = ("child_guidance", "police", "school", "medical", "189", "other")
ESCALATION_STATES = ("pending", "confirmed", "declined")


class RecordTopic(SQLModel, table=True):
    """A topic of the consultation record's taxonomy; headquarters adds, renames and retires
    them (a retired topic stays on the records that name it, and is not offered any more)."""

    __tablename__ = "record_topic"
    __table_args__ = (UniqueConstraint("key", name="uq_record_topic_key"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32)
    label_ja: str = Field(max_length=40)
    label_en: str = Field(max_length=60)
    position: int
    created_at: datetime = Field(sa_column=_ts())
    retired_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ConsultationRecord(SQLModel, table=True):
    """The mentor's short record of an answered consultation. Staff only, never a client's.

    referrals: comma-separated REFERRALS codes ("none" alone, or any of the others)."""

    __tablename__ = "consultation_record"
    __table_args__ = (UniqueConstraint("consultation_id", name="uq_record_consultation"),)
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    mentor_id: int = Field(sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=False))
    risk: str = Field(max_length=8)
    referrals: str = Field(max_length=120)
    help_entry_id: str | None = Field(default=None, max_length=64)
    follow_up: bool
    created_at: datetime = Field(sa_column=_ts())
    created_by: int  # staff id
    updated_at: datetime = Field(sa_column=_ts())
    updated_by: int  # staff id


class ConsultationRecordTopic(SQLModel, table=True):
    __tablename__ = "consultation_record_topic"
    record_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("consultation_record.id"), primary_key=True, nullable=False
        )
    )
    topic_id: int = Field(
        sa_column=Column(Integer, ForeignKey("record_topic.id"), primary_key=True, nullable=False)
    )


class Escalation(SQLModel, table=True):
    """An emergency escalation a mentor raised from a chat; a supervisor confirms or declines
    it (two staff, as MHLW's SNS counselling guideline asks)."""

    __tablename__ = "escalation"
    __table_args__ = (
        Index("ix_escalation_consultation", "consultation_id"),
        Index("ix_escalation_status", "status", "raised_at"),
        Index("ix_escalation_raised", "raised_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    mentor_id: int = Field(sa_column=Column(Integer, ForeignKey("mentor.id"), nullable=False))
    destination: str = Field(max_length=16)
    reason: str = Field(max_length=1000)
    shared: str = Field(max_length=1000)
    status: str = Field(max_length=12)
    raised_at: datetime = Field(sa_column=_ts())
    decided_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    decided_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("staff.id"), nullable=True)
    )
    decision_note: str | None = Field(default=None, max_length=1000)


SURVEY_STATES = ("before", "answered", "skipped")
SURVEY_AGAIN = ("yes", "maybe", "no")
SURVEY_FACES = (1, 2, 3, 4, 5)  # 1 = very bad ... 5 = very good


class Survey(SQLModel, table=True):
    """The client's optional post-chat survey, anonymous by construction: no client id and no
    instant, only the consultation (once per consultation) and what the municipal report
    groups by. state: before (only feel_before, asked while open) | answered | skipped.
    No staff endpoint returns a single survey; the report shows aggregates only."""

    __tablename__ = "survey"
    __table_args__ = (
        UniqueConstraint("consultation_id", name="uq_survey_consultation"),
        Index("ix_survey_day", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    audience: str = Field(max_length=8)
    mentor_kind: str = Field(max_length=32)
    day: date = Field(sa_column=Column(Date(), nullable=False))
    state: str = Field(max_length=10)
    feel_before: int | None = Field(default=None)
    feel_after: int | None = Field(default=None)
    again: str | None = Field(default=None, max_length=8)
    comment: str | None = Field(default=None, max_length=200)


CHANNELS = ("web", "line")
# The little dialogue a LINE user goes through: nickname -> audience -> ready; "confirm_delete"
# while a "けす" waits for its confirmation.
LINE_STATES = ("nickname", "audience", "ready", "confirm_delete")


class LineUser(SQLModel, table=True):
    """A LINE user linked to an anonymous client. Only the LINE user id is kept (no profile);
    the latest reply token is kept while LINE accepts it (about a minute). client_id is None
    until the dialogue has a nickname and an audience; unfollowed_at ends the link (retention
    deletes the row later)."""

    __tablename__ = "line_user"
    __table_args__ = (
        UniqueConstraint("line_user_id", name="uq_line_user_id"),
        Index("ix_line_user_client", "client_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    line_user_id: str = Field(max_length=64)
    client_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("client.id"), nullable=True)
    )
    state: str = Field(max_length=16)
    pending_nickname: str | None = Field(default=None, max_length=40)
    reply_token: str | None = Field(default=None, max_length=255)
    reply_token_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(sa_column=_ts())
    unfollowed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class LineEvent(SQLModel, table=True):
    """A webhook event by its webhookEventId, so a redelivery is stored and applied once.

    The webhook stores each event 'pending' with its raw JSON (payload) before it answers
    LINE; the channel's worker applies it and marks it 'applied', clearing the payload (the
    consultation's messages hold the content, one copy). Outgoing-message keys ("out:...")
    share the table as 'applied' rows without a payload. line_user_id keeps one user's
    events in order across processes."""

    __tablename__ = "line_event"
    __table_args__ = (
        UniqueConstraint("webhook_event_id", name="uq_line_event_id"),
        Index("ix_line_event_received", "received_at"),
        Index("ix_line_event_state", "state", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    webhook_event_id: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=_ts())
    state: str = Field(
        default="applied",
        sa_column=Column(String(8), nullable=False, server_default="applied"),
    )
    line_user_id: str | None = Field(default=None, max_length=64)
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LineUndelivered(SQLModel, table=True):
    """A message to a LINE client that LINE refused or that could not be sent after the
    retries (reason "refused" | "rate_limited"); the mentor sees it as not delivered."""

    __tablename__ = "line_undelivered"
    __table_args__ = (Index("ix_line_undelivered_consultation", "consultation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id"), nullable=False)
    )
    message_seq: int | None = Field(default=None)
    reason: str = Field(max_length=24)
    created_at: datetime = Field(sa_column=_ts())
