"""What Schemathesis found fuzzing the OpenAPI document (tests/contract/), one test each."""

from __future__ import annotations

from tests.conftest import Env
from tests.helpers import add_staff, bearer, staff_token


async def test_a_staff_account_for_a_mentor_id_beyond_any_id_is_invalid_input(env: Env) -> None:
    # 2**31 does not fit an INTEGER column: PostgreSQL failed the lookup (500); it is the
    # same out-of-range id every other body refuses as invalid_input, as the document says.
    await add_staff(env.ctx, "boss", "boss-pass1", role="supervisor")
    boss = await staff_token(env.http, "boss", "boss-pass1")
    for mentor_id in (2**31, 0, -1):
        r = await env.http.post(
            "/api/staff/accounts",
            json={"username": "newmentor", "role": "mentor", "mentor_id": mentor_id},
            headers=bearer(boss),
        )
        assert r.status_code == 400, r.text
        assert r.json()["error"] == {
            **r.json()["error"],
            "code": "invalid_input",
            "field": "mentor_id",
        }


async def test_handing_over_documents_every_refusal_of_the_new_mentor(env: Env) -> None:
    # Schemathesis reassigned to a mentor off shift: 409 mentor_off_shift, which docs/api.md
    # listed but the operation's document did not (the switch shares the same checks).
    doc = (await env.http.get("/api/openapi.json")).json()
    for path in (
        "/api/staff/consultations/{consultation_id}/reassign",
        "/api/consultations/{consultation_id}/switch",
    ):
        conflict = doc["paths"][path]["post"]["responses"]["409"]
        error = conflict["content"]["application/json"]["schema"]["properties"]["error"]
        codes = set(error["allOf"][1]["properties"]["code"]["enum"])
        new_mentor = {"mentor_inactive", "wrong_audience", "mentor_off_shift", "mentor_busy"}
        assert new_mentor | {"mentor_resting"} <= codes, (path, codes)
