// Words of the help directory (the public support services) and of help cards in the chat.
// HELP is the adult voice (/ , /mentor/, /admin/); HELP_CHILD is easy Japanese for /child/.

export const HELP = {
  "help.cat.emergency": { ja: "緊急", en: "Emergency" },
  "help.cat.learn": { ja: "学ぶ", en: "Learning" },
  "help.cat.work": { ja: "働く", en: "Work" },
  "help.cat.live": { ja: "暮らす", en: "Daily life" },
  "help.cat.family": { ja: "妊娠・子育て", en: "Pregnancy & parenting" },
  "help.entry.for": { ja: "対象:", en: "For:" },
  "help.entry.reach": { ja: "連絡のしかた", en: "How to reach them" },
  "help.entry.call": { ja: "電話をかける", en: "Call" },

  "dir.open": { ja: "相談できる窓口をさがす", en: "Find support services" },
  "dir.open_hint": { ja: "学校・仕事・お金・住まい・子育てなど、公的な相談窓口の一覧です。", en: "Public support for school, work, money, housing, parenting and more." },
  "dir.from_help": { ja: "ほかの相談窓口をさがす", en: "Find other support services" },
  "dir.title": { ja: "相談できる窓口", en: "Support services" },
  "dir.lead": { ja: "公的な支援や相談窓口です。分野で選ぶか、ことばでさがしてください。", en: "Public support and advice services. Choose a group or search by words." },
  "dir.search": { ja: "ことばでさがす", en: "Search" },
  "dir.search_hint": { ja: "例: 奨学金、仕事、家賃、妊娠", en: "e.g. scholarship, job, rent, pregnancy" },
  "dir.search_go": { ja: "さがす", en: "Search" },
  "dir.groups": { ja: "分野", en: "Groups" },
  "dir.all": { ja: "すべて", en: "All" },
  "dir.count": { ja: "{n}件あります", en: "{n} found" },
  "dir.none": { ja: "見つかりませんでした。ちがうことばでさがすか、「すべて」を選んでください。", en: "Nothing found. Try other words or choose “All”." },
  "dir.loading": { ja: "読み込んでいます…", en: "Loading…" },
  "dir.clear": { ja: "検索をやめる", en: "Clear search" },
  "dir.note": { ja: "受付時間や内容は変わることがあります。公式の案内も確かめてください。", en: "Hours and details may change; please check the official information too." },

  "chat.card.shared": { ja: "{name}さんが、相談窓口の情報を送りました。", en: "{name} shared a support service with you." },
  "chat.card.shared_by_me": { ja: "相談窓口の情報を送りました。", en: "You shared a support service." },
  "chat.card.open": { ja: "開いて見る", en: "Open" },

  // mentor: share a help entry into the chat
  "share.open": { ja: "窓口カードを送る", en: "Share a support card" },
  "share.title": { ja: "相談窓口をカードで送る", en: "Share a support service as a card" },
  "share.search": { ja: "窓口をさがす", en: "Search services" },
  "share.category": { ja: "分野", en: "Group" },
  "share.send": { ja: "送る", en: "Send" },
  "share.close": { ja: "閉じる", en: "Close" },
  "share.sent": { ja: "「{name}」を送りました。", en: "Shared “{name}”." },
  "share.for_child": { ja: "こども向けの窓口を表示しています。", en: "Showing services for children." },
  "share.for_parent": { ja: "保護者向けの窓口を表示しています。", en: "Showing services for parents." },
};

export const HELP_CHILD = {
  "help.cat.emergency": { ja: "いそぐ とき", en: "Emergency" },
  "help.cat.learn": { ja: "{学校|がっこう}", en: "School" },
  "help.cat.work": { ja: "しごと", en: "Work" },
  "help.cat.live": { ja: "くらし", en: "Daily life" },
  "help.cat.family": { ja: "にんしん・こそだて", en: "Pregnancy & family" },
  "help.entry.for": { ja: "だれのため:", en: "For:" },
  "help.entry.reach": { ja: "れんらくの しかた", en: "How to reach them" },
  "help.entry.call": { ja: "でんわする", en: "Call" },

  "dir.open": { ja: "そうだんできる ところを さがす", en: "Find places that can help" },
  "dir.open_hint": { ja: "がっこう、しごと、おかね、いえの こと。たすけて くれる ところが あるよ。", en: "School, work, money, home. There are places that can help." },
  "dir.from_help": { ja: "ほかの そうだん できる ところ", en: "Other places that can help" },
  "dir.title": { ja: "そうだん できる ところ", en: "Places that can help" },
  "dir.lead": { ja: "こまった ときに たすけて くれる ところだよ。えらぶか、ことばで さがしてね。", en: "Places that help when you are in trouble. Pick a group or search." },
  "dir.search": { ja: "ことばで さがす", en: "Search" },
  "dir.search_hint": { ja: "たとえば: いじめ、がっこう、しごと", en: "e.g. bullying, school, job" },
  "dir.search_go": { ja: "さがす", en: "Search" },
  "dir.groups": { ja: "なにで こまってる？", en: "What is it about?" },
  "dir.all": { ja: "ぜんぶ", en: "All" },
  "dir.count": { ja: "{n}こ あるよ", en: "{n} found" },
  "dir.none": { ja: "みつからなかったよ。ちがう ことばで さがすか、「ぜんぶ」を えらんでね。", en: "Nothing found. Try other words or pick “All”." },
  "dir.loading": { ja: "よみこんでいるよ…", en: "Loading…" },
  "dir.clear": { ja: "さがすのを やめる", en: "Clear search" },
  "dir.note": { ja: "じかんが かわる ことも あるよ。わからない ときは おとなの 人に きいてね。", en: "Times can change. Ask a grown-up if you are not sure." },

  "chat.card.shared": { ja: "{name}さんが そうだん できる ところを おしえて くれたよ。", en: "{name} told you about a place that can help." },
  "chat.card.open": { ja: "ひらいて みる", en: "Open" },
};
