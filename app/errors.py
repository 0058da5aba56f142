"""Refusals: a stable machine-readable code, an HTTP status, and a message for a person.

Every code has two registers, each in Japanese, English, Simplified Chinese and Korean: the
adult one, and the child one that the child face (and any child account) is always shown —
hiragana and katakana, short and kind, never blaming the child; a kanji appears only as ruby
markup `{漢字|かんじ}` (the child page renders it as furigana; tests/unit/test_child_register.py
holds every child text to that). Actions raise Refusal; the web layer turns it into JSON in
the register of whoever asked. Nothing here imports Starlette.
"""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

Register = Literal["adult", "child"]
LANGS = ("ja", "en", "zh", "ko")
REGISTERS: tuple[Register, ...] = ("adult", "child")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")  # {name}; a ruby {漢字|かな} is not a placeholder


class Texts(NamedTuple):
    ja: str
    en: str
    zh: str
    ko: str


class Entry(NamedTuple):
    status: int
    adult: Texts
    child: Texts


# code -> (http status, adult texts, child texts). Texts may use {placeholders} from
# Refusal.params; a child text uses no placeholder its adult Japanese does not.
CATALOG: dict[str, Entry] = {
    "invalid_input": Entry(
        400,
        Texts(
            "入力の内容を確かめてください。",
            "Please check what you entered.",
            "请检查您输入的内容。",
            "입력한 내용을 확인해 주세요.",
        ),
        Texts(
            "かいた ことを もういちど みてね。",
            "Please look at what you wrote once more.",
            "请再看一看你写的内容。",
            "쓴 내용을 한 번 더 봐 주세요.",
        ),
    ),
    "not_signed_in": Entry(
        401,
        Texts("サインインしてください。", "Please sign in.", "请登录。", "로그인해 주세요."),
        Texts(
            "もういちど はいってね。",
            "Please sign in again.",
            "请再进入一次。",
            "다시 한 번 들어와 주세요.",
        ),
    ),
    "bad_signature": Entry(
        401,
        Texts(
            "署名を確認できませんでした。",
            "The signature could not be verified.",
            "无法验证签名。",
            "서명을 확인할 수 없습니다.",
        ),
        Texts(
            "たしかめる ことが できなかったよ。",
            "We could not check it.",
            "没能确认哦。",
            "확인하지 못했어요.",
        ),
    ),
    "bad_credentials": Entry(
        401,
        Texts(
            "ニックネームかあいことばがちがいます。",
            "The name or the secret/password is not right.",
            "昵称或暗号／密码不正确。",
            "닉네임 또는 암호/비밀번호가 맞지 않습니다.",
        ),
        Texts(
            "ニックネームか あいことばが ちがうみたい。もういちど いれてみてね。",
            "The nickname or the secret word does not match. Please try again.",
            "昵称或者暗号好像不对。请再输入一次试试。",
            "닉네임이나 암호가 맞지 않는 것 같아요. 다시 한 번 넣어 보세요.",
        ),
    ),
    "not_allowed": Entry(
        403,
        Texts(
            "この操作はできません。",
            "You are not allowed to do this.",
            "无法进行此操作。",
            "이 작업은 할 수 없습니다.",
        ),
        Texts(
            "ここでは それは できないよ。",
            "That cannot be done here.",
            "这里不能这样做哦。",
            "여기서는 그렇게 할 수 없어요.",
        ),
    ),
    "cross_site": Entry(
        403,
        Texts(
            "ほかのサイトからの操作は受け付けていません。",
            "Requests from other sites are not accepted.",
            "不接受来自其他网站的操作。",
            "다른 사이트에서 보낸 요청은 받지 않습니다.",
        ),
        Texts(
            "この ページから もういちど ためしてね。",
            "Please try again from this page.",
            "请在这个页面上再试一次。",
            "이 페이지에서 다시 해 보세요.",
        ),
    ),
    "not_found": Entry(
        404,
        Texts("見つかりませんでした。", "Not found.", "未找到。", "찾을 수 없습니다."),
        Texts("みつからなかったよ。", "We could not find it.", "没有找到哦。", "찾지 못했어요."),
    ),
    "nickname_taken": Entry(
        409,
        Texts(
            "そのニックネームはもう使われています。ちがう名前にしてください。",
            "That nickname is already taken. Please choose another.",
            "这个昵称已经有人使用了。请换一个名字。",
            "이미 사용 중인 닉네임입니다. 다른 이름을 골라 주세요.",
        ),
        Texts(
            "その ニックネームは もう ほかの ひとが つかっているよ。べつの なまえに してね。",
            "Someone else already uses that nickname. Please pick another name.",
            "这个昵称已经有别人在用了。换一个名字吧。",
            "그 닉네임은 벌써 다른 사람이 쓰고 있어요. 다른 이름으로 해 주세요.",
        ),
    ),
    "outside_hours": Entry(
        409,
        Texts(
            "いまは受付時間外です。受付は{open_time}〜{last_start}です（{close_time}までお話しできます）。",
            "This is outside service hours. Requests are taken {open_time}–{last_start} (chats end by {close_time}).",
            "现在不在受理时间内。受理时间为{open_time}–{last_start}（聊天到{close_time}结束）。",
            "지금은 접수 시간이 아닙니다. 접수는 {open_time}~{last_start}입니다({close_time}까지 이야기할 수 있습니다).",
        ),
        Texts(
            "いまは うけつけの じかんの そとだよ。うけつけは まいにち {open_time}〜{last_start} だよ（{close_time}まで はなせるよ）。よやくは いつでも できるよ。",
            "We are closed right now. You can start a chat every day {open_time}–{last_start} (chats end by {close_time}). You can book a time whenever you like.",
            "现在不是受理时间。每天{open_time}–{last_start}可以开始聊天（聊到{close_time}）。预约随时都可以哦。",
            "지금은 접수 시간이 아니에요. 매일 {open_time}~{last_start}에 이야기를 시작할 수 있어요({close_time}까지 이야기해요). 예약은 언제든지 할 수 있어요.",
        ),
    ),
    "in_the_past": Entry(
        409,
        Texts(
            "その時間はもう始まっているか、過ぎています。",
            "That time has already started or passed.",
            "这个时间已经开始或已经过去了。",
            "그 시간은 이미 시작되었거나 지났습니다.",
        ),
        Texts(
            "その じかんは もう はじまったか、すぎているよ。ほかの じかんを えらんでね。",
            "That time has already started or passed. Please pick another time.",
            "这个时间已经开始了或者过去了。请选别的时间吧。",
            "그 시간은 벌써 시작했거나 지났어요. 다른 시간을 골라 주세요.",
        ),
    ),
    "too_far_ahead": Entry(
        409,
        Texts(
            "予約は{horizon_days}日先までです。",
            "Bookings can be made up to {horizon_days} days ahead.",
            "最多可以预约{horizon_days}天以内的时间。",
            "예약은 {horizon_days}일 뒤까지 할 수 있습니다.",
        ),
        Texts(
            "よやくは {horizon_days}にち さきまで だよ。もうすこし ちかい ひを えらんでね。",
            "You can book up to {horizon_days} days ahead. Please pick a closer day.",
            "只能预约{horizon_days}天以内哦。请选近一点的日子吧。",
            "예약은 {horizon_days}일 뒤까지만 할 수 있어요. 더 가까운 날을 골라 주세요.",
        ),
    ),
    "invalid_slot": Entry(
        409,
        Texts(
            "予約は{open_time}〜{last_start}の、30分ごとの時間からえらんでください。",
            "Please choose a slot starting on the half hour between {open_time} and {last_start}.",
            "请从{open_time}–{last_start}之间每30分钟开始的时间中选择。",
            "{open_time}~{last_start} 사이에 30분 단위로 시작하는 시간 중에서 골라 주세요.",
        ),
        Texts(
            "よやくは {open_time}〜{last_start} の、30ぷんごとの じかんから えらんでね。",
            "Please pick a time on the half hour between {open_time} and {last_start}.",
            "请从{open_time}–{last_start}之间、每30分钟一次的时间里选吧。",
            "{open_time}~{last_start} 사이에 30분마다 있는 시간 중에서 골라 주세요.",
        ),
    ),
    "no_free_line": Entry(
        409,
        Texts(
            "いま、すべての回線がつかわれています。少し待つか、予約してください。",
            "All lines are busy right now. Please try again later or book a time.",
            "现在所有线路都在使用中。请稍等，或者预约时间。",
            "지금은 모든 회선이 사용 중입니다. 조금 기다리거나 예약해 주세요.",
        ),
        Texts(
            "いまは みんな ほかの ひとと はなしているよ。すこし まつか、よやくしてね。",
            "Everyone is talking with someone right now. Please wait a little, or book a time.",
            "现在大家都在和别人聊天。请稍等一下，或者预约吧。",
            "지금은 모두 다른 사람과 이야기하고 있어요. 조금 기다리거나 예약해 주세요.",
        ),
    ),
    "mentor_busy": Entry(
        409,
        Texts(
            "このメンターはいま、ほかの人とお話ししています。",
            "This mentor is talking with someone else right now.",
            "这位导师现在正在和别人交谈。",
            "이 멘토는 지금 다른 분과 이야기하고 있습니다.",
        ),
        Texts(
            "この ひとは いま ほかの ひとと はなしているよ。まつか、よやくしてね。",
            "This person is talking with someone else now. You can wait, or book a time.",
            "这位现在正在和别人聊天。可以等一等，或者预约哦。",
            "이 사람은 지금 다른 사람과 이야기하고 있어요. 기다리거나 예약해 주세요.",
        ),
    ),
    "mentor_off_shift": Entry(
        409,
        Texts(
            "このメンターはその時間にはいません。",
            "This mentor is not working at that time.",
            "这位导师在那个时间不在。",
            "이 멘토는 그 시간에 없습니다.",
        ),
        Texts(
            "この ひとは その じかんは おやすみ だよ。ほかの じかんを えらんでね。",
            "This person is not here at that time. Please pick another time.",
            "这位在那个时间休息。请选别的时间吧。",
            "이 사람은 그 시간에 쉬어요. 다른 시간을 골라 주세요.",
        ),
    ),
    "slot_taken": Entry(
        409,
        Texts(
            "その時間はもう予約でうまっています。",
            "That time is already taken.",
            "这个时间已经被预约了。",
            "그 시간은 이미 예약되어 있습니다.",
        ),
        Texts(
            "その じかんは もう よやくで うまっているよ。ほかの じかんを えらんでね。",
            "That time is already booked. Please pick another time.",
            "这个时间已经有人预约了。请选别的时间吧。",
            "그 시간은 벌써 예약이 찼어요. 다른 시간을 골라 주세요.",
        ),
    ),
    "client_busy": Entry(
        409,
        Texts(
            "その時間には、もうほかのお話の予定があります。",
            "You already have a consultation at that time.",
            "您在那个时间已经有其他咨询安排了。",
            "그 시간에는 이미 다른 상담 일정이 있습니다.",
        ),
        Texts(
            "その じかんには もう あなたの よやくが あるよ。「よやく」の ところを みてね。",
            "You already have a booking at that time. Look under “Your bookings”.",
            "那个时间你已经有预约了。请看看“预约”那里。",
            "그 시간에는 벌써 예약이 있어요. ‘예약’ 부분을 봐 주세요.",
        ),
    ),
    "limit_reached": Entry(
        409,
        Texts(
            "予約は{max_bookings}つまでです。",
            "You can hold at most {max_bookings} bookings.",
            "最多只能有{max_bookings}个预约。",
            "예약은 {max_bookings}개까지 할 수 있습니다.",
        ),
        Texts(
            "よやくは {max_bookings}つまで だよ。いまの よやくが おわったら、また よやく できるよ。",
            "You can have up to {max_bookings} bookings. When one is over, you can book again.",
            "最多只能预约{max_bookings}个哦。等现在的预约结束了，就可以再预约。",
            "예약은 {max_bookings}개까지예요. 지금 예약이 끝나면 다시 예약할 수 있어요.",
        ),
    ),
    "already_waiting": Entry(
        409,
        Texts(
            "もう じゅんばんを まっているよ。まっている ところは ホームで みられるよ。",
            "You are already waiting in line; your place is shown on the home page.",
            "您已经在排队了。排队的位置显示在首页上。",
            "이미 순서를 기다리고 있습니다. 순서는 홈 화면에서 볼 수 있습니다.",
        ),
        Texts(
            "もう じゅんばんを まっているよ。まっている ところは ホームで みられるよ。",
            "You are already waiting for your turn. You can see your place on the home page.",
            "你已经在排队了。在首页可以看到你排在哪里。",
            "벌써 순서를 기다리고 있어요. 홈 화면에서 볼 수 있어요.",
        ),
    ),
    "not_waiting": Entry(
        404,
        Texts(
            "いまは じゅんばんを まっていないよ。",
            "You are not waiting in line.",
            "您现在没有在排队。",
            "지금은 순서를 기다리고 있지 않습니다.",
        ),
        Texts(
            "いまは じゅんばんを まっていないよ。",
            "You are not waiting for a turn now.",
            "你现在没有在排队哦。",
            "지금은 순서를 기다리고 있지 않아요.",
        ),
    ),
    "not_cancellable": Entry(
        409,
        Texts(
            "この予約はもう取り消せません。",
            "This booking can no longer be cancelled.",
            "这个预约已经不能取消了。",
            "이 예약은 더 이상 취소할 수 없습니다.",
        ),
        Texts(
            "この よやくは もう とりけせないよ。",
            "This booking cannot be cancelled any more.",
            "这个预约已经不能取消了哦。",
            "이 예약은 이제 취소할 수 없어요.",
        ),
    ),
    "message_too_long": Entry(
        400,
        Texts(
            "メッセージは{max_text}文字までです。",
            "Messages can be at most {max_text} characters.",
            "每条消息最多{max_text}个字。",
            "메시지는 {max_text}자까지입니다.",
        ),
        Texts(
            "メッセージは {max_text}もじまで だよ。いくつかに わけて おくってね。",
            "A message can have up to {max_text} letters. Please send it in parts.",
            "每条消息最多{max_text}个字。请分成几条发吧。",
            "메시지는 {max_text}자까지예요. 나눠서 보내 주세요.",
        ),
    ),
    "not_joined": Entry(
        409,
        Texts(
            "まだこの相談に入っていません。",
            "You have not joined this consultation yet.",
            "您还没有加入这次咨询。",
            "아직 이 상담에 들어오지 않았습니다.",
        ),
        Texts(
            "まだ この チャットに はいっていないよ。",
            "You have not entered this chat yet.",
            "你还没有进入这个聊天哦。",
            "아직 이 채팅에 들어오지 않았어요.",
        ),
    ),
    "not_open_yet": Entry(
        409,
        Texts(
            "まだはじまっていません。時間になるまで待ってね。",
            "This consultation has not started yet. Please wait until its time.",
            "咨询还没有开始。请等到预约的时间。",
            "아직 시작하지 않았습니다. 시간이 될 때까지 기다려 주세요.",
        ),
        Texts(
            "まだ はじまっていないよ。じかんに なるまで まってね。",
            "It has not started yet. Please wait until it is time.",
            "还没有开始哦。请等到时间吧。",
            "아직 시작하지 않았어요. 시간이 될 때까지 기다려 주세요.",
        ),
    ),
    "consultation_closed": Entry(
        409,
        Texts(
            "この相談はおわりました。",
            "This consultation has ended.",
            "这次咨询已经结束了。",
            "이 상담은 끝났습니다.",
        ),
        Texts(
            "この おはなしは おわったよ。",
            "This chat is over.",
            "这次聊天已经结束了。",
            "이 이야기는 끝났어요.",
        ),
    ),
    "survey_unavailable": Entry(
        409,
        Texts(
            "このアンケートには、いまは答えられません。",
            "This survey cannot be answered now.",
            "现在不能回答这份问卷。",
            "이 설문에는 지금 답할 수 없습니다.",
        ),
        Texts(
            "この しつもんには いまは こたえられないよ。",
            "You cannot answer these questions now.",
            "现在不能回答这些问题。",
            "이 질문에는 지금 답할 수 없어요.",
        ),
    ),
    "survey_done": Entry(
        409,
        Texts(
            "このアンケートには、もう答えています。ありがとうございました。",
            "This survey has already been answered. Thank you.",
            "这份问卷已经回答过了。谢谢。",
            "이 설문에는 이미 답했습니다. 감사합니다.",
        ),
        Texts(
            "もう こたえて くれたよ。ありがとう。",
            "You already answered. Thank you.",
            "你已经回答过了。谢谢你。",
            "이미 답해 줬어요. 고마워요.",
        ),
    ),
    "mentor_has_bookings": Entry(
        409,
        Texts(
            "このメンターにはこれからの予約や相談が{count}件あります。「予約を移す」でほかのメンターに移してから停止してください。",
            "This mentor still has {count} upcoming bookings or open consultations. Move them to another mentor with “Move bookings” first, then stop the mentor.",
            "这位导师还有{count}个今后的预约或咨询。请先用“转移预约”移给其他导师，再停用。",
            "이 멘토에게는 앞으로의 예약이나 상담이 {count}건 있습니다. ‘예약 옮기기’로 다른 멘토에게 옮긴 뒤 중지해 주세요.",
        ),
        Texts(
            "この ひとには まだ よやくが あるよ。",
            "This person still has bookings.",
            "这位还有预约。",
            "이 사람에게는 아직 예약이 있어요.",
        ),
    ),
    "mentor_inactive": Entry(
        409,
        Texts(
            "このメンターは停止されています。",
            "This mentor is stopped.",
            "这位导师已被停用。",
            "이 멘토는 중지되었습니다.",
        ),
        Texts(
            "この ひととは いま はなせないよ。ほかの ひとを えらんでね。",
            "You cannot talk with this person now. Please pick someone else.",
            "现在不能和这位聊天。请选别人吧。",
            "지금은 이 사람과 이야기할 수 없어요. 다른 사람을 골라 주세요.",
        ),
    ),
    "wrong_audience": Entry(
        409,
        Texts(
            "このメンターは、この相談者の対象（子ども／保護者）を担当していません。",
            "This mentor does not serve this client's audience (child / parent).",
            "这位导师不负责该咨询者的类别（儿童／家长）。",
            "이 멘토는 이 상담자의 대상(아동/보호자)을 담당하지 않습니다.",
        ),
        Texts(
            "この ひととは ここでは はなせないよ。ほかの ひとを えらんでね。",
            "You cannot talk with this person here. Please pick someone else.",
            "在这里不能和这位聊天。请选别人吧。",
            "여기서는 이 사람과 이야기할 수 없어요. 다른 사람을 골라 주세요.",
        ),
    ),
    "not_reassignable": Entry(
        409,
        Texts(
            "この相談は終わっているか、時間が過ぎているため、ほかのメンターに移せません。",
            "This consultation has ended or its time has passed; it cannot be moved to another mentor.",
            "这次咨询已经结束或时间已过，不能转给其他导师。",
            "이 상담은 끝났거나 시간이 지나서 다른 멘토에게 옮길 수 없습니다.",
        ),
        Texts(
            "この おはなしは もう おわっているので、ほかの ひとに かわれないよ。",
            "This chat is already over, so it cannot move to someone else.",
            "这次聊天已经结束了，不能换人了。",
            "이 이야기는 벌써 끝나서 다른 사람으로 바꿀 수 없어요.",
        ),
    ),
    "record_not_needed": Entry(
        409,
        Texts(
            "この相談には記録は要りません（まだ終わっていないか、メンターが入らなかった相談です）。",
            "This consultation needs no record: it has not ended, or its mentor never joined it.",
            "这次咨询不需要记录：它还没有结束，或者导师没有加入。",
            "이 상담에는 기록이 필요 없습니다. 아직 끝나지 않았거나 멘토가 들어오지 않은 상담입니다.",
        ),
        Texts(
            "ここでは それは できないよ。",
            "That cannot be done here.",
            "这里不能这样做哦。",
            "여기서는 그렇게 할 수 없어요.",
        ),
    ),
    "already_decided": Entry(
        409,
        Texts(
            "このエスカレーションは、もうほかの人が確認または見送りを決めています。",
            "Someone has already confirmed or declined this escalation.",
            "已经有人确认或驳回了这次上报。",
            "이 에스컬레이션은 이미 다른 사람이 확인하거나 보류했습니다.",
        ),
        Texts(
            "ここでは それは できないよ。",
            "That cannot be done here.",
            "这里不能这样做哦。",
            "여기서는 그렇게 할 수 없어요.",
        ),
    ),
    "switch_not_offered": Entry(
        409,
        Texts(
            "いまは ほかの 人に かわれないよ。メンターが きているか、まだ まっている ところだよ。",
            "You cannot switch right now: your mentor is here, or the wait is not over yet.",
            "现在不能换人：您的导师已经在这里，或者等待时间还没有结束。",
            "지금은 바꿀 수 없습니다. 멘토가 와 있거나 아직 기다리는 중입니다.",
        ),
        Texts(
            "いまは ほかの ひとに かわれないよ。はなしを きいてくれる ひとが もう きているか、まだ まっている ところだよ。",
            "You cannot switch right now: the person who listens to you is here, or the wait is not over yet.",
            "现在还不能换人：听你说话的人已经来了，或者还在等。",
            "지금은 다른 사람으로 바꿀 수 없어요. 이야기를 들어 주는 사람이 이미 와 있거나 아직 기다리는 중이에요.",
        ),
    ),
    "handover_request_pending": Entry(
        409,
        Texts(
            "この相談には、相談者の返事を待っている引き継ぎの提案がすでにあります。",
            "This consultation already has a handover proposal waiting for the client's answer.",
            "此咨询已有一个正在等待咨询者答复的交接提议。",
            "이 상담에는 이미 상담자의 답을 기다리는 인계 제안이 있습니다.",
        ),
        Texts(
            "もう ひとつ、おへんじを まっている おはなしが あるよ。",
            "There is already a question waiting for your answer.",
            "已经有一个问题在等你回答。",
            "이미 대답을 기다리는 질문이 있어요.",
        ),
    ),
    "handover_request_closed": Entry(
        409,
        Texts(
            "この引き継ぎの提案は、もう答えが出ているか、相談が終わったため使えません。",
            "This handover proposal has already been answered, or the consultation has ended.",
            "此交接提议已经答复过，或者咨询已经结束。",
            "이 인계 제안은 이미 답이 나왔거나 상담이 끝났습니다.",
        ),
        Texts(
            "この しつもんは もう おわったよ。",
            "This question is already over.",
            "这个问题已经结束了。",
            "이 질문은 이미 끝났어요.",
        ),
    ),
    "shift_overlap": Entry(
        409,
        Texts(
            "このメンターの別のシフトと重なっています。",
            "This overlaps another shift of the same mentor.",
            "与这位导师的其他班次重叠。",
            "이 멘토의 다른 근무와 겹칩니다.",
        ),
        Texts(
            "じかんが かさなっているよ。", "The times overlap.", "时间重叠了。", "시간이 겹쳐요."
        ),
    ),
    "shift_in_use": Entry(
        409,
        Texts(
            "このシフトの中に予約や相談があるため、削除できません。",
            "This shift has bookings or consultations inside it and cannot be removed.",
            "这个班次内有预约或咨询，不能删除。",
            "이 근무 시간 안에 예약이나 상담이 있어 삭제할 수 없습니다.",
        ),
        Texts(
            "この じかんには よやくが あるので、けせないよ。",
            "There are bookings in this time, so it cannot be removed.",
            "这个时间里有预约，不能删除。",
            "이 시간에 예약이 있어서 지울 수 없어요.",
        ),
    ),
    "capacity_in_use": Entry(
        409,
        Texts(
            "これからの時間で、{used}番の回線まで使われる予定です。それより少なくはできません。",
            "Line {used} is taken at an upcoming time; capacity cannot go below that yet.",
            "今后的时间里将使用到第{used}条线路，不能少于这个数。",
            "앞으로의 시간에 {used}번 회선까지 사용될 예정입니다. 그보다 적게 할 수 없습니다.",
        ),
        Texts(
            "これからの じかんに {used}ばんめまで つかう よていが あるよ。それより すくなく できないよ。",
            "Line {used} is in use later, so it cannot go lower.",
            "之后会用到第{used}条线路，不能再少了。",
            "앞으로 {used}번까지 쓸 예정이라서 더 줄일 수 없어요.",
        ),
    ),
    "second_factor_required": Entry(
        401,
        Texts(
            "確認コード（認証アプリの6桁の数字、またはリカバリーコード）を入力してください。",
            "Enter the code from your authenticator app (6 digits) or a recovery code.",
            "请输入验证码（身份验证器应用中的6位数字，或恢复码）。",
            "확인 코드(인증 앱의 6자리 숫자 또는 복구 코드)를 입력해 주세요.",
        ),
        Texts(
            "かくにんの コードを いれてね。",
            "Please type the check code.",
            "请输入确认码。",
            "확인 코드를 넣어 주세요.",
        ),
    ),
    "bad_second_factor": Entry(
        401,
        Texts(
            "確認コードが違うか、すでに使われています。新しいコードを入力してください。",
            "That code is not right or has already been used. Enter a new code.",
            "验证码不正确或已经用过。请输入新的验证码。",
            "확인 코드가 틀렸거나 이미 사용되었습니다. 새 코드를 입력해 주세요.",
        ),
        Texts(
            "かくにんの コードが ちがうみたい。あたらしい コードを いれてね。",
            "That check code does not match. Please type a new one.",
            "确认码好像不对。请输入新的。",
            "확인 코드가 맞지 않는 것 같아요. 새 코드를 넣어 주세요.",
        ),
    ),
    "password_change_required": Entry(
        403,
        Texts(
            "仮パスワードでサインインしています。先に自分のパスワードを設定してください。",
            "You signed in with a one-time password. Set your own password first.",
            "您正在使用临时密码登录。请先设置自己的密码。",
            "임시 비밀번호로 로그인했습니다. 먼저 자신의 비밀번호를 설정해 주세요.",
        ),
        Texts(
            "さきに じぶんの パスワードを きめてね。",
            "Please set your own password first.",
            "请先设定你自己的密码。",
            "먼저 자기 비밀번호를 정해 주세요.",
        ),
    ),
    "second_factor_enrolment_required": Entry(
        403,
        Texts(
            "このアカウントには2段階認証が必要です。先に認証アプリを登録してください。",
            "This account needs two-factor sign-in. Set up your authenticator app first.",
            "此账户需要两步验证。请先注册身份验证器应用。",
            "이 계정은 2단계 인증이 필요합니다. 먼저 인증 앱을 등록해 주세요.",
        ),
        Texts(
            "さきに かくにんの アプリを とうろくしてね。",
            "Please set up the check app first.",
            "请先登记确认用的应用。",
            "먼저 확인 앱을 등록해 주세요.",
        ),
    ),
    "second_factor_enrolled": Entry(
        409,
        Texts(
            "2段階認証はすでに登録されています。",
            "Two-factor sign-in is already set up for this account.",
            "两步验证已经注册过了。",
            "2단계 인증은 이미 등록되어 있습니다.",
        ),
        Texts(
            "もう とうろく してあるよ。",
            "It is already set up.",
            "已经登记好了。",
            "벌써 등록되어 있어요.",
        ),
    ),
    "second_factor_not_started": Entry(
        409,
        Texts(
            "先に2段階認証の登録を始めてください。",
            "Start the two-factor set-up first.",
            "请先开始注册两步验证。",
            "먼저 2단계 인증 등록을 시작해 주세요.",
        ),
        Texts(
            "さきに とうろくを はじめてね。",
            "Please start the set-up first.",
            "请先开始登记。",
            "먼저 등록을 시작해 주세요.",
        ),
    ),
    "weak_password": Entry(
        400,
        Texts(
            "パスワードは{min_length}文字以上で、よく使われるものやユーザー名を含むものは使えません。",
            "Passwords need at least {min_length} characters and must not be a common password or contain the username.",
            "密码至少需要{min_length}个字符，不能使用常见密码或包含用户名的密码。",
            "비밀번호는 {min_length}자 이상이어야 하며, 흔한 비밀번호나 사용자 이름이 들어간 것은 쓸 수 없습니다.",
        ),
        Texts(
            "パスワードは {min_length}もじ いじょうで、ほかの ひとに あてられにくい ものに してね。",
            "The password needs {min_length} or more letters and must be hard to guess.",
            "密码要有{min_length}个字以上，而且要让别人猜不到。",
            "비밀번호는 {min_length}자 이상이고, 다른 사람이 맞히기 어려운 것으로 해 주세요.",
        ),
    ),
    "username_taken": Entry(
        409,
        Texts(
            "そのユーザー名はもう使われています。",
            "That username is already taken.",
            "这个用户名已经有人使用了。",
            "이미 사용 중인 사용자 이름입니다.",
        ),
        Texts(
            "その なまえは もう つかわれているよ。",
            "That name is already used.",
            "这个名字已经有人用了。",
            "그 이름은 벌써 쓰이고 있어요.",
        ),
    ),
    "secret_too_short": Entry(
        400,
        Texts(
            "あいことばは{minimum}もじいじょうにしてね。",
            "Your secret needs at least {minimum} characters.",
            "暗号至少需要{minimum}个字。",
            "암호는 {minimum}자 이상이어야 합니다.",
        ),
        Texts(
            "あいことばは {minimum}もじ いじょうに してね。",
            "Your secret word needs {minimum} or more letters.",
            "暗号要有{minimum}个字以上哦。",
            "암호는 {minimum}자 이상으로 해 주세요.",
        ),
    ),
    "secret_too_common": Entry(
        400,
        Texts(
            "そのあいことばは、ほかの人にあてられやすいよ。じぶんだけの、ほかのことばにしてね。",
            "That secret is too easy to guess. Please choose one only you would think of.",
            "这个暗号太容易被别人猜到了。请选一个只有您自己会想到的。",
            "그 암호는 다른 사람이 쉽게 맞힐 수 있습니다. 자신만 생각할 수 있는 것으로 골라 주세요.",
        ),
        Texts(
            "その あいことばは、ほかの ひとに あてられやすいよ。じぶんだけの、ほかの ことばに してね。",
            "That secret word is easy for others to guess. Please pick one only you would think of.",
            "这个暗号很容易被别人猜到哦。换一个只有你自己知道的词吧。",
            "그 암호는 다른 사람이 맞히기 쉬워요. 나만 아는 다른 말로 해 주세요.",
        ),
    ),
    "secret_wait": Entry(
        429,
        Texts(
            "まちがいがつづいたので、{retry_after}びょうまってから、もういちどいれてね。",
            "Several wrong tries: please wait {retry_after} seconds and try again.",
            "错误次数太多，请等{retry_after}秒后再试。",
            "여러 번 틀려서 {retry_after}초 기다린 뒤 다시 시도해 주세요.",
        ),
        Texts(
            "なんかいか あわなかったので、{retry_after}びょう まってから、もういちど いれてね。",
            "It did not match a few times. Please wait {retry_after} seconds and try again.",
            "有几次没有对上，请等{retry_after}秒再试一次吧。",
            "몇 번 맞지 않았어요. {retry_after}초 기다린 뒤 다시 넣어 주세요.",
        ),
    ),
    "other_face": Entry(
        403,
        Texts(
            "このなまえは、べつのページ（こどもよう／おとなよう）でつかうなまえだよ。そちらのページからサインインしてね。",
            "This name belongs to the other page (children's or grown-ups'). Please sign in there.",
            "这个名字是在另一个页面（儿童用／成人用）使用的。请从那个页面登录。",
            "이 이름은 다른 페이지(어린이용/어른용)에서 쓰는 이름입니다. 그 페이지에서 로그인해 주세요.",
        ),
        Texts(
            "この なまえは、べつの ページ（こどもよう／おとなよう）で つかう なまえだよ。そちらの ページから はいってね。",
            "This name belongs to the other page (children's or grown-ups'). Please sign in there.",
            "这个名字是在另一个页面（儿童用／大人用）用的。请从那个页面进入吧。",
            "이 이름은 다른 페이지(어린이용/어른용)에서 쓰는 이름이에요. 그 페이지에서 들어가 주세요.",
        ),
    ),
    "secret_needed": Entry(
        403,
        Texts(
            "まえのおはなしをよむには、あいことばをもういちどいれてね。",
            "To read an earlier conversation, please enter your secret again.",
            "要阅读以前的对话，请再输入一次暗号。",
            "이전 대화를 읽으려면 암호를 다시 입력해 주세요.",
        ),
        Texts(
            "まえの おはなしを よむには、あいことばを もういちど いれてね。",
            "To read an earlier chat, please type your secret word again.",
            "想看以前的聊天，请再输入一次暗号。",
            "전에 한 이야기를 읽으려면 암호를 다시 넣어 주세요.",
        ),
    ),
    "reread_over": Entry(
        410,
        Texts(
            "このおはなしは、おわってからじかんがたったので、もうよめないよ。",
            "This conversation ended too long ago to be read again.",
            "这次对话结束已经很久了，不能再阅读了。",
            "이 대화는 끝난 지 오래되어 더 이상 읽을 수 없습니다.",
        ),
        Texts(
            "この おはなしは、おわってから じかんが たったので、もう よめないよ。",
            "This chat ended a while ago, so it cannot be read any more.",
            "这次聊天结束很久了，已经不能看了。",
            "이 이야기는 끝난 지 오래되어 이제 읽을 수 없어요.",
        ),
    ),
    "rate_limited": Entry(
        429,
        Texts(
            "回数が多すぎます。しばらく待ってからためしてください。",
            "Too many attempts. Please wait a while and try again.",
            "尝试次数太多。请稍等一会儿再试。",
            "시도 횟수가 너무 많습니다. 잠시 기다린 뒤 다시 시도해 주세요.",
        ),
        Texts(
            "みじかい あいだに たくさん とどいたよ。すこし まってから、もういちど ためしてね。",
            "A lot arrived in a short time. Please wait a little and try again.",
            "短时间里收到了很多次。请稍等一下再试吧。",
            "짧은 시간에 많이 왔어요. 조금 기다렸다가 다시 해 보세요.",
        ),
    ),
    "busy_try_again": Entry(
        503,
        Texts(
            "こみあっています。もう一度ためしてください。",
            "The service is busy. Please try again.",
            "现在很拥挤。请再试一次。",
            "지금 혼잡합니다. 다시 시도해 주세요.",
        ),
        Texts(
            "いま こみあっているよ。すこし まってから、もういちど ためしてね。",
            "It is busy right now. Please wait a little and try again.",
            "现在人很多。请稍等一下再试一次吧。",
            "지금 붐비고 있어요. 조금 기다렸다가 다시 해 보세요.",
        ),
    ),
    "internal_error": Entry(
        500,
        Texts(
            "ごめんなさい、うまくいきませんでした。もう一度ためしてください。",
            "Sorry, something went wrong. Please try again.",
            "抱歉，出了点问题。请再试一次。",
            "죄송합니다. 문제가 생겼습니다. 다시 시도해 주세요.",
        ),
        Texts(
            "ごめんね、こちらで うまく いかなかったよ。もういちど ためしてね。",
            "Sorry, something went wrong on our side. Please try again.",
            "对不起，我们这边出了点问题。请再试一次吧。",
            "미안해요, 우리 쪽에서 잘 안 됐어요. 다시 해 보세요.",
        ),
    ),
    "mentor_resting": Entry(
        409,
        Texts(
            "このメンターはいま休憩中です。少しあとでもう一度ためすか、ほかのメンターを選んでください。",
            "This mentor is taking a short break. Please try again a little later, or choose another mentor.",
            "这位导师正在短暂休息。请稍后再试，或者选择其他导师。",
            "이 멘토는 지금 잠시 쉬고 있습니다. 조금 뒤에 다시 시도하거나 다른 멘토를 골라 주세요.",
        ),
        Texts(
            "この ひとは いま すこし やすんでいるよ。すこし あとで また ためすか、ほかの ひとを えらんでね。",
            "This person is having a short rest now. Try again a little later, or choose someone else.",
            "这位现在正在休息一下。过一会儿再试试，或者选别的人吧。",
            "이 사람은 지금 잠깐 쉬고 있어요. 조금 뒤에 다시 해 보거나 다른 사람을 골라 주세요.",
        ),
    ),
    "mentor_limit_reached": Entry(
        409,
        Texts(
            "このメンターはこの日（またはこのシフト）の相談がいっぱいです。ほかの時間かメンターを選んでください。",
            "This mentor has no more room that day (or in that shift). Please choose another time or mentor.",
            "这位导师当天（或该班次）的咨询已满。请选择其他时间或导师。",
            "이 멘토는 그날(또는 그 근무 시간)의 상담이 가득 찼습니다. 다른 시간이나 멘토를 골라 주세요.",
        ),
        Texts(
            "この ひとは この {日|ひ}は もう いっぱいだよ。ほかの じかんか、ほかの ひとを えらんでね。",
            "This person is full for that day. Please choose another time or someone else.",
            "这位那天已经满了。请选别的时间或者别的人吧。",
            "이 사람은 그날은 이미 꽉 찼어요. 다른 시간이나 다른 사람을 골라 주세요.",
        ),
    ),
    "link_code_invalid": Entry(
        400,
        Texts(
            "このコードは使えません。お子さんに新しいコードを作ってもらってください（30分有効・1回限り）。",
            "This code cannot be used. Please ask your child to make a new one (valid for 30 minutes, once).",
            "此代码无法使用。请让孩子重新生成一个（30分钟内有效，仅限一次）。",
            "이 코드는 사용할 수 없습니다. 자녀에게 새 코드를 만들어 달라고 해 주세요(30분간 유효, 1회 한정).",
        ),
        Texts(
            "この コードは つかえないよ。あたらしい コードを つくってね。",
            "This code does not work. Please make a new code.",
            "这个代码用不了。请重新做一个代码吧。",
            "이 코드는 쓸 수 없어요. 새 코드를 만들어 주세요.",
        ),
    ),
    "already_linked": Entry(
        409,
        Texts(
            "このお子さんとはすでにつながっています。",
            "You are already linked with this child.",
            "您已经与这个孩子关联了。",
            "이 자녀와 이미 연결되어 있습니다.",
        ),
        Texts(
            "もう つながっているよ。",
            "You are already linked.",
            "已经连在一起了哦。",
            "이미 연결되어 있어요.",
        ),
    ),
    "too_many_links": Entry(
        409,
        Texts(
            "これ以上つなげることはできません。使っていないつながりを外してください。",
            "No more links can be made. Please remove one you no longer use.",
            "无法再建立更多关联。请先解除不再使用的关联。",
            "더 이상 연결할 수 없습니다. 쓰지 않는 연결을 해제해 주세요.",
        ),
        Texts(
            "これいじょう つなげられないよ。つかっていない つながりを はずしてね。",
            "You cannot link any more. Please remove one you do not use.",
            "不能再连更多了。请先解开不用的连接吧。",
            "더 이상 연결할 수 없어요. 쓰지 않는 연결을 풀어 주세요.",
        ),
    ),
}


def fill(text: str, params: dict[str, Any]) -> str:
    """Put params into {name} placeholders; ruby markup {漢字|かな} is left for the page."""
    return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), text)


class Refusal(Exception):
    """A request the service declines, with a stable code and a message for a person."""

    def __init__(self, code: str, *, field: str | None = None, **params: Any) -> None:
        if code not in CATALOG:
            raise KeyError(f"unknown refusal code {code!r}")
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params

    @property
    def status(self) -> int:
        return CATALOG[self.code].status

    def message(self, register: Register = "adult") -> dict[str, str]:
        """{ja, en, zh, ko} in the register of whoever asked."""
        texts = getattr(CATALOG[self.code], register)
        return {lang: fill(getattr(texts, lang), self.params) for lang in LANGS}

    def as_dict(self, register: Register = "adult") -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message(register)}
        if self.field:
            body["field"] = self.field
        if self.params:
            body["details"] = {k: _plain(v) for k, v in self.params.items()}
        return body


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
