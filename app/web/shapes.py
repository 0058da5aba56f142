"""JSON shapes of what the API returns. Times leave in Asia/Tokyo ISO 8601 with offset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.actions.catalog import ChatNow, MentorView, SlotView, spoken
from app.actions.context import Principal
from app.actions.staff import HandoverView
from app.db.tables import Client, Consultation, Mentor, Staff
from app.rules import ServiceRules

KIND_LABELS: dict[str, tuple[str, str]] = {
    "psychologist": ("公認心理師・臨床心理士", "Psychologist"),
    "nurse": ("看護師・保健師・助産師", "Nurse / public-health nurse / midwife"),
    "social_worker": ("保育士・社会福祉士", "Childcare worker / social worker"),
    "financial_planner": ("ファイナンシャルプランナー", "Financial planner"),
    "career_consultant": ("キャリアコンサルタント", "Career consultant"),
    "former_teacher": ("元教員", "Former teacher"),
    "student_mentor": ("大学生・大学院生", "Student mentor"),
}
# The kinds in Simplified Chinese and Korean, beside the Japanese and English above.
KIND_LABELS_ZH_KO: dict[str, dict[str, str]] = {
    "psychologist": {"zh": "注册心理师・临床心理师", "ko": "공인심리사・임상심리사"},
    "nurse": {"zh": "护士・保健师・助产士", "ko": "간호사・보건사・조산사"},
    "social_worker": {"zh": "保育员・社会福利士", "ko": "보육교사・사회복지사"},
    "financial_planner": {"zh": "理财规划师", "ko": "재무설계사"},
    "career_consultant": {"zh": "职业顾问", "ko": "커리어 컨설턴트"},
    "former_teacher": {"zh": "前教师", "ko": "전직 교사"},
    "student_mentor": {"zh": "大学生・研究生", "ko": "대학생・대학원생"},
}

# The kinds in a child's words, for the child face: a label and what such a person is good
# for, in one line. Kana only (no ruby), so that they read the same in a <select>, an
# aria-label and a sentence ("{kind}の ひと") as in a card.
KIND_FOR_CHILDREN: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "psychologist": (
        {
            "ja": "こころの せんもんか",
            "en": "Feelings expert",
            "zh": "心理专家",
            "ko": "마음 전문가",
        },
        {
            "ja": "きもちや なやみを、じっくり きいてくれる ひとだよ。",
            "en": "Listens carefully to your feelings and worries.",
            "zh": "会认真听你说心情和烦恼的人。",
            "ko": "기분이나 고민을 차분히 들어 주는 사람이에요.",
        },
    ),
    "nurse": (
        {"ja": "かんごしさん", "en": "Nurse", "zh": "护士", "ko": "간호사 선생님"},
        {
            "ja": "からだの ちょうしや けんこう、あかちゃんの ことに くわしいよ。",
            "en": "Knows about your body, your health and babies.",
            "zh": "很懂身体、健康和小宝宝的事。",
            "ko": "몸 상태나 건강, 아기에 대해 잘 알아요.",
        },
    ),
    "social_worker": (
        {
            "ja": "くらしを たすける ひと",
            "en": "Helper for home and family",
            "zh": "帮助生活的人",
            "ko": "생활을 도와주는 사람",
        },
        {
            "ja": "いえや かぞく、くらしの こまりごとを いっしょに かんがえてくれるよ。",
            "en": "Thinks with you about troubles at home, with family and in daily life.",
            "zh": "会和你一起想家里、家人和生活上的烦恼。",
            "ko": "집이나 가족, 생활의 어려움을 함께 생각해 줘요.",
        },
    ),
    "financial_planner": (
        {"ja": "おかねの せんもんか", "en": "Money expert", "zh": "金钱专家", "ko": "돈 전문가"},
        {
            "ja": "おかねの つかいかたや、がっこうに かかる おかねの ことを おしえてくれるよ。",
            "en": "Explains how money works, like paying for school.",
            "zh": "会告诉你怎么用钱、上学要花多少钱等。",
            "ko": "돈 쓰는 법이나 학교에 드는 돈에 대해 알려 줘요.",
        },
    ),
    "career_consultant": (
        {"ja": "しごとの せんもんか", "en": "Work expert", "zh": "工作专家", "ko": "일 전문가"},
        {
            "ja": "しょうらいの ゆめや、はたらく ことの はなしを きいてくれるよ。",
            "en": "Talks with you about your dreams and about working.",
            "zh": "会听你说将来的梦想和工作的事。",
            "ko": "꿈이나 일하는 것에 대한 이야기를 들어 줘요.",
        },
    ),
    "former_teacher": (
        {
            "ja": "まえに せんせいだった ひと",
            "en": "Former teacher",
            "zh": "以前当过老师的人",
            "ko": "예전에 선생님이었던 사람",
        },
        {
            "ja": "がっこうや べんきょう、ともだちの ことを よく しっているよ。",
            "en": "Knows a lot about school, studying and friends.",
            "zh": "很了解学校、学习和朋友的事。",
            "ko": "학교, 공부, 친구에 대해 잘 알아요.",
        },
    ),
    "student_mentor": (
        {
            "ja": "だいがくせいの おにいさん・おねえさん",
            "en": "University student",
            "zh": "大学生哥哥姐姐",
            "ko": "대학생 선배",
        },
        {
            "ja": "としが ちかいから、きがるに はなせるよ。",
            "en": "Close to your age, so easy to talk to.",
            "zh": "年纪和你比较接近，可以轻松地聊。",
            "ko": "나이가 비슷해서 편하게 이야기할 수 있어요.",
        },
    ),
}


def iso(value: datetime | None, rules: ServiceRules) -> str | None:
    return value.astimezone(rules.tz).isoformat() if value is not None else None


def kind(kind_id: str) -> dict[str, Any]:
    ja, en = KIND_LABELS.get(kind_id, (kind_id, kind_id))
    body: dict[str, Any] = {
        "id": kind_id,
        "label": {"ja": ja, "en": en, **KIND_LABELS_ZH_KO.get(kind_id, {})},
    }
    if kind_id in KIND_FOR_CHILDREN:  # the child face shows these instead
        label, about = KIND_FOR_CHILDREN[kind_id]
        body["child"] = {"label": label, "about": about}
    return body


def mentor(m: Mentor) -> dict[str, Any]:
    return {
        "id": m.id,
        "display_name": m.display_name,
        "kind": kind(m.kind),
        "audience": m.audience,
        "profile": {"ja": m.profile_ja, "en": m.profile_en},
        "languages": spoken(m),
    }


def chat_now(state: ChatNow, rules: ServiceRules) -> dict[str, Any]:
    body: dict[str, Any] = {
        "possible": state.possible,
        "reason": state.reason,
        "until": iso(state.until, rules),
    }
    if state.booking_id is not None:  # client_busy: the asker's own consultation in the way
        body["booking_id"] = state.booking_id
    return body


def mentor_view(view: MentorView, rules: ServiceRules) -> dict[str, Any]:
    return {
        **mentor(view.mentor),
        "chat_now": chat_now(view.chat_now, rules),
        "today": view.today,
        "next_free_slots": [iso(t, rules) for t in view.next_free],
    }


def slot(view: SlotView, rules: ServiceRules) -> dict[str, Any]:
    return {
        "start": iso(view.start, rules),
        "end": iso(view.end, rules),
        "free": view.free,
        "reason": view.reason,
        **({"booking_id": view.booking_id} if view.booking_id is not None else {}),
    }


def consultation(c: Consultation, m: Mentor | None, rules: ServiceRules) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": c.id,
        "mentor_id": c.mentor_id,
        "mode": c.mode,
        "status": c.status,
        "starts_at": iso(c.starts_at, rules),
        "ends_at": iso(c.ends_at, rules),
        "opened_at": iso(c.opened_at, rules),
        "closed_at": iso(c.closed_at, rules),
        # None while the mentor has not come (the client's "waiting for ○○" state)
        "mentor_joined_at": iso(c.mentor_joined_at, rules),
        "mentor_absent": c.mentor_absent_at is not None and c.mentor_joined_at is None,
    }
    if m is not None:
        body["mentor"] = mentor(m)
    if c.booked_by_id is not None:  # a linked parent booked it for the child (never who)
        body["booked_by_parent"] = True
    return body


def handover(view: HandoverView | None, rules: ServiceRules) -> dict[str, Any] | None:
    if view is None:
        return None
    h, before = view.handover, view.from_mentor
    return {
        "at": iso(h.at, rules),
        "reason": h.reason,
        "note": h.note,
        "from_mentor": (
            {"id": before.id, "display_name": before.display_name} if before is not None else None
        ),
        "from_joined": h.from_joined,
    }


def staff_consultation(
    c: Consultation,
    m: Mentor,
    cl: Client,
    rules: ServiceRules,
    last_handover: HandoverView | None = None,
    open_risks: list[str] | None = None,
) -> dict[str, Any]:
    return {
        **consultation(c, m, rules),
        "client": {"id": c.client_id, "nickname": cl.nickname, "audience": cl.audience},
        "client_joined_at": iso(c.client_joined_at, rules),
        # since when the client who had joined is away (socket closed, went home); None: here
        "client_left_at": iso(c.client_left_at if c.status == "open" else None, rules),
        "close_reason": c.close_reason,
        "at_risk": c.at_risk,
        # where the client talks: "web" or "line" (the console's small LINE mark)
        "channel": c.channel,
        # crisis categories headquarters has not acknowledged yet
        "open_risks": open_risks or [],
        # since when the current mentor is expected (the opening, or the handover to them)
        "waiting_since": iso(c.mentor_assigned_at or c.opened_at, rules),
        "mentor_absent_at": iso(c.mentor_absent_at, rules),
        "state": board_state(c),
        "handover": handover(last_handover, rules),
    }


def board_state(c: Consultation) -> str:
    """Headquarters' board: waiting_for_mentor | client_away | in_progress for an open
    consultation (the mentor's absence first: it is the one someone must act on); the
    status otherwise. The client is away when they have not come yet, or left after
    joining (client_left_at) and have not come back."""
    if c.status != "open":
        return c.status
    if c.mentor_joined_at is None:
        return "waiting_for_mentor"
    if c.client_joined_at is None or c.client_left_at is not None:
        return "client_away"
    return "in_progress"


def client_account(c: Client) -> dict[str, Any]:
    return {"kind": "client", "id": c.id, "nickname": c.nickname, "role": c.audience}


def staff_account(s: Staff, restricted: str | None = None) -> dict[str, Any]:
    return {
        "kind": "staff",
        "id": s.id,
        "username": s.username,
        "display_name": s.display_name,
        "role": s.role,
        "mentor_id": s.mentor_id,
        "second_factor": s.totp_secret is not None,
        "restricted": restricted,
    }


def principal(p: Principal) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "id": p.id,
        "role": p.role,
        "display_name": p.display_name,
        "mentor_id": p.mentor_id,
        **({"restricted": p.restricted} if p.kind == "staff" else {}),
    }
