"""Which face is asking, and so in which register a person is spoken to.

The child page, the parent page and the staff consoles say which they are in the
`X-Yorisoi-Face` header (the socket and a beacon, which cannot set headers, in `?face=`).
Everything the child page shows is in a child's words: a refusal answers in the child
register when the child face asks, or when the session is a child account (a script or an
app holding a child's token, which sends no face).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import Scope

from app.errors import Register

FACE_HEADER = "x-yorisoi-face"
FACES = ("child", "parent", "staff")
CHILD_ACCOUNT = "yorisoi.child_account"  # scope key: the session resolved to a child account


def face_of(conn: HTTPConnection) -> str | None:
    """The page asking: "child", "parent", "staff", or None (a script, an app)."""
    raw = conn.headers.get(FACE_HEADER) or conn.query_params.get("face")
    return raw if raw in FACES else None


def mark_child_account(conn: HTTPConnection) -> None:
    conn.scope[CHILD_ACCOUNT] = True


def register_of(scope: Scope) -> Register:
    """ "child" for the child face or a child account, "adult" for everyone else."""
    if scope.get(CHILD_ACCOUNT):
        return "child"
    try:
        return "child" if face_of(HTTPConnection(scope)) == "child" else "adult"
    except (KeyError, UnicodeDecodeError, ValueError):  # a malformed request: no face
        return "adult"
