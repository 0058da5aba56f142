// A mentor's kind in the words of the page it is shown on. The server sends each kind with
// its label and, under "child", a label and a one-line explanation in a child's words
// (app/web/shapes.py KIND_FOR_CHILDREN); the child face shows those, the others the label.

import { face } from "./api.js";
import { pick } from "./i18n.js";

const forChild = (kind) => (face() === "child" ? kind?.child : null);

/** "こころの せんもんか" on /child/, "公認心理師・臨床心理士" elsewhere. */
export function kindLabel(kind) {
  const child = forChild(kind);
  return pick(child ? child.label : kind?.label) || kind?.id || "";
}

/** What such a person is good for, in one line; only the child face has one. */
export function kindAbout(kind) {
  const child = forChild(kind);
  return child ? pick(child.about) : "";
}
