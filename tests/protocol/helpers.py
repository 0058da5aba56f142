"""Setting up a consultation between a child and a mentor over the live server."""

from __future__ import annotations

from dataclasses import dataclass

from tests.helpers import add_mentor, add_staff, bearer, sign_up, staff_token
from tests.protocol.conftest import Live, Ws


@dataclass
class Pair:
    consultation_id: int
    child: str
    mentor: str
    mentor_id: int


async def chat_pair(live: Live, nickname: str = "うさぎ", mentor_name: str = "さくら") -> Pair:
    mentor_id = await add_mentor(live.ctx, mentor_name, audience="both")
    await add_staff(live.ctx, f"staff-{mentor_name}", "mentor-pass", mentor_id=mentor_id)
    child = await sign_up(live.http, nickname)
    mentor = await staff_token(live.http, f"staff-{mentor_name}", "mentor-pass")
    r = await live.http.post("/api/chat-now", json={"mentor_id": mentor_id}, headers=bearer(child))
    assert r.status_code == 201, r.text
    return Pair(r.json()["consultation"]["id"], child, mentor, mentor_id)


async def supervisor_token(live: Live) -> str:
    await add_staff(live.ctx, "honbu", "honbu-pass", role="supervisor")
    return await staff_token(live.http, "honbu", "honbu-pass")


async def join_all(consultation_id: int, *sides: Ws) -> None:
    for side in sides:
        await side.send(type="join", consultation_id=consultation_id)
        await side.expect("joined")
