"""The LINE channel: LINE users as anonymous clients of the same consultations.

A webhook request is verified (intake.webhook_signature_ok); its events are stored 'pending'
in line_event (raw JSON, webhookEventId unique) in one transaction, and only then is LINE
answered 200, so a crash after the answer loses nothing. LineChannel's worker applies the
pending rows in order, marks each 'applied' and clears its payload; at start it applies what
an earlier process left (intake.py). A LINE user answers two questions (a nickname, child or
parent) and becomes an anonymous client linked to their LINE user id; nothing from their
LINE profile is stored. The menu works by postback and calls the same actions as the web
pages; while a consultation is open their text goes in through chat.do_send
(conversation.py).

The way back is one more receiver of the realtime hub (wayback.py): a Subscriber for the
linked clients' topics whose messages pass through realtime.delivery.Delivery (exactly once,
in seq order) and go out as LINE messages, by reply token while it is fresh and by push
otherwise, not past the month's quota (sending.py). 429s and server errors are retried with
a bounded backoff; what still does not arrive is kept in line_undelivered (the mentor sees
it) and raised to headquarters as a line_undelivered alert, never dropped silently.

Layers, each a module: messages (pure) · sending · wayback · conversation · intake ·
channel (LineChannel, run by the app's lifespan).
"""

from app.actions.line.channel import LineChannel
from app.actions.line.conversation import UNFOLLOWED, Conversation
from app.actions.line.intake import (
    APPLIED,
    PENDING,
    SWEEP_SECONDS,
    Intake,
    parse_events,
    webhook_signature_ok,
)
from app.actions.line.messages import (
    MAX_QUICK,
    MENU,
    NOT_TEXT,
    client_principal,
    contact_line,
    pb,
    refusal_text,
    text_message,
)
from app.actions.line.sending import (
    FIRST_PAUSE,
    QUOTA_CACHE_SECONDS,
    REPLY_TOKEN_SECONDS,
    SEND_TRIES,
    UNDELIVERED_ALERT,
    Sender,
    SendFailed,
    Unfollowed,
    undelivered_seqs,
)
from app.actions.line.wayback import WayBack

__all__ = [
    "APPLIED",
    "FIRST_PAUSE",
    "MAX_QUICK",
    "MENU",
    "NOT_TEXT",
    "PENDING",
    "QUOTA_CACHE_SECONDS",
    "REPLY_TOKEN_SECONDS",
    "SEND_TRIES",
    "SWEEP_SECONDS",
    "UNDELIVERED_ALERT",
    "UNFOLLOWED",
    "Conversation",
    "Intake",
    "LineChannel",
    "SendFailed",
    "Sender",
    "Unfollowed",
    "WayBack",
    "client_principal",
    "contact_line",
    "parse_events",
    "pb",
    "refusal_text",
    "text_message",
    "undelivered_seqs",
    "webhook_signature_ok",
]
