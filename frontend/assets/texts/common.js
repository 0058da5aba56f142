// Words every face uses.
export const COMMON = {
  "error.generic": { ja: "うまくいきませんでした。もう一度お試しください。", en: "Something went wrong. Please try again." },
  "tab.group": { ja: "登録かサインインかを選ぶ", en: "Choose sign up or sign in" },
};
