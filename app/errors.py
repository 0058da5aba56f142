"""Refusals: a stable machine-readable code, an HTTP status, and a message in Japanese and English.

Actions raise Refusal; the web layer turns it into JSON. Nothing here imports Starlette.
"""

from __future__ import annotations

from typing import Any

# code -> (http status, Japanese, English). Messages may use {placeholders} from Refusal.params.
CATALOG: dict[str, tuple[int, str, str]] = {
    "invalid_input": (400, "入力の内容を確かめてください。", "Please check what you entered."),
    "not_signed_in": (401, "サインインしてください。", "Please sign in."),
    "bad_credentials": (
        401,
        "ニックネームかあいことばがちがいます。",
        "The name or the secret/password is not right.",
    ),
    "not_allowed": (403, "この操作はできません。", "You are not allowed to do this."),
    "cross_site": (
        403,
        "ほかのサイトからの操作は受け付けていません。",
        "Requests from other sites are not accepted.",
    ),
    "not_found": (404, "見つかりませんでした。", "Not found."),
    "nickname_taken": (
        409,
        "そのニックネームはもう使われています。ちがう名前にしてください。",
        "That nickname is already taken. Please choose another.",
    ),
    "outside_hours": (
        409,
        "いまは受付時間外です。受付は{open_time}〜{last_start}です（{close_time}までお話しできます）。",
        "This is outside service hours. Requests are taken {open_time}–{last_start} (chats end by {close_time}).",
    ),
    "in_the_past": (
        409,
        "その時間はもう始まっているか、過ぎています。",
        "That time has already started or passed.",
    ),
    "too_far_ahead": (
        409,
        "予約は{horizon_days}日先までです。",
        "Bookings can be made up to {horizon_days} days ahead.",
    ),
    "invalid_slot": (
        409,
        "予約は{open_time}〜{last_start}の、30分ごとの時間からえらんでください。",
        "Please choose a slot starting on the half hour between {open_time} and {last_start}.",
    ),
    "no_free_line": (
        409,
        "いま、すべての回線がつかわれています。少し待つか、予約してください。",
        "All lines are busy right now. Please try again later or book a time.",
    ),
    "mentor_busy": (
        409,
        "このメンターはいま、ほかの人とお話ししています。",
        "This mentor is talking with someone else right now.",
    ),
    "mentor_off_shift": (
        409,
        "このメンターはその時間にはいません。",
        "This mentor is not working at that time.",
    ),
    "slot_taken": (
        409,
        "その時間はもう予約でうまっています。",
        "That time is already taken.",
    ),
    "client_busy": (
        409,
        "その時間には、もうほかのお話の予定があります。",
        "You already have a consultation at that time.",
    ),
    "limit_reached": (
        409,
        "予約は{max_bookings}つまでです。",
        "You can hold at most {max_bookings} bookings.",
    ),
    "not_cancellable": (
        409,
        "この予約はもう取り消せません。",
        "This booking can no longer be cancelled.",
    ),
    "message_too_long": (
        400,
        "メッセージは{max_text}文字までです。",
        "Messages can be at most {max_text} characters.",
    ),
    "not_joined": (
        409,
        "まだこの相談に入っていません。",
        "You have not joined this consultation yet.",
    ),
    "not_open_yet": (
        409,
        "まだはじまっていません。時間になるまで待ってね。",
        "This consultation has not started yet. Please wait until its time.",
    ),
    "consultation_closed": (
        409,
        "この相談はおわりました。",
        "This consultation has ended.",
    ),
    "mentor_has_bookings": (
        409,
        "このメンターにはこれからの予約があります。先に予約を調整してください。",
        "This mentor still has upcoming bookings. Rearrange them first.",
    ),
    "shift_overlap": (
        409,
        "このメンターの別のシフトと重なっています。",
        "This overlaps another shift of the same mentor.",
    ),
    "shift_in_use": (
        409,
        "このシフトの中に予約や相談があるため、削除できません。",
        "This shift has bookings or consultations inside it and cannot be removed.",
    ),
    "capacity_in_use": (
        409,
        "これからの時間で、{used}番の回線まで使われる予定です。それより少なくはできません。",
        "Line {used} is taken at an upcoming time; capacity cannot go below that yet.",
    ),
    "rate_limited": (
        429,
        "回数が多すぎます。しばらく待ってからためしてください。",
        "Too many attempts. Please wait a while and try again.",
    ),
    "busy_try_again": (
        503,
        "こみあっています。もう一度ためしてください。",
        "The service is busy. Please try again.",
    ),
    "internal_error": (
        500,
        "ごめんなさい、うまくいきませんでした。もう一度ためしてください。",
        "Sorry, something went wrong. Please try again.",
    ),
}


class Refusal(Exception):
    """A request the service declines, with a stable code and a bilingual message."""

    def __init__(self, code: str, *, field: str | None = None, **params: Any) -> None:
        if code not in CATALOG:
            raise KeyError(f"unknown refusal code {code!r}")
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params

    @property
    def status(self) -> int:
        return CATALOG[self.code][0]

    def as_dict(self) -> dict[str, Any]:
        _, ja, en = CATALOG[self.code]
        body: dict[str, Any] = {
            "code": self.code,
            "message": {"ja": ja.format(**self.params), "en": en.format(**self.params)},
        }
        if self.field:
            body["field"] = self.field
        if self.params:
            body["details"] = {k: _plain(v) for k, v in self.params.items()}
        return body


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
