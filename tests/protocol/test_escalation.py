"""Two-person escalation over real sockets: headquarters is told at once, the mentor sees the
decision live, and the client's socket gets only the notice (every frame checked against the
published schemas by the Ws helper)."""

from __future__ import annotations

from tests.helpers import bearer
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair, join_all, supervisor_token

REASON = "家で叩かれていると話した"
SHARED = "ニックネームと相談の日時"


async def test_raise_and_confirm_reach_the_right_sockets_only(live: Live) -> None:
    pair = await chat_pair(live)
    cid = pair.consultation_id
    boss_token = await supervisor_token(live)
    async with (
        ws_client(live, pair.child) as child,
        ws_client(live, pair.mentor) as mentor,
        ws_client(live, boss_token) as boss,
    ):
        await join_all(cid, child, mentor)
        r = await live.http.post(
            f"/api/staff/consultations/{cid}/escalations",
            json={"destination": "child_guidance", "reason": REASON, "shared": SHARED},
            headers=bearer(pair.mentor),
        )
        assert r.status_code == 201, r.text
        raised = (await boss.expect("escalation"))["escalation"]
        assert (raised["status"], raised["reason"], raised["shared"]) == ("pending", REASON, SHARED)
        assert (await mentor.expect("escalation"))["escalation"]["id"] == raised["id"]

        r = await live.http.post(
            f"/api/staff/escalations/{raised['id']}/decision",
            json={"decision": "confirm", "note": "連絡します"},
            headers=bearer(boss_token),
        )
        assert r.status_code == 200, r.text
        decided = (await mentor.expect("escalation"))["escalation"]
        assert decided["status"] == "confirmed" and decided["decided_by"]["display_name"]
        assert decided["decision_note"] == "連絡します"
        notice = await child.expect("notice", consultation_id=cid)
        assert notice["text"] == live.ctx.settings.escalation_client_notice
        # nothing else of it ever reached the client's socket
        for frame in child.seen + await child.quiet():
            assert frame["type"] != "escalation"
            assert REASON not in str(frame) and SHARED not in str(frame)
