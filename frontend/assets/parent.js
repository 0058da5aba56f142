// / (parents and guardians): the client face in adult Japanese, with the parent mentor list.
import { startClientFace } from "./client.js";
import { CHAT } from "./texts/chat.js";
import { CLIENT } from "./texts/client.js";
import { COMMON } from "./texts/common.js";
import { HELP } from "./texts/help.js";
import { SURVEY } from "./texts/survey.js";
import { LINKS } from "./texts/links.js";

startClientFace({ audience: "parent", texts: [COMMON, CLIENT, CHAT, HELP, LINKS, SURVEY] });
