"""Error frames are in the register of the account the socket belongs to."""

from __future__ import annotations

from app.errors import LANGS, Refusal
from tests.protocol.conftest import Live, ws_client
from tests.protocol.helpers import chat_pair


async def test_a_child_reads_a_childs_words_and_the_mentor_the_adult_ones(live: Live) -> None:
    pair = await chat_pair(live)
    async with ws_client(live, pair.child) as child, ws_client(live, pair.mentor) as mentor:
        for ws, ref in ((child, "c-late"), (mentor, "m-late")):
            await ws.send(
                type="send", consultation_id=pair.consultation_id, client_msg_id=ref, text="やあ"
            )
        child_error = await child.expect("error")
        mentor_error = await mentor.expect("error")
    assert child_error["code"] == mentor_error["code"] == "not_joined"
    assert set(child_error["message"]) == set(LANGS)
    assert child_error["message"] == Refusal("not_joined").message("child")
    assert mentor_error["message"] == Refusal("not_joined").message("adult")
