"""Schemathesis against a real uvicorn on SQLite, loaded from the served OpenAPI document.

Every operation is fuzzed (positive and negative examples, a bounded number each,
derandomized so a CI run is repeatable) signed in as a client, a mentor and a supervisor in
turn, and then anonymously. Checks: no 5xx, and every answer is in the document (status
codes, content types, headers, bodies). Bearer tokens come from the sign-in endpoints
(requests without Origin get the token in the body).

Kept stable on purpose:
- The sign-in and sign-up endpoints are fuzzed in the anonymous run only, which comes last,
  so their wrong guesses (which fill the per-address sign-in throttle, and then answer 429,
  as documented) never refuse the sign-ins this module needs; every token is taken first.
- The operations that end a session (sign-out, the quick-exit beacon, deleting the account)
  get a token of their own from a pool made up front, so they never sign out the session
  the other operations use; once the pool is used up they are asked without a session.
- The server keeps its default idle expiry (the run is far shorter) and its throttles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.settings import Settings
from app.web.contract_api import document
from tests.servers import serve_process

PASSWORD = "yorisoi-demo"  # the dev-mode demo accounts (app/demo.py)
ENDS_SESSION = {("DELETE", "/api/session"), ("POST", "/api/session/end"), ("DELETE", "/api/me")}
POOL = 12  # spare sessions per role for the session-ending operations
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Role:
    name: str
    sign_in: object  # () -> token
    token: str | None = None
    spare: list[str] = field(default_factory=list)


PROTECTED: set[int] = set()  # the staff ids of the sessions this module fuzzes with
STAND_IN: list[int] = []  # a staff login that may be reset, stopped or locked out instead
SERVER: list[str] = []  # the base URL, for the cases (Schemathesis parametrizes at import)


@dataclass
class Server:
    base: str
    roles: dict[str, Role]


def _token(base: str, path: str, body: dict[str, str]) -> str:
    r = httpx.post(f"{base}{path}", json=body, timeout=10)
    assert r.status_code in (200, 201), r.text
    token = r.json()["token"]
    assert isinstance(token, str)
    return token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir: Path = tmp_path_factory.mktemp("schemathesis")
    with serve_process(workdir, name="schemathesis") as (base, _log, _proc):
        client = {"nickname": "fuzz-client", "secret": "fuzz-secret-1", "audience": "parent"}
        _token(base, "/api/clients", client)
        creds = {
            "client": (
                "/api/session/client",
                {"nickname": "fuzz-client", "secret": "fuzz-secret-1"},
            ),
            "mentor": ("/api/session/staff", {"username": "mentor1", "password": PASSWORD}),
            "supervisor": ("/api/session/staff", {"username": "honbu", "password": PASSWORD}),
        }
        roles = {"anonymous": Role("anonymous", None)}
        for name, (path, body) in creds.items():
            role = Role(name, None, _token(base, path, body))
            role.spare = [_token(base, path, body) for _ in range(POOL)]
            roles[name] = role
        # A password reset, a second-factor reset or a stop of a staff login ends all its
        # sessions: aimed at one of the logins this module signs in with, it hits a stand-in.
        boss = {"Authorization": f"Bearer {roles['supervisor'].token}"}
        for name in ("mentor", "supervisor"):
            me = httpx.get(
                f"{base}/api/me", headers={"Authorization": f"Bearer {roles[name].token}"}
            )
            PROTECTED.add(me.json()["account"]["id"])
        stand_in = httpx.post(
            f"{base}/api/staff/accounts",
            json={"username": "fuzz-stand-in", "role": "supervisor", "display_name": "代わり"},
            headers=boss,
        )
        assert stand_in.status_code == 201, stand_in.text
        STAND_IN[:] = [stand_in.json()["account"]["id"]]
        SERVER[:] = [base]
        yield Server(base, roles)


def dev_document() -> dict[str, Any]:
    """The document a dev-mode server serves (checked below against the one it does serve):
    built here because Schemathesis' lazy loading from a fixture does not run on pytest 9."""
    return document(create_app(Settings(dev=True)).routes, Settings(dev=True).cookie_prefix)


schema = schemathesis.openapi.from_dict(dev_document())
# The operations that need no session are fuzzed in the anonymous run only.
signed_in = schema.exclude(
    func=lambda ctx: ctx.operation.definition.raw["x-yorisoi-auth"] == "none"
)


def test_the_fuzzed_document_is_the_served_one(server: Server) -> None:
    served = httpx.get(f"{server.base}/api/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(dev_document()))


FUZZ = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def prepare(case: schemathesis.Case, role: Role) -> dict[str, str]:
    """The headers for this case as this role (and a stand-in for our own staff logins)."""
    op = (case.operation.method.upper(), case.operation.path)
    token = role.token
    if case.path_parameters and case.path_parameters.get("staff_id") in PROTECTED:
        case.path_parameters["staff_id"] = STAND_IN[0]
    if op in ENDS_SESSION:
        token = role.spare.pop() if role.spare else None
    return {"Authorization": f"Bearer {token}"} if token is not None else {}


def answer_as_documented(case: schemathesis.Case, role: Role) -> None:
    headers = prepare(case, role)
    case.call_and_validate(base_url=SERVER[0], headers=headers, checks=CHECKS, timeout=30)


# One test per role, in this order (pytest keeps it): the anonymous run, which fuzzes the
# sign-in endpoints, is last.
@signed_in.parametrize()
@FUZZ
def test_as_a_client(case: schemathesis.Case, server: Server) -> None:
    answer_as_documented(case, server.roles["client"])


@signed_in.parametrize()
@FUZZ
def test_as_a_mentor(case: schemathesis.Case, server: Server) -> None:
    answer_as_documented(case, server.roles["mentor"])


@signed_in.parametrize()
@FUZZ
def test_as_a_supervisor(case: schemathesis.Case, server: Server) -> None:
    answer_as_documented(case, server.roles["supervisor"])


@schema.parametrize()
@FUZZ
def test_anonymously(case: schemathesis.Case, server: Server) -> None:
    answer_as_documented(case, server.roles["anonymous"])


# -- stateful: sequences along the links Schemathesis infers from the document --------------
# (e.g. POST /api/staff/mentors -> PATCH /api/staff/mentors/{mentor_id}, GET /api/mentors ->
# POST /api/bookings -> DELETE /api/bookings/{booking_id}), as a client and as a supervisor.


@pytest.mark.parametrize("role_name", ["client", "supervisor"])
def test_linked_sequences_answer_as_documented(server: Server, role_name: str) -> None:
    role = server.roles[role_name]

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": server.base, "headers": prepare(case, role), "timeout": 30}

        def validate_response(self, response: Any, case: schemathesis.Case, **_kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
