// /child/: the client face in easy Japanese.
import { startClientFace } from "./client.js";
import { CHAT, CHAT_CHILD } from "./texts/chat.js";
import { CLIENT, CLIENT_CHILD } from "./texts/client.js";
import { COMMON } from "./texts/common.js";
import { HELP, HELP_CHILD } from "./texts/help.js";
import { SURVEY, SURVEY_CHILD } from "./texts/survey.js";
import { LINKS_CHILD } from "./texts/links.js";

startClientFace({ audience: "child", texts: [COMMON, CLIENT, CHAT, HELP, CLIENT_CHILD, CHAT_CHILD, HELP_CHILD, LINKS_CHILD, SURVEY, SURVEY_CHILD] });
