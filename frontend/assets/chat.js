// The realtime connection (docs/protocol.md): one socket per page, joins with last_seq,
// resends unacknowledged messages with their client_msg_id, shows each seq once,
// and reconnects by itself with backoff.
//
// Events (EventTarget, detail = the frame): "state" {state}, "hello", "joined", "message",
// "ack", "typing", "presence", "read", "consultation", "supervisor_called", "error".

import { face } from "./api.js";

const OUTBOX_KEY = "yorisoi.outbox";

function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Messages not yet acknowledged, kept per tab so a reload does not lose them. */
function loadOutbox() {
  try {
    return JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "[]");
  } catch {
    return [];
  }
}

/** The frame for an outbox item: a text message, or a shared help-directory card. */
function frameOf(item) {
  if (item.entry_id) {
    return { type: "share", consultation_id: item.consultation_id, client_msg_id: item.client_msg_id, entry_id: item.entry_id };
  }
  return { type: "send", consultation_id: item.consultation_id, client_msg_id: item.client_msg_id, text: item.text };
}

export class ChatSocket extends EventTarget {
  constructor(url = null) {
    super();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // A socket cannot send headers: the face (which session cookie) goes in the query.
    this.url = url || `${scheme}//${location.host}/ws?face=${face()}`;
    this.ws = null;
    this.state = "idle"; // idle | connecting | open | reconnecting | signed_out | stopped
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.pongDeadline = null;
    this.account = null; // from "hello"
    this.joined = new Map(); // consultation_id -> {seen: Set<seq>, watermark}
    this.outbox = loadOutbox(); // [{consultation_id, client_msg_id, text}]
    window.addEventListener("online", () => this.wake());
    // The device says the network is gone: the socket is dead even if it does not know yet.
    window.addEventListener("offline", () => this.ws?.close(4000));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.wake();
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setState(state) {
    this.state = state;
    this.emit("state", { state });
  }

  connect() {
    if (this.ws && this.ws.readyState <= 1) return;
    clearTimeout(this.timer);
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.setState("open");
      this.startPing();
      for (const [id, info] of this.joined) {
        this.sendFrame({ type: "join", consultation_id: id, last_seq: info.watermark, ...info.extra });
      }
    });
    ws.addEventListener("message", (event) => this.receive(event.data));
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      if (event.code === 4401) {
        this.setState("signed_out");
        return;
      }
      if (this.state === "stopped") return;
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    this.attempt += 1;
    const base = Math.min(15000, 500 * 2 ** Math.min(this.attempt - 1, 5));
    const delay = base / 2 + Math.random() * (base / 2);
    this.setState("reconnecting");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Back from sleep or offline: try now instead of waiting for the backoff. */
  wake() {
    if (this.state !== "reconnecting") return;
    this.attempt = 0;
    if (!this.ws) {
      clearTimeout(this.timer);
      this.connect();
    }
  }

  stop() {
    this.setState("stopped");
    clearTimeout(this.timer);
    this.stopPing();
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (this.pongDeadline && Date.now() > this.pongDeadline) {
        // No answer: the link is dead even if the browser has not noticed yet.
        this.ws?.close(4000);
        return;
      }
      if (this.sendFrame({ type: "ping" }) && !this.pongDeadline) {
        this.pongDeadline = Date.now() + 15000;
      }
    }, 20000);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.pongDeadline = null;
  }

  sendFrame(frame) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    switch (frame.type) {
      case "pong":
        this.pongDeadline = null;
        break;
      case "hello":
        this.account = frame.account;
        this.emit("hello", frame);
        break;
      case "joined":
        this.onJoined(frame);
        break;
      case "message":
        this.onMessage(frame);
        break;
      case "ack":
        this.onAck(frame);
        break;
      default:
        this.emit(frame.type, frame);
    }
  }

  // --- consultations -----------------------------------------------------------------

  info(id) {
    let info = this.joined.get(id);
    if (!info) {
      info = { seen: new Set(), watermark: 0, extra: {} };
      this.joined.set(id, info);
    }
    return info;
  }

  /** Join (and re-join after every reconnect). extra: e.g. {reason} for a supervisor. */
  join(id, extra = {}) {
    const info = this.info(id);
    info.extra = extra;
    this.sendFrame({ type: "join", consultation_id: id, last_seq: info.watermark, ...extra });
    if (!this.ws) this.connect();
  }

  leave(id) {
    this.joined.delete(id);
    this.sendFrame({ type: "leave", consultation_id: id });
  }

  onJoined(frame) {
    this.emit("joined", frame);
    const id = frame.consultation?.id;
    // Anything still unacknowledged for this consultation goes again, same client_msg_id.
    for (const item of this.outbox) {
      if (item.consultation_id === id) this.sendFrame(frameOf(item));
    }
  }

  /** Record a seq as shown; return false if it was already shown. */
  see(id, seq) {
    const info = this.info(id);
    if (info.seen.has(seq) || seq <= info.watermark) return false;
    info.seen.add(seq);
    while (info.seen.has(info.watermark + 1)) {
      info.seen.delete(info.watermark + 1);
      info.watermark += 1;
    }
    return true;
  }

  onMessage(frame) {
    const id = frame.consultation_id;
    if (!this.joined.has(id)) return;
    if (frame.client_msg_id) this.dropFromOutbox(frame.client_msg_id);
    if (!this.see(id, frame.seq)) return;
    this.emit("message", frame);
  }

  onAck(frame) {
    const item = this.outbox.find((o) => o.client_msg_id === frame.client_msg_id);
    this.dropFromOutbox(frame.client_msg_id);
    // The ack carries the seq; the message frame itself may or may not follow.
    const fresh = this.see(frame.consultation_id, frame.seq);
    this.emit("ack", { ...frame, text: item?.text, card: item?.card, fresh });
  }

  saveOutbox() {
    try {
      sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(this.outbox));
    } catch {
      /* storage full or disabled: the in-memory outbox still works */
    }
  }

  dropFromOutbox(clientMsgId) {
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((o) => o.client_msg_id !== clientMsgId);
    if (this.outbox.length !== before) this.saveOutbox();
  }

  /** Pending (unacknowledged) messages of a consultation, oldest first. */
  pending(id) {
    return this.outbox.filter((o) => o.consultation_id === id);
  }

  send(id, text) {
    const item = { consultation_id: id, client_msg_id: newId(), text };
    this.outbox.push(item);
    this.saveOutbox();
    this.sendFrame(frameOf(item));
    return item;
  }

  /** Share a help-directory entry as a card (mentor, joined supervisor); acked like send. */
  share(id, entry) {
    const item = { consultation_id: id, client_msg_id: newId(), entry_id: entry.id, text: entry.name?.ja || entry.id, card: entry };
    this.outbox.push(item);
    this.saveOutbox();
    this.sendFrame(frameOf(item));
    return item;
  }

  resend(clientMsgId) {
    const item = this.outbox.find((o) => o.client_msg_id === clientMsgId);
    if (item) this.sendFrame(frameOf(item));
  }

  /** Give up on a message the server refused (too long, closed): it will not be resent. */
  discard(clientMsgId) {
    this.dropFromOutbox(clientMsgId);
  }

  typing(id) {
    this.sendFrame({ type: "typing", consultation_id: id });
  }

  /** Seen on screen up to seq (docs/protocol.md, Read marks); false when not connected. */
  read(id, seq) {
    return this.sendFrame({ type: "read", consultation_id: id, seq });
  }

  end(id) {
    return this.sendFrame({ type: "end", consultation_id: id });
  }

  callSupervisor(id) {
    return this.sendFrame({ type: "call_supervisor", consultation_id: id });
  }
}
