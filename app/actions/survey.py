"""The client's optional post-chat survey: how they feel now (and, if they liked, how they felt
when the chat began), whether they would talk again, and a short comment.

Anonymous by construction. The survey row holds no client id and no instant: only the
consultation (so each is answered once), and what the municipal report groups by (audience,
mentor kind, the day in Asia/Tokyo). Only the consultation's own client answers or reads it;
no staff endpoint returns a single survey — the report (app/actions/report.py) shows
aggregates, and comments only to supervisors, without ids, in groups of at least
MIN_GROUP surveys.

- feel_before: asked in the chat while the consultation is open (optional, once);
- the rest: after the consultation closed, if its mentor joined (an unanswered, no-show or
  cancelled consultation was not a chat to rate); answered or skipped, once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.actions.chat import Access, check_access
from app.actions.context import Context, Principal
from app.db.tables import SURVEY_AGAIN, SURVEY_FACES, Survey
from app.errors import Refusal
from app.rules import local_day

MAX_COMMENT = 200
MIN_GROUP = 3  # the report shows survey figures and comments only for at least this many
# Closed this way, the client never had a chat to rate.
NOT_A_CHAT = ("not_opened", "offer_expired", "offer_declined", "account_deleted")


@dataclass(frozen=True)
class SurveyView:
    consultation_id: int
    state: str  # none | before | answered | skipped
    feel_before: int | None
    can_feel_before: bool
    can_answer: bool
    # The comment just sent has words of the crisis list: the client's screen offers the help
    # numbers at once. Nobody is alerted — the survey stays anonymous, so this is the one
    # thing that can be done for them, and it is done where they are.
    help: bool = False


async def _client_access(ctx: Context, principal: Principal | None, consultation_id: int) -> Access:
    if principal is None:
        raise Refusal("not_signed_in")
    if not principal.is_client:
        raise Refusal("not_allowed")  # staff never read or write a client's survey
    return await check_access(ctx, principal, consultation_id)  # another client: not_found


def _answerable(access: Access) -> bool:
    c = access.consultation
    return (
        c.status == "closed" and c.mentor_joined_at is not None and c.close_reason not in NOT_A_CHAT
    )


async def _row(ctx: Context, consultation_id: int) -> Survey | None:
    async with ctx.db.read() as s:
        return (
            await s.execute(select(Survey).where(col(Survey.consultation_id) == consultation_id))
        ).scalar_one_or_none()


def _view(access: Access, row: Survey | None) -> SurveyView:
    c = access.consultation
    assert c.id is not None
    state = row.state if row is not None else "none"
    return SurveyView(
        consultation_id=c.id,
        state=state,
        feel_before=row.feel_before if row is not None else None,
        can_feel_before=c.status == "open" and (row is None or row.feel_before is None),
        can_answer=_answerable(access) and state in ("none", "before"),
    )


def survey_body(view: SurveyView) -> dict[str, Any]:
    return {
        "consultation_id": view.consultation_id,
        "state": view.state,
        "feel_before": view.feel_before,
        "can_feel_before": view.can_feel_before,
        "can_answer": view.can_answer,
        "help": view.help,
    }


async def get_survey(ctx: Context, principal: Principal | None, consultation_id: int) -> SurveyView:
    access = await _client_access(ctx, principal, consultation_id)
    return _view(access, await _row(ctx, consultation_id))


def check_face(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in SURVEY_FACES:
        raise Refusal("invalid_input", field=field)
    return value


def check_again(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in SURVEY_AGAIN:
        raise Refusal("invalid_input", field="again")
    return value


def check_comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_COMMENT:
        raise Refusal("invalid_input", field="comment")
    return value.strip() or None


def _new_row(ctx: Context, access: Access, **values: Any) -> Survey:
    c = access.consultation
    assert c.id is not None
    return Survey(
        consultation_id=c.id,
        audience=access.client.audience,
        mentor_kind=access.mentor.kind,
        day=local_day(c.opened_at or c.starts_at, ctx.rules),
        **values,
    )


async def do_feel_before(
    ctx: Context, principal: Principal | None, consultation_id: int, body: dict[str, Any]
) -> SurveyView:
    """How the client feels as the chat begins: only while it is open, once."""
    access = await _client_access(ctx, principal, consultation_id)
    feel = check_face(body.get("feel_before"), "feel_before")
    if feel is None:
        raise Refusal("invalid_input", field="feel_before")
    if access.consultation.status != "open":
        raise Refusal("survey_unavailable")
    try:
        async with ctx.db.write() as s:
            s.add(_new_row(ctx, access, state="before", feel_before=feel))
    except IntegrityError:
        raise Refusal("survey_done") from None  # asked already (another tab)
    return _view(access, await _row(ctx, consultation_id))


async def do_answer(
    ctx: Context, principal: Principal | None, consultation_id: int, body: dict[str, Any]
) -> SurveyView:
    """The survey after the chat closed: answered (at least one answer) or skipped, once."""
    access = await _client_access(ctx, principal, consultation_id)
    skip = body.get("skip", False)
    if not isinstance(skip, bool):
        raise Refusal("invalid_input", field="skip")
    values: dict[str, Any]
    if skip:
        values = {"state": "skipped"}
    else:
        values = {
            "feel_after": check_face(body.get("feel_after"), "feel_after"),
            "again": check_again(body.get("again")),
            "comment": check_comment(body.get("comment")),
        }
        if all(v is None for v in values.values()):
            raise Refusal("invalid_input", field="feel_after")
        values["state"] = "answered"
    if not _answerable(access):
        raise Refusal("survey_unavailable")
    try:
        async with ctx.db.write() as s:
            changed = (
                await s.execute(
                    update(Survey)
                    .where(
                        col(Survey.consultation_id) == consultation_id,
                        col(Survey.state) == "before",
                    )
                    .values(**values)
                    .returning(col(Survey.id))
                )
            ).scalar_one_or_none()
            if changed is None:
                s.add(_new_row(ctx, access, **values))
    except IntegrityError:
        raise Refusal("survey_done") from None  # answered or skipped already
    view = _view(access, await _row(ctx, consultation_id))
    comment = values.get("comment")
    if comment and ctx.crisis.detect(comment):
        view = replace(view, help=True)
    return view
