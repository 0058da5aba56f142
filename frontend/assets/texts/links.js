// Words of the parent-child link: LINKS on the parent page (/), LINKS_CHILD on the child
// page (/child/). What a parent can and cannot see is said plainly on both.

export const LINKS = {
  "link.title": { ja: "お子さんとつながる", en: "Link with your child", zh: "与孩子关联", ko: "자녀와 연결하기" },
  "link.explain": {
    ja: "お子さんが自分の画面で作った8文字のコードを入力すると、つながります。つながると、お子さんの代わりに相談の予約を入れられます。あなたに見えるのは、あなたが入れた予約の日時だけです。相談の内容、お子さんが参加したかどうか、取り消したかどうか、記録やアンケートは見えません。お子さんもあなたも、いつでもつながりを外せます。",
    en: "Enter the 8-character code your child made on their screen to link. Once linked, you can book a chat for your child. You see only the date and time of the bookings you made — never what was said, whether your child took part or cancelled, any record or survey. Either of you can unlink at any time.",
    zh: "输入孩子在自己的画面上生成的8位代码即可关联。关联后，您可以替孩子预约咨询。您只能看到您所预约的日期和时间——看不到咨询内容、孩子是否参加或取消、记录或问卷。您和孩子都可以随时解除关联。",
    ko: "자녀가 자기 화면에서 만든 8자리 코드를 입력하면 연결됩니다. 연결되면 자녀 대신 상담을 예약할 수 있습니다. 보호자에게 보이는 것은 보호자가 넣은 예약의 날짜와 시간뿐입니다. 상담 내용, 자녀가 참여했는지나 취소했는지, 기록이나 설문은 보이지 않습니다. 자녀와 보호자 모두 언제든지 연결을 해제할 수 있습니다.",
  },
  // The child's own words (LINKS_CHILD) re-word these; the adult ones complete the table.
  "link.make_code": { ja: "コードを作る", en: "Make a code", zh: "生成代码", ko: "코드 만들기" },
  "link.code_is": { ja: "コード: {code}", en: "Code: {code}", zh: "代码：{code}", ko: "코드: {code}" },
  "link.code_until": { ja: "{until}まで、1回だけ使えます。", en: "Works once, until {until}.", zh: "仅可使用一次，有效期至 {until}。", ko: "{until}까지 한 번만 사용할 수 있습니다." },
  "link.booked_by_parent": { ja: "保護者の方が入れた予約です", en: "Booked by your parent", zh: "这是家长帮你做的预约", ko: "보호자가 넣은 예약입니다" },
  "link.code_label": { ja: "お子さんのコード（8文字）", en: "Your child's code (8 characters)", zh: "孩子的代码（8位）", ko: "자녀의 코드(8자리)" },
  "link.submit": { ja: "つながる", en: "Link", zh: "关联", ko: "연결하기" },
  "link.linked": { ja: "{name}さんとつながりました。", en: "You are now linked with {name}.", zh: "已与{name}关联。", ko: "{name}님과 연결되었습니다." },
  "link.none": { ja: "まだ、つながっているお子さんはいません。", en: "You are not linked with a child yet.", zh: "还没有关联的孩子。", ko: "아직 연결된 자녀가 없습니다." },
  "link.with": { ja: "{name}さん", en: "{name}", zh: "{name}", ko: "{name}님" },
  "link.unlink": { ja: "つながりを外す", en: "Unlink", zh: "解除关联", ko: "연결 해제" },
  "link.unlink_confirm": { ja: "本当に外す", en: "Yes, unlink", zh: "确定解除", ko: "정말 해제하기" },
  "link.keep": { ja: "外さない", en: "Keep", zh: "不解除", ko: "해제하지 않기" },
  "link.unlinked": { ja: "つながりを外しました。", en: "Unlinked.", zh: "已解除关联。", ko: "연결을 해제했습니다." },
  "link.booked_list": { ja: "あなたが入れた予約", en: "Bookings you made", zh: "您做的预约", ko: "보호자가 넣은 예약" },
  "link.booked_none": { ja: "まだ予約を入れていません。", en: "You have not booked anything yet.", zh: "您还没有预约。", ko: "아직 예약을 넣지 않았습니다." },
  "link.booked_at": { ja: "{when} に予約を入れました", en: "Booked for {when}", zh: "已预约 {when}", ko: "{when}에 예약을 넣었습니다" },
  "link.book_title": { ja: "{name}さんの予約を入れる", en: "Book a chat for {name}", zh: "为{name}预约", ko: "{name}님의 예약 넣기" },
  "link.mentor": { ja: "相談する人（子ども向け）", en: "Who to talk with (for children)", zh: "咨询对象（面向儿童）", ko: "상담할 사람(어린이용)" },
  "link.day": { ja: "日にち", en: "Day", zh: "日期", ko: "날짜" },
  "link.slot": { ja: "時間", en: "Time", zh: "时间", ko: "시간" },
  "link.no_slot": { ja: "この日は空きがありません", en: "No free time that day", zh: "当天没有空位", ko: "이날은 빈 시간이 없습니다" },
  "link.choose": { ja: "選んでください", en: "Choose", zh: "请选择", ko: "선택해 주세요" },
  "link.book": { ja: "この時間で予約する", en: "Book this time", zh: "预约这个时间", ko: "이 시간으로 예약하기" },
  "link.booked": { ja: "{when} に予約を入れました。お子さんの予約一覧に出ます。", en: "Booked for {when}. It appears in your child's bookings.", zh: "已预约 {when}。会显示在孩子的预约列表中。", ko: "{when}에 예약을 넣었습니다. 자녀의 예약 목록에 나타납니다." },
  "link.pick_all": { ja: "相談する人と時間を選んでください。", en: "Please choose who and when.", zh: "请选择咨询对象和时间。", ko: "상담할 사람과 시간을 골라 주세요." },
};

export const LINKS_CHILD = {
  "link.title": { ja: "おうちの {人|ひと}と つながる", en: "Link with a grown-up at home", zh: "和家里的大人连接", ko: "집에 있는 어른과 연결하기" },
  "link.explain": {
    ja: "コードを つくって、おうちの {人|ひと}に みせてね。つながると、おうちの {人|ひと}が あなたの かわりに よやくを とれるよ。おうちの {人|ひと}に わかるのは、その {人|ひと}が とった よやくの {日|ひ}と じかん だけ。はなした ことや、チャットに はいったか どうか、とりけしたか どうかは わからないよ。よやくは あなたが とりけせるよ。つながりは いつでも はずせるよ。",
    en: "Make a code and show it to a grown-up at home. Once linked, they can book a chat for you. They only see the day and time of the bookings they made. They cannot see what you talked about, whether you went into the chat, or whether you cancelled. You can cancel those bookings. You can unlink any time.",
    zh: "生成一个代码，给家里的大人看。连接以后，大人可以帮你预约。大人只能看到他们预约的日期和时间。他们看不到你们聊了什么，也不知道你有没有进入聊天、有没有取消。你可以取消这些预约。随时都可以解除连接。",
    ko: "코드를 만들어서 집에 있는 어른에게 보여 주세요. 연결되면 어른이 너 대신 예약할 수 있어요. 어른이 알 수 있는 건 그 어른이 잡은 예약의 날짜와 시간뿐이에요. 무슨 이야기를 했는지, 채팅에 들어갔는지, 취소했는지는 알 수 없어요. 그 예약은 네가 취소할 수 있어요. 연결은 언제든지 풀 수 있어요.",
  },
  "link.make_code": { ja: "コードを つくる", en: "Make a code", zh: "生成代码", ko: "코드 만들기" },
  "link.code_is": { ja: "コード: {code}", en: "Code: {code}", zh: "代码：{code}", ko: "코드: {code}" },
  "link.code_until": { ja: "{until} まで、1かいだけ つかえるよ。", en: "Works once, until {until}.", zh: "只能用一次，到 {until} 为止。", ko: "{until}까지 한 번만 쓸 수 있어요." },
  "link.booked_by_parent": { ja: "おうちの {人|ひと}が とった よやくだよ", en: "A grown-up at home booked this for you", zh: "这是家里的大人帮你约的", ko: "집에 있는 어른이 잡아 준 예약이에요" },
  "link.none": { ja: "まだ だれとも つながって いないよ。", en: "Not linked with anyone yet.", zh: "还没有和任何人连接。", ko: "아직 아무와도 연결되어 있지 않아요." },
  "link.with": { ja: "{name}さん", en: "{name}", zh: "{name}", ko: "{name}님" },
  "link.unlink": { ja: "つながりを はずす", en: "Unlink", zh: "解除连接", ko: "연결 풀기" },
  "link.unlink_confirm": { ja: "ほんとうに はずす", en: "Yes, unlink", zh: "确定解除", ko: "정말 풀기" },
  "link.keep": { ja: "やめる", en: "Keep", zh: "不解除", ko: "그만두기" },
  "link.unlinked": { ja: "つながりを はずしたよ。", en: "Unlinked.", zh: "已经解除连接了。", ko: "연결을 풀었어요." },
};
