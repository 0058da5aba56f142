"""What crosses between processes in one NOTIFY payload, and how a receiver reads it.

A payload is the sender's origin (ORIGIN_WIDTH characters) followed by a JSON array of
[topics, event] items, oldest first. The origin is compared as a string before anything is
decoded, so a process never spends a JSON decode on its own notifications. Keys starting with
"_" stay in the process that made the event (cached frames, the sending socket), except
"_from", which receivers use to skip the sender's own typing and presence.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import orjson

ORIGIN_WIDTH = 12
MAX_PAYLOAD = 7_900  # bytes; PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more
SHARED_PRIVATE_KEYS = frozenset({"_from"})

Item = tuple[list[str], dict[str, Any]]


def new_origin() -> str:
    return secrets.token_hex(ORIGIN_WIDTH // 2)


def shareable(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k[0] != "_" or k in SHARED_PRIVATE_KEYS}


def encode_item(topics: list[str], event: dict[str, Any]) -> bytes:
    return orjson.dumps([topics, shareable(event)])


def encode_while_fits(origin: str, batch: Sequence[Item]) -> list[bytes]:
    """The batch's items encoded in order, up to the first that would not fit in one payload
    with those before it: all of them when the whole batch fits (each other process then gets
    at most one payload, a subset of them), and never more than a payload's worth otherwise."""
    encoded: list[bytes] = []
    size = len(origin) + 1  # "[" and "]", less the comma the first item does not need
    for topics, event in batch:
        item = encode_item(topics, event)
        size += len(item) + 1
        if size > MAX_PAYLOAD:
            break
        encoded.append(item)
    return encoded


def payloads(origin: str, items: list[bytes]) -> tuple[list[str], int]:
    """Pack encoded items, in order, into as few payloads as fit; returns (payloads, number of
    items too large for any payload, which are left out)."""
    head = origin.encode()
    out: list[str] = []
    dropped = 0
    chunk: list[bytes] = []
    size = len(head) + 2
    for item in items:
        if len(head) + 2 + len(item) > MAX_PAYLOAD:
            dropped += 1
            continue
        if chunk and size + 1 + len(item) > MAX_PAYLOAD:
            out.append((head + b"[" + b",".join(chunk) + b"]").decode())
            chunk, size = [], len(head) + 2
        chunk.append(item)
        size += len(item) + (1 if len(chunk) > 1 else 0)
    if chunk:
        out.append((head + b"[" + b",".join(chunk) + b"]").decode())
    return out, dropped


def decode(origin: str, payload: str) -> list[Item]:
    """The items of another process's payload; nothing for our own (not decoded at all) or for
    a payload that is not ours to read."""
    if payload.startswith(origin):
        return []
    try:
        data = orjson.loads(payload[ORIGIN_WIDTH:])
    except orjson.JSONDecodeError:
        return []
    if not isinstance(data, list):
        return []
    items: list[Item] = []
    for entry in data:
        if (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], list)
            and isinstance(entry[1], dict)
        ):
            items.append((entry[0], entry[1]))
    return items
