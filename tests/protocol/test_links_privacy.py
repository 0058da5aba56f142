"""A linked parent's socket carries nothing of the child's consultations.

The parent is signed in with a live socket through everything the child does: a booking the
parent made for the child, the child's chat (with a crisis word, so help cards, alerts and
the mentor's cool-down fly), the end. The parent cannot join the child's consultation nor
send into it, and no frame that reaches the parent names it or carries its words.
"""

from __future__ import annotations

import json

from tests.helpers import bearer, sign_up
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair

SECRET = "ないしょ-4412 もう死にたい"


async def test_parent_socket_gets_nothing_of_the_childs_consultation(live: Live) -> None:
    pair = await chat_pair(live, "りす")
    parent = await sign_up(live.http, "おかあさん", audience="parent")
    code = (await live.http.post("/api/link-codes", headers=bearer(pair.child))).json()["code"]
    r = await live.http.post("/api/links", json={"code": code}, headers=bearer(parent))
    assert r.status_code == 201, r.text
    link_id = r.json()["link"]["id"]
    async with (
        ws_client(live, parent) as watcher,
        ws_client(live, pair.child) as child,
        ws_client(live, pair.mentor) as mentor,
    ):
        r = await live.http.post(
            f"/api/links/{link_id}/bookings",
            json={"mentor_id": pair.mentor_id, "start": "2026-12-02T16:00:00+09:00"},
            headers=bearer(parent),
        )
        assert r.status_code == 201, r.text
        await child.expect("consultation")  # the child hears of the booking made for them
        # The parent cannot join or write into the child's consultation.
        await watcher.send(type="join", consultation_id=pair.consultation_id)
        assert (await watcher.expect("error"))["code"] == "not_found"
        await watcher.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="p-1", text="みせて"
        )
        assert (await watcher.expect("error"))["code"] in ("not_joined", "not_found")
        # The child and the mentor talk; a crisis word raises everything there is to raise.
        for side in (child, mentor):
            await side.send(type="join", consultation_id=pair.consultation_id)
            await side.expect("joined")
        await child.send(
            type="send", consultation_id=pair.consultation_id, client_msg_id="c-1", text=SECRET
        )
        await child.expect("ack")
        await mentor.expect("message")
        await mentor.expect("resting")  # the mentor's cool-down began
        await mentor.send(type="end", consultation_id=pair.consultation_id)
        await child.expect("consultation", event="closed")
        assert "help_card" in [f["type"] for f in child.seen]
        got = await watcher.quiet(0.5)
    every = json.dumps(watcher.seen, ensure_ascii=False)
    assert "ないしょ" not in every and "死にたい" not in every
    for frame in watcher.seen:
        assert frame.get("consultation_id") != pair.consultation_id or frame["type"] == "error", (
            frame
        )
        assert frame["type"] in ("hello", "error"), frame  # only the answers to its own tries
    assert got == []
