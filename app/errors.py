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
    "already_waiting": (
        409,
        "もう じゅんばんを まっているよ。まっている ところは ホームで みられるよ。",
        "You are already waiting in line; your place is shown on the home page.",
    ),
    "not_waiting": (
        404,
        "いまは じゅんばんを まっていないよ。",
        "You are not waiting in line.",
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
        "このメンターにはこれからの予約や相談が{count}件あります。「予約を移す」でほかのメンターに移してから停止してください。",
        "This mentor still has {count} upcoming bookings or open consultations. Move them to another mentor with “Move bookings” first, then stop the mentor.",
    ),
    "mentor_inactive": (
        409,
        "このメンターは停止されています。",
        "This mentor is stopped.",
    ),
    "wrong_audience": (
        409,
        "このメンターは、この相談者の対象（子ども／保護者）を担当していません。",
        "This mentor does not serve this client's audience (child / parent).",
    ),
    "not_reassignable": (
        409,
        "この相談は終わっているか、時間が過ぎているため、ほかのメンターに移せません。",
        "This consultation has ended or its time has passed; it cannot be moved to another mentor.",
    ),
    "switch_not_offered": (
        409,
        "いまは ほかの 人に かわれないよ。メンターが きているか、まだ まっている ところだよ。",
        "You cannot switch right now: your mentor is here, or the wait is not over yet.",
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
    "second_factor_required": (
        401,
        "確認コード（認証アプリの6桁の数字、またはリカバリーコード）を入力してください。",
        "Enter the code from your authenticator app (6 digits) or a recovery code.",
    ),
    "bad_second_factor": (
        401,
        "確認コードが違うか、すでに使われています。新しいコードを入力してください。",
        "That code is not right or has already been used. Enter a new code.",
    ),
    "password_change_required": (
        403,
        "仮パスワードでサインインしています。先に自分のパスワードを設定してください。",
        "You signed in with a one-time password. Set your own password first.",
    ),
    "second_factor_enrolment_required": (
        403,
        "このアカウントには2段階認証が必要です。先に認証アプリを登録してください。",
        "This account needs two-factor sign-in. Set up your authenticator app first.",
    ),
    "second_factor_enrolled": (
        409,
        "2段階認証はすでに登録されています。",
        "Two-factor sign-in is already set up for this account.",
    ),
    "second_factor_not_started": (
        409,
        "先に2段階認証の登録を始めてください。",
        "Start the two-factor set-up first.",
    ),
    "weak_password": (
        400,
        "パスワードは{min_length}文字以上で、よく使われるものやユーザー名を含むものは使えません。",
        "Passwords need at least {min_length} characters and must not be a common password or contain the username.",
    ),
    "username_taken": (
        409,
        "そのユーザー名はもう使われています。",
        "That username is already taken.",
    ),
    "secret_too_short": (
        400,
        "あいことばは{minimum}もじいじょうにしてね。",
        "Your secret needs at least {minimum} characters.",
    ),
    "secret_too_common": (
        400,
        "そのあいことばは、ほかの人にあてられやすいよ。じぶんだけの、ほかのことばにしてね。",
        "That secret is too easy to guess. Please choose one only you would think of.",
    ),
    "secret_wait": (
        429,
        "まちがいがつづいたので、{retry_after}びょうまってから、もういちどいれてね。",
        "Several wrong tries: please wait {retry_after} seconds and try again.",
    ),
    "other_face": (
        403,
        "このなまえは、べつのページ（こどもよう／おとなよう）でつかうなまえだよ。そちらのページからサインインしてね。",
        "This name belongs to the other page (children's or grown-ups'). Please sign in there.",
    ),
    "secret_needed": (
        403,
        "まえのおはなしをよむには、あいことばをもういちどいれてね。",
        "To read an earlier conversation, please enter your secret again.",
    ),
    "reread_over": (
        410,
        "このおはなしは、おわってからじかんがたったので、もうよめないよ。",
        "This conversation ended too long ago to be read again.",
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
