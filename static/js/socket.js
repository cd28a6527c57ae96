// Protocol v1 of a lab's websocket (docs/protocol.md): a small client that sends ops and
// reports what the server says as events. Knows nothing of Plotly or the page. The binary
// codec lives in codec.js and is re-exported here.

import { decode } from "./codec.js";

export { decode, DecodeError, encode, MAGIC, values } from "./codec.js";
export const PROTOCOL = 1;

/** The websocket URL of a lab on the page's host, with optional start params and run id. */
export function socketUrl(loc, labId, { params = null, run = null } = {}) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  const query = new URLSearchParams();
  if (params && Object.keys(params).length) query.set("params", JSON.stringify(params));
  if (run) query.set("run", run);
  const qs = query.toString();
  return `${scheme}//${loc.host}/ws/labs/${encodeURIComponent(labId)}${qs ? `?${qs}` : ""}`;
}

const EVENTS = ["open", "hello", "status", "error", "frame", "dataset", "snapshot", "probe",
  "close"];

/**
 * One run of a lab over a websocket. Events (subscribe with `on`): open, hello, status,
 * error, frame, dataset, snapshot, probe (each with the decoded message) and close
 * ({code, reason}). Ops sent while the socket is still opening wait and go out once it opens
 * (a Play pressed during the handshake is not lost); with no socket, sending is an error
 * the caller can see.
 */
export class LabSocket {
  constructor(labId, options = {}) {
    this.labId = labId;
    this.location = options.location ?? globalThis.location; // both injectable for tests
    this.WebSocketImpl = options.WebSocketImpl ?? globalThis.WebSocket;
    this.ws = null;
    this.run = null;
    this.pending = []; // ops sent while the socket was opening, in order
    this.handlers = Object.fromEntries(EVENTS.map((e) => [e, new Set()]));
  }

  /** Subscribe to an event; returns a function that unsubscribes. */
  on(event, handler) {
    if (!this.handlers[event]) throw new Error(`unknown event ${event}`);
    this.handlers[event].add(handler);
    return () => this.handlers[event].delete(handler);
  }

  emit(event, payload) {
    for (const handler of this.handlers[event]) handler(payload);
  }

  /** Open the socket; `params` start a new run, `run` takes over a recently closed one. */
  connect({ params = null, run = null } = {}) {
    this.close();
    const ws = new this.WebSocketImpl(socketUrl(this.location, this.labId, { params, run }));
    ws.binaryType = "arraybuffer";
    // Events of a socket this client has since closed or replaced are ignored.
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      for (const message of this.pending.splice(0)) ws.send(JSON.stringify(message));
      this.emit("open", {});
    });
    ws.addEventListener("message", (event) => this.ws === ws && this.receive(event.data));
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.emit("close", { code: event.code, reason: event.reason });
    });
    this.ws = ws;
  }

  receive(data) {
    if (typeof data === "string") {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        this.emit("error", { code: "bad_server_json", message: "the server sent bad JSON" });
        return;
      }
      if (message.type === "hello" || (message.type === "status" && message.run)) {
        this.run = message.run ?? this.run;
      }
      if (EVENTS.includes(message.type)) this.emit(message.type, message);
      return;
    }
    let frame;
    try {
      frame = decode(data);
    } catch (exc) {
      this.emit("error", { code: "bad_frame", message: `unreadable frame: ${exc.message}` });
      return;
    }
    if (EVENTS.includes(frame.type)) this.emit(frame.type, frame);
  }

  get open() {
    return this.ws !== null && this.ws.readyState === 1;
  }

  send(message) {
    if (this.ws !== null && this.ws.readyState === 0) {
      this.pending.push(message);
      return true;
    }
    if (!this.open) {
      this.emit("error", { code: "disconnected", message: "not connected to the server" });
      return false;
    }
    this.ws.send(JSON.stringify(message));
    return true;
  }

  play() { return this.send({ op: "play" }); }
  pause() { return this.send({ op: "pause" }); }
  step(n = 1) { return this.send({ op: "step", n }); }
  reset(seed = null) { return this.send(seed === null ? { op: "reset" } : { op: "reset", seed }); }
  configure(params) { return this.send({ op: "configure", params }); }
  snapshot() { return this.send({ op: "snapshot" }); }
  probe(name, args = {}) { return this.send({ op: "probe", name, args }); }

  close() {
    this.pending = [];
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, "page closed the run");
    }
  }
}
