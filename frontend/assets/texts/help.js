// Words of the help directory (the public support services) and of help cards in the chat.
// HELP is the adult voice (/ , /mentor/, /admin/); HELP_CHILD is easy Japanese for /child/.

export const HELP = {
  "help.cat.emergency": { ja: "緊急", en: "Emergency", zh: "紧急", ko: "긴급" },
  "help.cat.learn": { ja: "学ぶ", en: "Learning", zh: "学习", ko: "배우기" },
  "help.cat.work": { ja: "働く", en: "Work", zh: "工作", ko: "일하기" },
  "help.cat.live": { ja: "暮らす", en: "Daily life", zh: "生活", ko: "생활" },
  "help.cat.family": { ja: "妊娠・子育て", en: "Pregnancy & parenting", zh: "怀孕・育儿", ko: "임신・육아" },
  "help.entry.for": { ja: "対象:", en: "For:", zh: "对象：", ko: "대상:" },
  "help.entry.reach": { ja: "連絡のしかた", en: "How to reach them", zh: "联系方式", ko: "연락 방법" },
  "help.entry.call": { ja: "電話をかける", en: "Call", zh: "打电话", ko: "전화 걸기" },

  "dir.open": { ja: "相談できる窓口をさがす", en: "Find support services", zh: "查找可以咨询的窗口", ko: "상담할 수 있는 창구 찾기" },
  "dir.open_hint": { ja: "学校・仕事・お金・住まい・子育てなど、公的な相談窓口の一覧です。", en: "Public support for school, work, money, housing, parenting and more.", zh: "学校、工作、金钱、住房、育儿等公共咨询窗口的一览。", ko: "학교・일・돈・주거・육아 등 공적인 상담 창구 목록입니다." },
  "dir.from_help": { ja: "ほかの相談窓口をさがす", en: "Find other support services", zh: "查找其他咨询窗口", ko: "다른 상담 창구 찾기" },
  "dir.title": { ja: "相談できる窓口", en: "Support services", zh: "可以咨询的窗口", ko: "상담할 수 있는 창구" },
  "dir.lead": { ja: "公的な支援や相談窓口です。分野で選ぶか、ことばでさがしてください。", en: "Public support and advice services. Choose a group or search by words.", zh: "这些是公共支援和咨询窗口。请按类别选择，或用关键词搜索。", ko: "공적인 지원과 상담 창구입니다. 분야로 고르거나 말로 찾아 주세요." },
  "dir.search": { ja: "ことばでさがす", en: "Search", zh: "用关键词搜索", ko: "말로 찾기" },
  "dir.search_hint": { ja: "例: 奨学金、仕事、家賃、妊娠", en: "e.g. scholarship, job, rent, pregnancy", zh: "例如：奖学金、工作、房租、怀孕", ko: "예: 장학금, 일, 집세, 임신" },
  "dir.search_go": { ja: "さがす", en: "Search", zh: "搜索", ko: "찾기" },
  "dir.groups": { ja: "分野", en: "Groups", zh: "类别", ko: "분야" },
  "dir.all": { ja: "すべて", en: "All", zh: "全部", ko: "전체" },
  "dir.count": { ja: "{n}件あります", en: "{n} found", zh: "找到 {n} 条", ko: "{n}건 있습니다" },
  "dir.none": { ja: "見つかりませんでした。ちがうことばでさがすか、「すべて」を選んでください。", en: "Nothing found. Try other words or choose “All”.", zh: "没有找到。请换个词搜索，或选择“全部”。", ko: "찾지 못했습니다. 다른 말로 찾거나 '전체'를 선택해 주세요." },
  "dir.loading": { ja: "読み込んでいます…", en: "Loading…", zh: "正在加载…", ko: "불러오는 중…" },
  "dir.clear": { ja: "検索をやめる", en: "Clear search", zh: "取消搜索", ko: "검색 그만하기" },
  "dir.note": { ja: "受付時間や内容は変わることがあります。公式の案内も確かめてください。", en: "Hours and details may change; please check the official information too.", zh: "受理时间和内容可能会变化，也请确认官方信息。", ko: "접수 시간이나 내용은 바뀔 수 있습니다. 공식 안내도 확인해 주세요." },

  "chat.card.shared": { ja: "{name}さんが、相談窓口の情報を送りました。", en: "{name} shared a support service with you.", zh: "{name} 发来了咨询窗口的信息。", ko: "{name}님이 상담 창구 정보를 보냈습니다." },
  "chat.card.shared_by_me": { ja: "相談窓口の情報を送りました。", en: "You shared a support service.", zh: "已发送咨询窗口的信息。", ko: "상담 창구 정보를 보냈습니다." },
  "chat.card.open": { ja: "開いて見る", en: "Open", zh: "打开查看", ko: "열어 보기" },

  // mentor: share a help entry into the chat
  "share.open": { ja: "窓口カードを送る", en: "Share a support card", zh: "发送窗口卡片", ko: "창구 카드 보내기" },
  "share.title": { ja: "相談窓口をカードで送る", en: "Share a support service as a card", zh: "用卡片发送咨询窗口", ko: "상담 창구를 카드로 보내기" },
  "share.search": { ja: "窓口をさがす", en: "Search services", zh: "查找窗口", ko: "창구 찾기" },
  "share.category": { ja: "分野", en: "Group", zh: "类别", ko: "분야" },
  "share.send": { ja: "送る", en: "Send", zh: "发送", ko: "보내기" },
  "share.close": { ja: "閉じる", en: "Close", zh: "关闭", ko: "닫기" },
  "share.sent": { ja: "「{name}」を送りました。", en: "Shared “{name}”.", zh: "已发送“{name}”。", ko: "'{name}'을(를) 보냈습니다." },
  "share.for_child": { ja: "こども向けの窓口を表示しています。", en: "Showing services for children.", zh: "正在显示面向儿童的窗口。", ko: "어린이를 위한 창구를 보여 주고 있습니다." },
  "share.for_parent": { ja: "保護者向けの窓口を表示しています。", en: "Showing services for parents.", zh: "正在显示面向家长的窗口。", ko: "보호자를 위한 창구를 보여 주고 있습니다." },
};

export const HELP_CHILD = {
  "help.cat.emergency": { ja: "いそぐ とき", en: "Emergency", zh: "紧急的时候", ko: "급할 때" },
  "help.cat.learn": { ja: "{学校|がっこう}", en: "School", zh: "学校", ko: "학교" },
  "help.cat.work": { ja: "しごと", en: "Work", zh: "工作", ko: "일하기" },
  "help.cat.live": { ja: "くらし", en: "Daily life", zh: "生活", ko: "생활" },
  "help.cat.family": { ja: "にんしん・こそだて", en: "Pregnancy & family", zh: "怀孕・家庭", ko: "임신・가족" },
  "help.entry.for": { ja: "だれのため:", en: "For:", zh: "对象：", ko: "대상:" },
  "help.entry.reach": { ja: "れんらくの しかた", en: "How to reach them", zh: "联系方式", ko: "연락 방법" },
  "help.entry.call": { ja: "でんわする", en: "Call", zh: "打电话", ko: "전화 걸기" },

  "dir.open": { ja: "そうだんできる ところを さがす", en: "Find places that can help", zh: "找可以帮你的地方", ko: "도와줄 수 있는 곳 찾기" },
  "dir.open_hint": { ja: "がっこう、しごと、おかね、いえの こと。たすけて くれる ところが あるよ。", en: "School, work, money, home. There are places that can help.", zh: "学校、工作、钱、家里的事。有地方可以帮你。", ko: "학교, 일, 돈, 집에 관한 일. 도와주는 곳이 있어요." },
  "dir.from_help": { ja: "ほかの そうだん できる ところ", en: "Other places that can help", zh: "其他可以帮你的地方", ko: "도와줄 수 있는 다른 곳" },
  "dir.title": { ja: "そうだん できる ところ", en: "Places that can help", zh: "可以帮你的地方", ko: "도와줄 수 있는 곳" },
  "dir.lead": { ja: "こまった ときに たすけて くれる ところだよ。えらぶか、ことばで さがしてね。", en: "Places that help when you are in trouble. Pick a group or search.", zh: "这些是遇到困难时可以帮你的地方。选一个，或者用关键词找一找。", ko: "곤란할 때 도와주는 곳이에요. 고르거나 말로 찾아봐요." },
  "dir.search": { ja: "ことばで さがす", en: "Search", zh: "用关键词搜索", ko: "말로 찾기" },
  "dir.search_hint": { ja: "たとえば: いじめ、がっこう、しごと", en: "e.g. bullying, school, job", zh: "例如：欺凌、学校、工作", ko: "예: 따돌림, 학교, 일" },
  "dir.search_go": { ja: "さがす", en: "Search", zh: "搜索", ko: "찾기" },
  "dir.groups": { ja: "なにで こまってる？", en: "What is it about?", zh: "是关于什么的？", ko: "무엇 때문에 곤란해요?" },
  "dir.all": { ja: "ぜんぶ", en: "All", zh: "全部", ko: "전체" },
  "dir.count": { ja: "{n}こ あるよ", en: "{n} found", zh: "找到 {n} 条", ko: "{n}개 있어요" },
  "dir.none": { ja: "みつからなかったよ。ちがう ことばで さがすか、「ぜんぶ」を えらんでね。", en: "Nothing found. Try other words or pick “All”.", zh: "没有找到。换个词找找，或者选“全部”。", ko: "찾지 못했어요. 다른 말로 찾거나 '전체'를 골라요." },
  "dir.loading": { ja: "よみこんでいるよ…", en: "Loading…", zh: "正在加载…", ko: "불러오는 중…" },
  "dir.clear": { ja: "さがすのを やめる", en: "Clear search", zh: "取消搜索", ko: "검색 그만하기" },
  "dir.note": { ja: "じかんが かわる ことも あるよ。わからない ときは おとなの ひとに きいてね。", en: "Times can change. Ask a grown-up if you are not sure.", zh: "时间可能会变。不清楚的时候，问问大人吧。", ko: "시간이 바뀔 수도 있어요. 잘 모를 때는 어른에게 물어봐요." },

  "chat.card.shared": { ja: "{name}さんが そうだん できる ところを おしえて くれたよ。", en: "{name} told you about a place that can help.", zh: "{name} 告诉你一个可以帮你的地方。", ko: "{name}님이 도와줄 수 있는 곳을 알려 줬어요." },
  "chat.card.open": { ja: "ひらいて みる", en: "Open", zh: "打开查看", ko: "열어 보기" },
};
