"""LINE messages in easy Japanese: text with quick-reply buttons, the menu, postback data,
help lines and refusals in a child's words. Pure: no I/O."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from app.actions.context import Principal
from app.db.tables import Client
from app.errors import CATALOG, Refusal

MAX_QUICK = 13  # LINE's limit of quick-reply buttons
NOT_TEXT = "もじで おくってね。"

RUBY = re.compile(r"\{([^|{}]+)\|([^|{}]+)\}")


def contact_line(entry: dict[str, Any]) -> str:
    """A help-directory entry in one line of easy Japanese: its name and telephone."""
    name = entry.get("name") or {}
    shown = name.get("easy") or name.get("ja") or "" if isinstance(name, dict) else str(name)
    shown = RUBY.sub(r"\1（\2）", shown)
    contact = entry.get("contact") or {}
    tel = contact.get("tel") if isinstance(contact, dict) else None
    return f"{shown} ☎ {tel}" if tel else shown


def client_principal(client: Client) -> Principal:
    assert client.id is not None
    return Principal(
        kind="client",
        id=client.id,
        role=client.audience,
        display_name=client.nickname,
        session_id=0,
    )


def text_message(text: str, quick: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """A LINE text message (the Messaging API's JSON, not one of our socket frames: built with
    dict() so the frame-contract test does not take it for one); quick: (label, postback data)
    buttons."""
    body: dict[str, Any] = dict(type="text", text=text[:5000])
    if quick:
        body["quickReply"] = {
            "items": [
                dict(
                    type="action",
                    action=dict(
                        type="postback", label=label[:20], data=data, displayText=label[:20]
                    ),
                )
                for label, data in quick[:MAX_QUICK]
            ]
        }
    return body


def pb(action: str, **values: object) -> str:
    return urlencode({"a": action, **{k: str(v) for k, v in values.items()}})


MENU = [
    ("はなす", pb("talk")),
    ("よやく", pb("book")),
    ("まえの ひと", pb("prev")),
    ("こまったときは", pb("help")),
]


def refusal_text(refusal: Refusal) -> str:
    entry = CATALOG.get(refusal.code)
    if entry is None:
        return "いまは できないよ。"
    try:
        return entry.child.ja.format(**refusal.params)
    except (KeyError, IndexError, AttributeError):
        return entry.child.ja
