// Words every face uses.
export const COMMON = {
  "error.generic": { ja: "うまくいきませんでした。もう一度お試しください。", en: "Something went wrong. Please try again.", zh: "操作没有成功，请再试一次。", ko: "잘 되지 않았습니다. 다시 시도해 주세요." },
  "tab.group": { ja: "登録かサインインかを選ぶ", en: "Choose sign up or sign in", zh: "选择注册或登录", ko: "등록할지 로그인할지 선택" },
};
